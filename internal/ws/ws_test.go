package ws

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"testing/synctest"

	"github.com/chianet/chianet/protocol"
)

// TestReadMessage checks that ReadMessage returns exactly the bytes of
// the message whatever its header claims, in one buffer of the exact
// size for a well-formed message, and ErrTooBig, before reading past the
// header, for one that announces more than the limit.
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
		want  int  // bytes returned; 0 means all of in
	}{
		{"empty", []byte{}, false, 0},
		{"type only", []byte{30}, false, 0},
		{"cut in the id", []byte{30, 1, 0}, false, 0},
		{"no id, no data", msg(false, nil), true, 0},
		{"id, small", msg(true, []byte("abc")), true, 0},
		{"over readAhead", msg(true, big), true, 0},
		{"presence byte 2", append([]byte{30, 2}, msg(false, []byte("xyz"))[2:]...), false, 6},
		{"shorter than its length", msg(false, []byte("abcdef"))[:9], false, 0},
		{"longer than its length", append(msg(false, []byte("abc")), 1, 2, 3), false, 10},
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
				want := c.in
				if c.want != 0 {
					want = c.in[:c.want]
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("read %d bytes, want %d", len(got), len(want))
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
	t.Run("checked at the header", func(t *testing.T) {
		refused := errors.New("refused")
		var gotType uint8
		var gotLen int
		rest := bytes.NewReader(make([]byte, 1000))
		rd := reader{limit: protocol.MaxMessageSize, check: func(typ uint8, n int) error {
			gotType, gotLen = typ, n
			return refused
		}}
		_, err := rd.read(io.MultiReader(bytes.NewReader([]byte{30, 1, 0, 1, 0, 0, 3, 0xe8}), rest))
		if err != refused || gotType != 30 || gotLen != 1000 || rest.Len() != 1000 {
			t.Fatalf("err %v, check saw type %d length %d, %d bytes read past the header", err, gotType, gotLen, 1000-rest.Len())
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

// TestBudget checks that reservations wait while the budget is spent, go
// through once bytes are given back or when nothing else is reserved, and
// stop waiting when their connection closes.
func TestBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBudget(10 << 20)
		never := make(chan struct{})
		if !b.reserve(8<<20, never) {
			t.Fatal("first reservation refused")
		}
		got := make(chan bool, 1)
		go func() { got <- b.reserve(4<<20, never) }()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a reservation over the limit did not wait")
		default:
		}
		b.release(8 << 20)
		if !<-got || b.Used() != 4<<20 {
			t.Fatalf("after the release: used %d", b.Used())
		}
		stop := make(chan struct{})
		go func() { got <- b.reserve(9<<20, stop) }()
		synctest.Wait()
		close(stop)
		if <-got || b.Used() != 4<<20 {
			t.Fatalf("a stopped wait took bytes: used %d", b.Used())
		}
		b.release(4 << 20)
		if !b.reserve(50<<20, never) {
			t.Fatal("a message over the whole limit was refused with nothing reserved")
		}
		b.release(50 << 20)
	})
}

// TestBudgetedReads checks the budget from the reading side: a large
// message holds its announced size until it is read, a small one takes
// nothing.
func TestBudgetedReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBudget(3 << 20)
		stop := make(chan struct{})
		rd := reader{limit: protocol.MaxMessageSize, budget: b, stop: stop}
		big := func(n int) []byte {
			m := protocol.Message{Type: protocol.MsgRespondBlocks, Data: make([]byte, n)}
			raw, _ := m.MarshalBinary()
			return raw
		}
		// A sender that stalls after 100 bytes of a 2 MiB message.
		pr, pw := io.Pipe()
		defer pw.Close()
		first := big(2 << 20)
		go func() { _, _ = pw.Write(first[:100]) }()
		done := make(chan error, 1)
		go func() { _, err := rd.read(pr); done <- err }()
		synctest.Wait()
		if used := b.Used(); used != int64(len(first)) {
			t.Fatalf("a stalled 2 MiB message holds %d bytes of the budget, want %d", used, len(first))
		}
		if _, err := rd.read(bytes.NewReader(big(1000))); err != nil || b.Used() != int64(len(first)) {
			t.Fatalf("small message: %v, used %d", err, b.Used())
		}
		second := make(chan error, 1)
		go func() { _, err := rd.read(bytes.NewReader(big(2 << 20))); second <- err }()
		synctest.Wait()
		select {
		case err := <-second:
			t.Fatalf("a second 2 MiB message did not wait for the budget: %v", err)
		default:
		}
		close(stop) // the connection closes
		if err := <-second; err == nil {
			t.Fatal("the waiting read succeeded after its connection closed")
		}
		pw.CloseWithError(io.ErrClosedPipe)
		<-done
		if b.Used() != 0 {
			t.Fatalf("%d bytes still reserved", b.Used())
		}
	})
}
