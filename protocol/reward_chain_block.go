package protocol

import (
	"fmt"

	"github.com/chianet/chianet/streamable"
)

// Binary codec of RewardChainBlock (declared with //streamgen:custom-binary;
// its JSON, Hash and TypeName are generated).
//
// The layout is the plain field order except that
// infused_challenge_chain_ip_vdf (Optional VDFInfo) and header_mmr_root
// (Optional bytes32) share one presence byte (see packedOptions). While
// header_mmr_root is absent the bytes equal the older layout with a plain
// Optional infused_challenge_chain_ip_vdf.

// packedOptions returns the shared presence byte of two adjacent optional
// fields, as chia_rs writes it: 0 = neither, 1 = the first only, 2 = the
// second only, 3 = both (the first is written first).
func packedOptions(first, second bool) uint8 {
	var b uint8
	if first {
		b |= 1
	}
	if second {
		b |= 2
	}
	return b
}

// readPackedOptions reads a shared presence byte written by packedOptions.
// Values above 3 give an error wrapping streamable.ErrInvalidOptional.
func readPackedOptions(r *streamable.Reader) (first, second bool, err error) {
	b, err := r.U8()
	if err != nil {
		return false, false, err
	}
	if b > 3 {
		return false, false, fmt.Errorf("%w: shared presence byte 0x%02x", streamable.ErrInvalidOptional, b)
	}
	return b&1 != 0, b&2 != 0, nil
}

// EncodeStreamable appends the serialization.
func (x *RewardChainBlock) EncodeStreamable(w *streamable.Writer) {
	w.U128(x.Weight)
	w.U32(x.Height)
	w.U128(x.TotalIters)
	w.U8(x.SignagePointIndex)
	w.Fixed(x.PosSsCcChallengeHash[:])
	x.ProofOfSpace.EncodeStreamable(w)
	if x.ChallengeChainSpVDF != nil {
		w.U8(1)
		x.ChallengeChainSpVDF.EncodeStreamable(w)
	} else {
		w.U8(0)
	}
	w.Fixed(x.ChallengeChainSpSignature[:])
	x.ChallengeChainIpVDF.EncodeStreamable(w)
	if x.RewardChainSpVDF != nil {
		w.U8(1)
		x.RewardChainSpVDF.EncodeStreamable(w)
	} else {
		w.U8(0)
	}
	w.Fixed(x.RewardChainSpSignature[:])
	x.RewardChainIpVDF.EncodeStreamable(w)
	w.U8(packedOptions(x.InfusedChallengeChainIpVDF != nil, x.HeaderMmrRoot != nil))
	if x.InfusedChallengeChainIpVDF != nil {
		x.InfusedChallengeChainIpVDF.EncodeStreamable(w)
	}
	if x.HeaderMmrRoot != nil {
		w.Fixed(x.HeaderMmrRoot[:])
	}
	w.Bool(x.IsTransactionBlock)
}

// DecodeStreamable reads the serialization. A shared presence byte above 3
// is an error wrapping streamable.ErrInvalidOptional.
func (x *RewardChainBlock) DecodeStreamable(r *streamable.Reader) error {
	*x = RewardChainBlock{}
	// One allocation for the values of all four optional fields.
	o := new(struct {
		ccSp, rcSp, icc VDFInfo
		mmr             Bytes32
	})
	var err error
	if x.Weight, err = r.U128(); err != nil {
		return streamable.Field(err, "weight")
	}
	if x.Height, err = r.U32(); err != nil {
		return streamable.Field(err, "height")
	}
	if x.TotalIters, err = r.U128(); err != nil {
		return streamable.Field(err, "total_iters")
	}
	if x.SignagePointIndex, err = r.U8(); err != nil {
		return streamable.Field(err, "signage_point_index")
	}
	if err = r.Fixed(x.PosSsCcChallengeHash[:]); err != nil {
		return streamable.Field(err, "pos_ss_cc_challenge_hash")
	}
	if err = x.ProofOfSpace.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "proof_of_space")
	}
	if x.ChallengeChainSpVDF, err = decodeOptionalVDFInfo(r, &o.ccSp); err != nil {
		return streamable.Field(err, "challenge_chain_sp_vdf")
	}
	if err = r.Fixed(x.ChallengeChainSpSignature[:]); err != nil {
		return streamable.Field(err, "challenge_chain_sp_signature")
	}
	if err = x.ChallengeChainIpVDF.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "challenge_chain_ip_vdf")
	}
	if x.RewardChainSpVDF, err = decodeOptionalVDFInfo(r, &o.rcSp); err != nil {
		return streamable.Field(err, "reward_chain_sp_vdf")
	}
	if err = r.Fixed(x.RewardChainSpSignature[:]); err != nil {
		return streamable.Field(err, "reward_chain_sp_signature")
	}
	if err = x.RewardChainIpVDF.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "reward_chain_ip_vdf")
	}
	hasICC, hasMMR, err := readPackedOptions(r)
	if err != nil {
		return streamable.Field(err, "infused_challenge_chain_ip_vdf")
	}
	if hasICC {
		x.InfusedChallengeChainIpVDF = &o.icc
		if err = x.InfusedChallengeChainIpVDF.DecodeStreamable(r); err != nil {
			return streamable.Field(err, "infused_challenge_chain_ip_vdf")
		}
	}
	if hasMMR {
		x.HeaderMmrRoot = &o.mmr
		if err = r.Fixed(x.HeaderMmrRoot[:]); err != nil {
			return streamable.Field(err, "header_mmr_root")
		}
	}
	if x.IsTransactionBlock, err = r.Bool(); err != nil {
		return streamable.Field(err, "is_transaction_block")
	}
	return nil
}

// decodeOptionalVDFInfo reads a plain Optional VDFInfo into slot and returns
// slot if the value is present.
func decodeOptionalVDFInfo(r *streamable.Reader, slot *VDFInfo) (*VDFInfo, error) {
	ok, err := r.Option()
	if err != nil || !ok {
		return nil, err
	}
	v := slot
	if err := v.DecodeStreamable(r); err != nil {
		return nil, err
	}
	return v, nil
}
