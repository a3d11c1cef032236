package ws

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Conn is one WebSocket connection carrying binary messages.
type Conn interface {
	// Read returns the next data message; binary is false for a text
	// message, whose data is not read. Errors are *CloseError when the
	// peer closed, ErrTooBig for a message over the read limit (the
	// caller closes with 1009; the library may have sent it already), anything else when the
	// connection broke. One goroutine at a time may call it.
	Read() (binary bool, data []byte, err error)
	// Write sends data as one binary message, in frames of at most
	// MaxFrame bytes.
	Write(data []byte) error
	// Ping sends a ping and waits for its pong or the end of ctx.
	Ping(ctx context.Context) error
	// Close sends a close frame with code and reason and waits, up to
	// CloseWait, for the peer's; CloseAbnormal closes the socket without
	// a close frame. Only the first call has an effect. It ends a Read
	// blocked in another goroutine.
	Close(code int, reason string)
	// SetReadLimit sets the largest message Read accepts, checked at the
	// frame header, before the payload is read.
	SetReadLimit(n int)
	// TLS returns the state of the TLS connection under the WebSocket.
	TLS() tls.ConnectionState
}

// Library dials and accepts Conns with one WebSocket implementation.
type Library interface {
	// Dial opens a WebSocket to cfg.URL over TLS and returns it with the
	// socket's remote address.
	Dial(ctx context.Context, cfg DialConfig) (Conn, net.Addr, error)
	// Accept upgrades an HTTP request (over TLS) to a WebSocket.
	Accept(w http.ResponseWriter, r *http.Request, opts Options) (Conn, error)
}

// Options are the settings shared by both sides.
type Options struct {
	// OnControl, if set, is called synchronously for every ping or pong
	// received, so it must be quick.
	OnControl func()
	// ReadLimit is the initial read limit (see Conn.SetReadLimit); zero
	// means no limit.
	ReadLimit int
	// CheckHeader, if set, is called with the type and announced data
	// length of each well-formed Chia message header, before anything is
	// allocated for the message; an error ends Read with that error.
	CheckHeader func(msgType uint8, dataLen int) error
	// Budget, if set, bounds the bytes of large messages being received
	// across every connection that shares it.
	Budget *Budget
}

// DialConfig is what Library.Dial needs.
type DialConfig struct {
	// URL is the wss:// URL to dial.
	URL string
	// TLS is the client's TLS configuration.
	TLS *tls.Config
	// Dial opens the TCP connection.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Options apply to the connection.
	Options
}

// CloseAbnormal (1006) is never sent: Close with it drops the socket
// without a close frame, and a peer that vanished without one is reported
// with it.
const CloseAbnormal = 1006

// CloseWait bounds how long Close waits for the peer's close frame.
const CloseWait = 5 * time.Second

// MaxFrame is the largest WebSocket frame Write sends. A message up to
// this size goes out as one frame, as the reference sends every message;
// a larger one is split into frames of this size. Light clients built on
// Rust's tungstenite (chia-wallet-sdk) refuse frames over 16 MiB by
// default, although they accept whole messages of up to 64 MiB (transport
// spec §8), so a reference node's single-frame respond_blocks of 20 MiB
// ends their connection; every receiver reassembles fragments.
const MaxFrame = 16 << 20

// CloseError reports a close frame received from the peer.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket closed by peer: %d %q", e.Code, e.Reason)
}

// ErrTooBig is Read's error for a message over the read limit.
var ErrTooBig = errors.New("websocket message too big")

// readAhead is the size of ReadMessage's first buffer for a message that
// announces more: what a peer makes us allocate by announcing a length it
// does not send. Past it, buffers grow eightfold as the data arrives, so
// the memory held stays within about eight times what was received. 2 MiB
// holds a block or a batch of transactions in one buffer (with 256 KiB,
// bulk transfers of 1 MiB messages ran about 15 % slower).
const readAhead = 2 << 20

// ReadMessage reads one WebSocket message of at most limit bytes,
// normally a Chia Message, from r; see reader.read.
func ReadMessage(r io.Reader, limit int) ([]byte, error) {
	return reader{limit: limit}.read(r)
}

// reader is what one connection applies to the messages it reads.
type reader struct {
	limit  int
	check  func(msgType uint8, dataLen int) error
	budget *Budget
	stop   <-chan struct{} // ends a wait for the budget
}

// read reads one message from r. A Message starts with its own length,
// so a well-formed one is read into a buffer of its exact size: one
// allocation and no extra copy up to readAhead bytes, and for a longer one
// buffers that grow eightfold as the data arrives, so that announcing a
// length is not enough to make us allocate it. A header announcing more
// than limit gives ErrTooBig and one that check refuses gives check's
// error, both before anything after the header is read; a message of
// budgetMin bytes or more first reserves its announced size in the
// budget, waiting while it is spent. Whatever a well-formed header says,
// the result is the message's bytes, exactly, for a well-formed message,
// and enough of them for the decoder to reject any other: what arrived of
// a short one, the header of one whose id-presence byte is not 0 or 1, one
// byte past the announced end of an overlong one.
func (rd reader) read(r io.Reader) ([]byte, error) {
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
		// Not a Message: the header is enough for the decoder to reject.
		return append([]byte{}, hdr[:hlen]...), nil
	}
	dataLen := binary.BigEndian.Uint32(hdr[hlen-4 : hlen])
	total := uint64(hlen) + uint64(dataLen)
	if total > uint64(rd.limit) {
		return nil, ErrTooBig
	}
	if rd.check != nil {
		if err := rd.check(hdr[0], int(dataLen)); err != nil {
			return nil, err
		}
	}
	if rd.budget != nil && total >= budgetMin {
		if !rd.budget.reserve(int64(total), rd.stop) {
			return nil, net.ErrClosed
		}
		defer rd.budget.release(int64(total))
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
	// One byte past the announced end is enough for the decoder to
	// reject a message longer than its header says.
	var one [1]byte
	switch _, err := io.ReadFull(r, one[:]); {
	case err == io.EOF:
		return buf, nil
	case err != nil:
		return nil, err
	}
	return append(buf, one[0]), nil
}

// budgetMin is the smallest message that reserves its size in a Budget.
// Smaller ones need no reservation: each connection reads one message at
// a time, so they hold at most budgetMin bytes per connection.
const budgetMin = 64 << 10

// Budget bounds the memory of the large messages being received across
// the connections that share it: a message of budgetMin bytes or more
// reserves its announced size before anything is allocated for it and
// gives it back once received, and a reservation that would take the
// total over the limit waits until enough is given back or its
// connection closes. A single message larger than the whole limit is let
// through when nothing else is reserved, so no limit blocks a valid
// message forever. A Budget is safe for concurrent use.
type Budget struct {
	mu          sync.Mutex
	limit, used int64
	freed       chan struct{} // closed and replaced when bytes are given back
}

// NewBudget returns a Budget of limit bytes.
func NewBudget(limit int64) *Budget {
	return &Budget{limit: limit, freed: make(chan struct{})}
}

// Used returns the bytes reserved now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// reserve takes n bytes, waiting while they are not available; it
// returns false, having taken nothing, once stop is closed.
func (b *Budget) reserve(n int64, stop <-chan struct{}) bool {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.limit {
			b.used += n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-stop:
			return false
		}
	}
}

// release gives back n bytes.
func (b *Budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// aLongTimeAgo is a deadline in the past, to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)
