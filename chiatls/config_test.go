package chiatls

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	chialibtls "github.com/chia-network/go-chia-libs/pkg/tls"
)

type sideResult struct {
	state tls.ConnectionState
	err   error
}

// handshake runs one TLS connection over 127.0.0.1:0 between a server and
// a client config. After its handshake the server writes one byte; the
// client reads it, so a client whose certificate the server rejects (which
// in TLS 1.3 is only known after the client's handshake returns) sees an
// error too. Both sides are finished when it returns.
func handshake(t *testing.T, serverCfg, clientCfg *tls.Config) (server, client sideResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	done := make(chan sideResult, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- sideResult{err: err}
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		_ = tc.SetDeadline(time.Now().Add(20 * time.Second))
		if err := tc.HandshakeContext(ctx); err != nil {
			done <- sideResult{err: err}
			return
		}
		_, err = tc.Write([]byte{1})
		done <- sideResult{state: tc.ConnectionState(), err: err}
	}()

	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(raw, clientCfg)
	_ = tc.SetDeadline(time.Now().Add(20 * time.Second))
	client.err = tc.HandshakeContext(ctx)
	if client.err == nil {
		client.state = tc.ConnectionState()
		var b [1]byte
		_, client.err = io.ReadFull(tc, b[:])
	}
	tc.Close()
	server = <-done
	return server, client
}

func publicPool(t *testing.T) *x509.CertPool {
	t.Helper()
	ca, err := PublicCA()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

func TestMutualTLS(t *testing.T) {
	pool := publicPool(t)
	srv, cli := must(t, testPublicA), must(t, testPublicB)
	s, c := handshake(t, ServerConfig(srv.TLSCertificate(), pool), ClientConfig(cli.TLSCertificate(), pool))
	if s.err != nil || c.err != nil {
		t.Fatalf("server: %v; client: %v", s.err, c.err)
	}
	if s.state.Version != tls.VersionTLS13 || c.state.Version != tls.VersionTLS13 {
		t.Errorf("versions %x / %x, want TLS 1.3", s.state.Version, c.state.Version)
	}
	serverSees, err := PeerNodeID(s.state)
	if err != nil || serverSees != cli.NodeID() {
		t.Errorf("server sees peer %x (%v), want client's %x", serverSees, err, cli.NodeID())
	}
	clientSees, err := PeerNodeID(c.state)
	if err != nil || clientSees != srv.NodeID() {
		t.Errorf("client sees peer %x (%v), want server's %x", clientSees, err, srv.NodeID())
	}
	if serverSees == clientSees {
		t.Error("both ends have the same node id")
	}
	if len(s.state.VerifiedChains) == 0 {
		t.Error("server did not verify the client chain")
	}
}

func TestServerRejectsClientFromOtherCA(t *testing.T) {
	pool := publicPool(t)
	s, c := handshake(t, ServerConfig(must(t, testPublicA).TLSCertificate(), pool),
		ClientConfig(must(t, testForeign).TLSCertificate(), pool))
	var ua x509.UnknownAuthorityError
	// The client presents its certificate even though the server asked
	// for another CA, so the server fails on the chain, not on a
	// missing certificate.
	if !errors.As(s.err, &ua) {
		t.Errorf("server error %v, want x509.UnknownAuthorityError", s.err)
	}
	if c.err == nil {
		t.Error("client saw no error")
	}
}

func TestClientRejectsServerFromOtherCA(t *testing.T) {
	pool := publicPool(t)
	// The server would accept the client; the client must refuse the
	// server's chain.
	s, c := handshake(t, ServerConfig(must(t, testForeign).TLSCertificate(), pool),
		ClientConfig(must(t, testPublicB).TLSCertificate(), pool))
	var ua x509.UnknownAuthorityError
	if !errors.As(c.err, &ua) {
		t.Errorf("client error %v, want x509.UnknownAuthorityError", c.err)
	}
	if s.err == nil {
		t.Error("server saw no error")
	}
}

func TestServerRequiresClientCertificate(t *testing.T) {
	pool := publicPool(t)
	noCert := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true}
	s, c := handshake(t, ServerConfig(must(t, testPublicA).TLSCertificate(), pool), noCert)
	if s.err == nil || c.err == nil {
		t.Errorf("a client without a certificate was accepted: server %v, client %v", s.err, c.err)
	}
}

func TestTLS12Refused(t *testing.T) {
	pool := publicPool(t)
	old := ClientConfig(must(t, testPublicB).TLSCertificate(), pool)
	old.MinVersion, old.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	s, c := handshake(t, ServerConfig(must(t, testPublicA).TLSCertificate(), pool), old)
	if s.err == nil || c.err == nil {
		t.Errorf("a TLS 1.2 client was accepted: server %v, client %v", s.err, c.err)
	}
}

// TestTreeConfigs runs the handshakes the reference's services make,
// from configs built by a Tree: a wallet dialling a full node (public
// certs, chia CA) and a harvester dialling a farmer (private certs,
// private CA).
func TestTreeConfigs(t *testing.T) {
	tree, _ := testTree(t)
	for _, s := range []Service{FullNode, Wallet, Farmer, Harvester} {
		if err := tree.EnsureService(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ server, client Service }{{FullNode, Wallet}, {Farmer, Harvester}} {
		scfg, err := tree.ServerConfig(tc.server)
		if err != nil {
			t.Fatal(err)
		}
		ccfg, err := tree.ClientConfig(tc.client)
		if err != nil {
			t.Fatal(err)
		}
		s, c := handshake(t, scfg, ccfg)
		if s.err != nil || c.err != nil {
			t.Fatalf("%s ← %s: server %v, client %v", tc.server, tc.client, s.err, c.err)
		}
		want, err := tree.NodeID(tc.server)
		if err != nil {
			t.Fatal(err)
		}
		if ServerUsesPrivateCA(tc.server) {
			p, _ := tree.LoadCertificate(tc.server, Private)
			want = p.NodeID()
		}
		if got, _ := PeerNodeID(c.state); got != want {
			t.Errorf("%s ← %s: client sees %x, want %x", tc.server, tc.client, got, want)
		}
	}
	// A harvester (private) cannot dial a full node (public).
	scfg, _ := tree.ServerConfig(FullNode)
	ccfg, _ := tree.ClientConfig(Harvester)
	if s, c := handshake(t, scfg, ccfg); s.err == nil || c.err == nil {
		t.Error("harvester's private cert accepted by a full node")
	}
	if _, err := tree.ServerConfig(Crawler); !errors.Is(err, ErrUnknownService) {
		t.Errorf("ServerConfig(crawler) = %v, want ErrUnknownService (no public crawler cert)", err)
	}
}

func TestServiceSets(t *testing.T) {
	for _, tc := range []struct {
		s                    Service
		priv, pub, srv, clnt bool
	}{
		{FullNode, true, true, false, false},
		{Wallet, true, true, true, false},
		{Farmer, true, true, true, false},
		{Harvester, true, false, true, true},
		{Timelord, true, true, false, false},
		{Crawler, true, false, false, false},
		{DataLayer, true, true, true, false},
		{Daemon, true, false, false, false},
		{Solver, true, true, false, false},
		{Introducer, false, true, false, false},
	} {
		if tc.s.HasCert(Private) != tc.priv || tc.s.HasCert(Public) != tc.pub ||
			ServerUsesPrivateCA(tc.s) != tc.srv || ClientUsesPrivateCA(tc.s) != tc.clnt {
			t.Errorf("%s: private=%v public=%v serverPrivate=%v clientPrivate=%v", tc.s,
				tc.s.HasCert(Private), tc.s.HasCert(Public), ServerUsesPrivateCA(tc.s), ClientUsesPrivateCA(tc.s))
		}
	}
	if len(PrivateServices()) != 9 || len(PublicServices()) != 7 {
		t.Errorf("%d private, %d public services; want 9 and 7", len(PrivateServices()), len(PublicServices()))
	}
	if Private.String() != "private" || Public.String() != "public" || Kind(7).String() != "Kind(7)" {
		t.Error("Kind.String")
	}
}

// TestGoChiaLibsClientAccepted checks that a certificate made by
// go-chia-libs (which adds BasicConstraints CA:false and a SubjectKeyId,
// unlike the reference) is accepted from a client, and that its node id is
// its DER hash as well.
func TestGoChiaLibsClientAccepted(t *testing.T) {
	ca, err := PublicCA()
	if err != nil {
		t.Fatal(err)
	}
	der, key, err := chialibtls.GenerateCASignedCert(ca.Cert, ca.Key.(*rsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	pool := publicPool(t)
	s, c := handshake(t, ServerConfig(must(t, testPublicA).TLSCertificate(), pool), ClientConfig(cert, pool))
	if s.err != nil || c.err != nil {
		t.Fatalf("server: %v; client: %v", s.err, c.err)
	}
	if got, _ := PeerNodeID(s.state); got != NodeIDFromDER(der) {
		t.Errorf("server sees %x, want %x", got, NodeIDFromDER(der))
	}
}
