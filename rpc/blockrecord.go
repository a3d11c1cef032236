package rpc

import (
	"encoding/json"
	"fmt"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// BlockRecord is the JSON object of the reference's BlockRecord, as
// get_block_record_by_height and get_blockchain_state's peak give it,
// holding only the fields its maker knows: a service that validates the
// chain gives every field (RecordOf), a service without a chain gives the
// fields a block states by itself (RecordFromBlock). A field that is
// missing is unknown; a field that is null is known to be None. A nil
// BlockRecord is JSON null.
//
// Decode gives the complete record when every field is there.
type BlockRecord map[string]json.RawMessage

// RecordOf returns the complete record r.
func RecordOf(r *protocol.BlockRecord) BlockRecord {
	out := BlockRecord{}
	// r's own JSON is an object of raw values by construction.
	if err := json.Unmarshal(r.AppendJSON(nil), &out); err != nil {
		panic("rpc: BlockRecord JSON is not an object: " + err.Error())
	}
	return out
}

// RecordFromBlock returns the record fields that block b states by
// itself, computed as the reference's header_block_to_sub_block_record
// does: header_hash, prev_hash, height, weight, total_iters,
// signage_point_index, challenge_vdf_output, infused_challenge_vdf_output,
// pool_puzzle_hash, farmer_puzzle_hash, timestamp,
// prev_transaction_block_hash, fees, reward_claims_incorporated, the three
// finished_*_slot_hashes (except at height 0 without finished sub-slots,
// where they need the genesis challenge), and for a proof of space of
// version 0 (v1 plots) reward_infusion_new_challenge and
// challenge_block_info_hash.
//
// Left out are the fields that need the chain before b or the consensus
// constants: sub_slot_iters, required_iters, deficit, overflow,
// prev_transaction_block_height and sub_epoch_summary_included.
//
// An error means b cannot be serialized (a block decoded from the wire
// always can), so its hashes do not exist.
func RecordFromBlock(b *protocol.FullBlock) (BlockRecord, error) {
	out := BlockRecord{}
	rcb := &b.RewardChainBlock
	hh, err := b.HeaderHash()
	if err != nil {
		return nil, err
	}
	out.set("header_hash", streamable.AppendHex(nil, hh[:]))
	out.set("prev_hash", streamable.AppendHex(nil, b.Foliage.PrevBlockHash[:]))
	out.set("height", streamable.AppendUint(nil, uint64(rcb.Height)))
	out.set("weight", rcb.Weight.AppendDecimal(nil))
	out.set("total_iters", rcb.TotalIters.AppendDecimal(nil))
	out.set("signage_point_index", streamable.AppendUint(nil, uint64(rcb.SignagePointIndex)))
	out.set("challenge_vdf_output", rcb.ChallengeChainIpVDF.Output.AppendJSON(nil))
	if v := rcb.InfusedChallengeChainIpVDF; v != nil {
		out.set("infused_challenge_vdf_output", v.Output.AppendJSON(nil))
	} else {
		out.set("infused_challenge_vdf_output", streamable.AppendNull(nil))
	}
	if rcb.ProofOfSpace.Version == 0 {
		// Our hashes of a v2 proof of space differ from the reference's
		// (package protocol), so these are given for v1 plots only.
		rh, err := rcb.Hash()
		if err != nil {
			return nil, err
		}
		out.set("reward_infusion_new_challenge", streamable.AppendHex(nil, rh[:]))
		cbi := protocol.ChallengeBlockInfo{
			ProofOfSpace:              rcb.ProofOfSpace,
			ChallengeChainSpVDF:       rcb.ChallengeChainSpVDF,
			ChallengeChainSpSignature: rcb.ChallengeChainSpSignature,
			ChallengeChainIpVDF:       rcb.ChallengeChainIpVDF,
		}
		ch, err := cbi.Hash()
		if err != nil {
			return nil, err
		}
		out.set("challenge_block_info_hash", streamable.AppendHex(nil, ch[:]))
	}
	fbd := &b.Foliage.FoliageBlockData
	out.set("pool_puzzle_hash", streamable.AppendHex(nil, fbd.PoolTarget.PuzzleHash[:]))
	out.set("farmer_puzzle_hash", streamable.AppendHex(nil, fbd.FarmerRewardPuzzleHash[:]))

	null := streamable.AppendNull(nil)
	if ftb := b.FoliageTransactionBlock; ftb != nil {
		out.set("timestamp", streamable.AppendUint(nil, ftb.Timestamp))
		out.set("prev_transaction_block_hash", streamable.AppendHex(nil, ftb.PrevTransactionBlockHash[:]))
	} else {
		out.set("timestamp", null)
		out.set("prev_transaction_block_hash", null)
	}
	if ti := b.TransactionsInfo; ti != nil {
		out.set("fees", streamable.AppendUint(nil, ti.Fees))
		claims := []byte{'['}
		for i := range ti.RewardClaimsIncorporated {
			if i > 0 {
				claims = append(claims, ',')
			}
			claims = ti.RewardClaimsIncorporated[i].AppendJSON(claims)
		}
		out.set("reward_claims_incorporated", append(claims, ']'))
	} else {
		out.set("fees", null)
		out.set("reward_claims_incorporated", null)
	}

	switch {
	case len(b.FinishedSubSlots) > 0:
		var cc, icc, rc []protocol.Bytes32
		for i := range b.FinishedSubSlots {
			s := &b.FinishedSubSlots[i]
			c, err := s.ChallengeChain.Hash()
			if err != nil {
				return nil, err
			}
			r, err := s.RewardChain.Hash()
			if err != nil {
				return nil, err
			}
			cc, rc = append(cc, c), append(rc, r)
			if s.InfusedChallengeChain != nil {
				ic, err := s.InfusedChallengeChain.Hash()
				if err != nil {
					return nil, err
				}
				icc = append(icc, ic)
			}
		}
		out.set("finished_challenge_slot_hashes", hashList(cc))
		out.set("finished_infused_challenge_slot_hashes", hashList(icc))
		out.set("finished_reward_slot_hashes", hashList(rc))
	case rcb.Height > 0:
		out.set("finished_challenge_slot_hashes", null)
		out.set("finished_infused_challenge_slot_hashes", null)
		out.set("finished_reward_slot_hashes", null)
	}
	return out, nil
}

func hashList(hs []protocol.Bytes32) []byte {
	b := []byte{'['}
	for i := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = streamable.AppendHex(b, hs[i][:])
	}
	return append(b, ']')
}

func (r BlockRecord) set(key string, raw []byte) { r[key] = json.RawMessage(raw) }

// HeaderHash returns "header_hash", if present and valid.
func (r BlockRecord) HeaderHash() (protocol.Bytes32, bool) {
	var h hash32
	raw, ok := r["header_hash"]
	if !ok || json.Unmarshal(raw, &h) != nil {
		return protocol.Bytes32{}, false
	}
	return protocol.Bytes32(h), true
}

// Height returns "height", if present and valid.
func (r BlockRecord) Height() (uint32, bool) {
	var h uint32
	raw, ok := r["height"]
	if !ok || json.Unmarshal(raw, &h) != nil {
		return 0, false
	}
	return h, true
}

// Weight returns "weight", if present and valid.
func (r BlockRecord) Weight() (streamable.Uint128, bool) {
	var w uint128
	raw, ok := r["weight"]
	if !ok || json.Unmarshal(raw, &w) != nil {
		return streamable.Uint128{}, false
	}
	return streamable.Uint128(w), true
}

// Decode returns the complete record; it fails when a field is missing.
func (r BlockRecord) Decode() (*protocol.BlockRecord, error) {
	if r == nil {
		return nil, fmt.Errorf("rpc: no block record")
	}
	raw, err := json.Marshal(map[string]json.RawMessage(r))
	if err != nil {
		return nil, err
	}
	var out protocol.BlockRecord
	if err := out.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return &out, nil
}
