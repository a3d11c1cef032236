package rpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// jsonAppender is a value that writes its own JSON as the general path
// (appendTree) would: every object's keys sorted, strings written by
// appendString, numbers with their exact text. The types on the busy
// routes implement it, so that their answers are written in one pass;
// tests hold each to the general path (TestConnectionJSONMatchesLegacy,
// TestSortedEncoderMatchesTreePath).
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

var jsonAppenderType = reflect.TypeFor[jsonAppender]()

// marshalSorted encodes v as JSON with the keys of every object sorted,
// as the reference's json.dumps(..., sort_keys=True). Numbers keep their
// exact text (a uint128 stays a bare integer), and <, > and & are not
// escaped.
func marshalSorted(v any) ([]byte, error) { return appendSorted(nil, v) }

// appendSorted appends marshalSorted(v) to b. Maps of any, strings,
// booleans, plain integers, jsonAppenders and slices of them are written
// directly; any other value takes the general path (appendTree).
func appendSorted(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case jsonAppender:
		if rv := reflect.ValueOf(t); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return append(b, "null"...), nil
		}
		return t.appendJSON(b), nil
	case map[string]any:
		if t == nil { // encoding/json's null, not {}
			return append(b, "null"...), nil
		}
		return appendObject(b, t, false)
	case []any:
		if t == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendSorted(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case string:
		return appendString(b, t), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(t), 10), nil
	case uint64:
		return strconv.AppendUint(b, t, 10), nil
	}
	// A slice of jsonAppenders (e.g. get_connections' []Connection): each
	// element through a pointer, which copies nothing to the heap.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && reflect.PointerTo(rv.Type().Elem()).Implements(jsonAppenderType) {
		if rv.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i := range rv.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = rv.Index(i).Addr().Interface().(jsonAppender).appendJSON(b)
		}
		return append(b, ']'), nil
	}
	return appendTree(b, v)
}

// appendObject appends m with its keys sorted. withSuccess adds
// "success": true when m has no "success", as the envelope of an answer.
func appendObject(b []byte, m map[string]any, withSuccess bool) ([]byte, error) {
	keys := make([]string, 0, len(m)+1)
	for k := range m {
		if !utf8.ValidString(k) {
			// The general path turns invalid bytes into U+FFFD before it
			// sorts, and merges keys that then match: m as it decodes.
			tree, err := toTree(m)
			if err != nil {
				return nil, err
			}
			return appendObject(b, tree.(map[string]any), withSuccess)
		}
		keys = append(keys, k)
	}
	if _, has := m["success"]; withSuccess && !has {
		keys = append(keys, "success")
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		v, has := m[k]
		if !has { // the added "success"
			v = true
		}
		var err error
		if b, err = appendSorted(b, v); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendString writes s as the general path does: escaped as encoding/json
// escapes without HTML escaping (streamable.AppendString), except that a
// byte of invalid UTF-8 becomes the character U+FFFD rather than its
// escape, since the general path decodes and encodes again.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // each invalid byte becomes U+FFFD
	}
	return streamable.AppendString(b, s)
}

// appendTree is the general path: v rendered by encoding/json, decoded
// into maps, slices and json.Numbers, and encoded again, which sorts
// every object's keys.
func appendTree(b []byte, v any) ([]byte, error) {
	tree, err := toTree(v)
	if err != nil {
		return nil, err
	}
	out, err := encodeTree(tree)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
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
	if b := bytes.TrimSpace(body); len(b) == 0 || string(b) == "{}" { // what most clients send
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
func (h hash32) MarshalJSON() ([]byte, error) { return h.appendJSON(nil), nil }

func (h hash32) appendJSON(b []byte) []byte { return streamable.AppendHex(b, h[:]) }

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
func (h bareHash32) MarshalJSON() ([]byte, error) { return h.appendJSON(nil), nil }

func (h bareHash32) appendJSON(b []byte) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, h[:])
	return append(b, '"')
}

// UnmarshalJSON reads hex with or without "0x".
func (h *bareHash32) UnmarshalJSON(b []byte) error { return (*hash32)(h).UnmarshalJSON(b) }

// uint128 is a uint128 as a bare JSON integer; null reads as 0, as
// go-chia-libs reads it.
type uint128 streamable.Uint128

// MarshalJSON writes the decimal digits.
func (u uint128) MarshalJSON() ([]byte, error) { return u.appendJSON(nil), nil }

func (u uint128) appendJSON(b []byte) []byte { return streamable.Uint128(u).AppendDecimal(b) }

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
func (t unixTime) MarshalJSON() ([]byte, error) { return t.appendJSON(nil), nil }

func (t unixTime) appendJSON(b []byte) []byte {
	tt := time.Time(t)
	if tt.IsZero() {
		return append(b, "0.0"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, float64(tt.UnixNano())/1e9, 'f', -1, 64)
	if bytes.IndexByte(b[start:], '.') < 0 { // 'f' writes no exponent
		b = append(b, ".0"...)
	}
	return b
}

// UnmarshalJSON reads seconds; 0 and null are the zero Time, and a time
// out of the range of UnixNano is an error.
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
	// Beyond what a time in nanoseconds holds (years 1678 to 2262) the
	// conversions below overflow into another time: such a time is an
	// error, not a wrong date.
	if math.Abs(f) >= math.MaxInt64/1e9 {
		return fmt.Errorf("time %v is out of range", f)
	}
	sec, frac := math.Modf(f)
	*t = unixTime(time.Unix(int64(sec), int64(math.Round(frac*1e9))))
	return nil
}
