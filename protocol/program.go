package protocol

import (
	"fmt"
	"math/bits"

	"github.com/chianet/chianet/streamable"
)

// Program is a serialized CLVM value (the reference Program and
// SerializedProgram). On the wire it is the raw CLVM serialization with no
// length prefix: a reader finds where it ends by walking the encoding (see
// CLVMLength). In JSON it is "0x" + hex of the serialization.
//
// A valid Program holds exactly one complete CLVM serialization; the empty
// Program cannot be expressed on the wire.
//
//streamgen:manual minsize=1
type Program []byte

// ErrBadCLVM means bytes are not a well-formed CLVM serialization: an atom
// size prefix longer than six bytes, or an atom size of 2^34 bytes or more.
// It wraps streamable.ErrInvalidValue. A serialization that merely ends too
// early is reported with streamable.ErrUnexpectedEOF instead.
var ErrBadCLVM = fmt.Errorf("%w: bad CLVM encoding", streamable.ErrInvalidValue)

// errCLVMTruncated is returned by CLVMLength when the input ends inside the
// value. It is built once so the walker never allocates, even on failure.
var errCLVMTruncated = fmt.Errorf("%w: truncated CLVM serialization", streamable.ErrUnexpectedEOF)

// Markers of the CLVM serialization format.
const (
	clvmMaxSingleByte = 0x7f // 0x00..0x7f: the byte is a one-byte atom
	clvmNil           = 0x80 // the empty atom
	clvmBackRef       = 0xfe // back-reference: an atom-encoded path follows
	clvmCons          = 0xff // pair: two more values follow
	clvmMaxAtomSize   = 0x400000000
	clvmMaxPrefixLen  = 6
)

// CLVMLength returns the length in bytes of the CLVM serialization at the
// start of b; bytes after it are ignored. It follows clvm_rs's
// serialized_length_from_bytes framing:
//
//   - 0xff is a pair, followed by two more values;
//   - 0x80 is nil and 0x00..0x7f a one-byte atom;
//   - 0xfe is a back-reference followed by its path, encoded as an atom;
//   - any other first byte starts a size prefix whose length is its count of
//     leading one bits: 10xxxxxx holds a 6-bit size, 110xxxxx plus one byte a
//     13-bit size, and so on up to six prefix bytes.
//
// A size prefix of more than six bytes, or an atom of 2^34 bytes or more,
// gives an error wrapping ErrBadCLVM; input that ends inside the value gives
// one wrapping streamable.ErrUnexpectedEOF.
//
// Back-reference paths are skipped, not resolved: a path that names no
// earlier node is accepted here (as clvm_rs's trusted variant does),
// whereas clvm_rs's untrusted variant rejects it. Deciding what a path
// points to needs the tree, which only matters to code that runs the
// program.
//
// CLVMLength makes one pass over b with a counter of values still expected,
// so it uses no stack or heap however deep the tree is, and it jumps over
// the body of every size-prefixed atom.
func CLVMLength(b []byte) (int, error) {
	pos := 0
	// pending counts the values still to be read. Each pair replaces
	// itself with two, so pending never exceeds len(b)+1.
	pending := 1
	for pending > 0 {
		if pos >= len(b) {
			return 0, errCLVMTruncated
		}
		c := b[pos]
		pos++
		if c == clvmCons {
			pending++ // this value becomes two
			continue
		}
		pending--
		if c <= clvmNil {
			continue // one-byte atom or nil
		}
		if c == clvmBackRef {
			// The path is an atom of its own: one byte if small, otherwise
			// size-prefixed (0xfe and 0xff are bad prefixes here).
			if pos >= len(b) {
				return 0, errCLVMTruncated
			}
			c = b[pos]
			pos++
			if c <= clvmNil {
				continue
			}
		}
		var err error
		if pos, err = skipCLVMAtom(b, pos, c); err != nil {
			return 0, err
		}
	}
	return pos, nil
}

// skipCLVMAtom skips a size-prefixed atom whose first byte c (>0x80) was
// already read; pos is the offset just after c. It returns the offset after
// the atom.
func skipCLVMAtom(b []byte, pos int, c byte) (int, error) {
	n := bits.LeadingZeros8(^c) // prefix length in bytes, 1..8
	if n > clvmMaxPrefixLen {
		return 0, fmt.Errorf("%w: atom size prefix of %d bytes at offset %d", ErrBadCLVM, n, pos-1)
	}
	size := uint64(c & (0xff >> n))
	if n > 1 {
		if len(b)-pos < n-1 {
			return 0, errCLVMTruncated
		}
		for _, x := range b[pos : pos+n-1] {
			size = size<<8 | uint64(x)
		}
		pos += n - 1
		if size >= clvmMaxAtomSize {
			return 0, fmt.Errorf("%w: atom size %d at offset %d", ErrBadCLVM, size, pos-n)
		}
	}
	if size > uint64(len(b)-pos) {
		return 0, errCLVMTruncated
	}
	return pos + int(size), nil
}

// validProgram reports why p is not exactly one complete CLVM
// serialization, or nil if it is.
func validProgram(p []byte) error {
	n, err := CLVMLength(p)
	if err != nil {
		return err
	}
	if n != len(p) {
		return fmt.Errorf("%w: %d bytes after the CLVM value", streamable.ErrTrailingBytes, len(p)-n)
	}
	return nil
}

// EncodeStreamable appends the raw serialization. A Program that is not
// exactly one complete CLVM serialization (the empty Program included)
// makes w fail with streamable.ErrInvalidValue: the reader could not find
// its end.
func (p *Program) EncodeStreamable(w *streamable.Writer) {
	if err := validProgram(*p); err != nil {
		w.Fail(fmt.Errorf("%w: Program is not one complete CLVM serialization: %w", streamable.ErrInvalidValue, err))
		return
	}
	w.Fixed(*p)
}

// DecodeStreamable reads one CLVM serialization, copying its bytes.
func (p *Program) DecodeStreamable(r *streamable.Reader) error {
	n, err := CLVMLength(r.Rest())
	if err != nil {
		return err
	}
	b, err := r.CopyNext(n)
	if err != nil {
		return err
	}
	*p = b
	return nil
}

// AppendJSON appends "0x" + hex of the serialization.
func (p *Program) AppendJSON(b []byte) []byte { return streamable.AppendHex(b, *p) }

// DecodeJSONValue accepts a hex string, with or without "0x", holding
// exactly one complete CLVM serialization and nothing after it.
func (p *Program) DecodeJSONValue(v any) error {
	b, err := streamable.JSONHex(v)
	if err != nil {
		return err
	}
	if err := validProgram(b); err != nil {
		return fmt.Errorf("%w: Program is not one complete CLVM serialization: %w", streamable.ErrInvalidJSON, err)
	}
	*p = b
	return nil
}
