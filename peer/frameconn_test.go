package peer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"testing/synctest"
)

// wsFrame encodes one unmasked (server to client) WebSocket frame.
func wsFrame(op byte, fin bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var h []byte
	switch n := len(payload); {
	case n < 126:
		h = []byte{b0, byte(n)}
	case n < 1<<16:
		h = binary.BigEndian.AppendUint16([]byte{b0, 126}, uint16(n))
	default:
		h = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	}
	return append(h, payload...)
}

// chunkConn is a net.Conn whose reads return data in the given chunks,
// then io.EOF; it counts what it handed out.
type chunkConn struct {
	net.Conn // nil: only Read is used
	chunks   [][]byte
	read     int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	for len(c.chunks) > 0 && len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	c.read += n
	return n, nil
}

// split cuts b into chunks of the sizes next returns.
func split(b []byte, next func() int) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := min(next(), len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

const testHTTPResponse = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Note: a\r\rb\r\n\r\n"

// testStream is an HTTP response and frames of every kind the library
// meets, with the offsets where each part ends.
func testStream() (stream []byte, ends []int) {
	parts := [][]byte{
		[]byte(testHTTPResponse),
		wsFrame(2, true, []byte("hello")),
		wsFrame(9, true, []byte("pi")),
		wsFrame(2, false, []byte("abc")),
		wsFrame(10, true, nil),
		wsFrame(0, true, []byte("defg")),
		wsFrame(2, true, bytes.Repeat([]byte{7}, 200)),
		wsFrame(2, true, bytes.Repeat([]byte{8}, 70000)),
		wsFrame(8, true, []byte{3, 232}),
	}
	for _, p := range parts {
		stream = append(stream, p...)
		ends = append(ends, len(stream))
	}
	return stream, ends
}

// TestFrameConnReadBoundaries checks that however the bytes arrive and
// however much the reader asks for, a read never hands over bytes past
// the end of the HTTP response or of a frame, and the stream comes out
// intact.
func TestFrameConnReadBoundaries(t *testing.T) {
	stream, ends := testStream()
	rng := rand.New(rand.NewPCG(1, 2))
	chunkings := map[string]func() int{
		"whole":  func() int { return len(stream) },
		"bytes":  func() int { return 1 },
		"random": func() int { return 1 + rng.IntN(3000) },
	}
	for name, next := range chunkings {
		for _, bufSize := range []int{1, 7, 4096, 1 << 20} {
			fc := newFrameConn(&chunkConn{chunks: split(stream, next)})
			var got []byte
			p := make([]byte, bufSize)
			for {
				n, err := fc.Read(p)
				off := len(got)
				for _, e := range ends {
					if off < e && e < off+n {
						t.Fatalf("%s/%d: a read of [%d,%d) crosses the boundary at %d", name, bufSize, off, off+n, e)
					}
				}
				got = append(got, p[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s/%d: %v", name, bufSize, err)
				}
			}
			if !bytes.Equal(got, stream) {
				t.Fatalf("%s/%d: stream changed (%d bytes of %d)", name, bufSize, len(got), len(stream))
			}
		}
	}
}

// readThrough reads from fc until the stream offset reaches end.
func readThrough(t *testing.T, fc *frameConn, off *int, end int) {
	t.Helper()
	p := make([]byte, 512)
	for *off < end {
		n, err := fc.Read(p[:min(len(p), end-*off)])
		if err != nil {
			t.Fatalf("reading to %d: %v", end, err)
		}
		*off += n
	}
}

// TestFrameConnWaitMessage checks that waitMessage returns exactly when
// the next whole message (with the control frames before it, and every
// fragment) is buffered, never reading further, and refuses what is over
// its limit without losing bytes.
func TestFrameConnWaitMessage(t *testing.T) {
	stream, ends := testStream()
	src := &chunkConn{chunks: split(stream, func() int { return 1 })}
	fc := newFrameConn(src)
	off := 0
	if err := fc.waitMessage(1 << 20); !errors.Is(err, errTooLong) {
		t.Fatalf("waitMessage before the HTTP response was read: %v, want errTooLong", err)
	}
	readThrough(t, fc, &off, ends[0])

	// Each wait must read up to the end of the next message and no
	// further (the source hands out one byte per read), or stop after a
	// ping or pong that the message after it does not follow whole, for
	// the library to handle it at once.
	steps := []struct {
		want error
		end  int
	}{
		{nil, ends[1]},        // hello
		{errControl, ends[2]}, // the ping
		{errControl, ends[4]}, // a first fragment, then the pong
		{nil, ends[5]},        // the last fragment
		{nil, ends[6]},        // 200 bytes
	}
	for i, s := range steps {
		if err := fc.waitMessage(1 << 20); !errors.Is(err, s.want) && err != s.want {
			t.Fatalf("step %d: waitMessage: %v, want %v", i, err, s.want)
		}
		if src.read != s.end {
			t.Fatalf("step %d: waitMessage read to %d, want %d", i, src.read, s.end)
		}
		readThrough(t, fc, &off, s.end)
	}

	// The 70000-byte message is over a 1 KiB limit: refused after its
	// header, and still read intact the ordinary way.
	if err := fc.waitMessage(1 << 10); !errors.Is(err, errTooLong) {
		t.Fatalf("waitMessage over the limit: %v, want errTooLong", err)
	}
	if src.read > ends[6]+10 {
		t.Fatalf("a refused wait read %d bytes past the header", src.read-ends[6]-10)
	}
	readThrough(t, fc, &off, ends[7])

	// A close frame counts as a message.
	if err := fc.waitMessage(1 << 20); err != nil || src.read != ends[8] {
		t.Fatalf("waitMessage for the close frame: %v after %d bytes, want nil after %d", err, src.read, ends[8])
	}
	readThrough(t, fc, &off, ends[8])

	// The end of the stream.
	if err := fc.waitMessage(1 << 20); !errors.Is(err, io.EOF) {
		t.Fatalf("waitMessage at the end: %v, want io.EOF", err)
	}
}

// TestFrameConnHostileLengths checks the lengths a hostile peer may
// announce: a 64-bit length no buffer may hold, and a header cut short
// before the end of the stream.
func TestFrameConnHostileLengths(t *testing.T) {
	huge := binary.BigEndian.AppendUint64([]byte{0x82, 127}, 1<<62)
	fc := newFrameConn(&chunkConn{chunks: [][]byte{huge}})
	fc.http = false
	if err := fc.waitMessage(1 << 30); !errors.Is(err, errTooLong) {
		t.Fatalf("waitMessage with a 2^62 length: %v, want errTooLong", err)
	}
	if len(fc.buf) > frameConnBuffer {
		t.Fatalf("buffer grew to %d bytes", len(fc.buf))
	}
	// Read hands the whole header over, for the library to reject.
	p := make([]byte, 64)
	n, err := fc.Read(p)
	if err != nil || !bytes.Equal(p[:n], huge) {
		t.Fatalf("Read = %x, %v; want the header %x", p[:n], err, huge)
	}

	fc = newFrameConn(&chunkConn{chunks: [][]byte{{0x82, 127, 0, 0}}})
	fc.http = false
	if err := fc.waitMessage(1 << 20); !errors.Is(err, io.EOF) {
		t.Fatalf("waitMessage on a truncated header: %v, want io.EOF", err)
	}
}

// TestFrameConnInterrupt checks that interrupt ends a wait blocked on the
// socket, or the next one, that the bytes read before it are kept, and
// that a wait after resetInterrupt blocks again and completes.
func TestFrameConnInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := bufPipe()
		defer a.Close()
		defer b.Close()
		fc := newFrameConn(a)
		fc.http = false
		msg := wsFrame(2, true, []byte("a message cut in two"))

		waited := make(chan error, 1)
		wait := func() {
			go func() { waited <- fc.waitMessage(1 << 20) }()
		}
		wait()
		synctest.Wait()
		select {
		case err := <-waited:
			t.Fatalf("waitMessage returned %v with nothing sent", err)
		default:
		}
		fc.interrupt()
		if err := <-waited; !errors.Is(err, errInterrupted) {
			t.Fatalf("interrupted wait: %v", err)
		}

		// Still interrupted until reset; half a message then arrives.
		if err := fc.waitMessage(1 << 20); !errors.Is(err, errInterrupted) {
			t.Fatalf("wait before resetInterrupt: %v", err)
		}
		fc.resetInterrupt()
		if _, err := b.Write(msg[:9]); err != nil {
			t.Fatal(err)
		}
		wait()
		synctest.Wait()
		fc.interrupt()
		if err := <-waited; !errors.Is(err, errInterrupted) {
			t.Fatalf("wait interrupted mid-message: %v", err)
		}

		// The rest arrives: a new wait (deadline cleared) completes and
		// the message is whole.
		fc.resetInterrupt()
		wait()
		synctest.Wait()
		if _, err := b.Write(msg[9:]); err != nil {
			t.Fatal(err)
		}
		if err := <-waited; err != nil {
			t.Fatalf("wait after reset: %v", err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(fc, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message = %q, %v; want %q", got, err, msg)
		}
	})
}

// FuzzFrameConn feeds arbitrary server bytes, cut into arbitrary chunks,
// through frameConn the way readers use it (waits between reads) and
// checks that the bytes come out unchanged, that a successful wait left a
// whole message buffered, and that no wait grows the buffer past what its
// limit allows.
func FuzzFrameConn(f *testing.F) {
	stream, _ := testStream()
	f.Add(stream[:400], uint8(0), uint16(1<<15))
	f.Add(stream[:300], uint8(1), uint16(100))
	f.Add(stream[len(testHTTPResponse)-4:len(testHTTPResponse)+300], uint8(5), uint16(300))
	f.Add([]byte("HTTP/1.1 101 x\n\n\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff"), uint8(2), uint16(64))
	f.Add([]byte("\n\n\x89\x02ab\x02\x03abc\x80\x01d"), uint8(0), uint16(64))
	f.Add([]byte("\n\n0"), uint8('$'), uint16(64)) // a stream that ends inside a frame header
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, limit uint16) {
		fc := newFrameConn(&chunkConn{chunks: split(data, func() int { return int(chunk)%19 + 1 })})
		p := make([]byte, 97)
		var got []byte
		for i := 0; ; i++ {
			if i > 2*len(data)+4 {
				t.Fatalf("no end after %d reads of %d bytes", i, len(data))
			}
			// Waits now and then, as callers come: a wait may scan all
			// that is buffered, and only a caller that waits again after
			// every read (none does: a failed wait ends its reading)
			// would make that quadratic.
			if i%16 == 0 {
				err := fc.waitMessage(int(limit))
				if err == nil {
					// From the read position, frames up to a final data
					// frame or a close frame are all buffered.
					pos := fc.r
					for {
						hlen, plen, ok := frameHeader(fc.buf[pos:fc.w])
						if !ok || plen < 0 || pos+hlen+plen > fc.w {
							t.Fatalf("wait returned with an incomplete frame buffered at %d", pos)
						}
						op := fc.buf[pos] & 0x0f
						pos += hlen + plen
						if op == 8 || op < 8 && fc.buf[pos-hlen-plen]&0x80 != 0 {
							break
						}
					}
				}
				if max := 2 * (int(limit) + 16 + frameConnBuffer); len(fc.buf) > max {
					t.Fatalf("buffer of %d bytes for a limit of %d", len(fc.buf), limit)
				}
			}
			n, err := fc.Read(p)
			got = append(got, p[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if n == 0 {
				t.Fatal("Read returned nothing and no error")
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes came out of %d, or changed", len(got), len(data))
		}
	})
}
