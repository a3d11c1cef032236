package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chianet/chianet/streamable"
)

// These tests cover the envelope only; payloads are raw bytes here, so they
// do not depend on the generated payload codecs.

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The vectors of transport spec §1.2.
const (
	vecRequestPeers = "2b 01 0005 00000000"
	vecConfigureWS  = "6f 00 0000000a 00000002 1d 0002 1e 0000"
	vecHandshake    = "01 00 0000003a 00000007 6d61696e6e6574 00000006 302e302e3338 00000005 322e372e33 0000 06 00000003 0001 00000001 31 0002 00000001 31 0003 00000001 31"
)

var envelopeVectors = []struct {
	name  string
	hex   string
	typ   MessageType
	hasID bool
	id    uint16
	data  string
}{
	{"request_peers id 5", vecRequestPeers, MsgRequestPeers, true, 5, ""},
	{"configure_window_sizes", vecConfigureWS, MsgConfigureWindowSizes, false, 0, "00000002 1d 0002 1e 0000"},
	{"handshake", vecHandshake, MsgHandshake, false, 0,
		"00000007 6d61696e6e6574 00000006 302e302e3338 00000005 322e372e33 0000 06 00000003 0001 00000001 31 0002 00000001 31 0003 00000001 31"},
	{"max id, unknown type", "02 01 ffff 00000001 ab", MessageType(2), true, 0xffff, "ab"},
	{"id 0", "ff 01 0000 00000000", MsgError, true, 0, ""},
}

func TestMessageVectors(t *testing.T) {
	for _, v := range envelopeVectors {
		wire := unhex(t, v.hex)
		data := unhex(t, v.data)
		m, err := DecodeMessage(wire)
		if err != nil {
			t.Fatalf("%s: DecodeMessage: %v", v.name, err)
		}
		if m.Type != v.typ || m.HasID != v.hasID || m.ID != v.id || !bytes.Equal(m.Data, data) {
			t.Errorf("%s: decoded %+v", v.name, m)
		}
		if m.Data == nil {
			t.Errorf("%s: empty data decoded as nil", v.name)
		}
		want := Message{Type: v.typ, HasID: v.hasID, ID: v.id, Data: data}
		if n := want.EncodedLen(); n != len(wire) {
			t.Errorf("%s: EncodedLen = %d, want %d", v.name, n, len(wire))
		}
		prefix := []byte("prefix")
		got, err := want.AppendTo(prefix)
		if err != nil {
			t.Fatalf("%s: AppendTo: %v", v.name, err)
		}
		if !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], wire) {
			t.Errorf("%s: AppendTo = %x, want prefix + %x", v.name, got, wire)
		}
		mb, err := want.MarshalBinary()
		if err != nil || !bytes.Equal(mb, wire) || cap(mb) != len(wire) {
			t.Errorf("%s: MarshalBinary = %x (cap %d), %v", v.name, mb, cap(mb), err)
		}
	}
	if len(unhex(t, vecHandshake)) != 64 {
		t.Error("the handshake vector is not 64 bytes")
	}
}

func TestDecodeMessageAliasesInput(t *testing.T) {
	wire := unhex(t, vecConfigureWS)
	m, err := DecodeMessage(wire)
	if err != nil {
		t.Fatal(err)
	}
	if cap(m.Data) != len(m.Data) {
		t.Errorf("cap(Data) = %d, len %d: appending could overwrite the input", cap(m.Data), len(m.Data))
	}
	wire[len(wire)-1] = 0x77
	if m.Data[len(m.Data)-1] != 0x77 {
		t.Error("Data does not alias the input")
	}

	var c Message
	wire = unhex(t, vecConfigureWS)
	if err := c.UnmarshalBinary(wire); err != nil {
		t.Fatal(err)
	}
	wire[len(wire)-1] = 0x77
	if c.Data[len(c.Data)-1] == 0x77 {
		t.Error("UnmarshalBinary's Data aliases the input")
	}
}

// checkMessageError checks that err is a *streamable.Error for Message
// wrapping one of causes.
func checkMessageError(t *testing.T, what string, err error, causes ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	var se *streamable.Error
	if !errors.As(err, &se) {
		t.Errorf("%s: error %T %v is not a *streamable.Error", what, err, err)
		return
	}
	if !strings.HasPrefix(se.FieldPath(), "Message") {
		t.Errorf("%s: path %q does not start with Message", what, se.FieldPath())
	}
	for _, c := range causes {
		if errors.Is(err, c) {
			return
		}
	}
	t.Errorf("%s: error %v wraps none of %v", what, err, causes)
}

func TestDecodeMessageTruncated(t *testing.T) {
	for _, v := range envelopeVectors {
		wire := unhex(t, v.hex)
		for n := 0; n < len(wire); n++ {
			m, err := DecodeMessage(wire[:n])
			checkMessageError(t, fmt.Sprintf("%s cut at %d", v.name, n), err, streamable.ErrUnexpectedEOF, streamable.ErrLengthTooLarge)
			if err != nil && (m.Type != 0 || m.HasID || m.Data != nil) {
				t.Errorf("%s cut at %d: partial message returned with the error: %+v", v.name, n, m)
			}
		}
	}
}

func TestDecodeMessageErrors(t *testing.T) {
	cases := []struct {
		name  string
		hex   string
		cause error
		text  string
	}{
		{"empty", "", streamable.ErrUnexpectedEOF, "Message.type: unexpected end of input"},
		{"no presence byte", "2b", streamable.ErrUnexpectedEOF, "Message.id: unexpected end of input"},
		{"id cut", "2b 01 00", streamable.ErrUnexpectedEOF, "Message.id: unexpected end of input"},
		{"length cut", "2b 00 000000", streamable.ErrUnexpectedEOF, "Message.data: unexpected end of input"},
		{"presence byte 2", "2b 02 0005 00000000", streamable.ErrInvalidOptional, "Message.id: "},
		{"presence byte ff", "2b ff 00000000", streamable.ErrInvalidOptional, "Message.id: "},
		{"huge length", "2b 00 ffffffff", streamable.ErrLengthTooLarge, "Message.data: "},
		{"huge length with some data", "2b 01 0005 fffffffe 0102030405", streamable.ErrLengthTooLarge, "Message.data: "},
		{"length one too many", "2b 00 00000002 01", streamable.ErrLengthTooLarge, "Message.data: "},
		{"trailing byte", "2b 01 0005 00000000 00", streamable.ErrTrailingBytes, "Message: "},
		{"trailing bytes after data", "6f 00 00000001 aa bbcc", streamable.ErrTrailingBytes, "Message: "},
	}
	for _, c := range cases {
		_, err := DecodeMessage(unhex(t, c.hex))
		checkMessageError(t, c.name, err, c.cause)
		if err != nil && !strings.HasPrefix(err.Error(), c.text) {
			t.Errorf("%s: error %q does not start with %q", c.name, err, c.text)
		}
	}
}

func TestDecodeMessageZeroAlloc(t *testing.T) {
	for _, v := range envelopeVectors {
		wire := unhex(t, v.hex)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := DecodeMessage(wire); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: DecodeMessage allocates %v times", v.name, allocs)
		}
	}
}

func TestAppendToZeroAllocWithRoom(t *testing.T) {
	m := Message{Type: MsgRespondPeers, HasID: true, ID: 9, Data: bytes.Repeat([]byte{7}, 100)}
	buf := make([]byte, 0, m.EncodedLen())
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := m.AppendTo(buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendTo into a big enough buffer allocates %v times", allocs)
	}
}

// rawPayload is a test payload that encodes as its own bytes.
type rawPayload []byte

func (p rawPayload) EncodeStreamable(w *streamable.Writer) { w.Fixed(p) }

// failingPayload cannot be encoded.
type failingPayload struct{}

func (failingPayload) EncodeStreamable(w *streamable.Writer) { w.Fail(streamable.ErrInvalidValue) }

func TestMakeMessage(t *testing.T) {
	m, err := MakeMessage(MsgRequestPeers, nil)
	if err != nil || m.Type != MsgRequestPeers || m.HasID || m.Data == nil || len(m.Data) != 0 {
		t.Errorf("MakeMessage(nil payload) = %+v, %v", m, err)
	}
	req, err := MakeRequest(MsgRequestPeers, 5, rawPayload{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := req.MarshalBinary(); !bytes.Equal(b, unhex(t, vecRequestPeers)) {
		t.Errorf("MakeRequest encodes as %x", b)
	}
	cws, err := MakeMessage(MsgConfigureWindowSizes, rawPayload(unhex(t, "00000002 1d 0002 1e 0000")))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := cws.MarshalBinary(); !bytes.Equal(b, unhex(t, vecConfigureWS)) {
		t.Errorf("MakeMessage encodes as %x", b)
	}

	reply, err := MakeReply(&req, MsgRespondPeers, rawPayload{0, 0, 0, 0})
	if err != nil || reply.Type != MsgRespondPeers || !reply.HasID || reply.ID != 5 || len(reply.Data) != 4 {
		t.Errorf("MakeReply = %+v, %v", reply, err)
	}
	noID := Message{Type: MsgRequestPeers}
	reply, err = MakeReply(&noID, MsgRespondPeers, nil)
	if err != nil || reply.HasID {
		t.Errorf("reply to a request without id = %+v, %v", reply, err)
	}

	if _, err := MakeMessage(MsgHandshake, failingPayload{}); !errors.Is(err, streamable.ErrInvalidValue) {
		t.Errorf("MakeMessage with a failing payload: %v", err)
	}
	if _, err := MakeRequest(MsgHandshake, 1, failingPayload{}); err == nil {
		t.Error("MakeRequest with a failing payload succeeded")
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, v := range envelopeVectors {
		f.Add(unhex(f, v.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		out, err := m.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding %x gives %x", b, out)
		}
	})
}
