package peer

// Tests of what wsconn.go does beyond passing calls to the library: the
// exact-size message reads behind the bulk numbers of
// bench_transport_test.go, and the cancellation of a dial that the
// library would not interrupt by itself.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/iotest"
	"time"

	"github.com/chianet/chianet/protocol"
)

// TestReadMessage checks that readMessage returns exactly the bytes of
// the message whatever its header claims, in one buffer of the exact
// size for a well-formed message, and errWSTooBig only for a message
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
		{"length over the limit", []byte{30, 0, 0xff, 0xff, 0xff, 0xff, 1, 2}, false},
	}
	for _, c := range cases {
		for _, r := range []struct {
			name string
			r    func(io.Reader) io.Reader
		}{{"whole", func(r io.Reader) io.Reader { return r }}, {"bytewise", iotest.OneByteReader}} {
			t.Run(c.name+"/"+r.name, func(t *testing.T) {
				got, err := readMessage(r.r(bytes.NewReader(c.in)))
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

	t.Run("too big", func(t *testing.T) {
		hdr := []byte{30, 0, 0, 0, 0, 0}
		r := io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeros{}, protocol.MaxMessageSize))
		if _, err := readMessage(r); err != errWSTooBig {
			t.Fatalf("err = %v, want errWSTooBig", err)
		}
	})
	t.Run("announced, not sent", func(t *testing.T) {
		// A header announcing 40 MiB followed by 10 bytes: the buffer
		// stays within readAhead of what arrived.
		hdr := []byte{30, 0, 0x02, 0x80, 0, 0}
		r := io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(make([]byte, 10)))
		got, err := readMessage(r)
		if err != nil || len(got) != len(hdr)+10 {
			t.Fatalf("readMessage: %d bytes, %v", len(got), err)
		}
		if cap(got) > readAhead {
			t.Fatalf("allocated %d bytes for 16 received", cap(got))
		}
		// Past the read-ahead, buffers stay within 8x what arrived.
		const sent = readAhead + 1000
		r = io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(make([]byte, sent)))
		got, err = readMessage(r)
		if err != nil || len(got) != len(hdr)+sent {
			t.Fatalf("readMessage: %d bytes, %v", len(got), err)
		}
		if cap(got) > 8*readAhead {
			t.Fatalf("allocated %d bytes for %d received", cap(got), len(got))
		}
	})
	t.Run("broken connection", func(t *testing.T) {
		broken := errors.New("broken")
		in := msg(false, bytes.Repeat([]byte{1}, 100))
		r := io.MultiReader(bytes.NewReader(in[:50]), iotest.ErrReader(broken))
		if _, err := readMessage(r); err != broken {
			t.Fatalf("err = %v, want %v", err, broken)
		}
	})
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// TestDialCancelDuringUpgrade checks that cancelling the context of a dial
// with no deadline stops it while the server sits on the upgrade request
// (gorilla/websocket bounds that exchange only by a deadline).
func TestDialCancelDuringUpgrade(t *testing.T) {
	k := realPKI(t)
	block := make(chan struct{})
	addr := serveBench(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }), k.serverTLS(k.listener))
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Dial(ctx, addr, Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), ConnectTimeout: -1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial: %v, want context.Canceled", err)
	}
}
