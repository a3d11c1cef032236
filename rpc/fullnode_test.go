package rpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

func TestFullNodeRouteShapes(t *testing.T) {
	s := startServer(t, nil)
	chain := s.node.chain

	// get_blockchain_state is the reference's answer for a node without
	// a chain, key for key, with the heaviest announced peak's height as
	// sync_tip_height.
	m := s.call(t, "get_blockchain_state", "{}")
	wantKeys(t, "get_blockchain_state", m, "success", "blockchain_state")
	want := noChainState("4")
	if !reflect.DeepEqual(m["blockchain_state"], want) {
		t.Errorf("blockchain_state = %v\nwant %v", m["blockchain_state"], want)
	}

	for h, b := range chain {
		m = s.call(t, "get_block_record_by_height", fmt.Sprintf(`{"height": %d}`, h))
		wantKeys(t, "get_block_record_by_height", m, "success", "block_record")
		rec := m["block_record"].(map[string]any)
		hh := mustHeaderHash(b)
		if rec["header_hash"] != hh.String() || rec["height"] != json.Number(fmt.Sprint(h)) {
			t.Errorf("record %d = %v", h, rec)
		}
	}
	m = s.call(t, "get_block_record_by_height", `{"height": 5}`)
	if m["success"] != false || m["error"] != "Block height 5 not found in chain" ||
		m["structuredError"].(map[string]any)["code"] != "BLOCK_HEIGHT_NOT_FOUND" {
		t.Errorf("height above the peak = %v", m)
	}

	hh := mustHeaderHash(chain[2])
	m = s.call(t, "get_block", fmt.Sprintf(`{"header_hash": %q}`, hex.EncodeToString(hh[:])))
	wantKeys(t, "get_block", m, "success", "block")
	got, err := json.Marshal(m["block"])
	if err != nil {
		t.Fatal(err)
	}
	var back protocol.FullBlock
	if err := back.UnmarshalJSON(got); err != nil {
		t.Fatalf("block does not parse: %v", err)
	}
	if mustHeaderHash(&back) != hh {
		t.Errorf("get_block gave block %v, want %v", mustHeaderHash(&back), hh)
	}
	m = s.call(t, "get_block", fmt.Sprintf(`{"header_hash": %q}`, fill32(0xee).String()))
	se, _ := m["structuredError"].(map[string]any)
	if m["success"] != false || m["error"] != "Block "+strings.Repeat("ee", 32)+" not found" || se["code"] != "BLOCK_NOT_FOUND" ||
		se["message"] != "Block not found" {
		t.Errorf("unknown block = %v", m)
	}

	m = s.call(t, "get_blocks", `{"start": 1, "end": 4}`)
	wantKeys(t, "get_blocks", m, "success", "blocks")
	blocks := m["blocks"].([]any)
	if len(blocks) != 3 {
		t.Fatalf("%d blocks", len(blocks))
	}
	for i, b := range blocks {
		bm := b.(map[string]any)
		h := mustHeaderHash(chain[1+i])
		if bm["header_hash"] != hex.EncodeToString(h[:]) {
			t.Errorf("block %d header_hash %v, want hex without 0x", i, bm["header_hash"])
		}
		if _, ok := bm["reward_chain_block"]; !ok {
			t.Errorf("block %d is not a FullBlock: %v", i, keys(bm))
		}
	}
	m = s.call(t, "get_blocks", `{"start": 0, "end": 2, "exclude_header_hash": true, "exclude_reorged": true}`)
	for _, b := range m["blocks"].([]any) {
		if _, ok := b.(map[string]any)["header_hash"]; ok {
			t.Error("exclude_header_hash left header_hash")
		}
	}
	if m = s.call(t, "get_blocks", `{"start": 3, "end": 3}`); len(m["blocks"].([]any)) != 0 {
		t.Errorf("empty range = %v", m)
	}

	for _, tc := range []struct{ route, body, code, msg string }{
		{"get_block", `{}`, "NO_HEADER_HASH_IN_REQUEST", "No header_hash in request"},
		{"get_blocks", `{"end": 3}`, "NO_START_IN_REQUEST", "No start in request"},
		{"get_blocks", `{"start": 3}`, "NO_END_IN_REQUEST", "No end in request"},
		{"get_block_record_by_height", `{}`, "NO_HEIGHT_IN_REQUEST", "No height in request"},
	} {
		m = s.call(t, tc.route, tc.body)
		se, _ := m["structuredError"].(map[string]any)
		if m["success"] != false || m["error"] != tc.msg || se["code"] != tc.code || se["message"] != tc.msg {
			t.Errorf("%s %s = %v", tc.route, tc.body, m)
		}
	}
}

// Every object of a response has its keys sorted, and numbers too large
// for a float64 arrive as bare integers.
func TestSortedKeysAndBigIntegers(t *testing.T) {
	s := startServer(t, nil)
	for _, route := range []string{"get_connections", "get_blockchain_state", "get_blocks", "get_network_info",
		"get_block_record_by_height", "get_log_level", "get_block_count_metrics"} {
		_, body := s.post(t, route, `{"start": 0, "end": 5, "height": 1}`)
		checkSorted(t, route, body)
	}
	_, body := s.post(t, "get_connections", "{}")
	if !bytes.Contains(body, []byte(`"peak_weight":340282366920938463463374607431768211455`)) {
		t.Errorf("peak_weight is not a bare integer: %s", body)
	}
	// chianet's blockchain_state has space 0; a reference node's is large.
	big, _ := streamable.ParseUint128("340282366920938463463374607431768211455")
	body, err := marshalSorted(map[string]any{"blockchain_state": BlockchainState{Space: big}})
	if err != nil {
		t.Fatal(err)
	}
	checkSorted(t, "blockchain_state", body)
	if !bytes.Contains(body, []byte(`"space":340282366920938463463374607431768211455`)) {
		t.Errorf("space is not a bare integer: %s", body)
	}
}

// checkSorted walks a JSON text and fails on an object whose keys are not
// in ascending order.
func checkSorted(t *testing.T, what string, body []byte) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		last   string
		key    bool // next string token is a key
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{object: true, key: true})
				continue
			case '[':
				stack = append(stack, frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].key {
				if stack[n-1].last != "" && v <= stack[n-1].last {
					t.Errorf("%s: key %q after %q", what, v, stack[n-1].last)
				}
				stack[n-1].last = v
				stack[n-1].key = false
				continue
			}
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].key = true
		}
	}
}

func TestRecordFromBlock(t *testing.T) {
	chain := makeChain(3)
	record := func(b *protocol.FullBlock) BlockRecord {
		r, err := RecordFromBlock(b)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := record(chain[1])
	want := []string{"header_hash", "prev_hash", "height", "weight", "total_iters", "signage_point_index",
		"challenge_vdf_output", "infused_challenge_vdf_output", "reward_infusion_new_challenge",
		"challenge_block_info_hash", "pool_puzzle_hash", "farmer_puzzle_hash", "timestamp",
		"prev_transaction_block_hash", "fees", "reward_claims_incorporated", "finished_challenge_slot_hashes",
		"finished_infused_challenge_slot_hashes", "finished_reward_slot_hashes"}
	var got []string
	for k := range r {
		got = append(got, k)
	}
	if !reflect.DeepEqual(sortedStrings(got...), sortedStrings(want...)) {
		t.Errorf("keys %v, want %v", sortedStrings(got...), sortedStrings(want...))
	}
	for _, k := range []string{"sub_slot_iters", "required_iters", "deficit", "overflow",
		"prev_transaction_block_height", "sub_epoch_summary_included"} {
		if _, ok := r[k]; ok {
			t.Errorf("%s is given: it needs the chain", k)
		}
	}
	prev := mustHeaderHash(chain[0])
	cc, err := chain[1].FinishedSubSlots[0].ChallengeChain.Hash()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"prev_hash":                      `"` + prev.String() + `"`,
		"timestamp":                      "null",
		"fees":                           "null",
		"finished_challenge_slot_hashes": `["` + cc.String() + `"]`,
		"infused_challenge_vdf_output":   "null",
	} {
		if string(r[k]) != v {
			t.Errorf("%s = %s, want %s", k, r[k], v)
		}
	}
	r2 := record(chain[2])
	if string(r2["timestamp"]) != "1700000002" || string(r2["fees"]) != "2" || string(r2["finished_reward_slot_hashes"]) != "null" {
		t.Errorf("transaction block record: timestamp %s fees %s finished %s", r2["timestamp"], r2["fees"],
			r2["finished_reward_slot_hashes"])
	}
	if _, ok := record(chain[0])["finished_challenge_slot_hashes"]; ok {
		t.Error("height 0 without sub-slots: finished_challenge_slot_hashes needs the genesis challenge")
	}
	if h, ok := r.Height(); !ok || h != 1 {
		t.Errorf("Height = %d, %v", h, ok)
	}
	if hh, ok := r.HeaderHash(); !ok || hh != mustHeaderHash(chain[1]) {
		t.Errorf("HeaderHash = %v, %v", hh, ok)
	}
	if _, err := r.Decode(); err == nil {
		t.Error("Decode of a partial record succeeded")
	}
}

func TestRecordOfRoundTrip(t *testing.T) {
	full := &protocol.BlockRecord{Height: 9, HeaderHash: fill32(3), SubSlotIters: 1 << 27}
	r := RecordOf(full)
	if len(r) != 25 {
		t.Errorf("complete record has %d fields", len(r))
	}
	back, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.AppendJSON(nil), full.AppendJSON(nil)) {
		t.Errorf("round trip: %s != %s", back.AppendJSON(nil), full.AppendJSON(nil))
	}
	var nilRecord BlockRecord
	if b, _ := json.Marshal(nilRecord); string(b) != "null" {
		t.Errorf("nil record = %s", b)
	}
}

// noChainState is the reference's blockchain_state of a full node
// without a chain (spec rpc-and-types §1.5), as decoded with UseNumber,
// with fakeNode's node id and sync_tip_height tip.
func noChainState(tip string) map[string]any {
	return map[string]any{
		"peak":                          nil,
		"genesis_challenge_initialized": false,
		"sync": map[string]any{"sync_mode": false, "synced": false, "sync_tip_height": json.Number(tip),
			"sync_progress_height": json.Number("0")},
		"difficulty":             json.Number("0"),
		"sub_slot_iters":         json.Number("0"),
		"space":                  json.Number("0"),
		"average_block_time":     nil,
		"mempool_size":           json.Number("0"),
		"mempool_cost":           json.Number("0"),
		"mempool_min_fees":       map[string]any{"cost_5000000": json.Number("0")},
		"mempool_max_total_cost": json.Number("0"),
		"block_max_cost":         json.Number("0"),
		"node_id":                strings.Repeat("11", 32),
	}
}

// A client decoding a reference node that has a chain gets its peak
// record and every number, and writes the same JSON back.
func TestBlockchainStateOfAReferenceNode(t *testing.T) {
	full := &protocol.BlockRecord{Height: 9, HeaderHash: fill32(3), SubSlotIters: 1 << 27}
	peak, err := json.Marshal(RecordOf(full))
	if err != nil {
		t.Fatal(err)
	}
	in := `{"average_block_time": 18, "block_max_cost": 11000000000, "difficulty": 1024,
		"genesis_challenge_initialized": true, "mempool_cost": 100, "mempool_fees": 50,
		"mempool_max_total_cost": 550000000000000, "mempool_min_fees": {"cost_5000000": 2.5},
		"mempool_size": 3, "node_id": "` + strings.Repeat("22", 32) + `", "peak": ` + string(peak) + `,
		"space": 36893488147419103232, "sub_slot_iters": 134217728,
		"sync": {"sync_mode": false, "sync_progress_height": 0, "sync_tip_height": 0, "synced": true}}`
	var bs BlockchainState
	if err := json.Unmarshal([]byte(in), &bs); err != nil {
		t.Fatal(err)
	}
	rec, err := bs.Peak.Decode()
	if err != nil || rec.Height != 9 || rec.HeaderHash != fill32(3) {
		t.Errorf("peak = %+v, %v", rec, err)
	}
	if bs.AverageBlockTime == nil || *bs.AverageBlockTime != 18 || bs.MempoolFees == nil || *bs.MempoolFees != 50 ||
		bs.BlockMaxCost != 11000000000 || bs.Difficulty != 1024 || !bs.GenesisChallengeInitialized ||
		bs.MempoolCost != 100 || bs.MempoolMaxTotalCost != 550000000000000 || bs.MempoolMinFees.Cost5000000 != 2.5 ||
		bs.MempoolSize != 3 || bs.NodeID != fill32(0x22) || bs.Space.String() != "36893488147419103232" ||
		bs.SubSlotIters != 134217728 || !bs.Sync.Synced {
		t.Errorf("decoded %+v", bs)
	}
	out, err := json.Marshal(bs)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	for _, x := range []struct {
		s string
		v *any
	}{{in, &a}, {string(out), &b}} {
		d := json.NewDecoder(strings.NewReader(x.s))
		d.UseNumber()
		if err := d.Decode(x.v); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("written back as %s\nread %s", out, in)
	}
}

// get_aggsig_additional_data answers the network's
// AGG_SIG_ME_ADDITIONAL_DATA as hex without 0x (spec rpc-and-types §1.5),
// and fails when the service was not told it.
func TestAggSigAdditionalData(t *testing.T) {
	s := startServer(t, nil)
	m := s.call(t, "get_aggsig_additional_data", "{}")
	wantSuccess(t, "get_aggsig_additional_data", m)
	wantKeys(t, "get_aggsig_additional_data", m, "success", "additional_data")
	if got, want := m["additional_data"], s.node.info.AggSigMeAdditionalData; got != want {
		t.Errorf("additional_data = %v, want %s", got, want)
	}

	node := newFakeNode()
	node.info.AggSigMeAdditionalData = ""
	for _, r := range FullNodeRoutes(node, Options{}) {
		if r.Name != "get_aggsig_additional_data" {
			continue
		}
		if v, err := r.Handler(context.Background(), Params{}); err == nil {
			t.Errorf("without the constant: answered %v", v)
		}
		return
	}
	t.Error("no get_aggsig_additional_data route")
}
