package streamable

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Reader decodes Streamable primitives from a byte slice. Every method
// checks the bytes that remain before reading or allocating. A Reader is
// not safe for concurrent use.
//
// Decoded bytes and strings never alias the input, so a transport may
// reuse its buffers. They are not copied one by one either: the first
// variable-length field copies the rest of the input once, and every later
// one is a sub-slice of that copy (strings likewise share one string).
// One message therefore costs about one allocation for all its byte
// fields, whatever their number, and never more memory than its own size.
// The price is that keeping any one decoded field keeps that shared copy
// alive; clone a field (bytes.Clone, strings.Clone) to keep it alone.
type Reader struct {
	buf []byte
	off int

	arena      []byte // copy of buf[arenaBase:], made on first use
	arenaBase  int
	sarena     string // copy of buf[sarenaBase:], made on first use
	sarenaBase int
}

// NewReader returns a Reader over b. The Reader never modifies b, and the
// values it returns never alias b unless a method says so.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Reset makes r read b from its start, so one Reader can be reused.
func (r *Reader) Reset(b []byte) { *r = Reader{buf: b} }

// Len returns the number of unread bytes.
func (r *Reader) Len() int { return len(r.buf) - r.off }

// Offset returns the number of bytes read so far.
func (r *Reader) Offset() int { return r.off }

// Rest returns the unread bytes without copying them.
func (r *Reader) Rest() []byte { return r.buf[r.off:] }

// Skip advances past n bytes.
func (r *Reader) Skip(n int) error {
	if n < 0 || n > r.Len() {
		return ErrUnexpectedEOF
	}
	r.off += n
	return nil
}

// Next returns the next n bytes without copying them. The result aliases
// the input.
func (r *Reader) Next(n int) ([]byte, error) {
	if n < 0 || n > r.Len() {
		return nil, ErrUnexpectedEOF
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b, nil
}

// U8 reads a uint8.
func (r *Reader) U8() (uint8, error) {
	if r.off >= len(r.buf) {
		return 0, ErrUnexpectedEOF
	}
	v := r.buf[r.off]
	r.off++
	return v, nil
}

// U16 reads a big-endian uint16.
func (r *Reader) U16() (uint16, error) {
	if len(r.buf)-r.off < 2 {
		return 0, ErrUnexpectedEOF
	}
	v := binary.BigEndian.Uint16(r.buf[r.off:])
	r.off += 2
	return v, nil
}

// U32 reads a big-endian uint32.
func (r *Reader) U32() (uint32, error) {
	if len(r.buf)-r.off < 4 {
		return 0, ErrUnexpectedEOF
	}
	v := binary.BigEndian.Uint32(r.buf[r.off:])
	r.off += 4
	return v, nil
}

// U64 reads a big-endian uint64.
func (r *Reader) U64() (uint64, error) {
	if len(r.buf)-r.off < 8 {
		return 0, ErrUnexpectedEOF
	}
	v := binary.BigEndian.Uint64(r.buf[r.off:])
	r.off += 8
	return v, nil
}

// U128 reads a big-endian 128-bit unsigned integer.
func (r *Reader) U128() (Uint128, error) {
	if len(r.buf)-r.off < 16 {
		return Uint128{}, ErrUnexpectedEOF
	}
	v := Uint128{
		Hi: binary.BigEndian.Uint64(r.buf[r.off:]),
		Lo: binary.BigEndian.Uint64(r.buf[r.off+8:]),
	}
	r.off += 16
	return v, nil
}

// I8 reads an int8.
func (r *Reader) I8() (int8, error) { v, err := r.U8(); return int8(v), err }

// I16 reads a big-endian two's complement int16.
func (r *Reader) I16() (int16, error) { v, err := r.U16(); return int16(v), err }

// I32 reads a big-endian two's complement int32.
func (r *Reader) I32() (int32, error) { v, err := r.U32(); return int32(v), err }

// I64 reads a big-endian two's complement int64.
func (r *Reader) I64() (int64, error) { v, err := r.U64(); return int64(v), err }

// Bool reads a bool; only the bytes 0 and 1 are accepted.
func (r *Reader) Bool() (bool, error) {
	if r.off >= len(r.buf) {
		return false, ErrUnexpectedEOF
	}
	b := r.buf[r.off]
	if b > 1 {
		return false, fmt.Errorf("%w: byte 0x%02x", ErrInvalidBool, b)
	}
	r.off++
	return b == 1, nil
}

// Option reads an Optional presence byte: false for 0, true for 1, an
// error for anything else.
func (r *Reader) Option() (bool, error) {
	if r.off >= len(r.buf) {
		return false, ErrUnexpectedEOF
	}
	b := r.buf[r.off]
	if b > 1 {
		return false, fmt.Errorf("%w: presence byte 0x%02x", ErrInvalidOptional, b)
	}
	r.off++
	return b == 1, nil
}

// length reads a u32 length prefix and checks that at least n*unit bytes
// remain, so a hostile prefix fails before anything is allocated.
func (r *Reader) length(unit int) (int, error) {
	n, err := r.U32()
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(unit) > uint64(r.Len()) {
		return 0, fmt.Errorf("%w: %d×%d bytes announced, %d left", ErrLengthTooLarge, n, unit, r.Len())
	}
	return int(n), nil
}

// ListLen reads a list's u32 count. minElem is the smallest encoded size
// of one element (at least 1 is assumed), so the count is checked against
// the remaining input before the caller allocates the list.
func (r *Reader) ListLen(minElem int) (int, error) {
	return r.length(max(minElem, 1))
}

// Bytes reads u32-length-prefixed bytes. The result does not alias the
// input (see Reader); an empty value decodes as a non-nil empty slice.
func (r *Reader) Bytes() ([]byte, error) {
	n, err := r.length(1)
	if err != nil {
		return nil, err
	}
	return r.carve(n), nil
}

// CopyNext returns the next n bytes as a slice that does not alias the
// input (see Reader).
func (r *Reader) CopyNext(n int) ([]byte, error) {
	if n < 0 || n > r.Len() {
		return nil, ErrUnexpectedEOF
	}
	return r.carve(n), nil
}

// carve returns the next n bytes (already bounds-checked) from the copy
// of the input, making the copy on first use. The three-index slice keeps
// an append to one field from overwriting the next.
func (r *Reader) carve(n int) []byte {
	if r.arena == nil || r.off < r.arenaBase {
		r.arena = make([]byte, len(r.buf)-r.off)
		copy(r.arena, r.buf[r.off:])
		r.arenaBase = r.off
	}
	i := r.off - r.arenaBase
	r.off += n
	return r.arena[i : i+n : i+n]
}

// BytesNoCopy reads u32-length-prefixed bytes and returns a slice that
// aliases the input.
func (r *Reader) BytesNoCopy() ([]byte, error) {
	n, err := r.length(1)
	if err != nil {
		return nil, err
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b, nil
}

// Str reads a u32-length-prefixed UTF-8 string.
func (r *Reader) Str() (string, error) {
	n, err := r.length(1)
	if err != nil {
		return "", err
	}
	b := r.buf[r.off : r.off+n]
	if !utf8.Valid(b) {
		return "", ErrInvalidUTF8
	}
	if n == 0 {
		return "", nil
	}
	if r.sarena == "" || r.off < r.sarenaBase {
		r.sarena = string(r.buf[r.off:])
		r.sarenaBase = r.off
	}
	i := r.off - r.sarenaBase
	r.off += n
	return r.sarena[i : i+n], nil
}

// Fixed fills dst with the next len(dst) bytes (a fixed-size byte type).
func (r *Reader) Fixed(dst []byte) error {
	if len(r.buf)-r.off < len(dst) {
		return ErrUnexpectedEOF
	}
	copy(dst, r.buf[r.off:])
	r.off += len(dst)
	return nil
}

// Decoder is implemented by every Streamable type.
type Decoder interface {
	// DecodeStreamable reads the value from r, leaving r after it.
	DecodeStreamable(r *Reader) error
}

// Named is implemented by every generated type; the name prefixes the
// field path of top-level errors.
type Named interface {
	// TypeName returns the reference class name of the type.
	TypeName() string
}

// Unmarshal decodes data into v. It fails if v does not use every byte.
// Errors are *Error values whose path starts with v's type name.
func Unmarshal(data []byte, v Decoder) error {
	r := Reader{buf: data}
	err := v.DecodeStreamable(&r)
	if err == nil && r.Len() != 0 {
		err = fmt.Errorf("%w: %d bytes not consumed", ErrTrailingBytes, r.Len())
	}
	if err != nil {
		if n, ok := v.(Named); ok {
			return Field(err, n.TypeName())
		}
		if _, ok := err.(*Error); !ok {
			return &Error{Err: err}
		}
	}
	return err
}
