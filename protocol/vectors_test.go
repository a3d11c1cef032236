package protocol_test

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// Byte-exact vectors for types and layouts the conformance corpus does not
// carry, built by hand from the format's rules (each hex piece is named).
// Every vector is checked both ways: JSON → bytes and bytes → JSON.

type vector struct {
	name  string
	typ   string
	json  string
	parts []string // hex pieces, concatenated
}

func h32(b byte) string { return strings.Repeat(hex.EncodeToString([]byte{b}), 32) }

var vectors = []vector{
	{
		name: "handshake wallet",
		typ:  "Handshake",
		json: `{"network_id":"mainnet","protocol_version":"0.0.38","software_version":"2.7.3","server_port":0,"node_type":6,
			"capabilities":[[1,"1"],[2,"1"],[3,"1"]]}`,
		parts: []string{
			"00000007", hex.EncodeToString([]byte("mainnet")),
			"00000006", hex.EncodeToString([]byte("0.0.38")),
			"00000005", hex.EncodeToString([]byte("2.7.3")),
			"0000",     // server_port
			"06",       // node_type WALLET
			"00000003", // three capabilities
			"0001", "00000001", "31",
			"0002", "00000001", "31",
			"0003", "00000001", "31",
		},
	},
	{
		name: "configure window sizes",
		typ:  "ConfigureWindowSizes",
		json: `{"settings":[[29,2],[30,0]]}`,
		parts: []string{
			"00000002",
			"1d", "0002", // request_blocks: 2 in flight
			"1e", "0000", // respond_blocks: unlimited
		},
	},
	{
		name:  "error with data",
		typ:   "Error",
		json:  `{"code":-6,"message":"bad","data":"0x0102"}`,
		parts: []string{"fffa", "00000003", "626164", "01", "00000002", "0102"},
	},
	{
		name:  "request fee estimates",
		typ:   "RequestFeeEstimates",
		json:  `{"time_targets":[60,18446744073709551615]}`,
		parts: []string{"00000002", "000000000000003c", "ffffffffffffffff"},
	},
	{
		name: "respond fee estimates",
		typ:  "RespondFeeEstimates",
		json: `{"estimates":{"error":null,"estimates":[
			{"error":null,"time_target":60,"estimated_fee_rate":{"mojos_per_clvm_cost":5}},
			{"error":"too far","time_target":3600,"estimated_fee_rate":{"mojos_per_clvm_cost":0}}]}}`,
		parts: []string{
			"00",       // group error: None
			"00000002", // two estimates
			"00", "000000000000003c", "0000000000000005",
			"01", "00000007", hex.EncodeToString([]byte("too far")), "0000000000000e10", "0000000000000000",
		},
	},
	{
		name:  "mempool items added",
		typ:   "MempoolItemsAdded",
		json:  `{"transaction_ids":["0x` + h32(0xaa) + `","` + h32(0xbb) + `"]}`,
		parts: []string{"00000002", h32(0xaa), h32(0xbb)},
	},
	{
		name:  "mempool items removed",
		typ:   "MempoolItemsRemoved",
		json:  `{"removed_items":[{"transaction_id":"0x` + h32(0x01) + `","reason":2},{"transaction_id":"0x` + h32(0x02) + `","reason":4}]}`,
		parts: []string{"00000002", h32(0x01), "02", h32(0x02), "04"},
	},
	{
		name: "plot sync start",
		typ:  "PlotSyncStart",
		json: `{"identifier":{"timestamp":1700000000,"sync_id":7,"message_id":0},"initial":true,"last_sync_id":6,"plot_file_count":1234,"harvesting_mode":1}`,
		parts: []string{
			"000000006553f100", "0000000000000007", "0000000000000000", // identifier
			"01", "0000000000000006", "000004d2", "01",
		},
	},
	{
		name: "plot sync path list",
		typ:  "PlotSyncPathList",
		json: `{"identifier":{"timestamp":1,"sync_id":2,"message_id":3},"data":["/plots/a.plot",""],"final":false}`,
		parts: []string{
			"0000000000000001", "0000000000000002", "0000000000000003",
			"00000002", "0000000d", hex.EncodeToString([]byte("/plots/a.plot")), "00000000",
			"00",
		},
	},
	{
		name: "plot sync plot list",
		typ:  "PlotSyncPlotList",
		json: `{"identifier":{"timestamp":1,"sync_id":2,"message_id":4},"data":[{"filename":"p","size":32,"plot_id":"0x` + h32(0x11) + `",
			"pool_public_key":null,"pool_contract_puzzle_hash":"0x` + h32(0x22) + `","plot_public_key":"0x` + strings.Repeat("33", 48) + `",
			"file_size":108000000000,"time_modified":1700000001,"compression_level":3}],"final":true}`,
		parts: []string{
			"0000000000000001", "0000000000000002", "0000000000000004",
			"00000001",
			"00000001", "70", "20", h32(0x11), "00", "01", h32(0x22), strings.Repeat("33", 48),
			"00000019254d3800", "000000006553f101", "01", "03",
			"01",
		},
	},
	{
		name: "plot sync plot list v2",
		typ:  "PlotSyncPlotList2",
		json: `{"identifier":{"timestamp":1,"sync_id":2,"message_id":5},"data":[{"filename":"q","size":160,"plot_id":"0x` + h32(0x11) + `",
			"pool_public_key":"0x` + strings.Repeat("44", 48) + `","pool_contract_puzzle_hash":null,"plot_public_key":"0x` + strings.Repeat("33", 48) + `",
			"file_size":1,"time_modified":2,"compression_level":null,"plot_index":513,"meta_group":9}],"final":false}`,
		parts: []string{
			"0000000000000001", "0000000000000002", "0000000000000005",
			"00000001",
			"00000001", "71", "a0", h32(0x11), "01", strings.Repeat("44", 48), "00", strings.Repeat("33", 48),
			"0000000000000001", "0000000000000002", "00", "0201", "09",
			"00",
		},
	},
	{
		name:  "plot sync done",
		typ:   "PlotSyncDone",
		json:  `{"identifier":{"timestamp":9,"sync_id":8,"message_id":7},"duration":42}`,
		parts: []string{"0000000000000009", "0000000000000008", "0000000000000007", "000000000000002a"},
	},
	{
		name: "plot sync response with error",
		typ:  "PlotSyncResponse",
		json: `{"identifier":{"timestamp":1,"sync_id":1,"message_id":1},"message_type":79,
			"error":{"code":-1,"message":"x","expected_identifier":{"timestamp":1,"sync_id":1,"message_id":0}}}`,
		parts: []string{
			"0000000000000001", "0000000000000001", "0000000000000001", "004f",
			"01", "ffff", "00000001", "78", "01", "0000000000000001", "0000000000000001", "0000000000000000",
		},
	},
	{
		name: "new peak with weight near 2^128",
		typ:  "NewPeak",
		json: `{"header_hash":"0x` + h32(0xab) + `","height":4294967295,"weight":340282366920938463463374607431768211455,
			"fork_point_with_previous_peak":0,"unfinished_reward_block_hash":"` + h32(0xcd) + `"}`,
		parts: []string{h32(0xab), "ffffffff", strings.Repeat("ff", 16), "00000000", h32(0xcd)},
	},
	{
		name:  "new peak wallet with weight 2^128-2^64",
		typ:   "NewPeakWallet",
		json:  `{"header_hash":"0x` + h32(0x01) + `","height":1,"weight":340282366920938463444927863358058659840,"fork_point_with_previous_peak":1}`,
		parts: []string{h32(0x01), "00000001", strings.Repeat("ff", 8) + strings.Repeat("00", 8), "00000001"},
	},
}

func TestVectors(t *testing.T) {
	for _, vec := range vectors {
		t.Run(vec.name, func(t *testing.T) {
			want, err := hex.DecodeString(strings.Join(vec.parts, ""))
			if err != nil {
				t.Fatal(err)
			}
			v, ok := protocol.NewValue(vec.typ)
			if !ok {
				t.Fatalf("no type %s", vec.typ)
			}
			if err := streamable.UnmarshalJSON([]byte(vec.json), v); err != nil {
				t.Fatalf("parse JSON: %v", err)
			}
			got, err := streamable.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("JSON → bytes\n got %x\nwant %x", got, want)
			}
			back, _ := protocol.NewValue(vec.typ)
			if err := streamable.Unmarshal(want, back); err != nil {
				t.Fatalf("decode: %v", err)
			}
			// The rendering always carries the 0x prefix, so compare with
			// the vector's JSON normalised the same way.
			g, w := parseExact(t, back.AppendJSON(nil)), normalizeHex(parseExact(t, []byte(vec.json)))
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("bytes → JSON\n got %s\nwant %s", back.AppendJSON(nil), vec.json)
			}
		})
	}
}

// normalizeHex adds the 0x prefix to bare 64-hex-digit strings, which the
// parser accepts but the renderer never writes.
func normalizeHex(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeHex(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeHex(e)
		}
	case string:
		if len(x) == 64 && !strings.HasPrefix(x, "0x") {
			if _, err := hex.DecodeString(x); err == nil {
				return "0x" + x
			}
		}
	}
	return v
}

// TestJSONRejects checks that parsing refuses what the reference refuses.
func TestJSONRejects(t *testing.T) {
	cases := []struct{ typ, json, want string }{
		{"NewPeakWallet", `{"header_hash":"0x` + h32(1) + `","height":1,"weight":1}`, "fork_point_with_previous_peak: missing field"},
		{"NewPeakWallet", `{"header_hash":"0x0102","height":1,"weight":1,"fork_point_with_previous_peak":1}`, "header_hash: invalid JSON: want 32 bytes, got 2"},
		{"NewPeakWallet", `{"header_hash":"0x` + h32(1) + `","height":4294967296,"weight":1,"fork_point_with_previous_peak":1}`, "height"},
		{"NewPeakWallet", `{"header_hash":"0x` + h32(1) + `","height":1,"weight":340282366920938463463374607431768211456,"fork_point_with_previous_peak":1}`, "weight"},
		{"NewPeakWallet", `{"header_hash":"0x` + h32(1) + `","height":1.5,"weight":1,"fork_point_with_previous_peak":1}`, "height"},
		{"ConfigureWindowSizes", `{"settings":[[1,2,3]]}`, "settings[0]"},
		{"Handshake", `[]`, "want object"},
		{"RequestPeers", `{} x`, "invalid JSON"},
	}
	for _, c := range cases {
		v, _ := protocol.NewValue(c.typ)
		err := streamable.UnmarshalJSON([]byte(c.json), v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want it to mention %q", c.typ, c.json, err, c.want)
		}
	}
}

func TestCoinID(t *testing.T) {
	parent := protocol.Bytes32{0x01}
	puzzle := protocol.Bytes32{0x02}
	// amount → the integer bytes CLVM hashes: minimal two's complement.
	cases := map[uint64]string{
		0:                     "",
		1:                     "01",
		0x7f:                  "7f",
		0x80:                  "0080",
		0xff:                  "00ff",
		0x7fff:                "7fff",
		0x8000:                "008000",
		1_000_000_000_000:     "00e8d4a51000",
		0x7fffffffffffffff:    "7fffffffffffffff",
		0x8000000000000000:    "008000000000000000",
		0xffffffffffffffff:    "00ffffffffffffffff",
		0x00ff_ffff_ffff_ffff: "00ffffffffffffff",
	}
	for amount, enc := range cases {
		c := protocol.Coin{ParentCoinInfo: parent, PuzzleHash: puzzle, Amount: amount}
		b, _ := hex.DecodeString(enc)
		want := sha256Sum(append(append(parent[:], puzzle[:]...), b...))
		if c.ID() != protocol.Bytes32(want) {
			t.Errorf("amount %#x: id mismatch (want amount bytes %s)", amount, enc)
		}
	}
}
