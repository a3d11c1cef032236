package peerinterop_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chia-network/go-chia-libs/pkg/peerprotocol"
	gclproto "github.com/chia-network/go-chia-libs/pkg/protocols"
	gcltls "github.com/chia-network/go-chia-libs/pkg/tls"
	gcltypes "github.com/chia-network/go-chia-libs/pkg/types"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

const network = "interop-net"

// listenerPort is the server_port chianet's listener announces.
const listenerPort = 8444

// knownPeers is what chianet's request_peers handler answers with.
var knownPeers = []protocol.TimestampedPeerInfo{
	{Host: "203.0.113.7", Port: 8444, Timestamp: 1700000000},
	{Host: "2001:db8::1", Port: 58444, Timestamp: 1699999082},
	{Host: "node.example", Port: 8444, Timestamp: 0},
}

// listener is a chianet full node on 127.0.0.1 and what it observed.
type listener struct {
	addr   *net.TCPAddr
	nodeID protocol.Bytes32
	// accepted receives each handshaken peer, requests each request_peers
	// message, closes each connection's close reason.
	accepted chan *peer.Peer
	requests chan protocol.Message
	closes   chan *peer.CloseReason
}

// startListener serves a peer.Handler over TLS on 127.0.0.1:0 with the
// public full_node certificate of a new CHIA_ROOT.
func startListener(t *testing.T) *listener {
	t.Helper()
	tree := chiatls.Tree{Root: t.TempDir()}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	conf, err := tree.ServerConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	id, err := tree.NodeID(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{
		nodeID:   id,
		accepted: make(chan *peer.Peer, 4),
		requests: make(chan protocol.Message, 4),
		closes:   make(chan *peer.CloseReason, 4),
	}
	h := &peer.Handler{
		Config: peer.Config{
			NetworkID:  network,
			NodeType:   protocol.NodeFullNode,
			ServerPort: listenerPort,
			Handlers: map[protocol.MessageType]peer.HandlerFunc{
				protocol.MsgRequestPeers: func(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
					l.requests <- m
					return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{PeerList: knownPeers})
				},
			},
			OnClose: func(_ *peer.Peer, r *peer.CloseReason) { l.closes <- r },
		},
		Accept: func(p *peer.Peer) error { l.accepted <- p; return nil },
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = conf
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	l.addr = srv.Listener.Addr().(*net.TCPAddr)
	return l
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("chianet's listener: no %s", what)
		var zero T
		return zero
	}
}

// gclCertificate makes a node certificate the way go-chia-libs does,
// signed by the public chia CA it bundles, and returns it with its node
// id.
func gclCertificate(t *testing.T) (tls.Certificate, protocol.Bytes32) {
	t.Helper()
	caPEM, caKeyPEM := gcltls.GetChiaCACertAndKey()
	ca, err := gcltls.ParsePemCertificate(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := gcltls.ParsePemKey(caKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	der, key, err := gcltls.GenerateCASignedCert(ca, caKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := gcltls.EncodeCertAndKeyToPEM(der, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, sha256.Sum256(der)
}

// dialGCL connects go-chia-libs' peer client to l.
func dialGCL(t *testing.T, l *listener, cert tls.Certificate) *peerprotocol.Connection {
	t.Helper()
	ip := l.addr.IP
	conn, err := peerprotocol.NewConnection(&ip,
		peerprotocol.WithPeerPort(uint16(l.addr.Port)),
		peerprotocol.WithPeerKeyPair(cert),
		peerprotocol.WithNetworkID(network),
		peerprotocol.WithHandshakeTimeout(10*time.Second),
	)
	if err != nil {
		t.Fatalf("go-chia-libs NewConnection: %v", err)
	}
	return conn
}

// gclHandshake performs go-chia-libs' handshake and returns chianet's
// reply as go-chia-libs decodes it, and chianet's side of the connection.
func gclHandshake(t *testing.T, l *listener, conn *peerprotocol.Connection) (*gclproto.Handshake, *peer.Peer) {
	t.Helper()
	if err := conn.Handshake(); err != nil {
		t.Fatalf("go-chia-libs Handshake: %v", err)
	}
	msg, err := conn.ReadOne(10 * time.Second)
	if err != nil {
		t.Fatalf("go-chia-libs reading the handshake reply: %v", err)
	}
	if msg.ProtocolMessageType != gclproto.ProtocolMessageTypeHandshake || msg.ID.IsPresent() {
		t.Fatalf("first reply: type %d, id %v; want an id-less handshake", msg.ProtocolMessageType, msg.ID)
	}
	var hs gclproto.Handshake
	if err := msg.DecodeData(&hs); err != nil {
		t.Fatalf("go-chia-libs decoding chianet's handshake: %v", err)
	}
	return &hs, receive(t, l.accepted, "accepted peer")
}

// TestGoChiaLibsClient is the interop item: go-chia-libs' peer client, with
// a certificate it generated itself, connects to a chianet listener,
// handshakes, sends request_peers and decodes chianet's respond_peers.
func TestGoChiaLibsClient(t *testing.T) {
	l := startListener(t)
	cert, clientID := gclCertificate(t)
	conn := dialGCL(t, l, cert)

	// The handshake, as go-chia-libs sees chianet's reply.
	hs, p := gclHandshake(t, l, conn)
	wantCaps := []gclproto.Capability{{Capability: 1, Value: "1"}, {Capability: 2, Value: "1"}, {Capability: 3, Value: "1"}, {Capability: 5, Value: "1"}}
	if hs.NetworkID != network ||
		hs.ProtocolVersion != protocol.ProtocolVersion(protocol.NodeFullNode) || // the dialer's type's version
		hs.SoftwareVersion != peer.DefaultSoftwareVersion ||
		hs.ServerPort != listenerPort ||
		hs.NodeType != gclproto.NodeTypeFullNode ||
		!equalCaps(hs.Capabilities, wantCaps) {
		t.Errorf("go-chia-libs decoded chianet's handshake as %+v", hs)
	}
	if id, err := conn.PeerID(); err != nil || protocol.Bytes32(id) != l.nodeID {
		t.Errorf("go-chia-libs PeerID %x, %v; want chianet's node id %v", id, err, l.nodeID)
	}

	// The handshake, as chianet saw go-chia-libs'.
	info := p.Info()
	if info.NodeType != protocol.NodeFullNode ||
		info.ProtocolVersion != "0.0.33" || // gclproto.ProtocolVersion
		info.SoftwareVersion != "2.0.0" ||
		info.Capabilities != protocol.CapabilitySet(0).With(protocol.CapBase) ||
		info.NodeID != clientID ||
		info.Outbound || info.RateLimitsV3() {
		t.Errorf("chianet saw go-chia-libs' handshake as %+v", info)
	}
	// go-chia-libs announces the port it dialled as its own server port.
	if int(info.ServerPort) != l.addr.Port {
		t.Errorf("server_port %d, want the listener's port %d (go-chia-libs sends the remote port)", info.ServerPort, l.addr.Port)
	}

	// request_peers, sent without an id, answered without an id.
	fnp, err := peerprotocol.NewFullNodeProtocol(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := fnp.RequestPeers(); err != nil {
		t.Fatalf("go-chia-libs RequestPeers: %v", err)
	}
	msg, err := conn.ReadOne(10 * time.Second)
	if err != nil {
		t.Fatalf("go-chia-libs reading respond_peers: %v", err)
	}
	if req := receive(t, l.requests, "request_peers"); req.HasID {
		t.Errorf("chianet received request_peers with id %d; go-chia-libs sends none", req.ID)
	}
	if msg.ProtocolMessageType != gclproto.ProtocolMessageTypeRespondPeers {
		t.Fatalf("reply type %d, want respond_peers (%d)", msg.ProtocolMessageType, gclproto.ProtocolMessageTypeRespondPeers)
	}
	if msg.ID.IsPresent() {
		t.Errorf("reply to an id-less request carries id %d", msg.ID.MustGet())
	}
	var rp gclproto.RespondPeers
	if err := msg.DecodeData(&rp); err != nil {
		t.Fatalf("go-chia-libs decoding chianet's respond_peers: %v", err)
	}
	want := make([]gcltypes.TimestampedPeerInfo, len(knownPeers))
	for i, pi := range knownPeers {
		want[i] = gcltypes.TimestampedPeerInfo{Host: pi.Host, Port: pi.Port, Timestamp: pi.Timestamp}
	}
	if !equalPeers(rp.PeerList, want) {
		t.Errorf("go-chia-libs decoded peer list %+v, want %+v", rp.PeerList, want)
	}

	// go-chia-libs closes the socket without a close frame: chianet records
	// an abnormal close by the peer and no ban.
	conn.Close()
	r := receive(t, l.closes, "close")
	if r.Code != peer.StatusAbnormal || !r.Remote || r.Ban != 0 || !errors.Is(r, peer.ErrConnection) {
		t.Errorf("chianet's close reason %v", r)
	}
	<-p.Done()
}

// TestGoChiaLibsClientSeesClose closes the connection from chianet's side
// after the handshake. go-chia-libs' ReadOne does not report the close
// frame it got: it drops the read error and fails decoding empty input.
func TestGoChiaLibsClientSeesClose(t *testing.T) {
	l := startListener(t)
	cert, _ := gclCertificate(t)
	conn := dialGCL(t, l, cert)
	defer conn.Close()
	_, p := gclHandshake(t, l, conn)

	p.Close(nil) // 1000, no reason, no ban
	_, err := conn.ReadOne(10 * time.Second)
	if err == nil {
		t.Fatal("go-chia-libs read a message after chianet closed")
	}
	if !strings.Contains(err.Error(), "requested more bytes than available") {
		t.Logf("go-chia-libs now reports the close as %q", err)
	}
	<-p.Done()
	if r := receive(t, l.closes, "close"); r.Code != peer.StatusNormal || r.Remote || r.Ban != 0 {
		t.Errorf("chianet's close reason %v", r)
	}
}

func equalCaps(a, b []gclproto.Capability) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalPeers(a, b []gcltypes.TimestampedPeerInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
