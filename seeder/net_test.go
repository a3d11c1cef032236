package seeder

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

const testNetwork = "seeder-test"

// testCA is the public chia CA, which every test identity is issued by.
var testCA = sync.OnceValues(func() (*chiatls.KeyPair, error) { return chiatls.PublicCA() })

// identity is a node certificate (ECDSA, cheap to make) under the chia CA.
func identity(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	ca, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 100))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Chia", Organization: []string{"Chia"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"chia.net"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// clientTLS is a crawler's TLS configuration.
func clientTLS(t testing.TB) *tls.Config {
	cert, pool := identity(t)
	return chiatls.ClientConfig(cert, pool)
}

// fakeNode is an in-process full node on its own loopback address that
// answers request_peers with a list it is given and announces a peak to
// every peer that connects.
type fakeNode struct {
	srv  *server.Server
	addr netip.AddrPort
	id   protocol.Bytes32

	mu     sync.Mutex
	peers  []protocol.TimestampedPeerInfo
	height int // the peak announced; negative for none
	asked  int // request_peers received
}

// startNode starts a fake node on its own loopback address, 127.1.x.y
// for n, with the given peak height (negative: no peak).
func startNode(t testing.TB, n int, height int) *fakeNode {
	t.Helper()
	return startNodeAt(t, fmt.Sprintf("127.1.%d.%d", n/200, n%200+1), height)
}

// startNodeAt starts a fake node listening on ip.
func startNodeAt(t testing.TB, ip string, height int) *fakeNode {
	t.Helper()
	cert, pool := identity(t)
	fn := &fakeNode{height: height}
	srv, err := server.New(server.Config{
		NetworkID:  testNetwork,
		ListenAddr: ip + ":0",
		ServerTLS:  chiatls.ServerConfig(cert, pool),
		ClientTLS:  chiatls.ClientConfig(cert, pool),
		PeerConfig: peer.Config{SoftwareVersion: "2.5.4.dev3+g1234"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fn.srv = srv
	srv.Handle(protocol.MsgRequestPeers, func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
		fn.mu.Lock()
		list := append([]protocol.TimestampedPeerInfo(nil), fn.peers...)
		fn.asked++
		fn.mu.Unlock()
		return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{PeerList: list})
	})
	srv.Subscribe(func(e server.Event) {
		fn.mu.Lock()
		h := fn.height
		fn.mu.Unlock()
		if e.Type != server.Connected || e.Info.Outbound || h < 0 {
			return
		}
		_ = e.Peer.Send(context.Background(), protocol.MsgNewPeak, &protocol.NewPeak{Height: uint32(h)})
	})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close node %s: %v", ip, err)
		}
	})
	fn.addr = srv.Addr()
	fn.id = srv.NodeID()
	return fn
}

// tell sets the addresses the node answers request_peers with.
func (fn *fakeNode) tell(list ...protocol.TimestampedPeerInfo) {
	fn.mu.Lock()
	fn.peers = list
	fn.mu.Unlock()
}

// info is the node's address as gossip carries it, stamped at ts.
func (fn *fakeNode) info(ts time.Time) protocol.TimestampedPeerInfo {
	return protocol.TimestampedPeerInfo{Host: fn.addr.Addr().String(), Port: fn.addr.Port(), Timestamp: uint64(ts.Unix())}
}

// deadAddr returns a loopback address and port with nothing listening.
func deadAddr(t testing.TB, n int) netip.AddrPort {
	t.Helper()
	ip := fmt.Sprintf("127.2.%d.%d", n/200, n%200+1)
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(l.Addr().String())
	l.Close()
	return ap
}

// fakeClock is a settable Clock whose After fires at once.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}
