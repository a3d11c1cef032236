package protocol

import (
	"github.com/chianet/chianet/streamable"
)

// Binary codec of UnfinishedBlock (declared with //streamgen:custom-binary;
// its JSON, Hash and TypeName are generated). It is FullBlock without the
// infusion-point proofs, with a RewardChainBlockUnfinished, and with the
// same packed generator section after transactions_info (see full_block.go):
// version = prefix >> 1, bit 0 = a generator follows; version 0 streams a
// Program and the ref list, version 1 a u32-length-prefixed raw generator
// (transactions_generator_buffer) and no ref list.

// EncodeStreamable appends the serialization. A version other than 0 or 1,
// a version 0 block with a transactions_generator_buffer, or a version 1
// block with a transactions_generator or a non-empty ref list makes w fail
// with streamable.ErrInvalidValue.
func (x *UnfinishedBlock) EncodeStreamable(w *streamable.Writer) {
	encodeFinishedSubSlots(w, x.FinishedSubSlots)
	x.RewardChainBlock.EncodeStreamable(w)
	encodeOptionalVDFProof(w, x.ChallengeChainSpProof)
	encodeOptionalVDFProof(w, x.RewardChainSpProof)
	x.Foliage.EncodeStreamable(w)
	encodeBlockTail(w, x.FoliageTransactionBlock, x.TransactionsInfo)
	encodeBlockGenerator(w, "UnfinishedBlock", x.Version, x.TransactionsGenerator, x.TransactionsGeneratorRefList, x.TransactionsGeneratorBuffer)
}

// DecodeStreamable reads the serialization. A generator format version
// other than 0 or 1 is an error wrapping streamable.ErrInvalidValue.
func (x *UnfinishedBlock) DecodeStreamable(r *streamable.Reader) error {
	*x = UnfinishedBlock{}
	o := new(blockOptionals)
	var err error
	if x.FinishedSubSlots, err = decodeFinishedSubSlots(r); err != nil {
		return err
	}
	if err = x.RewardChainBlock.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "reward_chain_block")
	}
	if x.ChallengeChainSpProof, err = decodeOptionalVDFProof(r, &o.ccSp); err != nil {
		return streamable.Field(err, "challenge_chain_sp_proof")
	}
	if x.RewardChainSpProof, err = decodeOptionalVDFProof(r, &o.rcSp); err != nil {
		return streamable.Field(err, "reward_chain_sp_proof")
	}
	if err = x.Foliage.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "foliage")
	}
	if x.FoliageTransactionBlock, x.TransactionsInfo, err = decodeBlockTail(r, o); err != nil {
		return err
	}
	x.Version, x.TransactionsGenerator, x.TransactionsGeneratorRefList, x.TransactionsGeneratorBuffer, err = decodeBlockGenerator(r, "UnfinishedBlock", &o.gen)
	return err
}
