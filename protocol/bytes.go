package protocol

import (
	"encoding/hex"

	"github.com/chianet/chianet/streamable"
)

// Fixed-size byte types. On the wire they are their raw bytes with no
// prefix; in JSON they are "0x" + lowercase hex.

// Bytes4 is the reference bytes4.
type Bytes4 [4]byte

// Bytes8 is the reference bytes8.
type Bytes8 [8]byte

// Bytes32 is the reference bytes32: hashes, coin ids, puzzle hashes.
type Bytes32 [32]byte

// Bytes48 is the reference bytes48.
type Bytes48 [48]byte

// Bytes96 is the reference bytes96.
type Bytes96 [96]byte

// Bytes100 is the reference bytes100 (a classgroup element's data).
type Bytes100 [100]byte

// Bytes480 is the reference bytes480.
type Bytes480 [480]byte

// G1Element is a compressed BLS12-381 G1 point (a public key), 48 bytes.
// chianet carries it as bytes and does not check that it is on the curve:
// a networking stack relays keys, it does not verify signatures.
type G1Element [48]byte

// G2Element is a compressed BLS12-381 G2 point (a signature), 96 bytes.
type G2Element [96]byte

// String returns "0x" + hex.
func (b Bytes32) String() string { return "0x" + hex.EncodeToString(b[:]) }

// String returns "0x" + hex.
func (b G1Element) String() string { return "0x" + hex.EncodeToString(b[:]) }

// String returns "0x" + hex.
func (b G2Element) String() string { return "0x" + hex.EncodeToString(b[:]) }

// ParseBytes32 parses 64 hex digits, with or without "0x".
func ParseBytes32(s string) (Bytes32, error) {
	var b Bytes32
	err := streamable.JSONFixedHex(s, b[:])
	return b, err
}

// Value is implemented by every wire type of this package: its
// Streamable codec, its reference JSON form and its hash.
type Value interface {
	streamable.Encoder
	streamable.Decoder
	streamable.JSONAppender
	streamable.JSONValueDecoder
	streamable.Named
	// Hash returns the SHA-256 of the value's serialization (the reference
	// get_hash()). A value that cannot be encoded, which only a value built
	// by hand or from JSON with an impossible field (an unknown version, a
	// Program that is not CLVM, say) can be, has no hash: Hash returns the
	// encoding error instead.
	Hash() (Bytes32, error)
}
