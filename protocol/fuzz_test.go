package protocol_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// corpusSeeds returns the corpus records when the corpus is present, and
// nothing otherwise (fuzz seeds are a bonus, not a requirement).
func corpusSeeds() []corpusRecord {
	data, err := os.ReadFile(filepath.Join(corpusPath(), "protocol-messages.json"))
	if err != nil {
		return nil
	}
	var recs []corpusRecord
	if json.Unmarshal(data, &recs) != nil {
		return nil
	}
	return recs
}

// typeIndex maps a type name to its index in protocol.TypeNames, the
// selector the payload harness reads from its first two bytes.
func typeIndex(name string) int {
	for i, n := range protocol.TypeNames() {
		if n == name {
			return i
		}
	}
	return -1
}

// FuzzMessage feeds arbitrary bytes to the envelope decoder: it must never
// panic, and whatever it accepts must re-encode to the same bytes.
func FuzzMessage(f *testing.F) {
	f.Add([]byte{0x2b, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x6f, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x02, 0x1d, 0x00, 0x02, 0x1e, 0x00, 0x00})
	f.Add([]byte{0x01, 0x02})
	f.Add([]byte{0x01, 0x00, 0xff, 0xff, 0xff, 0xff})
	for i, rec := range corpusSeeds() {
		payload, _ := hex.DecodeString(rec.Hex)
		m := protocol.Message{Type: protocol.MessageType(i), HasID: i%2 == 0, ID: uint16(i), Data: payload}
		b, err := m.AppendTo(nil)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := protocol.DecodeMessage(data)
		if err != nil {
			return
		}
		again, err := m.AppendTo(nil)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs\n in %x\nout %x", data, again)
		}
		if p, ok := protocol.NewPayload(m.Type); ok {
			checkPayload(t, p, m.Data)
		}
	})
}

// FuzzPayload is the one harness for every registered type: the first two
// bytes pick the type (an index into protocol.TypeNames), the rest is the
// payload. Decoding must never panic; a successful decode must re-encode
// byte-identical and survive a JSON round trip.
func FuzzPayload(f *testing.F) {
	for _, rec := range corpusSeeds() {
		payload, _ := hex.DecodeString(rec.Hex)
		if i := typeIndex(rec.Type); i >= 0 {
			f.Add(append([]byte{byte(i >> 8), byte(i)}, payload...))
		}
	}
	for i := range protocol.TypeNames() {
		f.Add([]byte{byte(i >> 8), byte(i)})
		f.Add([]byte{byte(i >> 8), byte(i), 0, 0, 0, 1, 0})
	}
	names := protocol.TypeNames()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		name := names[(int(data[0])<<8|int(data[1]))%len(names)]
		v, _ := protocol.NewValue(name)
		checkPayload(t, v, data[2:])
	})
}

// maxAllocPerByte and allocSlack bound what decoding a payload may
// allocate: maxAllocPerByte bytes per byte of input, plus allocSlack.
const (
	maxAllocPerByte = 16
	allocSlack      = 64 << 10
)

func checkPayload(t *testing.T, v protocol.Value, data []byte) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := streamable.Unmarshal(data, v)
	runtime.ReadMemStats(&after)
	// Every list or byte string is checked against the bytes left before
	// it is made, so what a payload makes is bounded by a multiple of its
	// size: the largest Go value per encoded byte (a pointer per absent
	// Optional, a slice header per empty list), and some slack for
	// the maps and small buffers of the decoder itself.
	if a := after.TotalAlloc - before.TotalAlloc; a > uint64(maxAllocPerByte*len(data)+allocSlack) {
		t.Fatalf("%s: decoding %d bytes allocated %d", v.TypeName(), len(data), a)
	}
	if err != nil {
		if _, ok := err.(*streamable.Error); !ok {
			t.Fatalf("%s: untyped error %T %v", v.TypeName(), err, err)
		}
		return
	}
	again, err := streamable.Marshal(v)
	if err != nil {
		t.Fatalf("%s: decoded value does not encode: %v", v.TypeName(), err)
	}
	if !bytes.Equal(again, data) {
		t.Fatalf("%s: re-encoding differs\n in %x\nout %x", v.TypeName(), data, again)
	}
	j := v.AppendJSON(nil)
	back := reflect.New(reflect.TypeOf(v).Elem()).Interface().(protocol.Value)
	if err := streamable.UnmarshalJSON(j, back); err != nil {
		t.Fatalf("%s: own JSON does not parse: %v\n%s", v.TypeName(), err, j)
	}
	if b, err := streamable.Marshal(back); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("%s: JSON round trip changed the bytes (%v)", v.TypeName(), err)
	}
}

// FuzzPayloadJSON feeds arbitrary JSON to the decoder of every registered
// type (the first two bytes pick the type, as in FuzzPayload): it must
// fail only with the streamable errors, and a value it accepts must
// encode, decode back from its bytes, and write the same JSON again.
func FuzzPayloadJSON(f *testing.F) {
	names := protocol.TypeNames()
	for _, rec := range corpusSeeds() {
		payload, _ := hex.DecodeString(rec.Hex)
		i := typeIndex(rec.Type)
		v, ok := protocol.NewValue(rec.Type)
		if i < 0 || !ok || streamable.Unmarshal(payload, v) != nil {
			continue
		}
		f.Add(append([]byte{byte(i >> 8), byte(i)}, v.AppendJSON(nil)...))
	}
	for i := range names {
		f.Add([]byte{byte(i >> 8), byte(i), '{', '}'})
		f.Add(append([]byte{byte(i >> 8), byte(i)}, `{"x": [1e400, -0, "0x", null, {"a": [[[]]]}]}`...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		name := names[(int(data[0])<<8|int(data[1]))%len(names)]
		v, _ := protocol.NewValue(name)
		if err := streamable.UnmarshalJSON(data[2:], v); err != nil {
			for _, e := range []error{streamable.ErrInvalidJSON, streamable.ErrMissingField, streamable.ErrInvalidValue,
				streamable.ErrInvalidUTF8} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("%s: untyped error %T %v", name, err, err)
		}
		b, err := streamable.Marshal(v)
		if err != nil {
			t.Fatalf("%s: value from JSON does not encode: %v", name, err)
		}
		back, _ := protocol.NewValue(name)
		if err := streamable.Unmarshal(b, back); err != nil {
			t.Fatalf("%s: value from JSON encodes to bytes that do not decode: %v", name, err)
		}
		if j1, j2 := v.AppendJSON(nil), back.AppendJSON(nil); !bytes.Equal(j1, j2) {
			t.Fatalf("%s: JSON changed through the bytes\n%s\n%s", name, j1, j2)
		}
	})
}

// FuzzMessageJSON feeds arbitrary JSON to the Message JSON form the decode
// and encode commands read: a typed error, or a message whose JSON reads
// back to the same message.
func FuzzMessageJSON(f *testing.F) {
	f.Add([]byte(`{"type":"request_peers","id":5,"data":{}}`))
	f.Add([]byte(`{"type":44,"id":null,"data":{"peer_list":[{"host":"1.2.3.4","port":8444,"timestamp":1}]}}`))
	f.Add([]byte(`{"type":"respond_peers","data":{"peer_list":[{"host":"1.2.3.4","port":70000,"timestamp":1}]}}`))
	f.Add([]byte(`{"type":2,"data":{}}`))
	f.Add([]byte(`{"type":"handshake","id":65536,"data":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m protocol.Message
		if err := m.UnmarshalJSON(data); err != nil {
			for _, e := range []error{streamable.ErrInvalidJSON, streamable.ErrMissingField, streamable.ErrInvalidValue,
				streamable.ErrInvalidUTF8} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("untyped error %T %v", err, err)
		}
		j, err := m.MarshalJSON()
		if err != nil {
			t.Fatalf("decoded message does not write JSON: %v", err)
		}
		var back protocol.Message
		if err := back.UnmarshalJSON(j); err != nil {
			t.Fatalf("own JSON %s does not read back: %v", j, err)
		}
		if back.Type != m.Type || back.HasID != m.HasID || back.ID != m.ID || !bytes.Equal(back.Data, m.Data) {
			t.Fatalf("JSON round trip changed the message: %s", j)
		}
	})
}
