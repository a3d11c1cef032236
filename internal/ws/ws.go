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
	// Write sends data as one binary message.
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
// normally a Chia Message, from r. A Message starts with its own length,
// so a well-formed one is read into a buffer of its exact size: one
// allocation and no extra copy up to readAhead bytes, and for a longer one
// buffers that grow eightfold as the data arrives, so that announcing a
// length is not enough to make us allocate it. Whatever the header says,
// the result is the message's bytes, exactly: a short or overlong message
// is returned whole (the decoder rejects it); one whose header announces
// more than limit, or that turns out longer, gives ErrTooBig.
func ReadMessage(r io.Reader, limit int) ([]byte, error) {
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
		return readRest(r, append([]byte{}, hdr[:hlen]...), limit)
	}
	total := uint64(hlen) + uint64(binary.BigEndian.Uint32(hdr[hlen-4:hlen]))
	if total > uint64(limit) {
		return nil, ErrTooBig
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
	return readRest(r, append(buf, one[0]), limit)
}

// readRest reads the rest of a message that starts with prefix.
func readRest(r io.Reader, prefix []byte, limit int) ([]byte, error) {
	if len(prefix) > limit {
		return nil, ErrTooBig
	}
	rest, err := io.ReadAll(io.LimitReader(r, int64(limit+1-len(prefix))))
	if err != nil {
		return nil, err
	}
	data := append(prefix, rest...)
	if len(data) > limit {
		return nil, ErrTooBig
	}
	return data, nil
}

// aLongTimeAgo is a deadline in the past, to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)
