package ws

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/chianet/chianet/protocol"
)

// FuzzReadMessage feeds arbitrary streams to the message reader, whole or
// a byte at a time, under an arbitrary limit and header check, with a
// receive budget: it must not panic; what it returns is a prefix of the
// stream; it refuses with ErrTooBig exactly the well-formed headers
// announcing more than the limit, and with the check's error those the
// check refuses, reading nothing past the header; a message that decodes
// is exactly the announced one; it allocates at most readAhead, or eight
// times what arrived; and it gives back all it reserved of the budget.
func FuzzReadMessage(f *testing.F) {
	msg := func(hasID bool, data []byte) []byte {
		m := protocol.Message{Type: protocol.MsgRespondBlocks, HasID: hasID, ID: 7, Data: data}
		b, _ := m.MarshalBinary()
		return b
	}
	f.Add(msg(false, []byte("hello")), uint32(100), false)
	f.Add(msg(true, []byte("hello")), uint32(100), true)
	f.Add(msg(true, []byte("hello")), uint32(8), false)
	f.Add(append(msg(false, []byte("ab")), 'x'), uint32(100), false)
	f.Add(msg(false, nil)[:3], uint32(100), false)
	f.Add([]byte{1, 2, 0, 0, 0, 0}, uint32(100), false)
	f.Add([]byte{1, 0, 0xff, 0xff, 0xff, 0xff, 1, 2}, uint32(0xffffffff), true)
	f.Add([]byte{1, 1, 0, 1, 0x00, 0x10, 0x00, 0x00, 1}, uint32(4<<20), false)
	f.Add([]byte{2, 0, 0x00, 0x10, 0x00, 0x00, 7, 7, 7}, uint32(4<<20), true)
	f.Add([]byte{}, uint32(0), false)
	errRefused := errors.New("refused by the check")
	budget := NewBudget(1 << 20)
	f.Fuzz(func(t *testing.T, stream []byte, limit uint32, oneByte bool) {
		src := bytes.NewReader(stream)
		var r io.Reader = src
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		// The check refuses odd message types, as a peer refuses a type
		// it does not expect.
		check := func(typ uint8, _ int) error {
			if typ%2 == 1 {
				return errRefused
			}
			return nil
		}
		got, err := reader{limit: int(limit), check: check, budget: budget}.read(r)
		if budget.Used() != 0 {
			t.Fatalf("%d bytes of the budget kept", budget.Used())
		}
		hlen := 6
		if len(stream) > 1 && stream[1] == 1 {
			hlen = 8
		}
		announced := -1
		if len(stream) >= hlen && stream[1] <= 1 {
			announced = hlen + int(uint32(stream[hlen-4])<<24|uint32(stream[hlen-3])<<16|uint32(stream[hlen-2])<<8|uint32(stream[hlen-1]))
		}
		if tooBig := announced > int(limit); tooBig != errors.Is(err, ErrTooBig) {
			t.Fatalf("announced %d, limit %d: err %v", announced, limit, err)
		}
		refused := announced >= 0 && announced <= int(limit) && stream[0]%2 == 1
		if refused != errors.Is(err, errRefused) {
			t.Fatalf("type %d announced %d, limit %d: err %v", stream[0], announced, limit, err)
		}
		if err != nil {
			if !errors.Is(err, ErrTooBig) && !refused {
				t.Fatalf("unexpected error %v", err)
			}
			if read := len(stream) - src.Len(); read > hlen {
				t.Fatalf("read %d bytes before refusing a message", read)
			}
			return
		}
		if !bytes.HasPrefix(stream, got) {
			t.Fatalf("returned bytes that are not the stream's: %x of %x", got, stream)
		}
		if c := cap(got); c > readAhead && c > 8*len(stream)+8 {
			t.Fatalf("allocated %d bytes for a %d-byte stream", c, len(stream))
		}
		if _, derr := protocol.DecodeMessage(got); derr == nil && len(got) != announced {
			t.Fatalf("decoded %d bytes, announced %d", len(got), announced)
		}
	})
}
