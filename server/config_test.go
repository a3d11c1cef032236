package server

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestNewFromCertTree: with only a CHIA_ROOT tree (chiatls.Init), the
// Server takes the full node's public certificate for both sides and its
// node id as the reference computes it, and peers can connect.
func TestNewFromCertTree(t *testing.T) {
	k := testPKI(t)
	tree := &chiatls.Tree{Root: t.TempDir()}
	if err := tree.Init(); err != nil {
		t.Fatal(err)
	}
	want, err := tree.NodeID(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{NetworkID: testNetwork, ListenAddr: "127.0.0.1:0", Certs: tree})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if s.NodeID() != want || s.NodeType() != protocol.NodeFullNode {
		t.Fatalf("node id %v type %v, want %v full node", s.NodeID(), s.NodeType(), protocol.Bytes32(want))
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	p, err := dialClient(t, s.Addr().String(), clientConfig(k, k.issue(t), protocol.NodeFullNode))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Info(); got.NodeID != want || got.ServerPort != s.Addr().Port() {
		t.Errorf("client sees node id %v, server port %d", got.NodeID, got.ServerPort)
	}
}

// TestConfigErrors: New refuses Configs that cannot work.
func TestConfigErrors(t *testing.T) {
	k := testPKI(t)
	id := k.issue(t)
	good := func() Config {
		return Config{NetworkID: testNetwork, ListenAddr: "127.0.0.1:0", ServerTLS: k.serverTLS(id), ClientTLS: k.clientTLS(id)}
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"no network id", func(c *Config) { c.NetworkID = "" }},
		{"bad node type", func(c *Config) { c.NodeType = 9 }},
		{"bad listen address", func(c *Config) { c.ListenAddr = "8444" }},
		{"no client TLS", func(c *Config) { c.ClientTLS = nil }},
		{"no server TLS", func(c *Config) { c.ServerTLS = nil }},
		{"no node id", func(c *Config) { c.ClientTLS.Certificates, c.ServerTLS.Certificates = nil, nil }},
		{"bad tree", func(c *Config) { c.Certs, c.ServerTLS, c.ClientTLS = &chiatls.Tree{Root: t.TempDir()}, nil, nil }},
	} {
		cfg := good()
		tc.edit(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}

	cfg := good()
	cfg.ListenAddr = ""
	cfg.ServerTLS = nil
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("no listener: %v", err)
	}
	if s.NodeID() != id.id {
		t.Errorf("node id %v, want the client certificate's %v", s.NodeID(), id.id)
	}
	if _, err := s.Dial(context.Background(), "127.0.0.1:8444"); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Dial before Start: %v", err)
	}
	s.Handle(protocol.MsgNewPeak, peer.Ignore)
	mustPanic(t, "nil handler", func() { s.Handle(protocol.MsgNewPeak, nil) })
	mustPanic(t, "handshake handler", func() { s.Handle(protocol.MsgHandshake, peer.Ignore) })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "Handle after Start", func() { s.Handle(protocol.MsgNewPeak, peer.Ignore) })
	for _, addr := range []string{"nonsense", "127.0.0.1:0", "127.0.0.1:70000"} {
		if _, err := s.Dial(context.Background(), addr); err == nil {
			t.Errorf("Dial(%q) succeeded", addr)
		}
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	s.Subscribe(func(Event) { t.Error("event after Close") })()
}

// TestDefaults: the zero Config takes the reference's numbers.
func TestDefaults(t *testing.T) {
	c := Config{
		ExemptNetworks: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104"), netip.MustParsePrefix("192.168.1.7/16")},
	}.withDefaults()
	if c.NodeType != protocol.NodeFullNode || c.Service != chiatls.FullNode || c.inboundFullNodeLimit() != 32 ||
		c.MaxInboundWallet != 20 || c.MaxInboundFarmer != 10 || c.BanPurgeInterval != DefaultBanPurgeInterval {
		t.Errorf("defaults %+v", c)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.0.0/16")}
	if len(c.ExemptNetworks) != 2 || c.ExemptNetworks[0] != want[0] || c.ExemptNetworks[1] != want[1] {
		t.Errorf("exempt networks %v, want %v", c.ExemptNetworks, want)
	}
	if !inNetworks(mustAddr("::ffff:10.2.3.4"), c.ExemptNetworks) {
		t.Error("a mapped address is not in its IPv4 network")
	}
	if w := (Config{NodeType: protocol.NodeWallet}).withDefaults(); w.Service != chiatls.Wallet {
		t.Errorf("wallet service %q", w.Service)
	}
	if c.MaxPendingInbound != 64 || c.MaxPendingPerIP != 4 || c.NoEviction {
		t.Errorf("accept bounds %d, %d per IP, eviction off %v; want 64, 4, false",
			c.MaxPendingInbound, c.MaxPendingPerIP, c.NoEviction)
	}
	if n := (Config{MaxPendingInbound: -1, MaxPendingPerIP: -1}).withDefaults(); n.MaxPendingInbound != 0 || n.MaxPendingPerIP != 0 {
		t.Errorf("negative accept bounds became %d, %d; want none (0)", n.MaxPendingInbound, n.MaxPendingPerIP)
	}
}

// TestServiceOf: every node type uses the certificates of the service
// named like it; anything else falls back to the full node's.
func TestServiceOf(t *testing.T) {
	n := 0
	for nt := protocol.NodeType(0); nt < 255; nt++ {
		got := ServiceOf(nt)
		want := chiatls.FullNode
		if nt.Valid() {
			want = chiatls.Service(strings.ToLower(nt.String()))
			n++
		}
		if got != want {
			t.Errorf("ServiceOf(%v) = %q, want %q", nt, got, want)
		}
	}
	if n != 8 {
		t.Errorf("%d valid node types, want 8", n)
	}
	if ServiceOf(protocol.NodeIntroducer) != chiatls.Introducer || ServiceOf(protocol.NodeDataLayer) != chiatls.DataLayer {
		t.Error("introducer or data_layer mapped wrongly")
	}
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}
