package rpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// marshalSorted encodes v as JSON with the keys of every object sorted,
// as the reference's json.dumps(..., sort_keys=True). Numbers keep their
// exact text (a uint128 stays a bare integer), and <, > and & are not
// escaped.
func marshalSorted(v any) ([]byte, error) {
	tree, err := toTree(v)
	if err != nil {
		return nil, err
	}
	return encodeTree(tree)
}

// toTree renders v as JSON and decodes it again into maps, slices and
// json.Numbers, so that encodeTree can write it with sorted keys.
func toTree(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeTree(raw)
}

// decodeTree decodes exactly one JSON value with exact numbers.
func decodeTree(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return tree, nil
}

// encodeTree writes a decoded tree; encoding/json sorts map keys.
func encodeTree(tree any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// Params is the JSON object of a request, decoded with exact numbers
// (json.Number). Its methods read one field each and return a clear error
// naming the field when it has the wrong type or range.
//
// Integers may be given as JSON numbers or as strings of decimal digits,
// as the reference's Python constructors (uint32("12")) accept both.
type Params map[string]any

// parseParams decodes a request body: an object, or nothing (empty, or
// null), which is taken for {}.
func parseParams(body []byte) (Params, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Params{}, nil
	}
	tree, err := decodeTree(body)
	if err != nil {
		return nil, fmt.Errorf("the request is not valid JSON: %w", err)
	}
	switch t := tree.(type) {
	case nil:
		return Params{}, nil
	case map[string]any:
		return Params(t), nil
	default:
		return nil, fmt.Errorf("the request must be a JSON object, not %s", kindOf(tree))
	}
}

// Has reports whether the field is present (even as null).
func (p Params) Has(name string) bool {
	_, ok := p[name]
	return ok
}

// kindOf names a decoded JSON value's type for error messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// paramError is a request field of the wrong type or out of range.
func paramError(name, format string, args ...any) *Error {
	e := newError(CodeUnknown, name+": "+format, args...)
	e.Data = map[string]any{"field": name}
	return e
}

// Uint reads an unsigned integer field of at most max. ok is false when
// the field is absent.
func (p Params) Uint(name string, max uint64) (v uint64, ok bool, err error) {
	raw, ok := p[name]
	if !ok {
		return 0, false, nil
	}
	var s string
	switch t := raw.(type) {
	case json.Number:
		s = string(t)
	case string:
		s = strings.TrimSpace(t)
	default:
		return 0, true, paramError(name, "want an integer from 0 to %d, got %s", max, kindOf(raw))
	}
	u, perr := strconv.ParseUint(s, 10, 64)
	if perr != nil || u > max {
		return 0, true, paramError(name, "want an integer from 0 to %d, got %s", max, strconv.Quote(s))
	}
	return u, true, nil
}

// Uint32 reads a uint32 field; ok is false when it is absent.
func (p Params) Uint32(name string) (uint32, bool, error) {
	v, ok, err := p.Uint(name, math.MaxUint32)
	return uint32(v), ok, err
}

// Uint16 reads a uint16 field; ok is false when it is absent.
func (p Params) Uint16(name string) (uint16, bool, error) {
	v, ok, err := p.Uint(name, math.MaxUint16)
	return uint16(v), ok, err
}

// Bool reads a boolean field; ok is false when it is absent.
func (p Params) Bool(name string) (v, ok bool, err error) {
	raw, ok := p[name]
	if !ok {
		return false, false, nil
	}
	b, isBool := raw.(bool)
	if !isBool {
		return false, true, paramError(name, "want true or false, got %s", kindOf(raw))
	}
	return b, true, nil
}

// String reads a string field; ok is false when it is absent.
func (p Params) String(name string) (v string, ok bool, err error) {
	raw, ok := p[name]
	if !ok {
		return "", false, nil
	}
	s, isString := raw.(string)
	if !isString {
		return "", true, paramError(name, "want a string, got %s", kindOf(raw))
	}
	return s, true, nil
}

// Hex reads a hex string field, with or without "0x"; ok is false when it
// is absent.
func (p Params) Hex(name string) (v []byte, ok bool, err error) {
	s, ok, err := p.String(name)
	if !ok || err != nil {
		return nil, ok, err
	}
	b, herr := streamable.ParseHex(s)
	if herr != nil {
		return nil, true, paramError(name, "want hex, got %s", strconv.Quote(s))
	}
	return b, true, nil
}

// Bytes32 reads a 32-byte hex field, with or without "0x"; ok is false
// when it is absent.
func (p Params) Bytes32(name string) (v protocol.Bytes32, ok bool, err error) {
	b, ok, err := p.Hex(name)
	if !ok || err != nil {
		return v, ok, err
	}
	if len(b) != len(v) {
		return v, true, paramError(name, "want 32 bytes of hex, got %d bytes", len(b))
	}
	copy(v[:], b)
	return v, true, nil
}

// hash32 is a bytes32 in the reference's JSON: "0x" + lowercase hex. It
// parses hex with or without "0x".
type hash32 protocol.Bytes32

// MarshalJSON writes "0x" + hex.
func (h hash32) MarshalJSON() ([]byte, error) { return streamable.AppendHex(nil, h[:]), nil }

// UnmarshalJSON reads hex with or without "0x".
func (h *hash32) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	raw, err := streamable.ParseHex(s)
	if err != nil {
		return err
	}
	if len(raw) != len(h) {
		return fmt.Errorf("want 32 bytes of hex, got %d", len(raw))
	}
	copy(h[:], raw)
	return nil
}

// bareHash32 is a bytes32 as the reference's handlers write it with
// .hex(): lowercase hex without "0x" (blockchain_state.node_id,
// get_blocks' header_hash).
type bareHash32 protocol.Bytes32

// MarshalJSON writes hex without "0x".
func (h bareHash32) MarshalJSON() ([]byte, error) {
	return []byte(`"` + hex.EncodeToString(h[:]) + `"`), nil
}

// UnmarshalJSON reads hex with or without "0x".
func (h *bareHash32) UnmarshalJSON(b []byte) error { return (*hash32)(h).UnmarshalJSON(b) }

// uint128 is a uint128 as a bare JSON integer; null reads as 0, as
// go-chia-libs reads it.
type uint128 streamable.Uint128

// MarshalJSON writes the decimal digits.
func (u uint128) MarshalJSON() ([]byte, error) { return streamable.Uint128(u).AppendDecimal(nil), nil }

// UnmarshalJSON reads a bare integer (or a string of digits), or null.
func (u *uint128) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "null" {
		*u = uint128{}
		return nil
	}
	v, err := streamable.ParseUint128(s)
	if err != nil {
		return err
	}
	*u = uint128(v)
	return nil
}

// unixTime is a time as Python's time.time(): seconds since the epoch as
// a JSON float; the zero Time is 0.
type unixTime time.Time

// MarshalJSON writes seconds with a decimal point.
func (t unixTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("0.0"), nil
	}
	s := strconv.FormatFloat(float64(tt.UnixNano())/1e9, 'f', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return []byte(s), nil
}

// UnmarshalJSON reads seconds; 0 and null are the zero Time.
func (t *unixTime) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*t = unixTime{}
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f == 0 {
		*t = unixTime{}
		return nil
	}
	sec, frac := math.Modf(f)
	*t = unixTime(time.Unix(int64(sec), int64(math.Round(frac*1e9))))
	return nil
}
