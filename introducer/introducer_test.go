package introducer

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no root", Config{Network: testNetwork, Private: true}, "Root is required"},
		{"bad listen address", Config{Network: testNetwork, Private: true, Root: t.TempDir(), ListenAddr: "8445"}, "ListenAddr"},
		{"unknown network", Config{Network: "mainet", Root: t.TempDir()}, `unknown network "mainet"`},
		{"built-in network as private", Config{Network: "testnet11", Private: true, Root: t.TempDir()}, "public network"},
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

func TestConfigDefaults(t *testing.T) {
	c := Config{Root: "/r"}.withDefaults()
	if c.Network != "mainnet" || c.ListenAddr != ":8445" || c.DialFrom.IsValid() || c.AllowPrivate ||
		c.MaxPeersToSend != 20 || c.RecentPeerThreshold != 6000*time.Second || c.RevetInterval != 500*time.Second ||
		c.MaxFailures != 7 || c.MaxPeers != DefaultMaxPeers || c.MaxConcurrentVets != DefaultMaxConcurrentVets {
		t.Errorf("mainnet defaults: %+v", c)
	}
	c = Config{Root: "/r", Network: "devnet", Private: true, ListenAddr: "127.3.0.1:0"}.withDefaults()
	if !c.AllowPrivate || c.DialFrom != netip.MustParseAddr("127.3.0.1") {
		t.Errorf("devnet on 127.3.0.1: AllowPrivate %v, DialFrom %v", c.AllowPrivate, c.DialFrom)
	}
	c = Config{Root: "/r", ListenAddr: "127.3.0.1:0", DialFrom: netip.IPv4Unspecified()}.withDefaults()
	if c.DialFrom != netip.IPv4Unspecified() {
		t.Errorf("DialFrom 0.0.0.0 became %v", c.DialFrom)
	}
}

// TestRunTwice: Run may be called once.
func TestRunTwice(t *testing.T) {
	in := startIntroducer(t, "127.99.0.1", nil)
	if err := in.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}
}

// TestDeadPeerStopsBeingHandedOut: a full node that connects is vetted
// (at its listen address and handshake port) and handed out to others,
// never to itself; once it is gone, its next vetting (500 s later) fails
// and it is no longer handed out; its 7th failure in a row forgets it.
func TestDeadPeerStopsBeingHandedOut(t *testing.T) {
	clk := newManualClock(time.Unix(1_700_000_000, 0))
	in := startIntroducer(t, "127.100.0.1", func(c *Config) { c.Clock = clk })
	k := newPKI(t)

	f := startServer(t, k, "127.101.0.1", testNetwork, protocol.NodeFullNode)
	fAddr := f.Addr()
	pf := connect(t, f, in)
	if got := ask(t, pf); len(got) != 0 {
		t.Fatalf("first answer %v, want none (nothing vetted, never the requester)", got)
	}
	if errs := in.vets.waitFor(t, fAddr, 1); errs[0] != nil {
		t.Fatalf("vetting %v: %v", fAddr, errs[0])
	}
	if got := ask(t, pf); len(got) != 0 {
		t.Fatalf("f was handed itself: %v", got)
	}

	r := startServer(t, k, "127.102.0.1", testNetwork, protocol.NodeFullNode)
	pr := connect(t, r, in)
	if got := ask(t, pr); !slices.Equal(got, []netip.AddrPort{fAddr}) {
		t.Fatalf("r got %v, want [%v]", got, fAddr)
	}
	in.vets.waitFor(t, r.Addr(), 1)

	// f goes away; nothing changes until its next vetting.
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	if err := f.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, pr); !slices.Equal(got, []netip.AddrPort{fAddr}) {
		t.Fatalf("before re-vetting r got %v, want [%v]", got, fAddr)
	}
	clk.Advance(DefaultRevetInterval - time.Second)
	clk.Advance(time.Second)
	if errs := in.vets.waitFor(t, fAddr, 2); errs[1] == nil {
		t.Fatal("vetting a closed peer succeeded")
	}
	if got := ask(t, pr); len(got) != 0 {
		t.Fatalf("after a failed vetting r got %v, want none", got)
	}
	if s, ok := in.state(fAddr); !ok || s.Vetted || s.Failures != 1 {
		t.Fatalf("f: %+v (known %v)", s, ok)
	}
	for n := 3; n <= DefaultMaxFailures+1; n++ {
		clk.Advance(DefaultRevetInterval)
		in.vets.waitFor(t, fAddr, n)
	}
	if s, ok := in.state(fAddr); ok {
		t.Fatalf("f still known after %d failures in a row: %+v", DefaultMaxFailures, s)
	}
	st := in.Stats()
	if st.Forgotten != 1 || st.Peers != 1 || st.Vetted != 1 {
		t.Fatalf("stats %+v", st)
	}
	if s, ok := in.state(r.Addr()); !ok || !s.Vetted || !s.LastSeen.Equal(s.FirstSeen) {
		t.Fatalf("r: %+v (known %v)", s, ok)
	}
}

// TestFailedHandshakeNeverHandedOut records peers (each by a client
// connecting from the peer's IP and announcing its port) whose address
// accepts TCP but does not complete a Chia handshake as a full node of
// our network: a TCP listener that closes at once, one that never
// answers, a TLS server with a chia certificate speaking plain HTTP, a
// node of another network, and a wallet. None of them is ever handed
// out; a real full node is. The reference's TCP-only vetting passes all
// five.
func TestFailedHandshakeNeverHandedOut(t *testing.T) {
	in := startIntroducer(t, "127.110.0.1", func(c *Config) { c.VetTimeout = 3 * time.Second })
	k := newPKI(t)

	closing := tcpListener(t, "127.111.0.1", func(c net.Conn) { c.Close() })
	silent := tcpListener(t, "127.112.0.1", nil)
	plainTLS := tlsHTTPListener(t, k, "127.113.0.1")
	otherNet := startServer(t, k, "127.114.0.1", "othernet", protocol.NodeFullNode).Addr()
	wallet := startServer(t, k, "127.115.0.1", testNetwork, protocol.NodeWallet).Addr()
	bad := []netip.AddrPort{closing, silent, plainTLS, otherNet, wallet}
	for _, ap := range bad {
		p := claim(t, k, in, ap)
		defer func() {
			p.Close(nil)
			<-p.Done()
		}()
	}
	good := startServer(t, k, "127.116.0.1", testNetwork, protocol.NodeFullNode)
	connect(t, good, in)

	q := startServer(t, k, "127.117.0.1", testNetwork, protocol.NodeFullNode)
	pq := connect(t, q, in)
	for _, ap := range bad {
		err := in.vets.waitFor(t, ap, 1)[0]
		if err == nil {
			t.Errorf("vetting %v succeeded", ap)
			continue
		}
		t.Logf("%v: %v", ap, err)
		if s, ok := in.state(ap); !ok || s.Vetted || s.Failures != 1 {
			t.Errorf("%v: %+v (known %v)", ap, s, ok)
		}
	}
	if err := in.vets.of(wallet)[0]; !errors.Is(err, ErrNotFullNode) {
		t.Errorf("wallet: %v, want ErrNotFullNode", err)
	}
	if err := in.vets.waitFor(t, good.Addr(), 1)[0]; err != nil {
		t.Fatalf("vetting the full node: %v", err)
	}
	for range 5 {
		if got := ask(t, pq); !slices.Equal(got, []netip.AddrPort{good.Addr()}) {
			t.Fatalf("answer %v, want only %v", got, good.Addr())
		}
	}
}

// claim makes the introducer record ap: a full node connecting from ap's
// IP announces ap's port as its server_port.
func claim(t *testing.T, k *pki, in *running, ap netip.AddrPort) *peer.Peer {
	t.Helper()
	cert := k.cert(t)
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	p, err := peer.Dial(ctx, in.Addr().String(), peer.Config{
		NetworkID:   testNetwork,
		NodeType:    protocol.NodeFullNode,
		ServerPort:  ap.Port(),
		TLS:         chiatls.ClientConfig(cert, k.pool),
		DialContext: server.DialerFrom(ap.Addr()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tcpListener accepts TCP connections on ip (any port) and hands each to
// serve, or holds it open until the test ends when serve is nil.
func tcpListener(t *testing.T, ip string, serve func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var held []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			if serve == nil {
				held = append(held, c)
				continue
			}
			serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// tlsHTTPListener serves plain HTTPS on ip (any port) with a chia-CA
// node certificate: TLS completes, WebSocket and the Chia handshake do
// not.
func tlsHTTPListener(t *testing.T, k *pki, ip string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("not a chia node\n"))
		}),
		ReadHeaderTimeout: failsafe,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(tls.NewListener(ln, chiatls.ServerConfig(k.cert(t), k.pool)))
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().(*net.TCPAddr).AddrPort()
}
