package streamable

import (
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
)

// Uint128 is an unsigned 128-bit integer, the reference uint128 (weights
// and total iterations).
type Uint128 struct {
	Hi, Lo uint64
}

// U128From64 returns v as a Uint128.
func U128From64(v uint64) Uint128 { return Uint128{Lo: v} }

// Big returns the value as a *big.Int.
func (u Uint128) Big() *big.Int {
	b := new(big.Int).SetUint64(u.Hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(u.Lo))
}

// U128FromBig converts b; it fails if b is negative or wider than 128 bits.
func U128FromBig(b *big.Int) (Uint128, error) {
	if b.Sign() < 0 || b.BitLen() > 128 {
		return Uint128{}, fmt.Errorf("%w: %s is out of the uint128 range", ErrInvalidValue, b)
	}
	lo := new(big.Int).And(b, new(big.Int).SetUint64(^uint64(0)))
	hi := new(big.Int).Rsh(b, 64)
	return Uint128{Hi: hi.Uint64(), Lo: lo.Uint64()}, nil
}

// Cmp compares u and v, returning -1, 0 or +1.
func (u Uint128) Cmp(v Uint128) int {
	switch {
	case u.Hi < v.Hi:
		return -1
	case u.Hi > v.Hi:
		return 1
	case u.Lo < v.Lo:
		return -1
	case u.Lo > v.Lo:
		return 1
	}
	return 0
}

// Sub returns u - v, wrapping below zero.
func (u Uint128) Sub(v Uint128) Uint128 {
	lo, borrow := bits.Sub64(u.Lo, v.Lo, 0)
	hi, _ := bits.Sub64(u.Hi, v.Hi, borrow)
	return Uint128{Hi: hi, Lo: lo}
}

// String returns the value in decimal.
func (u Uint128) String() string { return string(u.AppendDecimal(nil)) }

// AppendDecimal appends the decimal form of u to b without allocating
// beyond b's growth.
func (u Uint128) AppendDecimal(b []byte) []byte {
	if u.Hi == 0 {
		return strconv.AppendUint(b, u.Lo, 10)
	}
	// Split into base-10^19 digits: at most three groups for 128 bits.
	const base = 10_000_000_000_000_000_000 // 10^19
	var groups [3]uint64
	n := 0
	hi, lo := u.Hi, u.Lo
	for hi != 0 || lo != 0 {
		var rem uint64
		hi, rem = bits.Div64(0, hi, base)
		lo, rem = bits.Div64(rem, lo, base)
		groups[n] = rem
		n++
	}
	b = strconv.AppendUint(b, groups[n-1], 10)
	for i := n - 2; i >= 0; i-- {
		var tmp [20]byte
		d := strconv.AppendUint(tmp[:0], groups[i], 10)
		for range 19 - len(d) {
			b = append(b, '0')
		}
		b = append(b, d...)
	}
	return b
}

// ParseUint128 parses a decimal string of at most 128 bits; no sign, no
// leading '+', no exponent.
func ParseUint128(s string) (Uint128, error) {
	if s == "" {
		return Uint128{}, fmt.Errorf("%w: empty integer", ErrInvalidValue)
	}
	var hi, lo uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return Uint128{}, fmt.Errorf("%w: %q is not an unsigned integer", ErrInvalidValue, s)
		}
		// (hi,lo) = (hi,lo)*10 + d, checking for overflow.
		h1, l1 := bits.Mul64(lo, 10)
		h2, h2lo := bits.Mul64(hi, 10)
		if h2 != 0 {
			return Uint128{}, fmt.Errorf("%w: %s overflows uint128", ErrInvalidValue, s)
		}
		nh, carry := bits.Add64(h2lo, h1, 0)
		if carry != 0 {
			return Uint128{}, fmt.Errorf("%w: %s overflows uint128", ErrInvalidValue, s)
		}
		nl, carry := bits.Add64(l1, uint64(c-'0'), 0)
		nh, carry2 := bits.Add64(nh, 0, carry)
		if carry2 != 0 {
			return Uint128{}, fmt.Errorf("%w: %s overflows uint128", ErrInvalidValue, s)
		}
		hi, lo = nh, nl
	}
	return Uint128{Hi: hi, Lo: lo}, nil
}
