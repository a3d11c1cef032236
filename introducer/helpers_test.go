package introducer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/internal/testlog"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testNetwork is the network id of the network tests: a private
// network, so loopback addresses are recorded and handed out.
const testNetwork = "introducer-test"

// failsafe bounds every wait of a test, so that a bug fails the test
// instead of hanging it; nothing waits for it to pass.
const failsafe = 30 * time.Second

// testLogger logs to the test's output at debug level when -v is set.
func testLogger(t testing.TB, name string) *slog.Logger {
	return testlog.New(t).With("who", name)
}

// manualClock is a Clock that moves only when the test advances it;
// Advance fires the After channels whose time has come.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []manualTimer
}

type manualTimer struct {
	at time.Time
	ch chan time.Time
}

func newManualClock(now time.Time) *manualClock { return &manualClock{now: now} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, manualTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock forward by d.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.ch <- c.now
	}
	c.timers = kept
}

// vetLog records the vetting results of an Introducer (Config.onVet).
type vetLog struct {
	mu      sync.Mutex
	results map[netip.AddrPort][]error
	changed chan struct{}
}

func newVetLog() *vetLog {
	return &vetLog{results: make(map[netip.AddrPort][]error), changed: make(chan struct{}, 1)}
}

func (l *vetLog) add(ap netip.AddrPort, err error) {
	l.mu.Lock()
	l.results[ap] = append(l.results[ap], err)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// of returns the results recorded for ap.
func (l *vetLog) of(ap netip.AddrPort) []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.results[ap]...)
}

// waitFor waits until ap has n results.
func (l *vetLog) waitFor(t testing.TB, ap netip.AddrPort, n int) []error {
	t.Helper()
	deadline := time.After(failsafe)
	for {
		if got := l.of(ap); len(got) >= n {
			return got
		}
		select {
		case <-l.changed:
		case <-deadline:
			t.Fatalf("%v: %d vetting results, want %d, after %v", ap, len(l.of(ap)), n, failsafe)
		}
	}
}

// running is an Introducer run by a test.
type running struct {
	*Introducer
	t    testing.TB
	vets *vetLog
	stop context.CancelFunc
	done chan error
}

// startIntroducer runs an introducer of testNetwork on ip, any port,
// with its own root; edit may change the Config first. It is stopped
// when the test ends.
func startIntroducer(t testing.TB, ip string, edit func(*Config)) *running {
	t.Helper()
	r := &running{t: t, vets: newVetLog(), done: make(chan error, 1)}
	cfg := Config{
		Network:    testNetwork,
		Private:    true,
		Root:       t.TempDir(),
		ListenAddr: ip + ":0",
		Logger:     testLogger(t, "introducer"),
		onVet:      r.vets.add,
	}
	if edit != nil {
		edit(&cfg)
	}
	in, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Introducer = in
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- in.Run(ctx) }()
	select {
	case <-in.Ready():
	case err := <-r.done:
		t.Fatalf("introducer: Run: %v", err)
	case <-time.After(failsafe):
		t.Fatalf("introducer not listening after %v", failsafe)
	}
	t.Cleanup(func() {
		if err := r.shutdown(); err != nil {
			t.Errorf("introducer: Run: %v", err)
		}
	})
	return r
}

// shutdown stops the introducer and returns Run's error; later calls
// return nil.
func (r *running) shutdown() error {
	r.stop()
	select {
	case err, ok := <-r.done:
		if !ok {
			return nil
		}
		close(r.done)
		return err
	case <-time.After(failsafe):
		r.t.Fatalf("Run did not return %v after cancel", failsafe)
		return nil
	}
}

// pki issues node certificates under the public chia CA.
type pki struct {
	ca   *chiatls.KeyPair
	pool *x509.CertPool
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	ca, err := chiatls.PublicCA()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &pki{ca: ca, pool: pool}
}

func (k *pki) cert(t testing.TB) tls.Certificate {
	t.Helper()
	kp, err := k.ca.IssueNodeCert(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return kp.TLSCertificate()
}

// startServer starts a server of node type typ on network, listening on
// ip (any port) and dialling from it, that answers request_peers with
// no peers. It dials nobody by itself. It is closed when the test ends.
func startServer(t testing.TB, k *pki, ip, network string, typ protocol.NodeType) *server.Server {
	t.Helper()
	cert := k.cert(t)
	srv, err := server.New(server.Config{
		NetworkID:  network,
		NodeType:   typ,
		ListenAddr: ip + ":0",
		DialFrom:   netip.MustParseAddr(ip),
		ServerTLS:  chiatls.ServerConfig(cert, k.pool),
		ClientTLS:  chiatls.ClientConfig(cert, k.pool),
		Logger:     testLogger(t, ip),
	})
	if err != nil {
		t.Fatal(err)
	}
	// What a node sends a full node it dials: request_peers (answered
	// with nothing) and relayed respond_peers.
	srv.Handle(protocol.MsgRequestPeers, func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
		return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{})
	})
	srv.Handle(protocol.MsgRespondPeers, peer.Ignore)
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("%s: Close: %v", ip, err)
		}
	})
	return srv
}

// connect dials the introducer from srv.
func connect(t testing.TB, srv *server.Server, in *running) *peer.Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	p, err := srv.Dial(ctx, in.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ask sends request_peers_introducer on p and returns the addresses of
// the answer.
func ask(t testing.TB, p *peer.Peer) []netip.AddrPort {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	v, err := p.Request(ctx, protocol.MsgRequestPeersIntroducer, &protocol.RequestPeersIntroducer{})
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := v.(*protocol.RespondPeersIntroducer)
	if !ok {
		t.Fatalf("reply %T", v)
	}
	out := make([]netip.AddrPort, len(resp.PeerList))
	for i, tp := range resp.PeerList {
		if tp.Timestamp != 0 {
			t.Errorf("timestamp %d, want 0", tp.Timestamp)
		}
		out[i] = netip.AddrPortFrom(netip.MustParseAddr(tp.Host), tp.Port)
	}
	return out
}

// state returns the introducer's state of ap, and whether it has one.
func (r *running) state(ap netip.AddrPort) (PeerState, bool) {
	for _, s := range r.Peers() {
		if s.Addr == ap {
			return s, true
		}
	}
	return PeerState{}, false
}
