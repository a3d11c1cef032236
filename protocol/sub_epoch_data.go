package protocol

import (
	"github.com/chianet/chianet/streamable"
)

// Binary codec of SubEpochData (declared with //streamgen:custom-binary;
// its JSON, Hash and TypeName are generated).
//
// new_sub_slot_iters is a plain Optional u64. new_difficulty (Optional u64)
// and challenge_merkle_root (Optional bytes32) share one presence byte (see
// packedOptions), so while challenge_merkle_root is absent the bytes equal
// the older plain layout.

// EncodeStreamable appends the serialization.
func (x *SubEpochData) EncodeStreamable(w *streamable.Writer) {
	w.Fixed(x.RewardChainHash[:])
	w.U8(x.NumBlocksOverflow)
	if x.NewSubSlotIters != nil {
		w.U8(1)
		w.U64(*x.NewSubSlotIters)
	} else {
		w.U8(0)
	}
	w.U8(packedOptions(x.NewDifficulty != nil, x.ChallengeMerkleRoot != nil))
	if x.NewDifficulty != nil {
		w.U64(*x.NewDifficulty)
	}
	if x.ChallengeMerkleRoot != nil {
		w.Fixed(x.ChallengeMerkleRoot[:])
	}
}

// DecodeStreamable reads the serialization. A shared presence byte above 3
// is an error wrapping streamable.ErrInvalidOptional.
func (x *SubEpochData) DecodeStreamable(r *streamable.Reader) error {
	*x = SubEpochData{}
	var err error
	if err = r.Fixed(x.RewardChainHash[:]); err != nil {
		return streamable.Field(err, "reward_chain_hash")
	}
	if x.NumBlocksOverflow, err = r.U8(); err != nil {
		return streamable.Field(err, "num_blocks_overflow")
	}
	if x.NewSubSlotIters, err = decodeOptionalU64(r); err != nil {
		return streamable.Field(err, "new_sub_slot_iters")
	}
	hasDiff, hasRoot, err := readPackedOptions(r)
	if err != nil {
		return streamable.Field(err, "new_difficulty")
	}
	if hasDiff {
		v, err := r.U64()
		if err != nil {
			return streamable.Field(err, "new_difficulty")
		}
		x.NewDifficulty = &v
	}
	if hasRoot {
		x.ChallengeMerkleRoot = new(Bytes32)
		if err = r.Fixed(x.ChallengeMerkleRoot[:]); err != nil {
			return streamable.Field(err, "challenge_merkle_root")
		}
	}
	return nil
}
