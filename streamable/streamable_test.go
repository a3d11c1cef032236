package streamable

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestIntegersRoundTrip(t *testing.T) {
	w := NewWriter(nil)
	w.U8(0xab)
	w.U16(0x0102)
	w.U32(0x01020304)
	w.U64(0x0102030405060708)
	w.U128(Uint128{Hi: 0x1112131415161718, Lo: 0x191a1b1c1d1e1f20})
	w.I8(-1)
	w.I16(-2)
	w.I32(-3)
	w.I64(-4)
	want := "ab" + "0102" + "01020304" + "0102030405060708" +
		"1112131415161718191a1b1c1d1e1f20" + "ff" + "fffe" + "fffffffd" + "fffffffffffffffc"
	if got := hex.EncodeToString(w.Bytes()); got != want {
		t.Fatalf("encoding\n got %s\nwant %s", got, want)
	}
	r := NewReader(w.Bytes())
	if v, _ := r.U8(); v != 0xab {
		t.Fatal(v)
	}
	if v, _ := r.U16(); v != 0x0102 {
		t.Fatal(v)
	}
	if v, _ := r.U32(); v != 0x01020304 {
		t.Fatal(v)
	}
	if v, _ := r.U64(); v != 0x0102030405060708 {
		t.Fatal(v)
	}
	if v, _ := r.U128(); v != (Uint128{Hi: 0x1112131415161718, Lo: 0x191a1b1c1d1e1f20}) {
		t.Fatal(v)
	}
	if v, _ := r.I8(); v != -1 {
		t.Fatal(v)
	}
	if v, _ := r.I16(); v != -2 {
		t.Fatal(v)
	}
	if v, _ := r.I32(); v != -3 {
		t.Fatal(v)
	}
	if v, _ := r.I64(); v != -4 {
		t.Fatal(v)
	}
	if r.Len() != 0 {
		t.Fatalf("%d bytes left", r.Len())
	}
}

func TestTruncatedPrimitives(t *testing.T) {
	reads := map[string]func(r *Reader) error{
		"u8":    func(r *Reader) error { _, err := r.U8(); return err },
		"u16":   func(r *Reader) error { _, err := r.U16(); return err },
		"u32":   func(r *Reader) error { _, err := r.U32(); return err },
		"u64":   func(r *Reader) error { _, err := r.U64(); return err },
		"u128":  func(r *Reader) error { _, err := r.U128(); return err },
		"bool":  func(r *Reader) error { _, err := r.Bool(); return err },
		"opt":   func(r *Reader) error { _, err := r.Option(); return err },
		"bytes": func(r *Reader) error { _, err := r.Bytes(); return err },
		"str":   func(r *Reader) error { _, err := r.Str(); return err },
		"fixed": func(r *Reader) error { return r.Fixed(make([]byte, 32)) },
	}
	for name, read := range reads {
		if err := read(NewReader(nil)); !errors.Is(err, ErrUnexpectedEOF) {
			t.Errorf("%s on empty input: %v", name, err)
		}
	}
}

func TestBoolAndOptionRejectOtherBytes(t *testing.T) {
	for b := 2; b < 256; b++ {
		if _, err := NewReader([]byte{byte(b)}).Bool(); !errors.Is(err, ErrInvalidBool) {
			t.Fatalf("bool byte %d: %v", b, err)
		}
		if _, err := NewReader([]byte{byte(b)}).Option(); !errors.Is(err, ErrInvalidOptional) {
			t.Fatalf("option byte %d: %v", b, err)
		}
	}
	if v, err := NewReader([]byte{1}).Bool(); err != nil || !v {
		t.Fatal(v, err)
	}
	if v, err := NewReader([]byte{0}).Option(); err != nil || v {
		t.Fatal(v, err)
	}
}

func TestBytesAndStrings(t *testing.T) {
	w := NewWriter(nil)
	w.BytesPrefixed([]byte{1, 2, 3})
	w.BytesPrefixed(nil)
	w.Str("héllo")
	if got, want := hex.EncodeToString(w.Bytes()), "00000003010203"+"00000000"+"00000006"+hex.EncodeToString([]byte("héllo")); got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	r := NewReader(w.Bytes())
	b, err := r.Bytes()
	if err != nil || !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Fatal(b, err)
	}
	b, err = r.Bytes()
	if err != nil || b == nil || len(b) != 0 {
		t.Fatalf("empty bytes decode as %#v, %v (want non-nil empty)", b, err)
	}
	s, err := r.Str()
	if err != nil || s != "héllo" {
		t.Fatal(s, err)
	}
	// Invalid UTF-8 is rejected both ways.
	if _, err := NewReader([]byte{0, 0, 0, 1, 0xff}).Str(); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatal(err)
	}
	w = NewWriter(nil)
	w.Str("\xff")
	if !errors.Is(w.Err(), ErrInvalidUTF8) {
		t.Fatal(w.Err())
	}
}

// A length prefix larger than the input must fail before allocating: a
// 4 GiB claim on a 4-byte input may not make the reader allocate at all.
func TestHugeLengthFailsBeforeAllocating(t *testing.T) {
	in := []byte{0xff, 0xff, 0xff, 0xff}
	// Measure bytes, not allocations: the error value costs a few small
	// allocations (more under -race), the point is that the 4 GiB claim
	// costs nothing near its size.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		r := Reader{buf: in}
		if _, err := r.Bytes(); !errors.Is(err, ErrLengthTooLarge) {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / 100; perRun > 1024 {
		t.Fatalf("%d bytes allocated per rejected length", perRun)
	}
	r := NewReader([]byte{0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	if _, err := r.ListLen(32); !errors.Is(err, ErrLengthTooLarge) {
		t.Fatalf("3 elements of 32 bytes in 10: %v", err)
	}
	r = NewReader([]byte{0, 0, 0, 3, 0, 0, 0})
	if n, err := r.ListLen(1); err != nil || n != 3 {
		t.Fatal(n, err)
	}
}

func TestErrorPath(t *testing.T) {
	err := Field(Field(Index(Field(ErrUnexpectedEOF, "foliage"), 3), "blocks"), "RespondBlocks")
	if got, want := err.Error(), "RespondBlocks.blocks[3].foliage: unexpected end of input"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrUnexpectedEOF) {
		t.Fatal("error does not unwrap")
	}
	if e.FieldPath() != "RespondBlocks.blocks[3].foliage" {
		t.Fatal(e.FieldPath())
	}
	if Field(nil, "x") != nil {
		t.Fatal("Field(nil) is not nil")
	}
}

// TestErrorPathBeforeFormatting checks that the path is complete as soon as
// the error is made, with no call to Error or FieldPath first, and that
// wrapping an error never changes the one wrapped.
func TestErrorPathBeforeFormatting(t *testing.T) {
	inner := Index(Field(ErrUnexpectedEOF, "foliage"), 3)
	var ie *Error
	if !errors.As(inner, &ie) {
		t.Fatal("Index did not make an *Error")
	}
	if want := []string{"[3]", "foliage"}; !slices.Equal(ie.Path, want) {
		t.Fatalf("inner Path = %q, want %q", ie.Path, want)
	}
	outer := Field(Field(inner, "blocks"), "RespondBlocks")
	var oe *Error
	if !errors.As(outer, &oe) {
		t.Fatal("Field did not make an *Error")
	}
	if want := []string{"RespondBlocks", "blocks", "[3]", "foliage"}; !slices.Equal(oe.Path, want) {
		t.Fatalf("outer Path = %q, want %q", oe.Path, want)
	}
	// The wrapped error is unchanged.
	if want := []string{"[3]", "foliage"}; !slices.Equal(ie.Path, want) {
		t.Fatalf("wrapping changed the inner Path to %q", ie.Path)
	}
	if got, want := inner.Error(), "[3].foliage: unexpected end of input"; got != want {
		t.Fatalf("inner error %q, want %q", got, want)
	}
	if got, want := oe.FieldPath(), "RespondBlocks.blocks[3].foliage"; got != want {
		t.Fatalf("FieldPath = %q, want %q", got, want)
	}
	// Two wraps of one error are independent.
	a, b := Field(inner, "a"), Field(inner, "b")
	if a.Error() != "a[3].foliage: unexpected end of input" || b.Error() != "b[3].foliage: unexpected end of input" {
		t.Fatalf("sibling wraps: %q and %q", a, b)
	}
}

// TestErrorConcurrentFormatting formats one error from several goroutines
// at once; under -race it fails if formatting writes to the error.
func TestErrorConcurrentFormatting(t *testing.T) {
	err := Field(Field(Index(Field(ErrUnexpectedEOF, "foliage"), 3), "blocks"), "RespondBlocks")
	const want = "RespondBlocks.blocks[3].foliage: unexpected end of input"
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal("not an *Error")
	}
	var wg sync.WaitGroup
	got := make([]string, 8)
	paths := make([]string, 8)
	for i := range got {
		wg.Go(func() {
			got[i] = err.Error()
			paths[i] = e.FieldPath()
		})
	}
	wg.Wait()
	for i := range got {
		if got[i] != want || paths[i] != "RespondBlocks.blocks[3].foliage" {
			t.Errorf("goroutine %d: %q, path %q", i, got[i], paths[i])
		}
	}
}

func TestUint128Decimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []Uint128{{}, {Lo: 1}, {Lo: ^uint64(0)}, {Hi: 1}, {Hi: ^uint64(0), Lo: ^uint64(0)}, {Hi: 1 << 63}}
	for range 2000 {
		cases = append(cases, Uint128{Hi: rng.Uint64() >> rng.IntN(64), Lo: rng.Uint64()})
	}
	for _, c := range cases {
		s := c.String()
		if s != c.Big().String() {
			t.Fatalf("%#v: %s vs big %s", c, s, c.Big())
		}
		back, err := ParseUint128(s)
		if err != nil || back != c {
			t.Fatalf("parse %s: %v %v", s, back, err)
		}
		fromBig, err := U128FromBig(c.Big())
		if err != nil || fromBig != c {
			t.Fatal(fromBig, err)
		}
	}
	max := new(big.Int).Lsh(big.NewInt(1), 128)
	if _, err := ParseUint128(max.String()); err == nil {
		t.Fatal("2^128 parsed")
	}
	max.Sub(max, big.NewInt(1))
	if v, err := ParseUint128(max.String()); err != nil || v != (Uint128{^uint64(0), ^uint64(0)}) {
		t.Fatal(v, err)
	}
	for _, bad := range []string{"", "-1", "+1", "1e3", "1.0", " 1", "0x10"} {
		if _, err := ParseUint128(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if (Uint128{Hi: 1}).Cmp(Uint128{Lo: ^uint64(0)}) != 1 || (Uint128{Lo: 5}).Sub(Uint128{Lo: 7}) != (Uint128{^uint64(0), ^uint64(0) - 1}) {
		t.Fatal("Cmp/Sub")
	}
}

func TestJSONHelpers(t *testing.T) {
	b := AppendHex(nil, nil)
	if string(b) != `"0x"` {
		t.Fatal(string(b))
	}
	if got := string(AppendString(nil, "a\"b\\c\n\x01é\xff")); got != `"a\"b\\c\n\u0001é\ufffd"` {
		t.Fatal(got)
	}
	v, err := ParseJSON([]byte(`{"n": 340282366920938463463374607431768211455, "h": "ABcd", "x": "0xabcd", "neg": -5}`))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := JSONObject(v)
	if u, err := JSONUint128(m["n"]); err != nil || u != (Uint128{^uint64(0), ^uint64(0)}) {
		t.Fatal(u, err)
	}
	if _, err := JSONUint(m["n"], 64); err == nil {
		t.Fatal("u128 value accepted as u64")
	}
	if _, err := JSONUint(m["neg"], 8); err == nil {
		t.Fatal("negative accepted as unsigned")
	}
	if n, err := JSONInt(m["neg"], 8); err != nil || n != -5 {
		t.Fatal(n, err)
	}
	for _, k := range []string{"h", "x"} {
		h, err := JSONHex(m[k])
		if err != nil || !bytes.Equal(h, []byte{0xab, 0xcd}) {
			t.Fatal(k, h, err)
		}
	}
	var dst [3]byte
	if err := JSONFixedHex(m["x"], dst[:]); err == nil {
		t.Fatal("wrong length accepted")
	}
	if _, err := ParseJSON([]byte(`{} {}`)); !errors.Is(err, ErrInvalidJSON) {
		t.Fatal("trailing JSON accepted:", err)
	}
	if _, err := JSONField(m, "missing"); !errors.Is(err, ErrMissingField) || !strings.Contains(err.Error(), "missing") {
		t.Fatal(err)
	}
	if _, err := JSONArray([]any{1, 2}, 3); err == nil {
		t.Fatal("tuple length not checked")
	}
}

type trailing struct{ v uint8 }

func (x *trailing) DecodeStreamable(r *Reader) error {
	var err error
	x.v, err = r.U8()
	return Field(err, "v")
}
func (*trailing) TypeName() string { return "Trailing" }

func TestUnmarshalRejectsTrailingBytes(t *testing.T) {
	var x trailing
	err := Unmarshal([]byte{1, 2}, &x)
	if !errors.Is(err, ErrTrailingBytes) || !strings.HasPrefix(err.Error(), "Trailing: ") {
		t.Fatal(err)
	}
	err = Unmarshal(nil, &x)
	if err == nil || err.Error() != "Trailing.v: unexpected end of input" {
		t.Fatal(err)
	}
	if err := Unmarshal([]byte{7}, &x); err != nil || x.v != 7 {
		t.Fatal(err)
	}
}

func BenchmarkReaderU32(b *testing.B) {
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	r := Reader{}
	for b.Loop() {
		r.Reset(buf)
		for r.Len() >= 4 {
			_, _ = r.U32()
		}
	}
}

// TestAppendStringMatchesEncodingJSON holds AppendString to encoding/json's
// escaping without HTML escaping, on random strings rich in the bytes
// whose treatment differs between encoders.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	pieces := []string{"a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\x00", "\x01", "\b", "\f", "\n", "\r", "\t",
		"\x1f", "\x7f", "é", "€", "😀", "\u2028", "\u2029", "\xff", "\xe2\x82", "\xed\xa0\x80", "\ufffd"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var s strings.Builder
		for range rng.IntN(12) {
			s.WriteString(pieces[rng.IntN(len(pieces))])
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.String()); err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s.String()); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("case %d, %q: AppendString %s, encoding/json %s", i, s.String(), got, want.Bytes())
		}
	}
}
