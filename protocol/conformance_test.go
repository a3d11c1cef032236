package protocol_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// The conformance corpus stays outside this repository (it is the
// reference's test data). Tests find it through CHIANET_CONFORMANCE_DIR,
// or at ../shared/conformance beside the repository. When it is absent the
// corpus tests are skipped with a message saying so, unless
// CHIANET_REQUIRE_CONFORMANCE=1 (CI sets it), which makes absence a failure.

type corpusRecord struct {
	Index    int             `json:"index"`
	Name     string          `json:"name"`
	Protocol string          `json:"protocol"`
	Type     string          `json:"type"`
	Hex      string          `json:"hex"`
	JSON     json.RawMessage `json:"json"`
}

// corpusPath is where the corpus should be: CHIANET_CONFORMANCE_DIR, or
// ../shared/conformance beside the repository.
func corpusPath() string {
	if dir := os.Getenv("CHIANET_CONFORMANCE_DIR"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "shared", "conformance")
}

func conformanceDir(t testing.TB) string {
	t.Helper()
	dir := corpusPath()
	if _, err := os.Stat(filepath.Join(dir, "protocol-messages.json")); err != nil {
		msg := fmt.Sprintf("conformance corpus not found at %s (set CHIANET_CONFORMANCE_DIR to the folder holding protocol-messages.json and protocol_messages_bytes-v1.0)", dir)
		if os.Getenv("CHIANET_REQUIRE_CONFORMANCE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

func loadCorpus(t testing.TB) []corpusRecord {
	t.Helper()
	dir := conformanceDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "protocol-messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []corpusRecord
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 116 {
		t.Fatalf("corpus has %d records, want 116", len(recs))
	}
	return recs
}

// parseExact decodes JSON keeping numbers exact, for structural comparison.
func parseExact(t testing.TB, data []byte) any {
	t.Helper()
	v, err := streamable.ParseJSON(data)
	if err != nil {
		t.Fatalf("%v in %s", err, data)
	}
	return v
}

// TestConformanceCorpus walks all 116 records: decode into the named type
// using every byte, re-encode byte-identical, render the reference JSON,
// and parse that JSON back to the same bytes.
func TestConformanceCorpus(t *testing.T) {
	for _, rec := range loadCorpus(t) {
		t.Run(fmt.Sprintf("%03d_%s", rec.Index, rec.Name), func(t *testing.T) {
			want, err := hex.DecodeString(rec.Hex)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := protocol.NewValue(rec.Type)
			if !ok {
				t.Fatalf("no type %s", rec.Type)
			}
			if err := streamable.Unmarshal(want, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, err := streamable.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("re-encoding differs\n got %x\nwant %x", got, want)
			}
			gotJSON := v.AppendJSON(nil)
			if !json.Valid(gotJSON) {
				t.Fatalf("invalid JSON: %s", gotJSON)
			}
			if g, w := parseExact(t, gotJSON), parseExact(t, rec.JSON); !reflect.DeepEqual(g, w) {
				t.Fatalf("JSON differs\n got %s\nwant %s", gotJSON, rec.JSON)
			}
			back, _ := protocol.NewValue(rec.Type)
			if err := streamable.UnmarshalJSON(rec.JSON, back); err != nil {
				t.Fatalf("parse reference JSON: %v", err)
			}
			again, err := streamable.Marshal(back)
			if err != nil {
				t.Fatalf("encode parsed JSON: %v", err)
			}
			if !bytes.Equal(again, want) {
				t.Fatalf("JSON → bytes differs\n got %x\nwant %x", again, want)
			}
			// Hash is the SHA-256 of the serialization for every corpus
			// record (none holds a bare version-1 ProofOfSpace).
			if h, err := v.Hash(); err != nil {
				t.Fatalf("Hash: %v", err)
			} else if rec.Type != "ProofOfSpace" && h != protocol.Bytes32(sha256Sum(want)) {
				t.Fatal("Hash is not the SHA-256 of the serialization")
			}
		})
	}
}

// TestConformanceBinaryFile splits the binary corpus on its length
// prefixes: each record must equal the hex of the same index and the file
// must end exactly after the last one.
func TestConformanceBinaryFile(t *testing.T) {
	recs := loadCorpus(t)
	data, err := os.ReadFile(filepath.Join(conformanceDir(t), "protocol_messages_bytes-v1.0"))
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for i, rec := range recs {
		if len(data)-off < 4 {
			t.Fatalf("record %d: file ends inside the length prefix", i)
		}
		n := int(binary.BigEndian.Uint32(data[off:]))
		off += 4
		if len(data)-off < n {
			t.Fatalf("record %d: length %d exceeds the file", i, n)
		}
		if got := hex.EncodeToString(data[off : off+n]); got != rec.Hex {
			t.Fatalf("record %d (%s) differs from protocol-messages.json", i, rec.Name)
		}
		off += n
	}
	if off != len(data) {
		t.Fatalf("%d bytes after the last record", len(data)-off)
	}
}

// TestCorpusTruncationNeverPanics cuts every record at every offset: each
// prefix must fail to decode with a typed error, never panic.
func TestCorpusTruncationNeverPanics(t *testing.T) {
	for _, rec := range loadCorpus(t) {
		full, _ := hex.DecodeString(rec.Hex)
		step := 1
		if len(full) > 2000 {
			step = 7 // the large blocks: still thousands of cut points
		}
		for cut := 0; cut < len(full); cut += step {
			v, _ := protocol.NewValue(rec.Type)
			err := streamable.Unmarshal(full[:cut], v)
			if err == nil {
				t.Fatalf("%s cut at %d/%d decoded", rec.Name, cut, len(full))
			}
			var se *streamable.Error
			if !asError(err, &se) {
				t.Fatalf("%s cut at %d: untyped error %v", rec.Name, cut, err)
			}
		}
		v, _ := protocol.NewValue(rec.Type)
		if err := streamable.Unmarshal(append(full, 0), v); err == nil {
			t.Fatalf("%s with a trailing byte decoded", rec.Name)
		}
	}
}
