package node

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/server"
	"github.com/chianet/chianet/streamable"
)

func TestConfigDefaults(t *testing.T) {
	root := filepath.Join(string(filepath.Separator), "chia")
	cases := []struct {
		name string
		in   Config
		want Config
	}{{
		name: "mainnet",
		in:   Config{Root: root},
		want: Config{
			Network:     Mainnet,
			DefaultPort: 8444,
			ListenAddr:  ":8444",
			PeersFile:   filepath.Join(root, "db", "chianet-peers.dat"),
			Introducer:  "introducer.chia.net:8444",
			DNSIntroducers: []string{"dns-introducer.chia.net", "chia.ctrlaltdel.ch", "seeder.dexie.space",
				"chia.hoffmang.com", "seeder.xchpool.org", "seeder.xchseeder.com"},
		},
	}, {
		name: "testnet11",
		in:   Config{Network: Testnet11, Root: root},
		want: Config{
			Network:        Testnet11,
			DefaultPort:    58444,
			ListenAddr:     ":58444",
			PeersFile:      filepath.Join(root, "db", "chianet-peers-testnet11.dat"),
			Introducer:     "introducer-testnet11.chia.net:58444",
			DNSIntroducers: []string{"dns-introducer-testnet11.chia.net"},
		},
	}, {
		name: "devnet: no defaults, private addresses",
		in:   Config{Network: "devnet", Private: true, Root: root},
		want: Config{
			Network:      "devnet",
			Private:      true,
			ListenAddr:   ":0",
			PeersFile:    filepath.Join(root, "db", "chianet-peers-devnet.dat"),
			AllowPrivate: true,
		},
	}, {
		name: "a private network with a default port",
		in:   Config{Network: "devnet", Private: true, DefaultPort: 9444, Root: root, ImportPeersFile: "db/peers.dat"},
		want: Config{
			Network:         "devnet",
			Private:         true,
			DefaultPort:     9444,
			ListenAddr:      ":9444",
			PeersFile:       filepath.Join(root, "db", "chianet-peers-devnet.dat"),
			ImportPeersFile: filepath.Join(root, "db", "peers.dat"),
			AllowPrivate:    true,
		},
	}, {
		name: "given values win",
		in: Config{
			Root: root, ListenAddr: "127.0.0.1:9000", PeersFile: "/x/p.dat",
			Introducer: "intro.example:8444", DNSIntroducers: []string{},
		},
		want: Config{
			Network:        Mainnet,
			DefaultPort:    8444,
			ListenAddr:     "127.0.0.1:9000",
			DialFrom:       netip.MustParseAddr("127.0.0.1"),
			PeersFile:      "/x/p.dat",
			Introducer:     "intro.example:8444",
			DNSIntroducers: []string{},
		},
	}, {
		name: "no default bootstrap",
		in:   Config{Root: root, NoDefaultBootstrap: true, PeersFile: "p.dat"},
		want: Config{
			Network:            Mainnet,
			DefaultPort:        8444,
			ListenAddr:         ":8444",
			PeersFile:          filepath.Join(root, "p.dat"),
			NoDefaultBootstrap: true,
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.in.withDefaults()
			want := c.want
			want.Root = root
			want.TargetOutbound = server.DefaultTargetOutboundPeerCount
			want.TargetPeerCount = server.DefaultTargetPeerCount
			want.ShutdownTimeout = DefaultShutdownTimeout
			want.staticRetry = StaticRetryInterval
			// get_network_info's answer: the built-in network's facts;
			// AGG_SIG_ME_ADDITIONAL_DATA defaults to mainnet's genesis
			// challenge, as in the reference.
			want.NetworkInfo = rpc.NetworkInfo{NetworkName: want.Network,
				AggSigMeAdditionalData: "ccd5bb71183532bff220ba46c268991a3ff07eb358e8255a65c30a2dce0e5fbb"}
			switch want.Network {
			case Mainnet:
				want.NetworkInfo.NetworkPrefix = "xch"
				want.NetworkInfo.GenesisChallenge = "ccd5bb71183532bff220ba46c268991a3ff07eb358e8255a65c30a2dce0e5fbb"
			case Testnet11:
				want.NetworkInfo.NetworkPrefix = "txch"
				want.NetworkInfo.GenesisChallenge = "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615"
				want.NetworkInfo.AggSigMeAdditionalData = want.NetworkInfo.GenesisChallenge
			}
			if got.Logger == nil {
				t.Error("withDefaults left Logger nil")
			}
			got.Logger = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("withDefaults:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no root", Config{Network: "devnet", Private: true}, "Root is required"},
		{"path in network name", Config{Network: "../x", Private: true, Root: t.TempDir()}, "network name"},
		{"unknown network", Config{Network: "mainet", Root: t.TempDir()}, `unknown network "mainet": the built-in networks are mainnet and testnet11; set Config.Private`},
		{"case matters", Config{Network: "Mainnet", Root: t.TempDir()}, `unknown network "Mainnet"`},
		{"private mainnet", Config{Network: "mainnet", Private: true, Root: t.TempDir()}, "mainnet is a public network"},
		{"bad listen address", Config{Network: "devnet", Private: true, Root: t.TempDir(), ListenAddr: "8444"}, "ListenAddr"},
		{"bad static peer", Config{Network: "devnet", Private: true, Root: t.TempDir(), StaticPeers: []string{"127.0.0.1"}}, "StaticPeers"},
		{"static peer without port", Config{Network: "devnet", Private: true, Root: t.TempDir(), StaticPeers: []string{"127.0.0.1:0"}}, "invalid port"},
		{"bad introducer", Config{Network: "devnet", Private: true, Root: t.TempDir(), Introducer: ":8444"}, "Introducer"},
		{"peers file is a directory", Config{Network: "devnet", Private: true, Root: t.TempDir(), PeersFile: t.TempDir()}, "peers file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// Three nodes on 127.0.0.1 connect to each other through their static
// peers, record the peaks they announce, and shut down gracefully.
func TestThreeNodes(t *testing.T) {
	a := startNode(t, "a", nil)
	b := startNode(t, "b", func(c *Config) { c.StaticPeers = []string{a.addr()} })
	c := startNode(t, "c", func(c *Config) { c.StaticPeers = []string{a.addr(), b.addr()} })

	a.waitFor("a connected to b and c", func() bool { return a.connectedTo(b, c) })
	b.waitFor("b connected to a and c", func() bool { return b.connectedTo(a, c) })
	c.waitFor("c connected to a and b", func() bool { return c.connectedTo(a, b) })
	for _, n := range []*running{a, b, c} {
		if got := len(n.Connections()); got != 2 {
			t.Errorf("%v has %d connections, want 2", n.Addr(), got)
		}
	}

	// a answers request_peers from what it learned of its inbound peers.
	eventually(t, "a records b and c", func() bool {
		for _, o := range []*running{b, c} {
			if _, ok := a.addrs.Lookup(addrman.PeerInfo{Host: o.Addr().Addr().String(), Port: o.Addr().Port()}); !ok {
				return false
			}
		}
		return true
	})
	ctx := context.Background()
	pa, ok := c.srv.Peer(a.NodeID())
	if !ok {
		t.Fatal("c has no connection to a")
	}
	resp, err := pa.RequestPeers(ctx)
	if err != nil {
		t.Fatalf("request_peers: %v", err)
	}
	if len(resp.PeerList) == 0 {
		t.Error("a answered request_peers with no peers")
	}
	for _, tp := range resp.PeerList {
		if tp.Host != "127.0.0.1" || (tp.Port != b.Addr().Port() && tp.Port != c.Addr().Port()) {
			t.Errorf("a gossiped %s:%d, want b or c", tp.Host, tp.Port)
		}
	}

	// b announces a peak; a and c record it.
	peak := protocol.NewPeak{
		HeaderHash: protocol.Bytes32{1, 2, 3},
		Height:     4_000_000,
		Weight:     streamable.Uint128{Hi: 1, Lo: 42},
	}
	if sent, err := b.srv.Broadcast(ctx, protocol.MsgNewPeak, &peak, nil); err != nil || sent != 2 {
		t.Fatalf("Broadcast new_peak: sent to %d, %v", sent, err)
	}
	for _, n := range []*running{a, c} {
		n.waitFor("b's peak recorded", func() bool { return peakOf(n, b) != nil })
		got := peakOf(n, b)
		if got.Height != peak.Height || got.Weight != peak.Weight || got.HeaderHash != peak.HeaderHash || got.Received.IsZero() {
			t.Errorf("recorded peak %+v, want height %d weight %v hash %v", got.Peak, peak.Height, peak.Weight, peak.HeaderHash)
		}
		if got.Addr.Addr().String() != "127.0.0.1" {
			t.Errorf("recorded peak's address %v", got.Addr)
		}
	}

	// b shuts down: the others see a normal close from it, and forget its
	// peak.
	if err := b.shutdown(); err != nil {
		t.Fatalf("b: Run: %v", err)
	}
	for _, n := range []*running{a, c} {
		n.waitFor("b gone", func() bool {
			evs := n.eventsOf(b)
			return evs[len(evs)-1].Type == server.Disconnected
		})
		evs := n.eventsOf(b)
		if r := evs[len(evs)-1].Reason; r.Code != peer.StatusNormal || r.Reason != "" || r.Ban != 0 || !r.Remote {
			t.Errorf("b closed the connection with %v, want a normal remote close", r)
		}
		if n.connectedTo(b) {
			t.Errorf("b still connected after it left")
		}
		// The node forgets the peak in its own event subscription.
		eventually(t, "b's peak forgotten", func() bool { return peakOf(n, b) == nil })
	}
	// b closed its own connections with a normal close.
	for _, o := range []*running{a, c} {
		evs := b.eventsOf(o)
		last := evs[len(evs)-1]
		if r := last.Reason; last.Type != server.Disconnected || r.Code != peer.StatusNormal || r.Remote || !errors.Is(r, server.ErrServerClosed) {
			t.Errorf("b's own close of %v: %v %v", o.Addr(), last.Type, r)
		}
	}
	if _, err := os.Stat(b.cfg.PeersFile); err != nil {
		t.Errorf("b's peers file: %v", err)
	}

	// a and c stay connected to each other.
	if !a.connectedTo(c) || !c.connectedTo(a) {
		t.Errorf("a and c lost each other")
	}
}

// peakOf returns the peak n recorded for o, or nil.
func peakOf(n, o *running) *PeerPeak {
	for _, p := range n.Peaks() {
		if p.NodeID == o.NodeID() {
			return &p
		}
	}
	return nil
}

// What a reference full node sends a full-node peer right after the
// handshake and while it runs (transport spec §3.8) does not close the
// connection.
func TestRoutineMessagesKeepConnection(t *testing.T) {
	a := startNode(t, "a", nil)
	b := startNode(t, "b", func(c *Config) { c.StaticPeers = []string{a.addr()} })
	b.waitFor("b connected to a", func() bool { return b.connectedTo(a) })
	p, ok := b.srv.Peer(a.NodeID())
	if !ok {
		t.Fatal("b has no connection to a")
	}
	ctx := context.Background()
	types := slices.Concat(ignored, []protocol.MessageType{protocol.MsgRequestPeers})
	for _, mt := range types {
		payload, ok := protocol.NewPayload(mt)
		if !ok {
			t.Fatalf("no payload type for %v", mt)
		}
		if err := p.Send(ctx, mt, payload); err != nil {
			t.Fatalf("send %v: %v", mt, err)
		}
	}
	// A peak sent last is recorded only once everything before it has
	// passed dispatch without closing the connection.
	if err := p.Send(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: 7}); err != nil {
		t.Fatal(err)
	}
	a.waitFor("b's peak recorded", func() bool { return peakOf(a, b) != nil })
	if got := peakOf(a, b).Height; got != 7 {
		t.Errorf("recorded height %d, want 7", got)
	}
	if p.Err() != nil {
		t.Fatalf("connection closed: %v", p.Err())
	}
	for _, e := range a.eventsOf(b) {
		if e.Type == server.Disconnected {
			t.Fatalf("a dropped b: %v", e.Reason)
		}
	}
}

// A node of a private network with nothing configured listens, connects
// to nobody, and still saves its (empty) peers file on shutdown.
func TestOfflineNode(t *testing.T) {
	a := startNode(t, "a", nil)
	if !a.Addr().IsValid() || a.Addr().Port() == 0 {
		t.Fatalf("Addr %v", a.Addr())
	}
	if err := a.shutdown(); err != nil {
		t.Fatal(err)
	}
	if len(a.Connections()) != 0 {
		t.Errorf("connections: %v", a.Connections())
	}
	m, err := addrman.Load(a.cfg.PeersFile, addrman.Config{AllowPrivate: true})
	if err != nil {
		t.Fatalf("peers file: %v", err)
	}
	if m.Size() != 0 {
		t.Errorf("peers file holds %d addresses", m.Size())
	}
	if err := a.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
}

// The peers file saved at shutdown holds the inbound full nodes, and is
// loaded again by the next run.
func TestPeersFileRoundTrip(t *testing.T) {
	a := startNode(t, "a", nil)
	b := startNode(t, "b", func(c *Config) { c.StaticPeers = []string{a.addr()} })
	want := addrman.PeerInfo{Host: "127.0.0.1", Port: b.Addr().Port()}
	eventually(t, "a records b's address", func() bool {
		_, ok := a.addrs.Lookup(want)
		return ok
	})
	if err := a.shutdown(); err != nil {
		t.Fatal(err)
	}
	m, err := addrman.Load(a.cfg.PeersFile, addrman.Config{AllowPrivate: true})
	if err != nil {
		t.Fatalf("peers file: %v", err)
	}
	if _, ok := m.Lookup(want); !ok {
		t.Errorf("a's peers file lacks b (%v)", want)
	}
	// Restarted on the same root, a knows b at once.
	a2 := startNode(t, "a2", func(c *Config) { c.Root = a.cfg.Root })
	if _, ok := a2.addrs.Lookup(want); !ok {
		t.Errorf("restarted a does not know b")
	}
}

// A static peer is dialled again after its connection drops, and after
// failed dials until it is up.
func TestStaticPeerReconnects(t *testing.T) {
	a := startNode(t, "a", nil)
	b := startNode(t, "b", func(c *Config) {
		c.StaticPeers = []string{a.addr()}
		c.staticRetry = 50 * time.Millisecond
	})
	b.waitFor("b connected to a", func() bool { return b.connectedTo(a) })
	a.waitFor("a connected to b", func() bool { return a.connectedTo(b) })
	p, ok := a.srv.Peer(b.NodeID())
	if !ok {
		t.Fatal("a has no connection to b")
	}
	p.Close(peer.NormalClose(errors.New("test: drop")))
	b.waitFor("b reconnected to a", func() bool {
		connected := 0
		for _, e := range b.eventsOf(a) {
			if e.Type == server.Connected {
				connected++
			}
		}
		return connected == 2 && b.connectedTo(a)
	})

	// A static peer that is down at first: dialled until it comes up.
	root := t.TempDir()
	c := startNode(t, "c", func(c *Config) { c.Root = root })
	addr := c.addr()
	if err := c.shutdown(); err != nil {
		t.Fatal(err)
	}
	d := startNode(t, "d", func(c *Config) {
		c.StaticPeers = []string{addr}
		c.staticRetry = 50 * time.Millisecond
	})
	c2 := startNode(t, "c2", func(c *Config) { c.Root = root; c.ListenAddr = addr })
	d.waitFor("d connected to c", func() bool { return d.connectedTo(c2) })
}

// TestNodesOnOwnAddresses checks that a node listening on one address
// dials from it, so that its peers record it at that address: nodes on
// one host, each on its own loopback address, learn each other's real
// addresses by gossip.
func TestNodesOnOwnAddresses(t *testing.T) {
	a := startNode(t, "a", func(c *Config) { c.ListenAddr = "127.31.0.1:0" })
	b := startNode(t, "b", func(c *Config) {
		c.ListenAddr = "127.32.0.1:0"
		c.StaticPeers = []string{a.addr()}
	})
	a.waitFor("a connected to b", func() bool { return a.connectedTo(b) })
	eventually(t, "a records b at its own address", func() bool {
		_, ok := a.addrs.Lookup(addrman.PeerInfo{Host: "127.32.0.1", Port: b.Addr().Port()})
		return ok
	})
	for _, c := range a.Connections() {
		if c.PeerHost != netip.MustParseAddr("127.32.0.1") {
			t.Errorf("a sees b's connection from %v, want 127.32.0.1", c.PeerHost)
		}
	}
}
