package protocol

import (
	"github.com/chianet/chianet/streamable"
)

// Binary codec of SubEpochSummary (declared with //streamgen:custom-binary;
// its JSON, Hash and TypeName are generated).
//
// new_difficulty is a plain Optional u64. new_sub_slot_iters (Optional
// u64) and challenge_merkle_root (Optional bytes32) share one presence byte
// (see packedOptions), so while challenge_merkle_root is absent the bytes
// equal the older plain layout.

// EncodeStreamable appends the serialization.
func (x *SubEpochSummary) EncodeStreamable(w *streamable.Writer) {
	w.Fixed(x.PrevSubepochSummaryHash[:])
	w.Fixed(x.RewardChainHash[:])
	w.U8(x.NumBlocksOverflow)
	if x.NewDifficulty != nil {
		w.U8(1)
		w.U64(*x.NewDifficulty)
	} else {
		w.U8(0)
	}
	w.U8(packedOptions(x.NewSubSlotIters != nil, x.ChallengeMerkleRoot != nil))
	if x.NewSubSlotIters != nil {
		w.U64(*x.NewSubSlotIters)
	}
	if x.ChallengeMerkleRoot != nil {
		w.Fixed(x.ChallengeMerkleRoot[:])
	}
}

// DecodeStreamable reads the serialization. A shared presence byte above 3
// is an error wrapping streamable.ErrInvalidOptional.
func (x *SubEpochSummary) DecodeStreamable(r *streamable.Reader) error {
	*x = SubEpochSummary{}
	var err error
	if err = r.Fixed(x.PrevSubepochSummaryHash[:]); err != nil {
		return streamable.Field(err, "prev_subepoch_summary_hash")
	}
	if err = r.Fixed(x.RewardChainHash[:]); err != nil {
		return streamable.Field(err, "reward_chain_hash")
	}
	if x.NumBlocksOverflow, err = r.U8(); err != nil {
		return streamable.Field(err, "num_blocks_overflow")
	}
	if x.NewDifficulty, err = decodeOptionalU64(r); err != nil {
		return streamable.Field(err, "new_difficulty")
	}
	hasSSI, hasRoot, err := readPackedOptions(r)
	if err != nil {
		return streamable.Field(err, "new_sub_slot_iters")
	}
	if hasSSI {
		v, err := r.U64()
		if err != nil {
			return streamable.Field(err, "new_sub_slot_iters")
		}
		x.NewSubSlotIters = &v
	}
	if hasRoot {
		x.ChallengeMerkleRoot = new(Bytes32)
		if err = r.Fixed(x.ChallengeMerkleRoot[:]); err != nil {
			return streamable.Field(err, "challenge_merkle_root")
		}
	}
	return nil
}

// decodeOptionalU64 reads a plain Optional u64.
func decodeOptionalU64(r *streamable.Reader) (*uint64, error) {
	ok, err := r.Option()
	if err != nil || !ok {
		return nil, err
	}
	v, err := r.U64()
	if err != nil {
		return nil, err
	}
	return &v, nil
}
