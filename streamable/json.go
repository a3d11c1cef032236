package streamable

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON form follows the reference to_json_dict: bytes of every kind as
// "0x" + lowercase hex (empty bytes as "0x" from the reference's Python
// types, "" from its chia_rs ones: AppendRustBytes), integers of every
// width as bare JSON numbers, null for an absent optional, arrays for
// lists and tuples, and object keys in field order.
//
// Parsing goes through encoding/json with UseNumber, so integers are never
// rounded through float64; generated code then walks the decoded value.

const hexDigits = "0123456789abcdef"

// AppendHex appends bytes as a JSON string "0x…" in lowercase hex.
func AppendHex(b []byte, v []byte) []byte {
	b = append(b, '"', '0', 'x')
	b = hex.AppendEncode(b, v)
	return append(b, '"')
}

// AppendRustBytes appends variable-length bytes as chia_rs's Bytes writes
// them: "0x…" in lowercase hex, but "" when empty.
func AppendRustBytes(b []byte, v []byte) []byte {
	if len(v) == 0 {
		return append(b, '"', '"')
	}
	return AppendHex(b, v)
}

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// AppendUint appends an unsigned integer as a bare JSON number.
func AppendUint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }

// AppendInt appends a signed integer as a bare JSON number.
func AppendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// AppendNull appends null.
func AppendNull(b []byte) []byte { return append(b, "null"...) }

// AppendString appends s as a JSON string exactly as encoding/json writes it
// without HTML escaping: quotes, backslashes and control characters
// escaped (\b, \f, \n, \r and \t by name), U+2028 and U+2029 escaped,
// invalid UTF-8 as \ufffd, everything else (<, >, &, non-ASCII) as is.
// Package rpc relies on this equality for its sorted-key answers.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// JSONAppender is implemented by every generated type.
type JSONAppender interface {
	// AppendJSON appends the reference JSON form of the value to b.
	AppendJSON(b []byte) []byte
}

// JSONValueDecoder is implemented by every generated type.
type JSONValueDecoder interface {
	// DecodeJSONValue fills the value from a JSON value decoded by
	// ParseJSON (objects as map[string]any, numbers as json.Number).
	DecodeJSONValue(v any) error
}

// ParseJSON decodes one JSON value with exact numbers and rejects trailing
// data.
func ParseJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJSON, err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: trailing data after the JSON value", ErrInvalidJSON)
	}
	return v, nil
}

// UnmarshalJSON parses data as the reference JSON form of v.
func UnmarshalJSON(data []byte, v JSONValueDecoder) error {
	jv, err := ParseJSON(data)
	if err != nil {
		return err
	}
	if err := v.DecodeJSONValue(jv); err != nil {
		if n, ok := v.(Named); ok {
			return Field(err, n.TypeName())
		}
		return err
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func wrongKind(want string, v any) error {
	return fmt.Errorf("%w: want %s, got %s", ErrInvalidJSON, want, jsonKind(v))
}

// JSONObject returns v as an object.
func JSONObject(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, wrongKind("object", v)
	}
	return m, nil
}

// JSONField returns m[name]; a missing key is an error.
func JSONField(m map[string]any, name string) (any, error) {
	v, ok := m[name]
	if !ok {
		return nil, Field(ErrMissingField, name)
	}
	return v, nil
}

// JSONArray returns v as an array. If n >= 0 the array must have exactly
// n elements (tuples).
func JSONArray(v any, n int) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, wrongKind("array", v)
	}
	if n >= 0 && len(a) != n {
		return nil, fmt.Errorf("%w: want %d elements, got %d", ErrInvalidJSON, n, len(a))
	}
	return a, nil
}

// JSONIsNull reports whether v is JSON null.
func JSONIsNull(v any) bool { return v == nil }

// JSONBool returns v as a bool.
func JSONBool(v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, wrongKind("bool", v)
	}
	return b, nil
}

// JSONString returns v as a string.
func JSONString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wrongKind("string", v)
	}
	return s, nil
}

// JSONUint returns v as an unsigned integer of the given bit size.
func JSONUint(v any, bitSize int) (uint64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, wrongKind("integer", v)
	}
	u, err := strconv.ParseUint(string(n), 10, bitSize)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is not a uint%d", ErrInvalidJSON, n, bitSize)
	}
	return u, nil
}

// JSONInt returns v as a signed integer of the given bit size.
func JSONInt(v any, bitSize int) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, wrongKind("integer", v)
	}
	i, err := strconv.ParseInt(string(n), 10, bitSize)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is not an int%d", ErrInvalidJSON, n, bitSize)
	}
	return i, nil
}

// JSONUint128 returns v as a Uint128.
func JSONUint128(v any) (Uint128, error) {
	n, ok := v.(json.Number)
	if !ok {
		return Uint128{}, wrongKind("integer", v)
	}
	u, err := ParseUint128(string(n))
	if err != nil {
		return Uint128{}, fmt.Errorf("%w: %s is not a uint128", ErrInvalidJSON, n)
	}
	return u, nil
}

// JSONHex returns the bytes of a hex string, with or without "0x", as the
// reference's Python parser accepts both.
func JSONHex(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, wrongKind("hex string", v)
	}
	return ParseHex(s)
}

// ParseHex decodes hex with an optional "0x" or "0X" prefix.
func ParseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: bad hex: %v", ErrInvalidJSON, err)
	}
	return b, nil
}

// JSONFixedHex fills dst from a hex string of exactly len(dst) bytes.
func JSONFixedHex(v any, dst []byte) error {
	b, err := JSONHex(v)
	if err != nil {
		return err
	}
	if len(b) != len(dst) {
		return fmt.Errorf("%w: want %d bytes, got %d", ErrInvalidJSON, len(dst), len(b))
	}
	copy(dst, b)
	return nil
}
