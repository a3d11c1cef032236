package main

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden generates testdata/basic and compares every output file with
// testdata/basic/golden/<name>.golden.
func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "basic")
	out, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	if want := []string{"gen_message_types.go", "gen_registry.go", "gen_sample.go"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("generated files %v, want %v", names, want)
	}
	for _, n := range names {
		golden := filepath.Join(dir, "golden", n+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, out[n], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != string(out[n]) {
			t.Errorf("%s differs from %s; run go test -update and review the diff", n, golden)
		}
	}
}

// TestGoldenContent checks the facts of the format in the golden output,
// so an -update cannot silently bless a wrong encoding.
func TestGoldenContent(t *testing.T) {
	out, err := generate(filepath.Join("testdata", "basic"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(out["gen_sample.go"])
	for _, want := range []string{
		"w.U8(x.A)",
		"w.I16(x.B)",
		"w.BytesPrefixed(x.F)",
		"w.U128(x.G)",
		"w.Fixed(x.H[:])",
		"w.Option(false)",
		"w.Len(len(x.L))",
		"x.O.EncodeStreamable(w)",
		"r.ListLen(minLenPair)",
		"r.ListLen(32)",
		"streamable.JSONArray(v, 2)", // Pair is a tuple
		"const minLenSample = ",      // list bound constant
		"const minLenCustom = 2",     // custom size from the directive
		"return streamable.Field(streamable.ErrMissingField, \"a\")",
		`b = append(b, "{\"a\":"...)`,
		`b = append(b, ",\"inner\":"...)`,
		"func (*Custom) TypeName() string",
		"opts = new(optionals)", // one allocation for all of Sample's optionals
		// Hash reports an encoding failure instead of a zero hash.
		"func (x *Sample) Hash() (Bytes32, error) {",
		"return Bytes32{}, err",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
	// Custom has a hand-written binary codec: only JSON and helpers here.
	if strings.Contains(src, "func (x *Custom) EncodeStreamable") || strings.Contains(src, "func (x *Custom) DecodeStreamable") {
		t.Error("custom-binary type got a generated binary codec")
	}
	if !strings.Contains(src, "func (x *Custom) AppendJSON") {
		t.Error("custom-binary type lacks generated JSON")
	}
	// minsize of Sample: a1 b2 c8 d1 e4 f4 g16 h32 i32 j1 k1 l4 m1 n4 o1 p1 inner2 = 115
	if !strings.Contains(src, "const minLenSample = 115") {
		t.Error("wrong minimum size for Sample")
	}
}

// TestGoldenMessages checks the facts of the generated message tables:
// one constant, one name, one payload and one constructor per line of the
// list, and nothing else.
func TestGoldenMessages(t *testing.T) {
	out, err := generate(filepath.Join("testdata", "basic"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(out["gen_message_types.go"])
	for _, want := range []string{
		"// MsgSample (1, sample) carries Sample.\n\tMsgSample MessageType = 1\n",
		"MsgEmptyA MessageType = 3\n",
		"// MsgEmptyB (4, empty_b) carries Empty.\n\t// Its data is empty, as for empty_a: two ids may share one payload type.\n\tMsgEmptyB MessageType = 4\n",
		"MsgPair MessageType = 255\n",
		"var messageTypeNames = [256]string{\n\tMsgSample: \"sample\",\n\tMsgEmptyA: \"empty_a\",\n\tMsgEmptyB: \"empty_b\",\n\tMsgPair:   \"pair\",\n}",
		"var payloadTypeNames = [256]string{\n\tMsgSample: \"Sample\",\n\tMsgEmptyA: \"Empty\",\n\tMsgEmptyB: \"Empty\",\n\tMsgPair:   \"Pair\",\n}",
		"case MsgSample:\n\t\treturn new(Sample)\n",
		"case MsgEmptyB:\n\t\treturn new(Empty)\n",
		"case MsgPair:\n\t\treturn new(Pair)\n\t}\n\treturn nil\n}",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("generated message types lack %q", want)
		}
	}
	if n := strings.Count(src, "MessageType = "); n != 4 {
		t.Errorf("%d constants, want 4", n)
	}
	if n := strings.Count(src, "return new("); n != 4 {
		t.Errorf("%d constructors, want 4", n)
	}
}

// TestRejects checks that the generator stops on what it does not know.
func TestRejects(t *testing.T) {
	cases := map[string]string{
		"unknown":   "unknown type float64",
		"notag":     `missing json:"name" tag`,
		"nested":    "unsupported type",
		"recursive": "recursive types are not supported",
		"nominsize": "needs minsize=N",
		// The message list.
		"msgdupid":   "id 1 already used on line 1",
		"msgorder":   "id 1 is out of order",
		"msgpayload": "payload type Nope is not declared",
		"msgfields":  "want id, name, constant and payload type",
		"msgname":    `name "RequestA" is not lower snake_case`,
	}
	for dir, want := range cases {
		t.Run(dir, func(t *testing.T) {
			_, err := generate(filepath.Join("testdata", "bad", dir))
			if err == nil {
				t.Fatal("generate succeeded")
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not mention %q", err, want)
			}
		})
	}
}
