package peer

// This file is the only one that knows the WebSocket library. Everything
// else talks to a wsConn, so the library can be swapped by rewriting this
// file. The library is github.com/gorilla/websocket, chosen over
// github.com/coder/websocket by the benchmarks in bench_*_test.go (see
// BENCHMARKS.md): with the same peer code on top, it gives shorter round
// trips, more bulk throughput, more handshakes per second and less memory
// per idle connection. One difference in behaviour: it refuses a client
// that sends data before the 101 response (as RFC 6455 §4.1 forbids),
// where coder/websocket accepted it.

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

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
	// waiter returns what lets a Request caller wait for a whole message
	// before reading it (see frameConn), or nil when the connection has
	// none.
	waiter() *frameConn
	// wait is the waiter's waitMessage, under the read lock.
	wait(limit int) error
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

// wsOptions are the callbacks shared by both sides.
type wsOptions struct {
	// onControl is called (synchronously, so it must be quick) for every
	// ping or pong received.
	onControl func()
}

// closeWait bounds how long close waits for the peer's close frame.
const closeWait = 5 * time.Second

// controlWait bounds the write of a pong.
const controlWait = time.Second

// aLongTimeAgo is a deadline in the past, to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// readBufferSize is the read buffer of a dialled connection. TLS keeps
// whole records of its own, and large reads bypass the buffer, so it
// needs to hold little more than frame headers and control frames: 1 KiB
// instead of the library's 4 KiB saves 3 KiB per idle connection and
// costs nothing measurable. An accepted connection keeps reusing the
// HTTP server's 4 KiB reader: a 1 KiB one there saved 3 KiB per idle
// connection but cost 10-20 % of bulk throughput toward the listener in
// the benchmarks.
const readBufferSize = 1 << 10

// writeBuffers lends every connection its write buffer for the time of
// one write, so an idle connection holds none.
var writeBuffers = &sync.Pool{}

// writeBufferSize is the size of the buffers of writeBuffers. The
// library sends a dialled connection's messages (which it must mask) in
// frames of this size, so 64 KiB rather than its 4 KiB default makes
// whole 16 KiB TLS records and a sixteenth of the frames.
const writeBufferSize = 64 << 10

// gorillaConn implements wsConn with github.com/gorilla/websocket, which
// allows one reader and one writer at a time and has no contexts: read
// and write take a lock, and a done context interrupts them through a
// deadline in the past on the socket.
type gorillaConn struct {
	c  *websocket.Conn
	ts tls.ConnectionState
	fc *frameConn // a dialled connection's; nil for an accepted one

	readMu   sync.Mutex // held by read; close reads itself when it is free
	readOnce sync.Once
	readDone chan struct{} // closed once reading has failed for good

	writeMu sync.Mutex

	pingMu  sync.Mutex
	pingSeq uint64
	pings   map[string]chan struct{} // by payload, until their pongs arrive

	closeOnce sync.Once
}

func newGorillaConn(c *websocket.Conn, ts tls.ConnectionState, opts wsOptions) *gorillaConn {
	w := &gorillaConn{c: c, ts: ts, readDone: make(chan struct{})}
	c.SetPingHandler(func(data string) error {
		if opts.onControl != nil {
			opts.onControl()
		}
		err := c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(controlWait))
		var ne net.Error
		if err == websocket.ErrCloseSent || errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	c.SetPongHandler(func(data string) error {
		if opts.onControl != nil {
			opts.onControl()
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

// interrupt makes the blocked I/O of the socket fail once ctx is done,
// through set (a deadline setter of the socket, which unlike the
// websocket.Conn's may be called from any goroutine). The returned
// function stops that. Callers skip it for a ctx that is never done.
func interrupt(ctx context.Context, set func(time.Time) error) func() bool {
	return context.AfterFunc(ctx, func() { _ = set(aLongTimeAgo) })
}

// readFailed records that reading is over.
func (w *gorillaConn) readFailed() { w.readOnce.Do(func() { close(w.readDone) }) }

func (w *gorillaConn) read(ctx context.Context) (bool, []byte, error) {
	w.readMu.Lock()
	defer w.readMu.Unlock()
	if ctx.Done() != nil { // the method value would be allocated
		defer interrupt(ctx, w.c.NetConn().SetReadDeadline)()
	}
	typ, r, err := w.c.NextReader()
	if err != nil {
		w.readFailed()
		return false, nil, convertErr(err)
	}
	if typ != websocket.BinaryMessage {
		return false, nil, nil
	}
	data, err := readMessage(r)
	if err != nil {
		if err != errWSTooBig {
			w.readFailed()
		}
		return false, nil, convertErr(err)
	}
	return true, data, nil
}

func (w *gorillaConn) write(ctx context.Context, data []byte) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if ctx.Done() != nil {
		defer interrupt(ctx, w.c.NetConn().SetWriteDeadline)()
	}
	return convertErr(w.c.WriteMessage(websocket.BinaryMessage, data))
}

func (w *gorillaConn) ping(ctx context.Context) error {
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
		return convertErr(err)
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

func (w *gorillaConn) close(code int, reason string) {
	w.closeOnce.Do(func() {
		defer w.c.Close()
		if code == StatusAbnormal {
			return
		}
		deadline := time.Now().Add(closeWait)
		msg := websocket.FormatCloseMessage(code, reason)
		if err := w.c.WriteControl(websocket.CloseMessage, msg, deadline); err != nil {
			return
		}
		// Wait for the peer's close frame: read sees it if it is
		// running; if not, read it here. A Request caller that holds
		// the read role only reads what is buffered, and its waits were
		// interrupted (shutdown does that first), so it lets go of the
		// lock at once and no reader goroutine comes after it.
		locked := w.readMu.TryLock()
		if !locked && w.fc != nil && w.fc.callerReads.Load() {
			// The deadline also bounds a caller that somehow keeps
			// waiting.
			_ = w.c.NetConn().SetReadDeadline(deadline)
			w.readMu.Lock()
			locked = true
		}
		if locked {
			defer w.readMu.Unlock()
			_ = w.c.NetConn().SetReadDeadline(deadline)
			for {
				if _, _, err := w.c.NextReader(); err != nil {
					w.readFailed()
					return
				}
			}
		}
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case <-w.readDone:
		case <-t.C:
		}
	})
}

func (w *gorillaConn) tlsState() tls.ConnectionState { return w.ts }

func (w *gorillaConn) waiter() *frameConn { return w.fc }

func (w *gorillaConn) wait(limit int) error {
	w.readMu.Lock()
	defer w.readMu.Unlock()
	return w.fc.waitMessage(limit)
}

// convertErr turns a received close frame into a *wsCloseError.
func convertErr(err error) error {
	if err == nil {
		return nil // without the allocation of errors.As's target
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &wsCloseError{code: ce.Code, reason: ce.Text}
	}
	return err
}

// readAhead is the size of readMessage's first buffer for a message
// that announces more: what a peer makes us allocate by announcing a
// length it does not send. Past it, buffers grow eightfold as the data
// arrives, so the memory held stays within about eight times what was
// received (and within protocol.MaxMessageSize). 2 MiB holds a block or
// a batch of transactions in one buffer; with 256 KiB, a 1 MiB message
// cost a second allocation and a copy, and bulk transfers ran about
// 15 % slower (BENCHMARKS.md). The price is what a peer that stalls
// after a header can hold: 2 MiB per connection instead of 256 KiB.
const readAhead = 2 << 20

// readMessage reads one WebSocket message, normally a Chia Message, from
// r. A Message starts with its own length, so a well-formed one is read
// into a buffer of its exact size instead of one grown by copying: one
// allocation and no extra copy for a message up to readAhead bytes, and
// for a longer one buffers that grow eightfold as the data arrives, so
// that announcing a length is not enough to make us allocate it. Whatever
// the header says, the result is the message's bytes, exactly: a short
// or overlong message is returned whole (the decoder rejects it), and one
// over protocol.MaxMessageSize gives errWSTooBig.
func readMessage(r io.Reader) ([]byte, error) {
	var hdr [8]byte // type, id presence, id (if present), data length
	hlen := 6
	n, err := io.ReadFull(r, hdr[:hlen])
	if err == nil && hdr[1] == 1 {
		hlen = 8
		var m int
		m, err = io.ReadFull(r, hdr[6:hlen])
		n += m
	}
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return append([]byte{}, hdr[:n]...), nil
	case err != nil:
		return nil, err
	case hdr[1] > 1:
		return readRest(r, append([]byte{}, hdr[:hlen]...))
	}
	total := uint64(hlen) + uint64(binary.BigEndian.Uint32(hdr[hlen-4:hlen]))
	if total > protocol.MaxMessageSize {
		return readRest(r, append([]byte{}, hdr[:hlen]...))
	}
	buf := make([]byte, min(int(total), readAhead))
	off := copy(buf, hdr[:hlen])
	for {
		n, err := io.ReadFull(r, buf[off:])
		off += n
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return buf[:off], nil
		case err != nil:
			return nil, err
		}
		if off == int(total) {
			break
		}
		grown := make([]byte, min(int(total), 8*len(buf)))
		copy(grown, buf)
		buf = grown
	}
	var one [1]byte
	switch _, err := io.ReadFull(r, one[:]); {
	case err == io.EOF:
		return buf, nil
	case err != nil:
		return nil, err
	}
	return readRest(r, append(buf, one[0]))
}

// readRest reads the rest of a message that starts with prefix.
func readRest(r io.Reader, prefix []byte) ([]byte, error) {
	rest, err := io.ReadAll(io.LimitReader(r, int64(protocol.MaxMessageSize+1-len(prefix))))
	if err != nil {
		return nil, err
	}
	data := append(prefix, rest...)
	if len(data) > protocol.MaxMessageSize {
		return nil, errWSTooBig
	}
	return data, nil
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
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := cfg.dial(ctx, network, addr)
		if err == nil {
			mu.Lock()
			sock = c
			mu.Unlock()
		}
		return c, err
	}
	var fc *frameConn
	dialTLS := func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(raw, cfg.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		fc = newFrameConn(tc)
		return fc, nil
	}
	d := &websocket.Dialer{
		NetDialTLSContext: dialTLS,
		ReadBufferSize:    readBufferSize,
		WriteBufferSize:   writeBufferSize,
		WriteBufferPool:   writeBuffers,
	}
	c, resp, err := d.DialContext(ctx, cfg.url, nil)
	if err != nil {
		return nil, nil, dialError(ctx, resp, err)
	}
	tc := fc.Conn.(*tls.Conn)
	w := newGorillaConn(c, tc.ConnectionState(), cfg.opts)
	w.fc = fc
	return w, tc.RemoteAddr(), nil
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
	WriteBufferSize: writeBufferSize,
	WriteBufferPool: writeBuffers,
}

// acceptWS upgrades an HTTP request to a WebSocket.
func acceptWS(w http.ResponseWriter, r *http.Request, opts wsOptions) (wsConn, error) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil, err
	}
	return newGorillaConn(c, *r.TLS, opts), nil
}
