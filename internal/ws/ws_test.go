package ws

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/chianet/chianet/protocol"
)

// TestReadMessage checks that ReadMessage returns exactly the bytes of
// the message whatever its header claims, in one buffer of the exact
// size for a well-formed message, and ErrTooBig only for a message
// that really is over protocol.MaxMessageSize.
func TestReadMessage(t *testing.T) {
	msg := func(hasID bool, data []byte) []byte {
		m := protocol.Message{Type: protocol.MsgRespondBlocks, HasID: hasID, ID: 7, Data: data}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	big := bytes.Repeat([]byte{0xa5}, 3*readAhead+5)
	cases := []struct {
		name  string
		in    []byte
		exact bool // the buffer's capacity is its length
	}{
		{"empty", []byte{}, false},
		{"type only", []byte{30}, false},
		{"cut in the id", []byte{30, 1, 0}, false},
		{"no id, no data", msg(false, nil), true},
		{"id, small", msg(true, []byte("abc")), true},
		{"over readAhead", msg(true, big), true},
		{"presence byte 2", append([]byte{30, 2}, msg(false, []byte("xyz"))[2:]...), false},
		{"shorter than its length", msg(false, []byte("abcdef"))[:9], false},
		{"longer than its length", append(msg(false, []byte("abc")), 1, 2, 3), false},
	}
	for _, c := range cases {
		for _, r := range []struct {
			name string
			r    func(io.Reader) io.Reader
		}{{"whole", func(r io.Reader) io.Reader { return r }}, {"bytewise", iotest.OneByteReader}} {
			t.Run(c.name+"/"+r.name, func(t *testing.T) {
				got, err := ReadMessage(r.r(bytes.NewReader(c.in)), protocol.MaxMessageSize)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, c.in) {
					t.Fatalf("read %d bytes, want the %d of the message", len(got), len(c.in))
				}
				if c.exact && cap(got) != len(got) {
					t.Errorf("capacity %d for %d bytes", cap(got), len(got))
				}
			})
		}
	}

	t.Run("announced over the limit", func(t *testing.T) {
		// Refused at the header: nothing after it is read.
		for _, hdr := range [][]byte{
			{30, 0, 0xff, 0xff, 0xff, 0xff},
			{30, 1, 0, 9, 0, 0, 1, 1},
		} {
			rest := bytes.NewReader(make([]byte, 1000))
			if _, err := ReadMessage(io.MultiReader(bytes.NewReader(hdr), rest), 256); err != ErrTooBig {
				t.Fatalf("header % x: err = %v, want ErrTooBig", hdr, err)
			}
			if rest.Len() != 1000 {
				t.Fatalf("header % x: %d bytes read past the header", hdr, 1000-rest.Len())
			}
		}
	})
	t.Run("too big", func(t *testing.T) {
		hdr := []byte{30, 0, 0, 0, 0, 0}
		r := io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeros{}, protocol.MaxMessageSize))
		if _, err := ReadMessage(r, protocol.MaxMessageSize); err != ErrTooBig {
			t.Fatalf("err = %v, want ErrTooBig", err)
		}
	})
	t.Run("announced, not sent", func(t *testing.T) {
		// A header announcing 40 MiB followed by 10 bytes: the buffer
		// stays within readAhead of what arrived.
		hdr := []byte{30, 0, 0x02, 0x80, 0, 0}
		r := io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(make([]byte, 10)))
		got, err := ReadMessage(r, protocol.MaxMessageSize)
		if err != nil || len(got) != len(hdr)+10 {
			t.Fatalf("ReadMessage: %d bytes, %v", len(got), err)
		}
		if cap(got) > readAhead {
			t.Fatalf("allocated %d bytes for 16 received", cap(got))
		}
		// Past the read-ahead, buffers stay within 8x what arrived.
		const sent = readAhead + 1000
		r = io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(make([]byte, sent)))
		got, err = ReadMessage(r, protocol.MaxMessageSize)
		if err != nil || len(got) != len(hdr)+sent {
			t.Fatalf("ReadMessage: %d bytes, %v", len(got), err)
		}
		if cap(got) > 8*readAhead {
			t.Fatalf("allocated %d bytes for %d received", cap(got), len(got))
		}
	})
	t.Run("broken connection", func(t *testing.T) {
		broken := errors.New("broken")
		in := msg(false, bytes.Repeat([]byte{1}, 100))
		r := io.MultiReader(bytes.NewReader(in[:50]), iotest.ErrReader(broken))
		if _, err := ReadMessage(r, protocol.MaxMessageSize); err != broken {
			t.Fatalf("err = %v, want %v", err, broken)
		}
	})
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }
