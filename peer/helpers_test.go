package peer_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testNetwork = "testnet-peer"

// idHalf is the first request id of the listener's half of the id space.
const idHalf = 1 << 15

// identity is one node certificate.
type identity struct {
	cert tls.Certificate
	id   protocol.Bytes32
}

// pki is a CA able to issue identities, with the pool to verify them.
type pki struct {
	ca   *chiatls.KeyPair
	pool *x509.CertPool
	// now dates new certificates.
	now func() time.Time
	// listener and client are the identities of the CHIA_ROOT tree's
	// full_node and wallet services (for the loopback pki).
	listener, client identity
}

func (k *pki) issue(t testing.TB) identity {
	t.Helper()
	kp, err := k.ca.IssueNodeCert(k.now())
	if err != nil {
		t.Fatal(err)
	}
	return identity{cert: kp.TLSCertificate(), id: kp.NodeID()}
}

func (k *pki) serverTLS(id identity) *tls.Config { return chiatls.ServerConfig(id.cert, k.pool) }
func (k *pki) clientTLS(id identity) *tls.Config { return chiatls.ClientConfig(id.cert, k.pool) }

var (
	loopbackPKIOnce sync.Once
	loopbackPKI     *pki
	loopbackPKIErr  error
)

// realPKI returns the certificates of a CHIA_ROOT tree made (once per
// test binary) in the first caller's t.TempDir: the public chia CA and the
// full_node and wallet public certificates, kept in memory.
func realPKI(t testing.TB) *pki {
	t.Helper()
	loopbackPKIOnce.Do(func() {
		tree := chiatls.Tree{Root: t.TempDir()}
		for _, s := range []chiatls.Service{chiatls.FullNode, chiatls.Wallet} {
			if err := tree.EnsureService(s); err != nil {
				loopbackPKIErr = err
				return
			}
		}
		k := &pki{now: time.Now}
		var err error
		if k.ca, err = tree.LoadCA(chiatls.Public); err != nil {
			loopbackPKIErr = err
			return
		}
		if k.pool, err = tree.CertPool(chiatls.Public); err != nil {
			loopbackPKIErr = err
			return
		}
		for _, x := range []struct {
			s  chiatls.Service
			id *identity
		}{{chiatls.FullNode, &k.listener}, {chiatls.Wallet, &k.client}} {
			kp, err := tree.LoadCertificate(x.s, chiatls.Public)
			if err != nil {
				loopbackPKIErr = err
				return
			}
			*x.id = identity{cert: kp.TLSCertificate(), id: kp.NodeID()}
		}
		loopbackPKI = k
	})
	if loopbackPKIErr != nil {
		t.Fatal(loopbackPKIErr)
	}
	return loopbackPKI
}

var (
	bubblePKIOnce sync.Once
	bubblePKI     *pki
)

// bubbleEpoch is where testing/synctest's fake clock starts.
var bubbleEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// fakePKI returns a private CA and two identities dated for the fake clock
// of a synctest bubble (which starts in 2000, before the chia CA).
func fakePKI(t testing.TB) *pki {
	t.Helper()
	bubblePKIOnce.Do(func() {
		then := bubbleEpoch.Add(-30 * 24 * time.Hour)
		ca, err := chiatls.NewPrivateCA(then)
		if err != nil {
			panic(err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca.Cert)
		k := &pki{ca: ca, pool: pool, now: func() time.Time { return then }}
		k.listener, k.client = k.issue(t), k.issue(t)
		bubblePKI = k
	})
	return bubblePKI
}

// env is one listener (a Handler) and the ways to connect to it.
type env struct {
	t    testing.TB
	pki  *pki
	addr string
	// accepted receives every peer the Handler accepts.
	accepted chan *peer.Peer
	// closes receives the OnClose reason of every listener-side
	// connection.
	closes chan *peer.CloseReason
	// dialContext opens the socket for clients (nil: TCP).
	dialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// listenerConfig is the Config of test listeners: a full node with
// handlers for request_peers, request_block and respond_block.
func listenerConfig() peer.Config {
	return peer.Config{
		NetworkID:  testNetwork,
		NodeType:   protocol.NodeFullNode,
		ServerPort: 8444,
		Handlers: map[protocol.MessageType]peer.HandlerFunc{
			protocol.MsgRequestPeers: func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
				return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{})
			},
			protocol.MsgRequestBlock: echoBlock,
			protocol.MsgRespondBlock: peer.Ignore,
		},
	}
}

// echoBlock answers request_block with reject_block for the same height.
func echoBlock(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
	var req protocol.RequestBlock
	if err := streamable.Unmarshal(m.Data, &req); err != nil {
		return nil, err
	}
	return peer.Reply(protocol.MsgRejectBlock, &protocol.RejectBlock{Height: req.Height})
}

// newHandler wraps h's config with the env's channels.
func (e *env) wire(h *peer.Handler) {
	e.accepted = make(chan *peer.Peer, 64)
	e.closes = make(chan *peer.CloseReason, 64)
	accept := h.Accept
	h.Accept = func(p *peer.Peer) error {
		if accept != nil {
			if err := accept(p); err != nil {
				return err
			}
		}
		e.accepted <- p
		return nil
	}
	onClose := h.Config.OnClose
	h.Config.OnClose = func(p *peer.Peer, r *peer.CloseReason) {
		if onClose != nil {
			onClose(p, r)
		}
		e.closes <- r
	}
}

// startLoopback serves h on 127.0.0.1:0 with TLS from the loopback pki.
func startLoopback(t testing.TB, h *peer.Handler) *env {
	t.Helper()
	k := realPKI(t)
	e := &env{t: t, pki: k}
	e.wire(h)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = k.serverTLS(k.listener)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.addr = srv.Listener.Addr().String()
	return e
}

// memListener is an in-memory net.Listener whose connections are
// bufPipe pairs: the network of synctest bubbles.
type memListener struct {
	ch    chan net.Conn
	done  chan struct{}
	once  sync.Once
	ports atomic.Int32
}

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

// addrConn gives a pipe end realistic addresses.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *addrConn) LocalAddr() net.Addr  { return c.local }
func (c *addrConn) RemoteAddr() net.Addr { return c.remote }

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr("127.0.0.1:8444") }

func (l *memListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	a, b := bufPipe()
	client := memAddr(fmt.Sprintf("127.0.0.1:%d", 50000+l.ports.Add(1)))
	server := memAddr("127.0.0.1:8444")
	select {
	case l.ch <- &addrConn{Conn: b, local: server, remote: client}:
		return &addrConn{Conn: a, local: client, remote: server}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// startMem serves h on an in-memory listener, for synctest bubbles. It
// must be called inside the bubble; the cleanup stops the server.
func startMem(t testing.TB, h *peer.Handler) *env {
	t.Helper()
	k := fakePKI(t)
	e := &env{t: t, pki: k, addr: "127.0.0.1:8444"}
	e.wire(h)
	e.dialContext = serveMem(t, h, k.serverTLS(k.listener)).dial
	return e
}

// serveMem serves h over TLS on a new in-memory listener until the test's
// cleanup.
func serveMem(t testing.TB, h http.Handler, conf *tls.Config) *memListener {
	ln := &memListener{ch: make(chan net.Conn), done: make(chan struct{})}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(tls.NewListener(ln, conf))
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-served
	})
	return ln
}

// clientConfig is the Config of a test client: a full node.
func (e *env) clientConfig() peer.Config {
	return peer.Config{
		NetworkID: testNetwork,
		NodeType:  protocol.NodeFullNode,
		TLS:       e.pki.clientTLS(e.pki.client),
		Handlers: map[protocol.MessageType]peer.HandlerFunc{
			protocol.MsgRequestBlock: echoBlock,
			protocol.MsgRequestPeers: func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
				return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{})
			},
		},
		DialContext: e.dialContext,
	}
}

// dial connects a chianet client with cfg and closes it at cleanup.
func (e *env) dial(t testing.TB, cfg peer.Config) *peer.Peer {
	t.Helper()
	p, err := peer.Dial(context.Background(), e.addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { p.Close(nil); <-p.Done() })
	return p
}

// nextAccepted returns the next listener-side peer.
func (e *env) nextAccepted(t testing.TB) *peer.Peer {
	t.Helper()
	select {
	case p := <-e.accepted:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("no peer accepted")
		return nil
	}
}

// nextClose returns the next listener-side close reason.
func (e *env) nextClose(t testing.TB) *peer.CloseReason {
	t.Helper()
	select {
	case r := <-e.closes:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no listener-side close")
		return nil
	}
}

// rawConn is a hand-driven WebSocket client or server speaking frames
// built byte by byte, for misbehaving.
type rawConn struct {
	t  testing.TB
	c  *websocket.Conn
	tr *http.Transport
}

// dialRaw opens a raw client WebSocket to the env's listener with a fresh
// identity.
func (e *env) dialRaw(t testing.TB) *rawConn {
	t.Helper()
	id := e.pki.issue(t)
	tr := &http.Transport{TLSClientConfig: e.pki.clientTLS(id), DisableKeepAlives: true}
	if e.dialContext != nil {
		conf := e.pki.clientTLS(id)
		tr = &http.Transport{
			DisableKeepAlives: true,
			DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				raw, err := e.dialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				tc := tls.Client(raw, conf)
				if err := tc.HandshakeContext(ctx); err != nil {
					return nil, err
				}
				return tc, nil
			},
		}
	}
	c, _, err := websocket.Dial(context.Background(), "wss://"+e.addr+"/ws", &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: tr},
	})
	if err != nil {
		t.Fatalf("raw dial: %v", err)
	}
	c.SetReadLimit(-1)
	r := &rawConn{t: t, c: c, tr: tr}
	t.Cleanup(r.close)
	return r
}

func (r *rawConn) close() {
	_ = r.c.CloseNow()
	if r.tr != nil {
		r.tr.CloseIdleConnections()
	}
}

// writeBytes sends b as one binary frame.
func (r *rawConn) writeBytes(b []byte) {
	r.t.Helper()
	if err := r.c.Write(context.Background(), websocket.MessageBinary, b); err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

// writeMsg sends a message built from its parts.
func (r *rawConn) writeMsg(t protocol.MessageType, hasID bool, id uint16, payload streamable.Encoder) {
	r.t.Helper()
	m, err := protocol.MakeMessage(t, payload)
	if err != nil {
		r.t.Fatal(err)
	}
	m.HasID, m.ID = hasID, id
	b, err := m.MarshalBinary()
	if err != nil {
		r.t.Fatal(err)
	}
	r.writeBytes(b)
}

// readMsg reads one message.
func (r *rawConn) readMsg() protocol.Message {
	r.t.Helper()
	typ, b, err := r.c.Read(context.Background())
	if err != nil {
		r.t.Fatalf("raw read: %v", err)
	}
	if typ != websocket.MessageBinary {
		r.t.Fatalf("raw read: message type %v", typ)
	}
	m, err := protocol.DecodeMessage(b)
	if err != nil {
		r.t.Fatalf("raw read: %v", err)
	}
	return m
}

// handshakeMsg is a valid handshake of node type nt.
func handshakeMsg(nt protocol.NodeType, caps ...protocol.Capability) *protocol.Handshake {
	hs := &protocol.Handshake{
		NetworkID:       testNetwork,
		ProtocolVersion: protocol.ProtocolVersion(nt),
		SoftwareVersion: "2.7.3",
		ServerPort:      8444,
		NodeType:        uint8(nt),
		Capabilities:    protocol.DefaultCapabilities(nt),
	}
	for _, c := range caps {
		hs.Capabilities = append(hs.Capabilities, protocol.HandshakeCapability{Capability: uint16(c), Value: "1"})
	}
	return hs
}

// clientHandshake sends hs and reads the listener's reply (and, with v3
// on both sides, exchanges ConfigureWindowSizes).
func (r *rawConn) clientHandshake(hs *protocol.Handshake) *protocol.Handshake {
	r.t.Helper()
	r.writeMsg(protocol.MsgHandshake, false, 0, hs)
	m := r.readMsg()
	if m.Type != protocol.MsgHandshake {
		r.t.Fatalf("reply type %v", m.Type)
	}
	var reply protocol.Handshake
	if err := streamable.Unmarshal(m.Data, &reply); err != nil {
		r.t.Fatal(err)
	}
	if protocol.ActiveCapabilities(hs.Capabilities).Has(protocol.CapRateLimitsV3) &&
		protocol.ActiveCapabilities(reply.Capabilities).Has(protocol.CapRateLimitsV3) {
		r.writeMsg(protocol.MsgConfigureWindowSizes, false, 0, protocol.LocalConfigureWindowSizes())
		if m := r.readMsg(); m.Type != protocol.MsgConfigureWindowSizes {
			r.t.Fatalf("expected configure_window_sizes, got %v", m.Type)
		}
	}
	return &reply
}

// waitClose reads until the connection ends and returns the close frame's
// code and reason; code is -1 when no close frame came.
func (r *rawConn) waitClose() (int, string) {
	r.t.Helper()
	for {
		_, _, err := r.c.Read(context.Background())
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return int(ce.Code), ce.Reason
		}
		return -1, err.Error()
	}
}

// healthy checks that a fresh chianet client can still complete a
// request on the env's listener, then closes it.
func (e *env) healthy(t testing.TB) {
	t.Helper()
	p, err := peer.Dial(context.Background(), e.addr, e.clientConfig())
	if err != nil {
		t.Fatalf("healthy client: Dial: %v", err)
	}
	srv := e.nextAccepted(t)
	if _, err := p.RequestPeers(context.Background()); err != nil {
		t.Fatalf("healthy client: RequestPeers: %v", err)
	}
	p.Close(nil)
	<-p.Done()
	<-srv.Done()
	if r := e.nextClose(t); r.Ban != 0 {
		t.Fatalf("healthy client closed with a ban: %v", r)
	}
}

// mustCloseReason extracts the *CloseReason of err.
func mustCloseReason(t testing.TB, err error) *peer.CloseReason {
	t.Helper()
	var r *peer.CloseReason
	if !errors.As(err, &r) {
		t.Fatalf("error %v is not a *CloseReason", err)
	}
	if !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("error %v does not wrap ErrClosed", err)
	}
	return r
}

// bufPipe returns the two ends of an in-memory connection. Unlike
// net.Pipe it is buffered (a write returns once its bytes are queued, up
// to 256 writes ahead), as a socket is: two peers that both write while
// closing (TLS close_notify) do not wait for each other. It is built on
// channels only, so a goroutine blocked on it is durably blocked in a
// synctest bubble. Read deadlines work; write deadlines are ignored.
func bufPipe() (net.Conn, net.Conn) {
	ab, ba := make(chan []byte, 256), make(chan []byte, 256)
	ac, bc := make(chan struct{}), make(chan struct{})
	a := &pipeEnd{rx: ba, tx: ab, closed: ac, peerClosed: bc, readDL: newDeadline()}
	b := &pipeEnd{rx: ab, tx: ba, closed: bc, peerClosed: ac, readDL: newDeadline()}
	return a, b
}

type pipeEnd struct {
	rx         <-chan []byte
	tx         chan<- []byte
	rbuf       []byte
	closed     chan struct{}
	peerClosed <-chan struct{}
	once       sync.Once
	readDL     *deadline
}

// deadline is a read deadline as a channel that is closed when it
// passes (http.Server interrupts its background read with a deadline in
// the past when a handler hijacks the connection).
type deadline struct {
	mu    sync.Mutex
	ch    chan struct{}
	fired bool
	timer *time.Timer
}

func newDeadline() *deadline { return &deadline{ch: make(chan struct{})} }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.fired {
		d.ch, d.fired = make(chan struct{}), false
	}
	if t.IsZero() {
		return
	}
	if wait := time.Until(t); wait > 0 {
		ch := d.ch
		d.timer = time.AfterFunc(wait, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.ch == ch && !d.fired {
				close(ch)
				d.fired = true
			}
		})
		return
	}
	close(d.ch)
	d.fired = true
}

func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

func (p *pipeEnd) Read(b []byte) (int, error) {
	if len(p.rbuf) == 0 {
		select {
		case c := <-p.rx:
			p.rbuf = c
		default:
			select {
			case c := <-p.rx:
				p.rbuf = c
			case <-p.readDL.wait():
				return 0, os.ErrDeadlineExceeded
			case <-p.closed:
				return 0, net.ErrClosed
			case <-p.peerClosed:
				select {
				case c := <-p.rx:
					p.rbuf = c
				default:
					return 0, io.EOF
				}
			}
		}
	}
	n := copy(b, p.rbuf)
	p.rbuf = p.rbuf[n:]
	return n, nil
}

func (p *pipeEnd) Write(b []byte) (int, error) {
	select {
	case <-p.closed:
		return 0, net.ErrClosed
	case <-p.peerClosed:
		return 0, io.ErrClosedPipe
	default:
	}
	c := append([]byte(nil), b...)
	select {
	case p.tx <- c:
		return len(b), nil
	case <-p.closed:
		return 0, net.ErrClosed
	case <-p.peerClosed:
		return 0, io.ErrClosedPipe
	}
}

func (p *pipeEnd) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

func (p *pipeEnd) LocalAddr() net.Addr                { return memAddr("pipe") }
func (p *pipeEnd) RemoteAddr() net.Addr               { return memAddr("pipe") }
func (p *pipeEnd) SetDeadline(t time.Time) error      { p.readDL.set(t); return nil }
func (p *pipeEnd) SetReadDeadline(t time.Time) error  { p.readDL.set(t); return nil }
func (p *pipeEnd) SetWriteDeadline(t time.Time) error { return nil }
