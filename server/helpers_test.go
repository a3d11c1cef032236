package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/internal/testlog"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testNetwork = "testnet-server"

// failsafe bounds every wait of a test, so that a bug fails the test
// instead of hanging it; nothing waits for it to pass.
const failsafe = 20 * time.Second

// identity is one node certificate.
type identity struct {
	cert tls.Certificate
	id   protocol.Bytes32
}

// pki is the public chia CA of a CHIA_ROOT tree made by chiatls.Init,
// kept in memory, able to issue cheap (ECDSA) identities.
type pki struct {
	ca   *chiatls.KeyPair
	pool *x509.CertPool
	// fullNode is the tree's own full_node public certificate (RSA, as
	// the reference makes it).
	fullNode identity
}

var (
	pkiOnce sync.Once
	pkiVal  *pki
	pkiErr  error
)

// testPKI returns the shared pki, made once per test binary in the first
// caller's t.TempDir (everything is loaded into memory).
func testPKI(t testing.TB) *pki {
	t.Helper()
	pkiOnce.Do(func() {
		tree := chiatls.Tree{Root: t.TempDir()}
		if pkiErr = tree.Init(); pkiErr != nil {
			return
		}
		k := &pki{}
		if k.ca, pkiErr = tree.LoadCA(chiatls.Public); pkiErr != nil {
			return
		}
		if k.pool, pkiErr = tree.CertPool(chiatls.Public); pkiErr != nil {
			return
		}
		kp, err := tree.LoadCertificate(chiatls.FullNode, chiatls.Public)
		if err != nil {
			pkiErr = err
			return
		}
		k.fullNode = identity{cert: kp.TLSCertificate(), id: kp.NodeID()}
		pkiVal = k
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

// issue makes a new identity: an ECDSA P-256 certificate laid out like a
// Chia node certificate and signed by the chia CA. ECDSA keys are cheap
// to make, so tests can have dozens of distinct node ids.
func (k *pki) issue(t testing.TB) identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Chia", Organization: []string{"Chia"}, OrganizationalUnit: []string{"Organic Farming Division"}},
		NotBefore:    time.Now().Add(-24 * time.Hour),
		NotAfter:     time.Date(2100, time.August, 2, 0, 0, 0, 0, time.UTC),
		DNSNames:     []string{"chia.net"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, k.ca.Cert, &key.PublicKey, k.ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return identity{
		cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		id:   chiatls.NodeIDFromDER(der),
	}
}

func (k *pki) serverTLS(id identity) *tls.Config { return chiatls.ServerConfig(id.cert, k.pool) }
func (k *pki) clientTLS(id identity) *tls.Config { return chiatls.ClientConfig(id.cert, k.pool) }

// fakeClock is the injected clock of the ban list.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// node is a started Server under test with its identity, clock and event
// log.
type node struct {
	*Server
	t     testing.TB
	id    identity
	clock *fakeClock

	mu     sync.Mutex
	events []Event
	notify chan struct{}
	closes chan *peer.CloseReason // every OnClose, refused and failed connections included
}

// startNode starts a Server listening on listen (e.g. "127.0.0.1:0") with
// identity id; edit may change the Config first. The Server is closed
// when the test ends.
func startNode(t testing.TB, k *pki, id identity, listen string, edit func(*Config)) *node {
	t.Helper()
	n := &node{t: t, id: id, clock: newFakeClock(), notify: make(chan struct{}, 1), closes: make(chan *peer.CloseReason, 1024)}
	cfg := Config{
		NetworkID:  testNetwork,
		ListenAddr: listen,
		ServerTLS:  k.serverTLS(id),
		ClientTLS:  k.clientTLS(id),
		Logger:     testlog.New(t),
		Now:        n.clock.Now,
	}
	cfg.PeerConfig.OnClose = func(_ *peer.Peer, r *peer.CloseReason) { n.closes <- r }
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.Server = s
	s.Subscribe(func(e Event) {
		n.mu.Lock()
		n.events = append(n.events, e)
		n.mu.Unlock()
		select {
		case n.notify <- struct{}{}:
		default:
		}
	})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		checkInboundCounts(t, s)
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkInboundCounts(t, s)
	})
	return n
}

// checkInboundCounts checks the Server's inbound counts against a count
// of the registry.
func checkInboundCounts(t testing.TB, s *Server) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	want := make(map[protocol.NodeType]int)
	for _, c := range s.byID {
		if c.takesSlot() {
			want[c.info.NodeType]++
		}
	}
	for typ, n := range s.inbound {
		if n != want[typ] {
			t.Errorf("%d inbound %v counted, %d in the registry", n, typ, want[typ])
		}
	}
	for typ, n := range want {
		if s.inbound[typ] != n {
			t.Errorf("%d inbound %v counted, %d in the registry", s.inbound[typ], typ, n)
		}
	}
}

// addr returns the node's listening address as "ip:port".
func (n *node) addr() string { return n.Addr().String() }

// waitEvent takes the first event, in order, for which match holds,
// waiting for it if needed.
func (n *node) waitEvent(match func(Event) bool) Event {
	n.t.Helper()
	deadline := time.NewTimer(failsafe)
	defer deadline.Stop()
	for {
		n.mu.Lock()
		for i, e := range n.events {
			if match(e) {
				n.events = append(n.events[:i], n.events[i+1:]...)
				n.mu.Unlock()
				return e
			}
		}
		n.mu.Unlock()
		select {
		case <-n.notify:
		case <-deadline.C:
			n.t.Fatal("event did not happen")
		}
	}
}

// connected waits for the Connected event of node id id.
func (n *node) connected(id protocol.Bytes32) Event {
	n.t.Helper()
	return n.waitEvent(func(e Event) bool { return e.Type == Connected && e.Info.NodeID == id })
}

// disconnected waits for the Disconnected event of connection p.
func (n *node) disconnected(p *peer.Peer) Event {
	n.t.Helper()
	return n.waitEvent(func(e Event) bool { return e.Type == Disconnected && e.Peer == p })
}

// nextClose waits for the next connection of the node to finish closing.
func (n *node) nextClose() *peer.CloseReason {
	n.t.Helper()
	select {
	case r := <-n.closes:
		return r
	case <-time.After(failsafe):
		n.t.Fatal("no connection closed")
		return nil
	}
}

// accepted returns how many TCP connections the node's listener accepted.
func (n *node) accepted() int64 { return n.ln.accepted.Load() }

// clientConfig is the peer.Config of a lightweight client (a bare
// peer.Dial, no Server) of node type typ.
func clientConfig(k *pki, id identity, typ protocol.NodeType) peer.Config {
	port := uint16(0)
	if typ == protocol.NodeFullNode {
		port = 8444
	}
	return peer.Config{NetworkID: testNetwork, NodeType: typ, ServerPort: port, TLS: k.clientTLS(id)}
}

// dialClient connects a lightweight client; it is closed when the test
// ends.
func dialClient(t testing.TB, addr string, cfg peer.Config) (*peer.Peer, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	p, err := peer.Dial(ctx, addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		p.Close(nil)
		<-p.Done()
	})
	return p, nil
}

// mustConnect connects a lightweight client of type typ with a new
// identity and waits until n has registered it.
func mustConnect(t testing.TB, n *node, k *pki, typ protocol.NodeType) (*peer.Peer, identity) {
	t.Helper()
	id := k.issue(t)
	p, err := dialClient(t, n.addr(), clientConfig(k, id, typ))
	if err != nil {
		t.Fatalf("dial %v: %v", typ, err)
	}
	n.connected(id.id)
	return p, id
}

// mustBeRefused connects a lightweight client of type typ and checks
// that n refuses it the reference's way: a completed handshake, then a
// plain close (1000, no reason) and no ban.
func mustBeRefused(t testing.TB, n *node, k *pki, typ protocol.NodeType) {
	t.Helper()
	p, err := dialClient(t, n.addr(), clientConfig(k, k.issue(t), typ))
	if err != nil {
		t.Fatalf("dial %v: %v (want a handshake, then a close)", typ, err)
	}
	r := waitDone(t, p)
	if !r.Remote || r.Code != peer.StatusNormal || r.Reason != "" || r.Ban != 0 {
		t.Errorf("refused %v sees %v, want a plain close by the server", typ, r)
	}
	sr := n.nextClose()
	if !errors.Is(sr, ErrInboundLimit) || sr.Code != peer.StatusNormal || sr.Reason != "" || sr.Ban != 0 {
		t.Errorf("server closed the refused %v with %v", typ, sr)
	}
	if bans := n.Bans(); len(bans) != 0 {
		t.Errorf("refusal banned %v", bans)
	}
}

// waitDone waits for p to close and returns its reason.
func waitDone(t testing.TB, p *peer.Peer) *peer.CloseReason {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(failsafe):
		t.Fatal("connection did not close")
	}
	var r *peer.CloseReason
	if !errors.As(p.Err(), &r) {
		t.Fatalf("close error %v is not a *peer.CloseReason", p.Err())
	}
	return r
}

// rawListener is a bare peer.Handler on its own TLS listener (no Server
// around it): no self-connection check, no bans, no limits.
type rawListener struct {
	addr   string
	closes chan *peer.CloseReason
	srv    *http.Server
	done   chan struct{}
}

func startRawListener(t testing.TB, listen string, conf *tls.Config, pc peer.Config) *rawListener {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	rl := &rawListener{addr: ln.Addr().String(), closes: make(chan *peer.CloseReason, 16), done: make(chan struct{})}
	pc.OnClose = func(_ *peer.Peer, r *peer.CloseReason) { rl.closes <- r }
	rl.srv = &http.Server{
		Handler:      &peer.Handler{Config: pc},
		ErrorLog:     slog.NewLogLogger(slog.DiscardHandler, slog.LevelDebug),
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	go func() {
		defer close(rl.done)
		_ = rl.srv.Serve(tls.NewListener(ln, conf))
	}()
	t.Cleanup(func() {
		_ = rl.srv.Close()
		<-rl.done
	})
	return rl
}

// mustAddr parses an IP address.
func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// noLocalhost is a Config edit that makes 127.0.0.1 an ordinary address,
// so that tests on loopback can exercise bans of inbound peers.
func noLocalhost(c *Config) { c.isLocalhost = func(netip.Addr) bool { return false } }
