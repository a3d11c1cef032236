package streamable

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

// FuzzParseUint128 checks the decimal parser against math/big: it accepts
// exactly the strings of ASCII digits whose value fits 128 bits, with that
// value, and errors wrap ErrInvalidValue.
func FuzzParseUint128(f *testing.F) {
	for _, s := range []string{"0", "1", "18446744073709551615", "18446744073709551616",
		"340282366920938463463374607431768211455", "340282366920938463463374607431768211456",
		"000000000000000000000000000000000000000000000000001", "-1", "+1", "1e3", "", " 1", "٣"} {
		f.Add(s)
	}
	max := new(big.Int).Lsh(big.NewInt(1), 128)
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUint128(s)
		want, ok := new(big.Int).SetString(s, 10)
		valid := ok && s != "" && strings.Trim(s, "0123456789") == "" && want.Cmp(max) < 0
		if err != nil {
			if valid {
				t.Fatalf("%q refused: %v", s, err)
			}
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("%q: untyped error %v", s, err)
			}
			return
		}
		if !valid {
			t.Fatalf("%q accepted as %s", s, u.AppendDecimal(nil))
		}
		if got := string(u.AppendDecimal(nil)); got != want.String() {
			t.Fatalf("%q parsed as %s", s, got)
		}
	})
}

// FuzzParseJSON checks that ParseJSON never panics and fails only with
// ErrInvalidJSON, deep nesting included.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[1, 2]`, `"x"`, `1e999`, `{"a": 1} 2`, strings.Repeat(`[`, 20000), `{"a":` + strings.Repeat(`{"a":`, 5000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseJSON(data); err != nil && !errors.Is(err, ErrInvalidJSON) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
