package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/chianet/chianet/streamable"
)

// hexBytes decodes hex pieces joined together; spaces are ignored.
func hexBytes(t testing.TB, pieces ...string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(pieces, ""), " ", ""))
	if err != nil {
		t.Fatalf("bad test hex: %v", err)
	}
	return b
}

func TestCLVMLength(t *testing.T) {
	zeros := func(n int) string { return strings.Repeat("00", n) }
	tests := []struct {
		name string
		in   []string // hex pieces
		want int
	}{
		{"nil", []string{"80"}, 1},
		{"atom 0x00", []string{"00"}, 1},
		{"atom 0x01", []string{"01"}, 1},
		{"atom 0x7f", []string{"7f"}, 1},
		{"one-byte atom ignores trailing data", []string{"7f", "000000"}, 1},
		{"nil ignores trailing data", []string{"80", "000000"}, 1},
		// 1-byte size prefix 10xxxxxx.
		{"prefix1 size 1", []string{"81", "80"}, 2},
		{"prefix1 size 15", []string{"8f", zeros(15)}, 16},
		{"prefix1 size 63 (max)", []string{"bf", zeros(63)}, 64},
		{"prefix1 size 6 foobar", []string{"86", "666f6f626172"}, 7},
		// 2-byte size prefix 110xxxxx + 1.
		{"prefix2 size 0x40", []string{"c040", zeros(0x40)}, 2 + 0x40},
		{"prefix2 size 0x1fff (max)", []string{"dfff", zeros(0x1fff)}, 2 + 0x1fff},
		{"prefix2 size 0 (non-canonical)", []string{"c000"}, 2},
		// 3-byte size prefix 1110xxxx + 2.
		{"prefix3 size 0x2000", []string{"e02000", zeros(0x2000)}, 3 + 0x2000},
		{"prefix3 size 3", []string{"e00003", "010203"}, 6},
		// 4-byte size prefix 11110xxx + 3.
		{"prefix4 size 16", []string{"f0000010", zeros(16)}, 20},
		// 5-byte size prefix 111110xx + 4.
		{"prefix5 size 4", []string{"f800000004", "01020304"}, 9},
		// 6-byte size prefix 1111110x + 5.
		{"prefix6 size 2", []string{"fc0000000002", "0102"}, 8},
		{"prefix6 size 0", []string{"fc0000000000"}, 6},
		// Pairs.
		{"pair of atoms", []string{"ff", "01", "02"}, 3},
		{"pair ignores trailing data", []string{"ff", "00", "00", "00"}, 3},
		{"pair (1 . (nil . nil))", []string{"ff01ff8080", "00"}, 5},
		{"list (1 2 3 4 5)", []string{"ff01ff02ff03ff04ff0580"}, 11},
		{"tree ((1 . 2) . (3 . 4))", []string{"ffff0102ff0304"}, 7},
		{"tree with foobar", []string{"ffff0102ff03", "86666f6f626172"}, 13},
		// Back-references: 0xfe then a path encoded as an atom.
		{"backref (foobar . <1>)", []string{"ff", "86666f6f626172", "fe01"}, 10},
		{"backref ((1 2 3 4) . <2>)", []string{"ffff01ff02ff03ff0480", "fe02"}, 12},
		{"backref alone", []string{"fe01"}, 2},
		{"backref with empty path", []string{"fe80"}, 2},
		{"backref with size-prefixed path", []string{"fe8201ff", "00"}, 4},
		{"backref with 2-byte-prefixed path", []string{"fec003010203"}, 6},
		// A path that names no earlier node is skipped, not resolved.
		{"backref path not checked", []string{"ff01fffe1080", "00"}, 6},
		{"backref long string", []string{
			"ffffffffff9b615f766572795f6c6f6e675f72657065617465645f737472696e6701ff0203ffff04",
			"05ff0607ff0809ff0aff9b615f766572795f6c6f6e675f72657065617465645f737472696e6780"}, 79},
		{"backref long string compressed", []string{
			"ffffffffff9b615f766572795f6c6f6e675f72657065617465645f737472696e6701ff0203ffff0405ff0607ff0809ff0afffe4180"}, 53},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := hexBytes(t, tc.in...)
			n, err := CLVMLength(b)
			if err != nil {
				t.Fatalf("CLVMLength(%x): %v", b, err)
			}
			if n != tc.want {
				t.Fatalf("CLVMLength(%x) = %d, want %d", b, n, tc.want)
			}
		})
	}
}

func TestCLVMLengthErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", streamable.ErrUnexpectedEOF},
		{"prefix1 declared size beyond input", "8fff", streamable.ErrUnexpectedEOF},
		{"prefix1 size 63 one byte short", "bf" + strings.Repeat("00", 62), streamable.ErrUnexpectedEOF},
		{"prefix2 missing size byte", "c0", streamable.ErrUnexpectedEOF},
		{"prefix2 declared size beyond input", "cfff", streamable.ErrUnexpectedEOF},
		{"prefix2 declared size beyond input 2", "cfff0000", streamable.ErrUnexpectedEOF},
		{"prefix3 missing size bytes", "e000", streamable.ErrUnexpectedEOF},
		{"prefix3 declared size beyond input", "efffff00", streamable.ErrUnexpectedEOF},
		{"prefix4 missing size bytes", "f00000", streamable.ErrUnexpectedEOF},
		{"prefix4 declared size beyond input", "f7ffffff" + "00", streamable.ErrUnexpectedEOF},
		{"prefix5 missing size bytes", "f8000000", streamable.ErrUnexpectedEOF},
		{"prefix5 declared size 0x3ffffffff beyond input", "fbffffffff", streamable.ErrUnexpectedEOF},
		{"prefix6 missing size bytes", "fc00000000", streamable.ErrUnexpectedEOF},
		{"prefix6 largest size 0x3ffffffff beyond input", "fc03ffffffff", streamable.ErrUnexpectedEOF},
		// 0xfc 04 00 00 00 00 declares exactly 0x400000000 bytes: too big.
		{"prefix6 size 0x400000000", "fc0400000000", ErrBadCLVM},
		{"prefix6 size 0xffffffffff", "fcffffffffff", ErrBadCLVM},
		// 0xfd has six prefix bytes and a size of at least 2^40.
		{"prefix6 0xfd smallest", "fd0000000000", ErrBadCLVM},
		{"prefix6 0xfd largest", "fdffffffffff", ErrBadCLVM},
		{"prefix6 0xfd missing size bytes", "fd00000000", streamable.ErrUnexpectedEOF},
		// As the first byte of an atom, 0xfe and 0xff mean back-reference and
		// pair. As the first byte of a back-reference path they would be 7-
		// and 8-byte size prefixes.
		{"backref path with 7-byte prefix", "fefe" + strings.Repeat("00", 8), ErrBadCLVM},
		{"backref path with 8-byte prefix", "feff" + strings.Repeat("00", 8), ErrBadCLVM},
		{"backref path 0xfd prefix", "fefd0000000000", ErrBadCLVM},
		{"backref missing path", "fe", streamable.ErrUnexpectedEOF},
		{"backref path truncated", "fe82ff", streamable.ErrUnexpectedEOF},
		{"pair missing right", "ff01", streamable.ErrUnexpectedEOF},
		{"pair missing both", "ff", streamable.ErrUnexpectedEOF},
		{"list missing terminator", "ff01ff02ff03", streamable.ErrUnexpectedEOF},
		{"bad atom inside pair", "ff01fd0000000000", ErrBadCLVM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := hexBytes(t, tc.in)
			n, err := CLVMLength(b)
			if err == nil {
				t.Fatalf("CLVMLength(%x) = %d, want error %v", b, n, tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("CLVMLength(%x) error %v, want %v", b, err, tc.want)
			}
			if errors.Is(err, ErrBadCLVM) && !errors.Is(err, streamable.ErrInvalidValue) {
				t.Fatalf("ErrBadCLVM error %v does not wrap ErrInvalidValue", err)
			}
		})
	}
}

// Every strict prefix of a valid serialization is truncated.
func TestCLVMLengthTruncatedEverywhere(t *testing.T) {
	full := hexBytes(t,
		"ff", "86666f6f626172", // ("foobar" .
		"ff", "c040", strings.Repeat("ab", 0x40), // (64-byte atom .
		"ff", "fe8201ff", // (<back-ref with 2-byte path> .
		"ff", "f800000003", "010203", // (3-byte atom with 5-byte prefix .
		"ff", "fc0000000001", "7f", // (1-byte atom with 6-byte prefix .
		"80") // nil)))))
	n, err := CLVMLength(full)
	if err != nil || n != len(full) {
		t.Fatalf("CLVMLength = %d, %v; want %d", n, err, len(full))
	}
	for i := range len(full) {
		if n, err := CLVMLength(full[:i]); !errors.Is(err, streamable.ErrUnexpectedEOF) {
			t.Fatalf("CLVMLength(first %d bytes) = %d, %v; want unexpected EOF", i, n, err)
		}
	}
}

// A million nested pairs are walked without recursion or allocation.
func TestCLVMLengthDeepNesting(t *testing.T) {
	const depth = 1_000_000
	// Left-deep: (((... (nil . nil) ...) . nil) . nil)
	left := append(bytes.Repeat([]byte{0xff}, depth), bytes.Repeat([]byte{0x80}, depth+1)...)
	// Right-deep: (nil nil nil ...), i.e. (nil . (nil . (... . nil)))
	right := append(bytes.Repeat([]byte{0xff, 0x80}, depth), 0x80)
	for name, b := range map[string][]byte{"left": left, "right": right} {
		n, err := CLVMLength(b)
		if err != nil || n != 2*depth+1 {
			t.Fatalf("%s: CLVMLength = %d, %v; want %d", name, n, err, 2*depth+1)
		}
		if _, err := CLVMLength(b[:len(b)-1]); !errors.Is(err, streamable.ErrUnexpectedEOF) {
			t.Fatalf("%s: truncated: %v", name, err)
		}
		allocs := testing.AllocsPerRun(3, func() { _, _ = CLVMLength(b) })
		if allocs != 0 {
			t.Fatalf("%s: CLVMLength allocated %v times", name, allocs)
		}
	}
	// The failure path does not allocate either.
	bad := left[:len(left)-1]
	if allocs := testing.AllocsPerRun(3, func() { _, _ = CLVMLength(bad) }); allocs != 0 {
		t.Fatalf("CLVMLength error path allocated %v times", allocs)
	}
}

func TestProgramBinary(t *testing.T) {
	// Decoding takes exactly one CLVM value and leaves what follows.
	in := hexBytes(t,
		"ff", "86666f6f626172", "fe01", // program ("foobar" . <1>)
		"abcd") // the next field
	r := streamable.NewReader(in)
	var p Program
	if err := p.DecodeStreamable(r); err != nil {
		t.Fatal(err)
	}
	if want := hexBytes(t, "ff86666f6f626172fe01"); !bytes.Equal(p, want) {
		t.Fatalf("decoded %x, want %x", []byte(p), want)
	}
	if r.Len() != 2 {
		t.Fatalf("%d bytes left, want 2", r.Len())
	}
	// The decoded program is a copy.
	in[0] = 0x80
	if p[0] != 0xff {
		t.Fatal("decoded Program aliases its input")
	}

	// Encoding writes the raw bytes with no prefix.
	p = Program(hexBytes(t, "ff0180"))
	b, err := streamable.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	if want := hexBytes(t, "ff0180"); !bytes.Equal(b, want) {
		t.Fatalf("encoded %x, want %x", b, want)
	}

	// Values the wire cannot express.
	for name, bad := range map[string]Program{
		"nil":       nil,
		"empty":     {},
		"truncated": hexBytes(t, "ff01"),
		"trailing":  hexBytes(t, "ff018080"),
		"bad atom":  hexBytes(t, "fd0000000000"),
	} {
		if _, err := streamable.Marshal(&bad); !errors.Is(err, streamable.ErrInvalidValue) {
			t.Errorf("%s: Marshal error %v, want ErrInvalidValue", name, err)
		}
	}

	// Decode errors.
	for name, tc := range map[string]struct {
		in   string
		want error
	}{
		"empty":     {"", streamable.ErrUnexpectedEOF},
		"truncated": {"ff01", streamable.ErrUnexpectedEOF},
		"bad atom":  {"fc0400000000", ErrBadCLVM},
	} {
		var p Program
		if err := p.DecodeStreamable(streamable.NewReader(hexBytes(t, tc.in))); !errors.Is(err, tc.want) {
			t.Errorf("%s: decode error %v, want %v", name, err, tc.want)
		}
	}
}

func TestProgramJSON(t *testing.T) {
	p := Program(hexBytes(t, "ff0180"))
	if got := string(p.AppendJSON(nil)); got != `"0xff0180"` {
		t.Fatalf("AppendJSON = %s", got)
	}
	for _, s := range []string{`"0xff0180"`, `"ff0180"`} {
		v, err := streamable.ParseJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		var q Program
		if err := q.DecodeJSONValue(v); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if !bytes.Equal(q, p) {
			t.Fatalf("%s: decoded %x", s, []byte(q))
		}
	}
	for _, s := range []string{
		`"0xff018000"`, // trailing byte after the value
		`"0xff01"`,     // truncated
		`"0x"`,         // empty
		`""`,           // empty
		`"0xfd0000000000"`,
		`"0xzz"`,
		`255`,
		`null`,
	} {
		v, err := streamable.ParseJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		var q Program
		if err := q.DecodeJSONValue(v); !errors.Is(err, streamable.ErrInvalidJSON) {
			t.Errorf("%s: error %v, want ErrInvalidJSON", s, err)
		}
	}
}

func TestByteList(t *testing.T) {
	l := ByteList{0x01, 0x02, 0xff}
	b, err := streamable.Marshal(&l)
	if err != nil {
		t.Fatal(err)
	}
	want := hexBytes(t,
		"00000003", // count
		"0102ff")   // bytes
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded %x, want %x", b, want)
	}
	var d ByteList
	if err := streamable.Unmarshal(want, &d); err != nil || !bytes.Equal(d, l) {
		t.Fatalf("decoded %v, %v", d, err)
	}
	for i := range len(want) {
		var d ByteList
		if err := streamable.Unmarshal(want[:i], &d); err == nil {
			t.Fatalf("decoding %d of %d bytes succeeded", i, len(want))
		}
	}
	if got := string(l.AppendJSON(nil)); got != `[1,2,255]` {
		t.Fatalf("AppendJSON = %s", got)
	}

	var empty ByteList
	if err := streamable.Unmarshal(hexBytes(t, "00000000"), &empty); err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("empty decode: %v, %v (nil=%v)", empty, err, empty == nil)
	}
	if got := string(empty.AppendJSON(nil)); got != `[]` {
		t.Fatalf("empty AppendJSON = %s", got)
	}

	v, err := streamable.ParseJSON([]byte(`[1, 2, 255]`))
	if err != nil {
		t.Fatal(err)
	}
	var j ByteList
	if err := j.DecodeJSONValue(v); err != nil || !bytes.Equal(j, l) {
		t.Fatalf("DecodeJSONValue = %v, %v", j, err)
	}
	v, _ = streamable.ParseJSON([]byte(`[]`))
	if err := j.DecodeJSONValue(v); err != nil || j == nil || len(j) != 0 {
		t.Fatalf("DecodeJSONValue([]) = %v, %v", j, err)
	}
	for _, s := range []string{`[256]`, `[-1]`, `[1.5]`, `["1"]`, `"0x0102"`, `null`} {
		v, err := streamable.ParseJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if err := j.DecodeJSONValue(v); !errors.Is(err, streamable.ErrInvalidJSON) {
			t.Errorf("%s: error %v, want ErrInvalidJSON", s, err)
		}
	}
}

// benchProgram builds a generator-like program of at least size bytes: a
// list of entries, each a small tree mixing 32-byte atoms, small atoms,
// nil, multi-byte atoms and pairs.
func benchProgram(size int) []byte {
	var b []byte
	atom32 := append([]byte{0xa0}, bytes.Repeat([]byte{0x5a}, 32)...)
	for i := 0; len(b) < size; i++ {
		b = append(b, 0xff) // list cell
		// entry: (atom32 (u64 atom) 1 (nested (pairs)) . nil)
		b = append(b, 0xff)
		b = append(b, atom32...)
		b = append(b, 0xff, 0x88, 0, 0, 0, 0, 0, 0, byte(i>>8), byte(i))
		b = append(b, 0xff, 0x01)
		b = append(b, 0xff, 0xff, 0x02, 0xff, 0x05, 0xff, 0x80, 0x80)
		b = append(b, 0xff, 0x83, 0x01, 0x02, 0x03)
		b = append(b, 0x80)
	}
	return append(b, 0x80) // end of list
}

func BenchmarkCLVMLength(b *testing.B) {
	p := benchProgram(1 << 20)
	if n, err := CLVMLength(p); err != nil || n != len(p) {
		b.Fatalf("CLVMLength = %d, %v; want %d", n, err, len(p))
	}
	b.Run("Walk1MB", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := CLVMLength(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The ceiling: copying the same bytes.
	b.Run("Memcpy1MB", func(b *testing.B) {
		dst := make([]byte, len(p))
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		for b.Loop() {
			copy(dst, p)
		}
	})
}
