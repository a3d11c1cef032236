package protocol

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/chianet/chianet/streamable"
)

// Tests of the hand-written binary codecs of the types whose layout is not
// the plain field order (spec §3.3). Expected bytes are built from hex
// pieces, one per field, never by calling the encoder.

// rep repeats a one-byte hex string n times.
func rep(byteHex string, n int) string { return strings.Repeat(byteHex, n) }

func u64Hex(v uint64) string { return fmt.Sprintf("%016x", v) }

func fill32(b byte) Bytes32 { return Bytes32(bytes.Repeat([]byte{b}, 32)) }

func fill48(b byte) G1Element { return G1Element(bytes.Repeat([]byte{b}, 48)) }

func fill96(b byte) G2Element { return G2Element(bytes.Repeat([]byte{b}, 96)) }

func ptr[T any](v T) *T { return &v }

// wirePtr is a pointer to a type with a binary codec.
type wirePtr[T any] interface {
	*T
	streamable.Encoder
	streamable.Decoder
}

// checkVector checks that v encodes to exactly want, that want decodes
// back to v, that every strict prefix of want fails to decode (without
// panicking), and that a trailing byte is rejected.
func checkVector[T any, P wirePtr[T]](t *testing.T, v *T, want []byte) {
	t.Helper()
	got, err := streamable.Marshal(P(v))
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Marshal:\n got %x\nwant %x", got, want)
	}
	d := P(new(T))
	if err := streamable.Unmarshal(want, d); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if !reflect.DeepEqual((*T)(d), v) {
		t.Fatalf("Unmarshal:\n got %+v\nwant %+v", *d, *v)
	}
	for i := range len(want) {
		if err := decodeNoPanic[T, P](want[:i]); err == nil {
			t.Fatalf("decoding the first %d of %d bytes succeeded", i, len(want))
		}
	}
	if err := decodeNoPanic[T, P](append(want[:len(want):len(want)], 0)); !errors.Is(err, streamable.ErrTrailingBytes) {
		t.Fatalf("decoding with a trailing byte: %v, want ErrTrailingBytes", err)
	}
}

func decodeNoPanic[T any, P wirePtr[T]](b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("decoding %x panicked: %v", b, r))
		}
	}()
	return streamable.Unmarshal(b, P(new(T)))
}

// checkDecodeError checks that b fails to decode with an error wrapping
// want whose text mentions field.
func checkDecodeError[T any, P wirePtr[T]](t *testing.T, b []byte, want error, field string) {
	t.Helper()
	err := decodeNoPanic[T, P](b)
	if !errors.Is(err, want) {
		t.Fatalf("decoding %x: error %v, want %v", b, err, want)
	}
	if field != "" && !strings.Contains(err.Error(), field) {
		t.Fatalf("decoding: error %q does not name field %s", err, field)
	}
}

// checkEncodeError checks that v cannot be encoded.
func checkEncodeError[T any, P wirePtr[T]](t *testing.T, v *T) {
	t.Helper()
	if b, err := streamable.Marshal(P(v)); !errors.Is(err, streamable.ErrInvalidValue) {
		t.Fatalf("Marshal(%+v) = %x, %v; want ErrInvalidValue", *v, b, err)
	}
}

// ---- ProofOfSpace ----

// Hex pieces of the ProofOfSpace test vectors.
const (
	posChallengeHex = "1111111111111111111111111111111111111111111111111111111111111111"
	posPoolPkHex    = "222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222"
	posPlotPkHex    = "333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333"
	posContractHex  = "4444444444444444444444444444444444444444444444444444444444444444"
)

// posV1PoolHex is a version 1 proof with a pool public key.
var posV1PoolHex = strings.Join([]string{
	posChallengeHex,    // challenge
	"01", posPoolPkHex, // pool_public_key: present
	"02",               // prefix: version 1, no pool contract
	posPlotPkHex,       // plot_public_key
	"0102",             // plot_index 258
	"07",               // meta_group 7
	"02",               // strength 2
	"00000002", "dead", // proof: 2 bytes
}, "")

func posV1Pool() ProofOfSpace {
	return ProofOfSpace{
		Challenge:     fill32(0x11),
		PoolPublicKey: ptr(fill48(0x22)),
		PlotPublicKey: fill48(0x33),
		Version:       1,
		PlotIndex:     258,
		MetaGroup:     7,
		Strength:      2,
		Proof:         []byte{0xde, 0xad},
	}
}

// posV0PoolHex is a version 0 proof with a pool public key.
var posV0PoolHex = strings.Join([]string{
	posChallengeHex,    // challenge
	"01", posPoolPkHex, // pool_public_key: present
	"00",                 // prefix: version 0, no pool contract
	posPlotPkHex,         // plot_public_key
	"20",                 // size 32
	"00000003", "aabbcc", // proof: 3 bytes
}, "")

func posV0Pool() ProofOfSpace {
	return ProofOfSpace{
		Challenge:     fill32(0x11),
		PoolPublicKey: ptr(fill48(0x22)),
		PlotPublicKey: fill48(0x33),
		Version:       0,
		Size:          32,
		Proof:         []byte{0xaa, 0xbb, 0xcc},
	}
}

func TestProofOfSpaceVectors(t *testing.T) {
	tests := []struct {
		name string
		v    ProofOfSpace
		hex  []string
	}{
		{"v0 pool pk", posV0Pool(), []string{posV0PoolHex}},
		{"v0 pool contract", ProofOfSpace{
			Challenge:              fill32(0x11),
			PoolContractPuzzleHash: ptr(fill32(0x44)),
			PlotPublicKey:          fill48(0x33),
			Size:                   25,
			Proof:                  []byte{},
		}, []string{
			posChallengeHex,      // challenge
			"00",                 // pool_public_key: absent
			"01", posContractHex, // prefix: version 0 with pool contract; pool_contract_puzzle_hash
			posPlotPkHex, // plot_public_key
			"19",         // size 25
			"00000000",   // proof: empty
		}},
		// Version 0 keeps the plain Optional semantics: both or neither of
		// the pool fields are accepted.
		{"v0 both pool fields", ProofOfSpace{
			Challenge:              fill32(0x11),
			PoolPublicKey:          ptr(fill48(0x22)),
			PoolContractPuzzleHash: ptr(fill32(0x44)),
			PlotPublicKey:          fill48(0x33),
			Size:                   38,
			Proof:                  []byte{0x01},
		}, []string{
			posChallengeHex,    // challenge
			"01", posPoolPkHex, // pool_public_key: present
			"01", posContractHex, // prefix: version 0 with pool contract; pool_contract_puzzle_hash
			posPlotPkHex,     // plot_public_key
			"26",             // size 38
			"00000001", "01", // proof
		}},
		{"v0 neither pool field", ProofOfSpace{
			Challenge:     fill32(0x11),
			PlotPublicKey: fill48(0x33),
			Size:          10,
			Proof:         []byte{0x01},
		}, []string{
			posChallengeHex,  // challenge
			"00",             // pool_public_key: absent
			"00",             // prefix: version 0, no pool contract
			posPlotPkHex,     // plot_public_key
			"0a",             // size 10
			"00000001", "01", // proof
		}},
		{"v1 pool pk", posV1Pool(), []string{posV1PoolHex}},
		{"v1 pool contract", ProofOfSpace{
			Challenge:              fill32(0x11),
			PoolContractPuzzleHash: ptr(fill32(0x44)),
			PlotPublicKey:          fill48(0x33),
			Version:                1,
			PlotIndex:              0xfffe,
			MetaGroup:              0,
			Strength:               63,
			Proof:                  bytes.Repeat([]byte{0x5a}, 40),
		}, []string{
			posChallengeHex,      // challenge
			"00",                 // pool_public_key: absent
			"03", posContractHex, // prefix: version 1 with pool contract; pool_contract_puzzle_hash
			posPlotPkHex,              // plot_public_key
			"fffe",                    // plot_index
			"00",                      // meta_group
			"3f",                      // strength 63
			"00000028", rep("5a", 40), // proof: 40 bytes
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkVector(t, &tc.v, hexBytes(t, tc.hex...))
		})
	}
}

func TestProofOfSpaceVersionFields(t *testing.T) {
	// Fields a version does not store are neither encoded nor decoded.
	v0 := posV0Pool()
	v0.PlotIndex, v0.MetaGroup, v0.Strength = 1, 2, 3
	if b, err := streamable.Marshal(&v0); err != nil || !bytes.Equal(b, hexBytes(t, posV0PoolHex)) {
		t.Fatalf("v0 with v1 fields: %x, %v", b, err)
	}
	v1 := posV1Pool()
	v1.Size = 32
	if b, err := streamable.Marshal(&v1); err != nil || !bytes.Equal(b, hexBytes(t, posV1PoolHex)) {
		t.Fatalf("v1 with size: %x, %v", b, err)
	}

	// Decoding resets them even in a reused value.
	d := ProofOfSpace{PlotIndex: 9, MetaGroup: 9, Strength: 9, Size: 9, PoolContractPuzzleHash: ptr(fill32(9))}
	if err := streamable.Unmarshal(hexBytes(t, posV0PoolHex), &d); err != nil {
		t.Fatal(err)
	}
	if want := posV0Pool(); !reflect.DeepEqual(d, want) {
		t.Fatalf("v0 decode into used value: %+v", d)
	}
	d = ProofOfSpace{Size: 9}
	if err := streamable.Unmarshal(hexBytes(t, posV1PoolHex), &d); err != nil {
		t.Fatal(err)
	}
	if want := posV1Pool(); !reflect.DeepEqual(d, want) {
		t.Fatalf("v1 decode into used value: %+v", d)
	}
}

func TestProofOfSpaceInvalid(t *testing.T) {
	// Version 1 needs exactly one of pool_public_key and the contract.
	v1Both := hexBytes(t,
		posChallengeHex,    // challenge
		"01", posPoolPkHex, // pool_public_key: present
		"03", posContractHex, // prefix: version 1 with pool contract
		posPlotPkHex,       // plot_public_key
		"0000", "00", "00", // plot_index, meta_group, strength
		"00000000") // proof
	checkDecodeError[ProofOfSpace](t, v1Both, streamable.ErrInvalidValue, "pool_contract_puzzle_hash")
	v1Neither := hexBytes(t,
		posChallengeHex,    // challenge
		"00",               // pool_public_key: absent
		"02",               // prefix: version 1, no pool contract
		posPlotPkHex,       // plot_public_key
		"0000", "00", "00", // plot_index, meta_group, strength
		"00000000") // proof
	checkDecodeError[ProofOfSpace](t, v1Neither, streamable.ErrInvalidValue, "pool_contract_puzzle_hash")

	// Prefix bytes above 3 (version 2 and up) are rejected.
	for _, prefix := range []string{"04", "05", "06", "07", "08", "80", "fe", "ff"} {
		b := hexBytes(t,
			posChallengeHex,    // challenge
			"01", posPoolPkHex, // pool_public_key: present
			prefix,       // prefix: unknown version
			posPlotPkHex, // plot_public_key
			"20",         // size
			"00000000")   // proof
		checkDecodeError[ProofOfSpace](t, b, streamable.ErrInvalidValue, "pool_contract_puzzle_hash")
	}
	// The pool_public_key presence byte is a plain Optional.
	b := hexBytes(t, posChallengeHex, "02", posPoolPkHex, "00", posPlotPkHex, "20", "00000000")
	checkDecodeError[ProofOfSpace](t, b, streamable.ErrInvalidOptional, "pool_public_key")

	// Values the wire cannot express.
	bad := []ProofOfSpace{posV1Pool(), posV1Pool(), posV1Pool(), posV0Pool()}
	bad[0].PoolContractPuzzleHash = ptr(fill32(0x44)) // v1 with both
	bad[1].PoolPublicKey = nil                        // v1 with neither
	bad[2].Version = 2
	bad[3].Version = 255
	for i := range bad {
		checkEncodeError(t, &bad[i])
	}
}

func TestProofOfSpaceHash(t *testing.T) {
	q := fill32(0x99)

	// Version 0: the hash of the serialization, whatever q is.
	v0 := posV0Pool()
	want := Bytes32(sha256.Sum256(hexBytes(t, posV0PoolHex)))
	if got, err := v0.Hash(); err != nil || got != want {
		t.Fatalf("v0 Hash = %x, %v; want %x", got, err, want)
	}
	if got, err := v0.HashWithQualityString(q); err != nil || got != want {
		t.Fatalf("v0 HashWithQualityString = %x, %v; want %x", got, err, want)
	}

	// Version 1: the serialization up to strength, then q instead of the
	// proof (no length prefix).
	v1 := posV1Pool()
	want = Bytes32(sha256.Sum256(hexBytes(t,
		posChallengeHex,    // challenge
		"01", posPoolPkHex, // pool_public_key: present
		"02",               // prefix: version 1, no pool contract
		posPlotPkHex,       // plot_public_key
		"0102", "07", "02", // plot_index, meta_group, strength
		rep("99", 32)))) // quality string
	if got, err := v1.HashWithQualityString(q); err != nil || got != want {
		t.Fatalf("v1 HashWithQualityString = %x, %v; want %x", got, err, want)
	}
	// Hash() stays the SHA-256 of the serialization.
	if got, err := v1.Hash(); err != nil || got != Bytes32(sha256.Sum256(hexBytes(t, posV1PoolHex))) {
		t.Fatalf("v1 Hash = %x, %v; want the SHA-256 of %s", got, err, posV1PoolHex)
	}

	v1c := ProofOfSpace{
		Challenge:              fill32(0x11),
		PoolContractPuzzleHash: ptr(fill32(0x44)),
		PlotPublicKey:          fill48(0x33),
		Version:                1,
		PlotIndex:              1,
		MetaGroup:              2,
		Strength:               3,
		Proof:                  []byte{1, 2, 3},
	}
	want = Bytes32(sha256.Sum256(hexBytes(t,
		posChallengeHex,      // challenge
		"00",                 // pool_public_key: absent
		"03", posContractHex, // prefix: version 1 with pool contract; contract
		posPlotPkHex,       // plot_public_key
		"0001", "02", "03", // plot_index, meta_group, strength
		rep("99", 32)))) // quality string
	if got, err := v1c.HashWithQualityString(q); err != nil || got != want {
		t.Fatalf("v1 contract HashWithQualityString = %x, %v; want %x", got, err, want)
	}

	v2 := posV1Pool()
	v2.Version = 2
	// Version 2 does not exist: no hash, and an error that says why.
	if got, err := v2.HashWithQualityString(q); !errors.Is(err, streamable.ErrInvalidValue) || got != (Bytes32{}) || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("version 2 HashWithQualityString = %x, %v; want an invalid value error", got, err)
	}
	if got, err := v2.Hash(); !errors.Is(err, streamable.ErrInvalidValue) || got != (Bytes32{}) {
		t.Fatalf("version 2 Hash = %x, %v; want an invalid value error", got, err)
	}
	if allocs := testing.AllocsPerRun(10, func() { _, _ = v1.HashWithQualityString(q) }); allocs != 0 {
		t.Fatalf("HashWithQualityString allocated %v times", allocs)
	}
}

// ---- RewardChainBlock ----

// vdfHex is a VDFInfo whose challenge and output bytes are all c.
func vdfHex(c byte, iters uint64) string {
	h := fmt.Sprintf("%02x", c)
	return rep(h, 32) + // challenge
		u64Hex(iters) + // number_of_iterations
		rep(h, 100) // output.data
}

func vdf(c byte, iters uint64) VDFInfo {
	return VDFInfo{
		Challenge:          fill32(c),
		NumberOfIterations: iters,
		Output:             ClassgroupElement{Data: Bytes100(bytes.Repeat([]byte{c}, 100))},
	}
}

// rcbHex is a RewardChainBlock with the given shared presence byte
// followed by the optional values it announces (infused challenge chain VDF,
// then header MMR root).
func rcbHex(packed string, optionals ...string) string {
	return strings.Join([]string{
		"0000000000000001", "0000000000000002", // weight 2^64+2
		"0000000a",                         // height 10
		"00000000000000000000000000001234", // total_iters
		"05",                               // signage_point_index
		rep("aa", 32),                      // pos_ss_cc_challenge_hash
		posV1PoolHex,                       // proof_of_space
		"01", vdfHex(0x51, 7),              // challenge_chain_sp_vdf: present
		rep("c1", 96),               // challenge_chain_sp_signature
		vdfHex(0x52, 8),             // challenge_chain_ip_vdf
		"00",                        // reward_chain_sp_vdf: absent
		rep("c2", 96),               // reward_chain_sp_signature
		vdfHex(0x53, 9),             // reward_chain_ip_vdf
		packed,                      // shared presence byte
		strings.Join(optionals, ""), // infused_challenge_chain_ip_vdf, header_mmr_root
		"01",                        // is_transaction_block
	}, "")
}

func rcb() RewardChainBlock {
	return RewardChainBlock{
		Weight:                    streamable.Uint128{Hi: 1, Lo: 2},
		Height:                    10,
		TotalIters:                streamable.Uint128{Lo: 0x1234},
		SignagePointIndex:         5,
		PosSsCcChallengeHash:      fill32(0xaa),
		ProofOfSpace:              posV1Pool(),
		ChallengeChainSpVDF:       ptr(vdf(0x51, 7)),
		ChallengeChainSpSignature: fill96(0xc1),
		ChallengeChainIpVDF:       vdf(0x52, 8),
		RewardChainSpSignature:    fill96(0xc2),
		RewardChainIpVDF:          vdf(0x53, 9),
		IsTransactionBlock:        true,
	}
}

func TestRewardChainBlockPackedOptions(t *testing.T) {
	icc := vdf(0x54, 10)
	mmr := fill32(0xdd)
	tests := []struct {
		name string
		icc  *VDFInfo
		mmr  *Bytes32
		hex  string
	}{
		{"0 neither", nil, nil, rcbHex("00")},
		{"1 vdf only", &icc, nil, rcbHex("01", vdfHex(0x54, 10))},
		{"2 mmr only", nil, &mmr, rcbHex("02", rep("dd", 32))},
		{"3 both", &icc, &mmr, rcbHex("03", vdfHex(0x54, 10), rep("dd", 32))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := rcb()
			v.InfusedChallengeChainIpVDF, v.HeaderMmrRoot = tc.icc, tc.mmr
			checkVector(t, &v, hexBytes(t, tc.hex))
		})
	}
	for _, packed := range []string{"04", "05", "80", "ff"} {
		b := hexBytes(t, rcbHex(packed, vdfHex(0x54, 10), rep("dd", 32)))
		checkDecodeError[RewardChainBlock](t, b, streamable.ErrInvalidOptional, "infused_challenge_chain_ip_vdf")
	}
	// A nested ProofOfSpace error carries the path.
	b := hexBytes(t, strings.Replace(rcbHex("00"), posV1PoolHex, strings.Replace(posV1PoolHex, posPoolPkHex+"02", posPoolPkHex+"04", 1), 1))
	checkDecodeError[RewardChainBlock](t, b, streamable.ErrInvalidValue, "proof_of_space.pool_contract_puzzle_hash")
}

// ---- SubEpochSummary and SubEpochData ----

func TestSubEpochSummaryPackedOptions(t *testing.T) {
	head := strings.Join([]string{
		rep("01", 32),      // prev_subepoch_summary_hash
		rep("02", 32),      // reward_chain_hash
		"03",               // num_blocks_overflow
		"01", u64Hex(1024), // new_difficulty: present (plain Optional)
	}, "")
	ssi := uint64(1 << 27)
	root := fill32(0xee)
	base := SubEpochSummary{
		PrevSubepochSummaryHash: fill32(0x01),
		RewardChainHash:         fill32(0x02),
		NumBlocksOverflow:       3,
		NewDifficulty:           ptr(uint64(1024)),
	}
	tests := []struct {
		name string
		ssi  *uint64
		root *Bytes32
		hex  []string
	}{
		{"0 neither", nil, nil, []string{head, "00"}},
		{"1 sub slot iters only", &ssi, nil, []string{head, "01", u64Hex(ssi)}},
		{"2 merkle root only", nil, &root, []string{head, "02", rep("ee", 32)}},
		{"3 both", &ssi, &root, []string{head, "03", u64Hex(ssi), rep("ee", 32)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := base
			v.NewSubSlotIters, v.ChallengeMerkleRoot = tc.ssi, tc.root
			checkVector(t, &v, hexBytes(t, tc.hex...))
		})
	}
	t.Run("difficulty absent", func(t *testing.T) {
		v := base
		v.NewDifficulty, v.NewSubSlotIters = nil, &ssi
		checkVector(t, &v, hexBytes(t,
			rep("01", 32),      // prev_subepoch_summary_hash
			rep("02", 32),      // reward_chain_hash
			"03",               // num_blocks_overflow
			"00",               // new_difficulty: absent
			"01", u64Hex(ssi))) // shared byte 1: new_sub_slot_iters
	})
	for _, packed := range []string{"04", "07", "ff"} {
		b := hexBytes(t, head, packed, u64Hex(ssi), rep("ee", 32))
		checkDecodeError[SubEpochSummary](t, b, streamable.ErrInvalidOptional, "new_sub_slot_iters")
	}
	// new_difficulty is a plain Optional: only 0 and 1.
	b := hexBytes(t, rep("01", 32), rep("02", 32), "03", "02", u64Hex(1), "00")
	checkDecodeError[SubEpochSummary](t, b, streamable.ErrInvalidOptional, "new_difficulty")
}

func TestSubEpochDataPackedOptions(t *testing.T) {
	ssi := uint64(1 << 27)
	head := strings.Join([]string{
		rep("02", 32),     // reward_chain_hash
		"03",              // num_blocks_overflow
		"01", u64Hex(ssi), // new_sub_slot_iters: present (plain Optional)
	}, "")
	diff := uint64(2048)
	root := fill32(0xee)
	base := SubEpochData{
		RewardChainHash:   fill32(0x02),
		NumBlocksOverflow: 3,
		NewSubSlotIters:   &ssi,
	}
	tests := []struct {
		name string
		diff *uint64
		root *Bytes32
		hex  []string
	}{
		{"0 neither", nil, nil, []string{head, "00"}},
		{"1 difficulty only", &diff, nil, []string{head, "01", u64Hex(diff)}},
		{"2 merkle root only", nil, &root, []string{head, "02", rep("ee", 32)}},
		{"3 both", &diff, &root, []string{head, "03", u64Hex(diff), rep("ee", 32)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := base
			v.NewDifficulty, v.ChallengeMerkleRoot = tc.diff, tc.root
			checkVector(t, &v, hexBytes(t, tc.hex...))
		})
	}
	t.Run("sub slot iters absent", func(t *testing.T) {
		v := base
		v.NewSubSlotIters, v.ChallengeMerkleRoot = nil, &root
		checkVector(t, &v, hexBytes(t,
			rep("02", 32),        // reward_chain_hash
			"03",                 // num_blocks_overflow
			"00",                 // new_sub_slot_iters: absent
			"02", rep("ee", 32))) // shared byte 2: challenge_merkle_root
	})
	for _, packed := range []string{"04", "07", "ff"} {
		b := hexBytes(t, head, packed, u64Hex(diff), rep("ee", 32))
		checkDecodeError[SubEpochData](t, b, streamable.ErrInvalidOptional, "new_difficulty")
	}
	b := hexBytes(t, rep("02", 32), "03", "03", u64Hex(1), "00")
	checkDecodeError[SubEpochData](t, b, streamable.ErrInvalidOptional, "new_sub_slot_iters")
}

// ---- FullBlock and UnfinishedBlock ----

// Sizes of the all-zero encodings of nested plain types.
const (
	zeroFoliageSize                 = 32 + 32 + (32 + 36 + 1 + 32 + 32) + 96 + 1 + 1 // 295
	zeroFoliageTransactionBlockSize = 32 + 8 + 32*4                                  // 168
	zeroTransactionsInfoSize        = 32 + 32 + 96 + 8 + 8 + 4                       // 180
)

func TestMinEndOfSubSlotBundleSize(t *testing.T) {
	var e EndOfSubSlotBundle
	b, err := streamable.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != minLenEndOfSubSlotBundle {
		t.Fatalf("zero EndOfSubSlotBundle encodes to %d bytes, minLenEndOfSubSlotBundle is %d", len(b), minLenEndOfSubSlotBundle)
	}
}

// zeroEndOfSubSlotBundle is the zero bundle as a decoder returns it
// (variable bytes decode as non-nil empty slices).
func zeroEndOfSubSlotBundle() EndOfSubSlotBundle {
	var e EndOfSubSlotBundle
	e.Proofs.ChallengeChainSlotProof.Witness = []byte{}
	e.Proofs.RewardChainSlotProof.Witness = []byte{}
	return e
}

// generatorCase is one packed generator section and the fields it holds.
type generatorCase struct {
	name    string
	version uint8
	gen     *Program
	refs    []uint32
	buf     *ByteList
	hex     []string
}

var generatorCases = []generatorCase{
	{"v0 no generator", 0, nil, []uint32{}, nil, []string{
		"00",       // prefix: version 0, no generator
		"00000000", // transactions_generator_ref_list: empty
	}},
	{"v0 generator and refs", 0, ptr(Program{0xff, 0x01, 0x80}), []uint32{100, 200}, nil, []string{
		"01",                   // prefix: version 0 with generator
		"ff0180",               // transactions_generator: (1), raw CLVM
		"00000002",             // transactions_generator_ref_list: 2 heights
		"00000064", "000000c8", // 100, 200
	}},
	{"v0 generator with back-reference", 0, ptr(Program{0xff, 0x86, 'f', 'o', 'o', 'b', 'a', 'r', 0xfe, 0x01}), []uint32{}, nil, []string{
		"01",                   // prefix: version 0 with generator
		"ff86666f6f626172fe01", // transactions_generator
		"00000000",             // transactions_generator_ref_list: empty
	}},
	{"v1 no buffer", 1, nil, []uint32{}, nil, []string{
		"02", // prefix: version 1, no generator; no ref list
	}},
	{"v1 buffer", 1, nil, []uint32{}, ptr(ByteList{0xca, 0xfe, 0xba, 0xbe}), []string{
		"03",       // prefix: version 1 with generator
		"00000004", // transactions_generator_buffer: length
		"cafebabe", // raw bytes (not CLVM)
	}},
	{"v1 empty buffer", 1, nil, []uint32{}, ptr(ByteList{}), []string{
		"03",       // prefix: version 1 with generator
		"00000000", // transactions_generator_buffer: empty
	}},
	{"v1 buffer of 0xff bytes", 1, nil, []uint32{}, ptr(ByteList(bytes.Repeat([]byte{0xff}, 300))), []string{
		"03",           // prefix: version 1 with generator
		"0000012c",     // transactions_generator_buffer: 300 bytes
		rep("ff", 300), // not a valid CLVM value; not checked
	}},
}

// fullBlockHead is the FullBlock up to transactions_info.
func fullBlockHead(withSubSlot, withTx bool) (FullBlock, string) {
	b := FullBlock{
		FinishedSubSlots:      []EndOfSubSlotBundle{},
		RewardChainBlock:      rcb(),
		ChallengeChainIpProof: VDFProof{WitnessType: 1, Witness: []byte{0xab}, NormalizedToIdentity: true},
		RewardChainSpProof:    &VDFProof{Witness: []byte{}},
		RewardChainIpProof:    VDFProof{WitnessType: 2, Witness: []byte{0xcd, 0xef}},
	}
	subSlots := "00000000" // finished_sub_slots: empty
	if withSubSlot {
		b.FinishedSubSlots = []EndOfSubSlotBundle{zeroEndOfSubSlotBundle()}
		subSlots = "00000001" + rep("00", minLenEndOfSubSlotBundle) // finished_sub_slots: one all-zero bundle
	}
	tx := "00" + "00" // foliage_transaction_block, transactions_info: absent
	if withTx {
		b.FoliageTransactionBlock = &FoliageTransactionBlock{}
		b.TransactionsInfo = &TransactionsInfo{RewardClaimsIncorporated: []Coin{}}
		tx = "01" + rep("00", zeroFoliageTransactionBlockSize) + // foliage_transaction_block: all zero
			"01" + rep("00", zeroTransactionsInfoSize) // transactions_info: all zero, no reward claims
	}
	return b, strings.Join([]string{
		subSlots,
		rcbHex("00"),                 // reward_chain_block
		"00",                         // challenge_chain_sp_proof: absent
		"01", "00000001", "ab", "01", // challenge_chain_ip_proof: type 1, witness ab, normalized
		"01", "00", "00000000", "00", // reward_chain_sp_proof: present, all zero
		"02", "00000002", "cdef", "00", // reward_chain_ip_proof: type 2, witness cdef
		"00",                       // infused_challenge_chain_ip_proof: absent
		rep("00", zeroFoliageSize), // foliage: all zero
		tx,
	}, "")
}

// rcbu is a RewardChainBlockUnfinished and its encoding.
func rcbu() (RewardChainBlockUnfinished, string) {
	return RewardChainBlockUnfinished{
			TotalIters:                streamable.Uint128{Lo: 77},
			SignagePointIndex:         3,
			PosSsCcChallengeHash:      fill32(0xab),
			ProofOfSpace:              posV0Pool(),
			ChallengeChainSpSignature: fill96(0xc3),
			RewardChainSpVDF:          ptr(vdf(0x61, 11)),
			RewardChainSpSignature:    fill96(0xc4),
		}, strings.Join([]string{
			"0000000000000000000000000000004d", // total_iters 77
			"03",                               // signage_point_index
			rep("ab", 32),                      // pos_ss_cc_challenge_hash
			posV0PoolHex,                       // proof_of_space
			"00",                               // challenge_chain_sp_vdf: absent
			rep("c3", 96),                      // challenge_chain_sp_signature
			"01", vdfHex(0x61, 11),             // reward_chain_sp_vdf: present
			rep("c4", 96), // reward_chain_sp_signature
		}, "")
}

// unfinishedBlockHead is the UnfinishedBlock up to transactions_info.
func unfinishedBlockHead(withSubSlot, withTx bool) (UnfinishedBlock, string) {
	r, rHex := rcbu()
	b := UnfinishedBlock{
		FinishedSubSlots:      []EndOfSubSlotBundle{},
		RewardChainBlock:      r,
		ChallengeChainSpProof: &VDFProof{WitnessType: 1, Witness: []byte{0xab}, NormalizedToIdentity: true},
	}
	subSlots := "00000000" // finished_sub_slots: empty
	if withSubSlot {
		b.FinishedSubSlots = []EndOfSubSlotBundle{zeroEndOfSubSlotBundle(), zeroEndOfSubSlotBundle()}
		subSlots = "00000002" + rep("00", 2*minLenEndOfSubSlotBundle) // finished_sub_slots: two all-zero bundles
	}
	tx := "00" + "00" // foliage_transaction_block, transactions_info: absent
	if withTx {
		b.FoliageTransactionBlock = &FoliageTransactionBlock{}
		b.TransactionsInfo = &TransactionsInfo{RewardClaimsIncorporated: []Coin{}}
		tx = "01" + rep("00", zeroFoliageTransactionBlockSize) + // foliage_transaction_block: all zero
			"01" + rep("00", zeroTransactionsInfoSize) // transactions_info: all zero
	}
	return b, strings.Join([]string{
		subSlots,
		rHex,                               // reward_chain_block
		"01", "01", "00000001", "ab", "01", // challenge_chain_sp_proof: present
		"00",                       // reward_chain_sp_proof: absent
		rep("00", zeroFoliageSize), // foliage: all zero
		tx,
	}, "")
}

func TestFullBlockGenerator(t *testing.T) {
	for _, gc := range generatorCases {
		for _, shape := range []struct{ subSlot, tx bool }{{false, false}, {true, true}} {
			t.Run(fmt.Sprintf("%s/subslot=%v,tx=%v", gc.name, shape.subSlot, shape.tx), func(t *testing.T) {
				b, head := fullBlockHead(shape.subSlot, shape.tx)
				b.Version, b.TransactionsGenerator, b.TransactionsGeneratorRefList, b.TransactionsGeneratorBuffer = gc.version, gc.gen, gc.refs, gc.buf
				checkVector(t, &b, hexBytes(t, append([]string{head}, gc.hex...)...))
			})
		}
	}
}

func TestUnfinishedBlockGenerator(t *testing.T) {
	for _, gc := range generatorCases {
		for _, shape := range []struct{ subSlot, tx bool }{{false, false}, {true, true}} {
			t.Run(fmt.Sprintf("%s/subslot=%v,tx=%v", gc.name, shape.subSlot, shape.tx), func(t *testing.T) {
				b, head := unfinishedBlockHead(shape.subSlot, shape.tx)
				b.Version, b.TransactionsGenerator, b.TransactionsGeneratorRefList, b.TransactionsGeneratorBuffer = gc.version, gc.gen, gc.refs, gc.buf
				checkVector(t, &b, hexBytes(t, append([]string{head}, gc.hex...)...))
			})
		}
	}
}

// badGeneratorTails are generator sections that must not decode.
var badGeneratorTails = []struct {
	name  string
	hex   string
	want  error
	field string
}{
	{"prefix 4 (version 2)", "04" + "00000000", streamable.ErrInvalidValue, "transactions_generator"},
	{"prefix 5 (version 2)", "05" + "80" + "00000000", streamable.ErrInvalidValue, "transactions_generator"},
	{"prefix 6 (version 3)", "06", streamable.ErrInvalidValue, "transactions_generator"},
	{"prefix 7 (version 3)", "07" + "00000000", streamable.ErrInvalidValue, "transactions_generator"},
	{"prefix 0x80", "80" + "00000000", streamable.ErrInvalidValue, "transactions_generator"},
	{"prefix 0xff", "ff" + "00000000", streamable.ErrInvalidValue, "transactions_generator"},
	{"v0 bad CLVM", "01" + "fd0000000000" + "00000000", ErrBadCLVM, "transactions_generator"},
	{"v0 ref list too long", "00" + "ffffffff" + "00000001", streamable.ErrLengthTooLarge, "transactions_generator_ref_list"},
	{"v1 buffer too long", "03" + "00010000" + "00", streamable.ErrLengthTooLarge, "transactions_generator_buffer"},
	{"v1 with ref list", "02" + "00000000", streamable.ErrTrailingBytes, ""},
}

func TestFullBlockInvalid(t *testing.T) {
	_, head := fullBlockHead(false, false)
	for _, tc := range badGeneratorTails {
		t.Run(tc.name, func(t *testing.T) {
			checkDecodeError[FullBlock](t, hexBytes(t, head, tc.hex), tc.want, tc.field)
		})
	}
	// A hostile sub-slot count fails before allocating.
	b := hexBytes(t, "00100000", strings.TrimPrefix(head, "00000000"), "00", "00000000")
	checkDecodeError[FullBlock](t, b, streamable.ErrLengthTooLarge, "finished_sub_slots")

	bad := func(f func(b *FullBlock)) {
		t.Helper()
		b, _ := fullBlockHead(false, false)
		b.TransactionsGeneratorRefList = []uint32{}
		f(&b)
		checkEncodeError(t, &b)
	}
	bad(func(b *FullBlock) { b.Version = 1; b.TransactionsGenerator = ptr(Program{0x80}) })
	bad(func(b *FullBlock) { b.Version = 1; b.TransactionsGeneratorRefList = []uint32{1} })
	bad(func(b *FullBlock) { b.Version = 0; b.TransactionsGeneratorBuffer = ptr(ByteList{0x80}) })
	bad(func(b *FullBlock) { b.Version = 0; b.TransactionsGeneratorBuffer = ptr(ByteList{}) })
	bad(func(b *FullBlock) { b.Version = 2 })
	bad(func(b *FullBlock) { b.Version = 0; b.TransactionsGenerator = ptr(Program{}) })
	bad(func(b *FullBlock) { b.Version = 0; b.TransactionsGenerator = ptr(Program{0xff, 0x01}) })
}

func TestUnfinishedBlockInvalid(t *testing.T) {
	_, head := unfinishedBlockHead(false, false)
	for _, tc := range badGeneratorTails {
		t.Run(tc.name, func(t *testing.T) {
			checkDecodeError[UnfinishedBlock](t, hexBytes(t, head, tc.hex), tc.want, tc.field)
		})
	}
	b := hexBytes(t, "ffffffff", strings.TrimPrefix(head, "00000000"), "00", "00000000")
	checkDecodeError[UnfinishedBlock](t, b, streamable.ErrLengthTooLarge, "finished_sub_slots")

	bad := func(f func(b *UnfinishedBlock)) {
		t.Helper()
		b, _ := unfinishedBlockHead(false, false)
		b.TransactionsGeneratorRefList = []uint32{}
		f(&b)
		checkEncodeError(t, &b)
	}
	bad(func(b *UnfinishedBlock) { b.Version = 1; b.TransactionsGenerator = ptr(Program{0x80}) })
	bad(func(b *UnfinishedBlock) { b.Version = 1; b.TransactionsGeneratorRefList = []uint32{1} })
	bad(func(b *UnfinishedBlock) { b.Version = 0; b.TransactionsGeneratorBuffer = ptr(ByteList{0x80}) })
	bad(func(b *UnfinishedBlock) { b.Version = 3 })
	bad(func(b *UnfinishedBlock) { b.Version = 0; b.TransactionsGenerator = ptr(Program{}) })
}

// The v0 layout of both block types is the older plain-Optional layout,
// and a nested error carries the whole field path.
func TestBlockNestedErrorPath(t *testing.T) {
	_, head := fullBlockHead(false, false)
	bad := strings.Replace(head, rcbHex("00"), rcbHex("04"), 1)
	checkDecodeError[FullBlock](t, hexBytes(t, bad, "00", "00000000"), streamable.ErrInvalidOptional,
		"FullBlock.reward_chain_block.infused_challenge_chain_ip_vdf")
}
