package server

import (
	"context"
	"testing"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestSnapshot checks every get_connections field of a dialled full node,
// an accepted full node and an accepted wallet, and that the counters
// move by exactly one message.
func TestSnapshot(t *testing.T) {
	k := testPKI(t)
	a := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	received := make(chan struct{}, 1)
	b := startNode(t, k, k.issue(t), "127.0.0.2:0", func(c *Config) {
		c.PeerConfig.Handlers = map[protocol.MessageType]peer.HandlerFunc{
			protocol.MsgNewPeak: func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
				received <- struct{}{}
				return nil, nil
			},
		}
	})
	if _, err := a.Dial(context.Background(), b.addr()); err != nil {
		t.Fatal(err)
	}
	a.connected(b.id.id)
	b.connected(a.id.id)
	_, wallet := mustConnect(t, a, k, protocol.NodeWallet)

	aPort, bPort := a.Addr().Port(), b.Addr().Port()
	if aPort == 0 || bPort == 0 {
		t.Fatalf("ports %d, %d", aPort, bPort)
	}
	byID := func(s []ConnectionInfo, id protocol.Bytes32) ConnectionInfo {
		t.Helper()
		for _, c := range s {
			if c.NodeID == id {
				return c
			}
		}
		t.Fatalf("no connection with node id %v", id)
		return ConnectionInfo{}
	}
	snap := a.Snapshot()
	if len(snap) != 2 {
		t.Fatalf("a has %d connections, want 2", len(snap))
	}
	toB := byID(snap, b.id.id)
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("a→b NodeType", toB.NodeType, protocol.NodeFullNode)
	check("a→b LocalPort", toB.LocalPort, aPort)
	check("a→b PeerHost", toB.PeerHost, mustAddr("127.0.0.2"))
	check("a→b PeerPort", toB.PeerPort, bPort)
	check("a→b PeerServerPort", toB.PeerServerPort, bPort)
	check("a→b Outbound", toB.Outbound, true)
	check("a→b Info.NodeID", toB.Info.NodeID, b.id.id)
	check("a→b Info.Outbound", toB.Info.Outbound, true)
	if toB.CreationTime.IsZero() || toB.BytesRead == 0 || toB.BytesWritten == 0 || toB.LastMessageTime.IsZero() {
		t.Errorf("a→b counters %+v", toB)
	}

	toWallet := byID(snap, wallet.id)
	check("wallet NodeType", toWallet.NodeType, protocol.NodeWallet)
	check("wallet LocalPort", toWallet.LocalPort, aPort)
	check("wallet PeerHost", toWallet.PeerHost, mustAddr("127.0.0.1"))
	check("wallet PeerServerPort", toWallet.PeerServerPort, uint16(0))
	check("wallet Outbound", toWallet.Outbound, false)
	if toWallet.PeerPort == 0 || toWallet.PeerPort == aPort {
		t.Errorf("wallet PeerPort = %d, want its ephemeral port", toWallet.PeerPort)
	}

	// b's side: the handshake announced a's real bound port.
	before := byID(b.Snapshot(), a.id.id)
	check("b←a PeerServerPort", before.PeerServerPort, aPort)
	check("b←a PeerHost", before.PeerHost, mustAddr("127.0.0.1"))
	check("b←a LocalPort", before.LocalPort, bPort)
	check("b←a Outbound", before.Outbound, false)

	np := &protocol.NewPeak{Height: 42}
	m, err := protocol.MakeMessage(protocol.MsgNewPeak, np)
	if err != nil {
		t.Fatal(err)
	}
	if sent, err := a.Broadcast(context.Background(), protocol.MsgNewPeak, np, Except(wallet.id)); sent != 1 || err != nil {
		t.Fatalf("Broadcast = %d, %v", sent, err)
	}
	<-received
	after := byID(b.Snapshot(), a.id.id)
	check("bytes read", after.BytesRead-before.BytesRead, uint64(m.EncodedLen()))
	check("messages read", after.Stats.MessagesRead-before.Stats.MessagesRead, uint64(1))
	if after.LastMessageTime.Before(before.LastMessageTime) {
		t.Errorf("last message time went back: %v → %v", before.LastMessageTime, after.LastMessageTime)
	}
	check("bytes written unchanged", after.BytesWritten, before.BytesWritten)
}

// TestNoListener: a node without a listener (a wallet) dials out and
// announces server_port 0.
func TestNoListener(t *testing.T) {
	k := testPKI(t)
	full := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	w := startNode(t, k, k.issue(t), "", func(c *Config) {
		c.NodeType = protocol.NodeWallet
		c.ServerTLS = nil
	})
	if w.Addr().IsValid() {
		t.Errorf("Addr() = %v without a listener", w.Addr())
	}
	if _, err := w.Dial(context.Background(), full.addr()); err != nil {
		t.Fatal(err)
	}
	w.connected(full.id.id)
	in := full.connected(w.id.id)
	if in.Info.NodeType != protocol.NodeWallet || in.Info.ServerPort != 0 || in.Info.Outbound {
		t.Errorf("full node sees %+v", in.Info)
	}
	if s := w.Snapshot(); len(s) != 1 || s[0].LocalPort != 0 || s[0].PeerServerPort != full.Addr().Port() {
		t.Errorf("wallet snapshot %+v", s)
	}
}

// TestDialFrom checks that outbound connections leave from DialFrom, so
// that nodes sharing 127.0.0.0/8 in one process see each other at their
// own addresses (and /16 groups) rather than all at 127.0.0.1.
func TestDialFrom(t *testing.T) {
	k := testPKI(t)
	a := startNode(t, k, k.issue(t), "127.2.0.1:0", func(c *Config) { c.DialFrom = mustAddr("127.2.0.1") })
	b := startNode(t, k, k.issue(t), "127.3.0.1:0", nil)
	p, err := a.Dial(context.Background(), b.addr())
	if err != nil {
		t.Fatal(err)
	}
	e := b.connected(a.NodeID())
	if got := e.Info.RemoteAddr.Addr(); got != mustAddr("127.2.0.1") {
		t.Fatalf("b sees a at %v, want 127.2.0.1", got)
	}
	if got := p.Info().RemoteAddr.Addr(); got != mustAddr("127.3.0.1") {
		t.Fatalf("a sees b at %v", got)
	}
}
