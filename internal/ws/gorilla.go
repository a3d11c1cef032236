package ws

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gorilla is the Library on github.com/gorilla/websocket, the one chianet
// uses. It refuses a client that sends data before the 101 response (as
// RFC 6455 §4.1 forbids), where Coder accepts it.
var Gorilla Library = gorillaLib{}

type gorillaLib struct{}

// controlWait bounds the write of a pong.
const controlWait = time.Second

// readBufferSize is the read buffer of every connection. TLS keeps whole
// records of its own and large reads bypass the buffer, so it needs to
// hold little more than frame headers and control frames: 1 KiB instead
// of the library's 4 KiB (or, on an accepted connection, the HTTP
// server's 4 KiB reader) saves 3 KiB per idle connection. Bulk toward
// the listener measured the same with either (BENCHMARKS.md).
const readBufferSize = 1 << 10

// writeBuffers lends every connection its write buffer for the time of
// one write, so an idle connection holds none.
var writeBuffers = &sync.Pool{}

// writeBufferSize is the size of the buffers of writeBuffers. The library
// sends a dialled connection's messages (which it must mask) in frames of
// this size, so 64 KiB rather than its 4 KiB default makes whole 16 KiB
// TLS records and a sixteenth of the frames.
const writeBufferSize = 64 << 10

// gorillaConn is a Conn on a *websocket.Conn, which allows one reader and
// one writer at a time.
type gorillaConn struct {
	c  *websocket.Conn
	ts tls.ConnectionState

	readMu   sync.Mutex // held by Read; Close reads itself when it is free
	rd       reader     // limit under readMu
	readOnce sync.Once
	readDone chan struct{} // closed once reading has failed for good

	writeMu sync.Mutex

	pingMu  sync.Mutex
	pingSeq uint64
	pings   map[string]chan struct{} // by payload, until their pongs arrive

	closeOnce sync.Once
	closed    chan struct{} // closed when Close starts
}

func newGorillaConn(c *websocket.Conn, ts tls.ConnectionState, opts Options) *gorillaConn {
	w := &gorillaConn{c: c, ts: ts, readDone: make(chan struct{}), closed: make(chan struct{})}
	w.rd = reader{check: opts.CheckHeader, budget: opts.Budget, stop: w.closed}
	w.setLimit(opts.ReadLimit)
	c.SetPingHandler(func(data string) error {
		if opts.OnControl != nil {
			opts.OnControl()
		}
		err := c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(controlWait))
		var ne net.Error
		if err == websocket.ErrCloseSent || errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	c.SetPongHandler(func(data string) error {
		if opts.OnControl != nil {
			opts.OnControl()
		}
		w.pingMu.Lock()
		if ch, ok := w.pings[data]; ok {
			close(ch)
			delete(w.pings, data)
		}
		w.pingMu.Unlock()
		return nil
	})
	return w
}

// setLimit applies a read limit; readMu is held or the conn is new.
func (w *gorillaConn) setLimit(n int) {
	if n <= 0 {
		n = math.MaxInt32
	}
	w.rd.limit = n
	w.c.SetReadLimit(int64(n))
}

func (w *gorillaConn) SetReadLimit(n int) {
	w.readMu.Lock()
	defer w.readMu.Unlock()
	w.setLimit(n)
}

// readFailed records that reading is over.
func (w *gorillaConn) readFailed() { w.readOnce.Do(func() { close(w.readDone) }) }

func (w *gorillaConn) Read() (bool, []byte, error) {
	w.readMu.Lock()
	defer w.readMu.Unlock()
	typ, r, err := w.c.NextReader()
	if err != nil {
		w.readFailed()
		return false, nil, gorillaErr(err)
	}
	if typ != websocket.BinaryMessage {
		return false, nil, nil
	}
	data, err := w.rd.read(r)
	if err != nil {
		w.readFailed()
		return false, nil, gorillaErr(err)
	}
	return true, data, nil
}

func (w *gorillaConn) Write(data []byte) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if len(data) <= MaxFrame {
		return gorillaErr(w.c.WriteMessage(websocket.BinaryMessage, data))
	}
	// The library sends each Write of a large message on an accepted
	// connection as a frame of its own (and a dialled connection's in
	// frames of its write buffer's size).
	mw, err := w.c.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return gorillaErr(err)
	}
	for len(data) > 0 {
		n := min(len(data), MaxFrame)
		if _, err := mw.Write(data[:n]); err != nil {
			_ = mw.Close()
			return gorillaErr(err)
		}
		data = data[n:]
	}
	return gorillaErr(mw.Close())
}

func (w *gorillaConn) Ping(ctx context.Context) error {
	w.pingMu.Lock()
	w.pingSeq++
	payload := strconv.FormatUint(w.pingSeq, 10)
	pong := make(chan struct{})
	if w.pings == nil {
		w.pings = make(map[string]chan struct{})
	}
	w.pings[payload] = pong
	w.pingMu.Unlock()
	defer func() {
		w.pingMu.Lock()
		delete(w.pings, payload)
		w.pingMu.Unlock()
	}()
	deadline, _ := ctx.Deadline()
	if err := w.c.WriteControl(websocket.PingMessage, []byte(payload), deadline); err != nil {
		return gorillaErr(err)
	}
	select {
	case <-pong:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-w.readDone:
		return net.ErrClosed
	}
}

func (w *gorillaConn) Close(code int, reason string) {
	w.closeOnce.Do(func() {
		close(w.closed) // a Read waiting for the budget gives up
		defer w.c.Close()
		if code == CloseAbnormal {
			return
		}
		deadline := time.Now().Add(CloseWait)
		msg := websocket.FormatCloseMessage(code, reason)
		if err := w.c.WriteControl(websocket.CloseMessage, msg, deadline); err != nil {
			return
		}
		// Wait for the peer's close frame: a running Read sees it; with
		// none running, read it here.
		if w.readMu.TryLock() {
			defer w.readMu.Unlock()
			_ = w.c.NetConn().SetReadDeadline(deadline)
			for {
				if _, _, err := w.c.NextReader(); err != nil {
					w.readFailed()
					return
				}
			}
		}
		t := time.NewTimer(CloseWait)
		defer t.Stop()
		select {
		case <-w.readDone:
		case <-t.C:
		}
	})
}

func (w *gorillaConn) TLS() tls.ConnectionState { return w.ts }

// gorillaErr turns the library's errors into the package's.
func gorillaErr(err error) error {
	if err == nil {
		return nil // without the allocation of errors.As's target
	}
	if err == websocket.ErrReadLimit {
		return ErrTooBig
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: ce.Code, Reason: ce.Text}
	}
	return err
}

func (gorillaLib) Dial(ctx context.Context, cfg DialConfig) (Conn, net.Addr, error) {
	// The library bounds the HTTP exchange by ctx's deadline only; a
	// cancelled ctx interrupts it through the socket.
	var mu sync.Mutex
	var sock net.Conn
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if sock != nil {
			_ = sock.SetDeadline(aLongTimeAgo)
		}
	})
	defer stop()
	var tc *tls.Conn
	dialTLS := func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := cfg.Dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		sock = raw
		mu.Unlock()
		c := tls.Client(raw, cfg.TLS)
		if err := c.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		tc = c
		return c, nil
	}
	d := &websocket.Dialer{
		NetDialTLSContext: dialTLS,
		ReadBufferSize:    readBufferSize,
		WriteBufferSize:   writeBufferSize,
		WriteBufferPool:   writeBuffers,
	}
	c, resp, err := d.DialContext(ctx, cfg.URL, nil)
	if err != nil {
		return nil, nil, dialError(ctx, resp, err)
	}
	return newGorillaConn(c, tc.ConnectionState(), cfg.Options), tc.RemoteAddr(), nil
}

// dialError adds to a failed dial what callers look for: the context's
// error when it ended the dial (the library reports only the socket's
// deadline), and the status and text of a refusal.
func dialError(ctx context.Context, resp *http.Response, err error) error {
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && cerr == nil && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		// The socket's deadline, which is ctx's, fired before ctx's timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if resp != nil && errors.Is(err, websocket.ErrBadHandshake) {
		// The library keeps the first KiB of the body.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		if text := strings.TrimSpace(string(body)); text != "" {
			return fmt.Errorf("%w: HTTP %s: %s", err, resp.Status, text)
		}
		return fmt.Errorf("%w: HTTP %s", err, resp.Status)
	}
	return err
}

// upgrader accepts WebSockets without compression and with no Origin
// check (Chia peers send none, and the reference checks none).
var upgrader = websocket.Upgrader{
	CheckOrigin:     func(*http.Request) bool { return true },
	ReadBufferSize:  readBufferSize,
	WriteBufferSize: writeBufferSize,
	WriteBufferPool: writeBuffers,
}

func (gorillaLib) Accept(w http.ResponseWriter, r *http.Request, opts Options) (Conn, error) {
	if r.TLS == nil {
		return nil, errors.New("ws: accept without TLS")
	}
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil, err
	}
	return newGorillaConn(c, *r.TLS, opts), nil
}
