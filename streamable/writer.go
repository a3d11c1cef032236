package streamable

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Writer appends Streamable encodings to a byte slice. The first error
// (a value the format cannot express) sticks: later writes are ignored and
// Err reports it, so encoders need no error checks between fields.
// A Writer is not safe for concurrent use.
type Writer struct {
	buf []byte
	err error
}

// NewWriter returns a Writer that appends to buf (which may be nil).
func NewWriter(buf []byte) *Writer { return &Writer{buf: buf} }

// Bytes returns the encoded bytes.
func (w *Writer) Bytes() []byte { return w.buf }

// Err returns the first error met, or nil.
func (w *Writer) Err() error { return w.err }

// Reset makes w append to buf and clears its error.
func (w *Writer) Reset(buf []byte) { w.buf, w.err = buf, nil }

// Fail records err unless an error is already recorded.
func (w *Writer) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// U8 appends a uint8.
func (w *Writer) U8(v uint8) { w.buf = append(w.buf, v) }

// U16 appends a big-endian uint16.
func (w *Writer) U16(v uint16) { w.buf = binary.BigEndian.AppendUint16(w.buf, v) }

// U32 appends a big-endian uint32.
func (w *Writer) U32(v uint32) { w.buf = binary.BigEndian.AppendUint32(w.buf, v) }

// U64 appends a big-endian uint64.
func (w *Writer) U64(v uint64) { w.buf = binary.BigEndian.AppendUint64(w.buf, v) }

// U128 appends a big-endian 128-bit unsigned integer.
func (w *Writer) U128(v Uint128) {
	w.buf = binary.BigEndian.AppendUint64(w.buf, v.Hi)
	w.buf = binary.BigEndian.AppendUint64(w.buf, v.Lo)
}

// I8 appends an int8.
func (w *Writer) I8(v int8) { w.U8(uint8(v)) }

// I16 appends a big-endian two's complement int16.
func (w *Writer) I16(v int16) { w.U16(uint16(v)) }

// I32 appends a big-endian two's complement int32.
func (w *Writer) I32(v int32) { w.U32(uint32(v)) }

// I64 appends a big-endian two's complement int64.
func (w *Writer) I64(v int64) { w.U64(uint64(v)) }

// Bool appends a bool as 0 or 1.
func (w *Writer) Bool(v bool) {
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// Option appends an Optional presence byte.
func (w *Writer) Option(present bool) { w.Bool(present) }

// Len appends a u32 length or count prefix. Lengths beyond 2^32-1 cannot
// be expressed and make the Writer fail.
func (w *Writer) Len(n int) {
	if uint64(n) > math.MaxUint32 {
		w.Fail(fmt.Errorf("%w: length %d does not fit in u32", ErrInvalidValue, n))
		return
	}
	w.U32(uint32(n))
}

// BytesPrefixed appends u32-length-prefixed bytes.
func (w *Writer) BytesPrefixed(b []byte) {
	w.Len(len(b))
	w.buf = append(w.buf, b...)
}

// Str appends a u32-length-prefixed string. Invalid UTF-8 makes the Writer
// fail, because no reference decoder would accept it.
func (w *Writer) Str(s string) {
	if !utf8.ValidString(s) {
		w.Fail(ErrInvalidUTF8)
		return
	}
	w.Len(len(s))
	w.buf = append(w.buf, s...)
}

// Fixed appends raw bytes with no prefix (a fixed-size byte type).
func (w *Writer) Fixed(b []byte) { w.buf = append(w.buf, b...) }

// Grow makes room for n more bytes.
func (w *Writer) Grow(n int) {
	if cap(w.buf)-len(w.buf) < n {
		nb := make([]byte, len(w.buf), 2*cap(w.buf)+n)
		copy(nb, w.buf)
		w.buf = nb
	}
}

// Encoder is implemented by every Streamable type.
type Encoder interface {
	// EncodeStreamable appends the value's encoding to w.
	EncodeStreamable(w *Writer)
}

// Append appends the encoding of v to dst.
func Append(dst []byte, v Encoder) ([]byte, error) {
	w := Writer{buf: dst}
	v.EncodeStreamable(&w)
	if w.err != nil {
		if n, ok := v.(Named); ok {
			return dst, Field(w.err, n.TypeName())
		}
		return dst, w.err
	}
	return w.buf, nil
}

// Marshal returns the encoding of v.
func Marshal(v Encoder) ([]byte, error) { return Append(nil, v) }

// Hash returns the SHA-256 of v's encoding, the reference get_hash().
func Hash(v Encoder) ([32]byte, error) {
	b, err := Marshal(v)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}
