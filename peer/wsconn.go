package peer

// This file is the only one that knows the WebSocket library. Everything
// else talks to a wsConn, so the library can be swapped (a benchmark will
// compare coder/websocket with gorilla/websocket) by rewriting this file.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/coder/websocket"

	"github.com/chianet/chianet/protocol"
)

// wsConn is one WebSocket connection carrying Chia messages. read may be
// called from one goroutine at a time; the other methods from any.
type wsConn interface {
	// read returns the next data message. binary is false for a text
	// message, whose data is then not read. Errors are *wsCloseError
	// when the peer closed, errWSTooBig for a message longer than
	// protocol.MaxMessageSize, anything else when the connection broke.
	read(ctx context.Context) (binary bool, data []byte, err error)
	// write sends data as one binary message.
	write(ctx context.Context, data []byte) error
	// ping sends a ping and waits for its pong.
	ping(ctx context.Context) error
	// close sends a close frame with code and reason and waits (a few
	// seconds at most) for the peer's; StatusAbnormal closes the socket
	// without a close frame. Only the first call has an effect.
	close(code int, reason string)
	// tlsState returns the TLS state of the underlying connection.
	tlsState() tls.ConnectionState
}

// wsCloseError reports a close frame received from the peer.
type wsCloseError struct {
	code   int
	reason string
}

func (e *wsCloseError) Error() string {
	return fmt.Sprintf("websocket closed by peer: %d %q", e.code, e.reason)
}

// errWSTooBig is read's error for a message over protocol.MaxMessageSize.
var errWSTooBig = errors.New("websocket message too big")

// coderConn implements wsConn with github.com/coder/websocket.
type coderConn struct {
	c  *websocket.Conn
	ts tls.ConnectionState
}

// wsOptions are the callbacks shared by both sides.
type wsOptions struct {
	// onControl is called (synchronously, so it must be quick) for every
	// ping or pong received.
	onControl func()
}

func (o wsOptions) onPing() func(context.Context, []byte) bool {
	return func(context.Context, []byte) bool {
		if o.onControl != nil {
			o.onControl()
		}
		return true
	}
}

func (o wsOptions) onPong() func(context.Context, []byte) {
	return func(context.Context, []byte) {
		if o.onControl != nil {
			o.onControl()
		}
	}
}

// newCoderConn wraps c. The library's own read limit is switched off:
// read applies protocol.MaxMessageSize itself so that the close frame it
// leads to is the reference's (1009, no reason), sent by the peer layer.
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
	data, err := io.ReadAll(io.LimitReader(r, protocol.MaxMessageSize+1))
	if err != nil {
		return false, nil, convertCoderErr(err)
	}
	if len(data) > protocol.MaxMessageSize {
		return false, nil, errWSTooBig
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

// dialConfig is what dialWS needs.
type dialConfig struct {
	url  string
	tls  *tls.Config
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	opts wsOptions
}

// dialWS opens a WebSocket to cfg.url over TLS, offering no compression.
// It returns the connection and the remote address of the socket.
func dialWS(ctx context.Context, cfg dialConfig) (wsConn, net.Addr, error) {
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
		OnPingReceived: cfg.opts.onPing(),
		OnPongReceived: cfg.opts.onPong(),
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

// acceptWS upgrades an HTTP request to a WebSocket. Compression is never
// negotiated; there is no Origin check (Chia peers send none, and the
// reference checks none).
func acceptWS(w http.ResponseWriter, r *http.Request, opts wsOptions) (wsConn, error) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		OnPingReceived:     opts.onPing(),
		OnPongReceived:     opts.onPong(),
	})
	if err != nil {
		return nil, err
	}
	return newCoderConn(c, *r.TLS), nil
}
