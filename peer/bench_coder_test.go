package peer

// This file puts the peer code on github.com/coder/websocket, the library
// wsconn.go used before the benchmarks chose gorilla/websocket, so that
// bench_transport_test.go and bench_memory_test.go keep comparing the
// two under the same peer code. dialCoderPeer and coderHandler repeat
// Dial and Handler.ServeHTTP line for line except for the WebSocket
// calls, and coderConn reads messages with the same readMessage.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/coder/websocket"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/protocol"
)

// coderConn implements wsConn with github.com/coder/websocket.
type coderConn struct {
	c  *websocket.Conn
	ts tls.ConnectionState
}

func (*coderConn) waiter() *frameConn { return nil }

func (*coderConn) wait(int) error { return errTooLong }

var _ wsConn = (*coderConn)(nil)

func (o wsOptions) coderOnPing() func(context.Context, []byte) bool {
	return func(context.Context, []byte) bool {
		if o.onControl != nil {
			o.onControl()
		}
		return true
	}
}

func (o wsOptions) coderOnPong() func(context.Context, []byte) {
	return func(context.Context, []byte) {
		if o.onControl != nil {
			o.onControl()
		}
	}
}

// newCoderConn wraps c with the library's read limit off: read applies
// protocol.MaxMessageSize itself.
func newCoderConn(c *websocket.Conn, ts tls.ConnectionState) *coderConn {
	c.SetReadLimit(-1)
	return &coderConn{c: c, ts: ts}
}

func (w *coderConn) read(ctx context.Context) (bool, []byte, error) {
	typ, r, err := w.c.Reader(ctx)
	if err != nil {
		return false, nil, convertCoderErr(err)
	}
	if typ != websocket.MessageBinary {
		return false, nil, nil
	}
	data, err := readMessage(r)
	if err != nil {
		return false, nil, convertCoderErr(err)
	}
	return true, data, nil
}

func (w *coderConn) write(ctx context.Context, data []byte) error {
	return convertCoderErr(w.c.Write(ctx, websocket.MessageBinary, data))
}

func (w *coderConn) ping(ctx context.Context) error { return w.c.Ping(ctx) }

func (w *coderConn) close(code int, reason string) {
	if code == StatusAbnormal {
		_ = w.c.CloseNow()
		return
	}
	_ = w.c.Close(websocket.StatusCode(code), reason)
}

func (w *coderConn) tlsState() tls.ConnectionState { return w.ts }

// convertCoderErr turns a received close frame into a *wsCloseError.
func convertCoderErr(err error) error {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &wsCloseError{code: int(ce.Code), reason: ce.Reason}
	}
	return err
}

// dialCoderWS is dialWS on coder/websocket, which dials through an
// http.Client.
func dialCoderWS(ctx context.Context, cfg dialConfig) (wsConn, net.Addr, error) {
	var remote net.Addr
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := cfg.dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(raw, cfg.tls)
			if err := tc.HandshakeContext(ctx); err != nil {
				_ = raw.Close()
				return nil, err
			}
			remote = raw.RemoteAddr()
			return tc, nil
		},
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	defer tr.CloseIdleConnections()
	c, resp, err := websocket.Dial(ctx, cfg.url, &websocket.DialOptions{
		HTTPClient:     &http.Client{Transport: tr},
		OnPingReceived: cfg.opts.coderOnPing(),
		OnPongReceived: cfg.opts.coderOnPong(),
	})
	if err != nil {
		return nil, nil, err
	}
	if resp.TLS == nil {
		_ = c.CloseNow()
		return nil, nil, errors.New("peer: no TLS state after dial")
	}
	return newCoderConn(c, *resp.TLS), remote, nil
}

// acceptCoderWS is acceptWS on coder/websocket.
func acceptCoderWS(w http.ResponseWriter, r *http.Request, opts wsOptions) (wsConn, error) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		OnPingReceived:     opts.coderOnPing(),
		OnPongReceived:     opts.coderOnPong(),
	})
	if err != nil {
		return nil, err
	}
	return newCoderConn(c, *r.TLS), nil
}

// dialCoderPeer is Dial with the WebSocket of coder/websocket.
func dialCoderPeer(ctx context.Context, addr string, cfg Config) (*Peer, error) {
	cfg = cfg.withDefaults(true)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	tlsConf := cfg.TLS.Clone()
	if _, err := netip.ParseAddr(host); err != nil && tlsConf.ServerName == "" {
		tlsConf.ServerName = host
	}
	own := cfg.NodeID
	if own == (protocol.Bytes32{}) && len(tlsConf.Certificates) > 0 {
		if id, err := chiatls.CertificateNodeID(&tlsConf.Certificates[0]); err == nil {
			own = id
		}
	}
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	p := newPeer(cfg, true, cfg.Exempt)
	ws, remote, err := dialCoderWS(dctx, dialConfig{
		url:  "wss://" + net.JoinHostPort(host, port) + "/ws",
		tls:  tlsConf,
		dial: dial,
		opts: p.wsOptions(),
	})
	if err != nil {
		return nil, fmt.Errorf("peer: dial %s: %w", addr, err)
	}
	id, err := chiatls.PeerNodeID(ws.tlsState())
	if err != nil {
		ws.close(StatusAbnormal, "")
		return nil, err
	}
	p.attach(ws, id, remote.String())
	if own != (protocol.Bytes32{}) && id == own {
		p.shutdown(NormalClose(ErrSelfConnection))
		return nil, p.reason
	}
	if r := p.open(ctx); r != nil {
		return nil, r
	}
	go p.run()
	return p, nil
}

// coderHandler is Handler with the WebSocket of coder/websocket.
type coderHandler struct{ h *Handler }

func (g coderHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := g.h
	if r.URL.Path != "/ws" {
		http.NotFound(w, r)
		return
	}
	cfg := h.Config.withDefaults(false)
	if err := cfg.validate(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if r.TLS == nil {
		http.Error(w, "TLS required", http.StatusInternalServerError)
		return
	}
	id, err := chiatls.PeerNodeID(*r.TLS)
	if err != nil {
		http.Error(w, "client certificate required", http.StatusForbidden)
		return
	}
	if cfg.NodeID != (protocol.Bytes32{}) && id == cfg.NodeID {
		http.Error(w, "self connection", http.StatusForbidden)
		return
	}
	if h.Admit != nil {
		if err := h.Admit(r, id); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
	}
	exempt := h.Exempt != nil && h.Exempt(r)
	p := newPeer(cfg, false, exempt)
	ws, err := acceptCoderWS(w, r, p.wsOptions())
	if err != nil {
		return
	}
	p.attach(ws, id, r.RemoteAddr)
	if p.open(context.Background()) != nil {
		return
	}
	if h.Accept != nil {
		if err := h.Accept(p); err != nil {
			p.shutdown(NormalClose(joinErr(ErrRefused, err)))
			return
		}
	}
	go p.run()
}

// TestCoderPeer keeps the comparison honest: the peer code on coder
// completes a handshake, a request in each direction, a ping and a clean
// close with code and reason.
func TestCoderPeer(t *testing.T) {
	k := realPKI(t)
	accepted := make(chan *Peer, 1)
	h := &Handler{Config: listenerConfig(), Accept: func(p *Peer) error { accepted <- p; return nil }}
	addr := serveBench(t, coderHandler{h}, k.serverTLS(k.listener))
	cfg := Config{
		NetworkID: testNetwork,
		TLS:       k.clientTLS(k.client),
		Handlers:  listenerConfig().Handlers,
	}
	p, err := dialCoderPeer(context.Background(), addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := <-accepted
	if _, err := p.RequestPeers(context.Background()); err != nil {
		t.Fatalf("dialer's request: %v", err)
	}
	if _, err := srv.RequestPeers(context.Background()); err != nil {
		t.Fatalf("listener's request: %v", err)
	}
	if _, err := p.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	p.Close(ProtocolViolation(protocol.ErrCodeUnknown, 0, errors.New("test")))
	<-p.Done()
	<-srv.Done()
	var r *CloseReason
	if !errors.As(srv.Err(), &r) || r.Code != StatusProtocolError || !r.Remote {
		t.Fatalf("listener's close reason %v, want a remote 1002", srv.Err())
	}
}
