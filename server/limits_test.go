package server

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/chianet/chianet/protocol"
)

// TestInboundLimitsDefaults checks the reference's numbers with the
// default Config (transport spec §6.1): a full node accepts 40 − 8 = 32
// inbound full nodes, 20 wallets and 10 farmers, refuses every further
// one and every other node type with a plain close after the handshake,
// and bans nobody for it. A timelord from localhost is the exception.
func TestInboundLimitsDefaults(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)

	for _, tc := range []struct {
		typ  protocol.NodeType
		want int
	}{
		{protocol.NodeFullNode, 32},
		{protocol.NodeWallet, 20},
		{protocol.NodeFarmer, 10},
	} {
		for range tc.want {
			mustConnect(t, n, k, tc.typ)
		}
		mustBeRefused(t, n, k, tc.typ)
		if got := n.InboundCount(tc.typ); got != tc.want {
			t.Errorf("%v inbound = %d, want %d", tc.typ, got, tc.want)
		}
	}
	for _, typ := range []protocol.NodeType{protocol.NodeHarvester, protocol.NodeIntroducer, protocol.NodeDataLayer, protocol.NodeSolver} {
		mustBeRefused(t, n, k, typ)
	}
	mustConnect(t, n, k, protocol.NodeTimelord) // from localhost
	if got := n.InboundCount(0); got != 32+20+10+1 {
		t.Errorf("inbound total = %d, want 63", got)
	}
	if got := n.OutboundCount(0); got != 0 {
		t.Errorf("outbound total = %d, want 0", got)
	}
}

// TestInboundLimitsConfigured lowers the limits: TargetPeerCount 10 and
// TargetOutboundPeerCount 8 leave 2 inbound full-node slots, which
// outbound connections do not use and a reconnecting node id does not
// need a new one of.
func TestInboundLimitsConfigured(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) {
		c.TargetPeerCount = 10
		c.TargetOutboundPeerCount = 8
		c.MaxInboundWallet = 1
		c.MaxInboundFarmer = -1
	})
	other := startNode(t, k, k.issue(t), "127.0.0.2:0", nil)
	if _, err := n.Dial(context.Background(), other.addr()); err != nil {
		t.Fatal(err)
	}
	n.connected(other.id.id)

	_, first := mustConnect(t, n, k, protocol.NodeFullNode)
	mustConnect(t, n, k, protocol.NodeFullNode)
	mustBeRefused(t, n, k, protocol.NodeFullNode)
	mustConnect(t, n, k, protocol.NodeWallet)
	mustBeRefused(t, n, k, protocol.NodeWallet)
	mustBeRefused(t, n, k, protocol.NodeFarmer)

	// The first full node reconnects while its old connection is still
	// up: the new connection replaces the old one instead of being
	// refused.
	old, _ := n.Peer(first.id)
	if _, err := dialClient(t, n.addr(), clientConfig(k, first, protocol.NodeFullNode)); err != nil {
		t.Fatal(err)
	}
	e := n.connected(first.id)
	if e.Peer == old {
		t.Fatal("the old connection was reported again")
	}
	if d := n.disconnected(old); !errors.Is(d.Reason, ErrReplaced) {
		t.Errorf("replaced connection closed with %v", d.Reason)
	}
	if got := n.InboundCount(protocol.NodeFullNode); got != 2 {
		t.Errorf("inbound full nodes = %d, want 2", got)
	}
	if got := n.OutboundCount(protocol.NodeFullNode); got != 1 {
		t.Errorf("outbound full nodes = %d, want 1", got)
	}
}

// TestInboundExemptNetworks: peers from exempt_peer_networks bypass every
// inbound limit, including the refusal of other node types.
func TestInboundExemptNetworks(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) {
		c.TargetPeerCount = 9
		c.TargetOutboundPeerCount = 8
		c.ExemptNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	for range 3 {
		mustConnect(t, n, k, protocol.NodeFullNode)
	}
	mustConnect(t, n, k, protocol.NodeHarvester)
	if got := n.InboundCount(0); got != 4 {
		t.Errorf("inbound = %d, want 4", got)
	}
}

// TestInboundTimelord: a full node refuses timelords, except from
// localhost.
func TestInboundTimelord(t *testing.T) {
	k := testPKI(t)
	t.Run("localhost", func(t *testing.T) {
		n := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
		mustConnect(t, n, k, protocol.NodeTimelord)
	})
	t.Run("not localhost", func(t *testing.T) {
		n := startNode(t, k, k.issue(t), "127.0.0.1:0", noLocalhost)
		mustBeRefused(t, n, k, protocol.NodeTimelord)
	})
}

// TestInboundOtherServices: only a full node limits inbound peers; a
// farmer accepts whatever connects.
func TestInboundOtherServices(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) {
		c.NodeType = protocol.NodeFarmer
		c.MaxInboundFarmer = -1
		c.MaxInboundWallet = -1
		c.TargetPeerCount = 8
	})
	for _, typ := range []protocol.NodeType{
		protocol.NodeHarvester, protocol.NodeHarvester, protocol.NodeHarvester,
		protocol.NodeFullNode, protocol.NodeWallet, protocol.NodeFarmer, protocol.NodeSolver,
	} {
		mustConnect(t, n, k, typ)
	}
}
