package ws

import (
	"context"
	"crypto/tls"
	"errors"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// Coder is the Library on github.com/coder/websocket, kept so that the
// benchmarks compare it with Gorilla under the same peer code. Its own
// read limit counts bytes as they are read, so the limit is applied by
// ReadMessage, from the Chia message's header.
var Coder Library = coderLib{}

type coderLib struct{}

type coderConn struct {
	c         *websocket.Conn
	ts        tls.ConnectionState
	limit     atomic.Int64
	rd        reader // without its limit
	closeOnce sync.Once
	closed    chan struct{}
}

func newCoderConn(c *websocket.Conn, ts tls.ConnectionState, opts Options) *coderConn {
	c.SetReadLimit(-1)
	w := &coderConn{c: c, ts: ts, closed: make(chan struct{})}
	w.rd = reader{check: opts.CheckHeader, budget: opts.Budget, stop: w.closed}
	w.SetReadLimit(opts.ReadLimit)
	return w
}

func (o Options) coderOnPing() func(context.Context, []byte) bool {
	return func(context.Context, []byte) bool {
		if o.OnControl != nil {
			o.OnControl()
		}
		return true
	}
}

func (o Options) coderOnPong() func(context.Context, []byte) {
	return func(context.Context, []byte) {
		if o.OnControl != nil {
			o.OnControl()
		}
	}
}

func (w *coderConn) SetReadLimit(n int) {
	if n <= 0 {
		n = math.MaxInt32
	}
	w.limit.Store(int64(n))
}

func (w *coderConn) Read() (bool, []byte, error) {
	typ, r, err := w.c.Reader(context.Background())
	if err != nil {
		return false, nil, coderErr(err)
	}
	if typ != websocket.MessageBinary {
		return false, nil, nil
	}
	rd := w.rd
	rd.limit = int(w.limit.Load())
	data, err := rd.read(r)
	if err != nil {
		return false, nil, coderErr(err)
	}
	return true, data, nil
}

func (w *coderConn) Write(data []byte) error {
	if len(data) <= MaxFrame {
		return coderErr(w.c.Write(context.Background(), websocket.MessageBinary, data))
	}
	// The library sends each Write of a message as a frame of its own.
	mw, err := w.c.Writer(context.Background(), websocket.MessageBinary)
	if err != nil {
		return coderErr(err)
	}
	for len(data) > 0 {
		n := min(len(data), MaxFrame)
		if _, err := mw.Write(data[:n]); err != nil {
			_ = mw.Close()
			return coderErr(err)
		}
		data = data[n:]
	}
	return coderErr(mw.Close())
}

func (w *coderConn) Ping(ctx context.Context) error { return w.c.Ping(ctx) }

func (w *coderConn) Close(code int, reason string) {
	w.closeOnce.Do(func() { close(w.closed) })
	if code == CloseAbnormal {
		_ = w.c.CloseNow()
		return
	}
	_ = w.c.Close(websocket.StatusCode(code), reason)
}

func (w *coderConn) TLS() tls.ConnectionState { return w.ts }

// coderErr turns a received close frame into a *CloseError.
func coderErr(err error) error {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	return err
}

func (coderLib) Dial(ctx context.Context, cfg DialConfig) (Conn, net.Addr, error) {
	var remote net.Addr
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := cfg.Dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(raw, cfg.TLS)
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
	c, resp, err := websocket.Dial(ctx, cfg.URL, &websocket.DialOptions{
		HTTPClient:     &http.Client{Transport: tr},
		OnPingReceived: cfg.coderOnPing(),
		OnPongReceived: cfg.coderOnPong(),
	})
	if err != nil {
		return nil, nil, err
	}
	if resp.TLS == nil {
		_ = c.CloseNow()
		return nil, nil, errors.New("ws: no TLS state after dial")
	}
	return newCoderConn(c, *resp.TLS, cfg.Options), remote, nil
}

func (coderLib) Accept(w http.ResponseWriter, r *http.Request, opts Options) (Conn, error) {
	if r.TLS == nil {
		return nil, errors.New("ws: accept without TLS")
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // no Origin check: Chia peers send none
		OnPingReceived:     opts.coderOnPing(),
		OnPongReceived:     opts.coderOnPong(),
	})
	if err != nil {
		return nil, err
	}
	return newCoderConn(c, *r.TLS, opts), nil
}
