package node

import (
	"net/netip"
	"testing"

	"github.com/chianet/chianet/addrman"
)

// TestDialFromListenHost runs nodes on their own 127.N.0.1: a node that
// listens on one address dials from it, so the node it reaches sees it
// there and records it there (an inbound full node goes into the address
// manager at its IP and server_port); Config.DialFrom overrides that.
func TestDialFromListenHost(t *testing.T) {
	a := startNode(t, "a", func(c *Config) { c.ListenAddr = "127.1.0.1:0" })
	cases := []struct {
		name, listen string
		dialFrom     netip.Addr
		want         netip.Addr
	}{
		{"listen host", "127.2.0.1:0", netip.Addr{}, netip.MustParseAddr("127.2.0.1")},
		{"override", "127.3.0.1:0", netip.MustParseAddr("127.4.0.1"), netip.MustParseAddr("127.4.0.1")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := startNode(t, "b", func(cfg *Config) {
				cfg.ListenAddr = c.listen
				cfg.DialFrom = c.dialFrom
				cfg.StaticPeers = []string{a.addr()}
			})
			a.waitFor("a connected to b", func() bool { return a.connectedTo(b) })
			var seen netip.Addr
			for _, ci := range a.Connections() {
				if ci.NodeID == b.NodeID() {
					seen = ci.PeerHost
				}
			}
			if seen != c.want {
				t.Fatalf("a sees b at %v, want %v", seen, c.want)
			}
			rec := addrman.PeerInfo{Host: c.want.String(), Port: b.Addr().Port()}
			eventually(t, "a records b at "+c.want.String(), func() bool {
				_, ok := a.addrs.Lookup(rec)
				return ok
			})
			if _, ok := a.addrs.Lookup(addrman.PeerInfo{Host: "127.0.0.1", Port: b.Addr().Port()}); ok {
				t.Error("a also records b at 127.0.0.1")
			}
			if err := b.shutdown(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
