package protocol

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chianet/chianet/streamable"
)

// TestEmptyBytesJSON checks the JSON of empty bytes fields (spec
// rpc-and-types §3.2, §5.7): the types the reference defines in chia_rs
// write them as "" (Bytes::to_json_dict), the ones it defines in Python
// as "0x" (recurse_jsonify). Both forms parse back to empty bytes, as the
// reference's Rust parser accepts both.
func TestEmptyBytesJSON(t *testing.T) {
	cases := []struct {
		name  string
		v     interface{ AppendJSON([]byte) []byte }
		field string
		want  string
	}{
		// chia_rs types.
		{"VDFProof", &VDFProof{}, "witness", `""`},
		{"HeaderBlock", &HeaderBlock{}, "transactions_filter", `""`},
		{"ProofOfSpace", &ProofOfSpace{}, "proof", `""`},
		// Python types, also when they hold chia_rs ones.
		{"UnfinishedHeaderBlock", &UnfinishedHeaderBlock{}, "transactions_filter", `"0x"`},
		{"RequestMempoolTransactions", &RequestMempoolTransactions{}, "filter", `"0x"`},
		{"SolverResponse", &SolverResponse{}, "proof", `"0x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(c.v.AppendJSON(nil))
			if want := `"` + c.field + `":` + c.want; !strings.Contains(got, want) {
				t.Errorf("JSON %s\nholds no %s", got, want)
			}
		})
	}

	// A non-empty witness is "0x"-prefixed; the forms parse back.
	p := &VDFProof{WitnessType: 1, Witness: []byte{0xab}}
	if got, want := string(p.AppendJSON(nil)), `{"witness_type":1,"witness":"0xab","normalized_to_identity":false}`; got != want {
		t.Errorf("VDFProof JSON = %s, want %s", got, want)
	}
	for _, in := range []string{`""`, `"0x"`} {
		var q VDFProof
		if err := streamable.UnmarshalJSON([]byte(`{"witness_type":0,"witness":`+in+`,"normalized_to_identity":true}`), &q); err != nil {
			t.Errorf("witness %s: %v", in, err)
		} else if len(q.Witness) != 0 || !q.NormalizedToIdentity {
			t.Errorf("witness %s parsed as %+v", in, q)
		}
	}

	// Inside a FullBlock, as get_block answers it.
	var b FullBlock
	got := b.AppendJSON(nil)
	if !bytes.Contains(got, []byte(`"witness":""`)) || bytes.Contains(got, []byte(`"witness":"0x"`)) {
		t.Errorf("FullBlock JSON writes empty witnesses other than as \"\"")
	}
}
