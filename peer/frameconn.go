package peer

import (
	"encoding/binary"
	"errors"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// frameConn sits between the WebSocket library and the TLS connection of
// a dialled peer. It hands the library the HTTP response only up to its
// end, and after it WebSocket frames only up to the end of each, so that
// between two messages every byte received and not yet read is in its
// own buffer. A Request caller can then wait there until the whole next
// message has arrived (waitMessage) and give up waiting when its context
// ends, without the library ever seeing the interrupted read (which would
// make it fail the connection); crypto/tls keeps its state across a read
// that timed out.
type frameConn struct {
	net.Conn // the TLS connection

	buf  []byte // unread bytes are buf[r:w]
	r, w int
	// http is set while the HTTP response is being read; matched tracks
	// how much of the empty line that ends it has been seen.
	http    bool
	matched int
	// left is what remains to hand over of the current frame; 0 at a
	// frame boundary.
	left int

	// callerReads is set while a Request caller holds the read role
	// (readrole.go), for close.
	callerReads atomic.Bool

	imu         sync.Mutex
	waiting     bool // waitMessage is blocked in a read
	interrupted bool // interrupt was called during this wait
}

// frameConnBuffer is the initial size of a frameConn's buffer: it holds
// a frame header, the small messages of request/reply traffic and, with
// the library's 1 KiB reader above it, costs an idle connection 1 KiB.
const frameConnBuffer = 1 << 10

// newFrameConn wraps c, whose next bytes are an HTTP response.
func newFrameConn(c net.Conn) *frameConn {
	return &frameConn{Conn: c, http: true}
}

// errTooLong is waitMessage's error for a message it will not buffer.
var errTooLong = errors.New("peer: next message too long to wait for")

// errControl is waitMessage's error when a ping or pong came before a
// message that has not arrived whole: the library must handle it now
// (answer the ping, note the pong), not after the message.
var errControl = errors.New("peer: control frame before an incomplete message")

// errInterrupted is waitMessage's error after interrupt.
var errInterrupted = errors.New("peer: wait interrupted")

// fill reads more bytes into the buffer, growing it when full.
func (c *frameConn) fill() error {
	if c.r == c.w {
		c.r, c.w = 0, 0
		if len(c.buf) > frameConnBuffer {
			c.buf = nil // a long message's buffer is not kept
		}
	}
	if c.w == len(c.buf) {
		if c.r > 0 {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		} else {
			grown := make([]byte, max(frameConnBuffer, 2*len(c.buf)))
			copy(grown, c.buf[:c.w])
			c.buf = grown
		}
	}
	n, err := c.Conn.Read(c.buf[c.w:])
	c.w += n
	if n > 0 {
		return nil
	}
	return err
}

// frameHeader parses the WebSocket frame header at the start of b. It
// returns the header length and the payload length, or ok false if b
// does not hold the whole header yet. A payload length that does not fit
// an int is returned as -1 (the library rejects the frame).
func frameHeader(b []byte) (hlen, plen int, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	hlen = 2
	plen = int(b[1] & 0x7f)
	switch plen {
	case 126:
		hlen += 2
	case 127:
		hlen += 8
	}
	if b[1]&0x80 != 0 {
		hlen += 4 // masking key
	}
	if len(b) < hlen {
		return 0, 0, false
	}
	switch plen {
	case 126:
		plen = int(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		n := binary.BigEndian.Uint64(b[2:10])
		if n > 1<<40 || n > uint64(math.MaxInt-hlen) {
			return hlen, -1, true
		}
		plen = int(n)
	}
	return hlen, plen, true
}

// Read hands over buffered bytes, reading more when there are none, but
// never past the end of the HTTP response or of the current frame.
func (c *frameConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.r == c.w && c.left >= len(c.buf) && len(p) >= len(c.buf) && !c.http {
		// Inside a long frame with nothing buffered: read straight into
		// p, without a copy, but not past the frame.
		n, err := c.Conn.Read(p[:min(len(p), c.left)])
		c.left -= n
		return n, err
	}
	if c.r == c.w {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	if c.http {
		n := 0
		for n < len(p) && c.r+n < c.w {
			b := c.buf[c.r+n]
			n++
			// The response ends with an empty line; a line ends with
			// "\n", optionally after "\r" (as net/textproto reads it).
			switch {
			case b == '\n' && c.matched > 0:
				c.matched = 3 // the empty line
			case b == '\n':
				c.matched = 1 // a line end
			case b == '\r' && c.matched == 1:
				c.matched = 2 // a line end, then "\r"
			default:
				c.matched = 0
			}
			if c.matched == 3 {
				c.http = false
				break
			}
		}
		copy(p, c.buf[c.r:c.r+n])
		c.r += n
		return n, nil
	}
	if c.left == 0 {
		for {
			hlen, plen, ok := frameHeader(c.buf[c.r:c.w])
			if ok {
				c.left = hlen + plen
				if plen < 0 {
					c.left = c.w - c.r // the library fails on the header
				}
				break
			}
			if err := c.fill(); err != nil {
				if c.r < c.w {
					// The stream ended inside a header: hand over what
					// came, so the library sees a truncated frame.
					n := copy(p, c.buf[c.r:c.w])
					c.r += n
					return n, nil
				}
				return 0, err
			}
		}
	}
	n := copy(p, c.buf[c.r:min(c.w, c.r+c.left)])
	c.r += n
	c.left -= n
	return n, nil
}

// waitMessage waits until the buffer holds the whole next message (with
// any control frames before it), reading as needed; the library can then
// read it without blocking. It must be called between messages, by the
// one goroutine that reads. It returns errTooLong when the message would
// take more than limit bytes (it is then read the ordinary way),
// errControl when a ping or pong is buffered but the message after it is
// not, errInterrupted after interrupt, or the error of the connection.
func (c *frameConn) waitMessage(limit int) error {
	if c.http || c.left != 0 {
		return errTooLong // not between messages
	}
	pos := c.r
	control := false
	for {
		hlen, plen, ok := frameHeader(c.buf[pos:c.w])
		if ok {
			end := pos + hlen + plen
			if plen < 0 || end-c.r > limit {
				return errTooLong
			}
			if end <= c.w {
				op := c.buf[pos] & 0x0f
				if op == 8 || op < 8 && c.buf[pos]&0x80 != 0 {
					return nil // a close frame, or the final frame of a message
				}
				control = control || op >= 8
				pos = end // a ping or pong, or a data frame that continues
				continue
			}
		} else if pos+14 > c.r+limit {
			return errTooLong
		}
		if control {
			return errControl
		}
		off := pos - c.r
		if err := c.waitFill(); err != nil {
			return err
		}
		pos = c.r + off // fill may have moved the bytes
	}
}

// waitFill is fill for waitMessage: interrupt makes it return
// errInterrupted, with whatever it read kept.
func (c *frameConn) waitFill() error {
	c.imu.Lock()
	if c.interrupted {
		c.imu.Unlock()
		return errInterrupted
	}
	c.waiting = true
	c.imu.Unlock()
	err := c.fill()
	c.imu.Lock()
	c.waiting = false
	stopped := c.interrupted
	c.imu.Unlock()
	if stopped {
		_ = c.Conn.SetReadDeadline(time.Time{})
		return errInterrupted
	}
	return err
}

// resetInterrupt forgets earlier calls of interrupt; a caller calls it
// before it arranges for its own.
func (c *frameConn) resetInterrupt() {
	c.imu.Lock()
	c.interrupted = false
	c.imu.Unlock()
}

// interrupt ends the current or next waitMessage with errInterrupted (a
// late call may end a later caller's wait, who then waits again); it may
// be called from any goroutine.
func (c *frameConn) interrupt() {
	c.imu.Lock()
	defer c.imu.Unlock()
	c.interrupted = true
	if c.waiting {
		_ = c.Conn.SetReadDeadline(aLongTimeAgo)
	}
}
