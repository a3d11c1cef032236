package protocol

import (
	"github.com/chianet/chianet/streamable"
)

// ByteList is the reference Vec<u8> / List[uint8]. On the wire it is the
// same as bytes (a u32 count, then the raw bytes), but its reference JSON
// form is an array of integers 0..255, not a hex string. It is used by
// FullBlock and UnfinishedBlock's transactions_generator_buffer.
//
//streamgen:manual minsize=4
type ByteList []byte

// EncodeStreamable appends the u32 count and the bytes.
func (l *ByteList) EncodeStreamable(w *streamable.Writer) { w.BytesPrefixed(*l) }

// DecodeStreamable reads a u32 count and that many bytes, copying them.
// An empty list decodes as a non-nil empty slice.
func (l *ByteList) DecodeStreamable(r *streamable.Reader) error {
	b, err := r.Bytes()
	if err != nil {
		return err
	}
	*l = b
	return nil
}

// AppendJSON appends the bytes as a JSON array of integers, e.g. [1,255].
func (l *ByteList) AppendJSON(b []byte) []byte {
	b = append(b, '[')
	for i, c := range *l {
		if i > 0 {
			b = append(b, ',')
		}
		b = streamable.AppendUint(b, uint64(c))
	}
	return append(b, ']')
}

// DecodeJSONValue accepts a JSON array of integers 0..255.
func (l *ByteList) DecodeJSONValue(v any) error {
	a, err := streamable.JSONArray(v, -1)
	if err != nil {
		return err
	}
	out := make(ByteList, len(a))
	for i, e := range a {
		u, err := streamable.JSONUint(e, 8)
		if err != nil {
			return streamable.Index(err, i)
		}
		out[i] = byte(u)
	}
	*l = out
	return nil
}
