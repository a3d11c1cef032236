package protocol

import "github.com/chianet/chianet/streamable"

// WeightProof proves the weight of a chain without sending all its blocks:
// sub-epoch summaries, sampled sub-epoch segments and the recent blocks.
type WeightProof struct {
	SubEpochs        []SubEpochData             `json:"sub_epochs"`
	SubEpochSegments []SubEpochChallengeSegment `json:"sub_epoch_segments"`
	RecentChainData  []HeaderBlock              `json:"recent_chain_data"`
}

// RecentChainData is the recent part of a weight proof as a full node
// stores it in its database.
type RecentChainData struct {
	RecentChainData []HeaderBlock `json:"recent_chain_data"`
}

// ProofBlockHeader is a block's sub-slots and reward chain block, as used
// in weight proof validation.
type ProofBlockHeader struct {
	FinishedSubSlots []EndOfSubSlotBundle `json:"finished_sub_slots"`
	RewardChainBlock RewardChainBlock     `json:"reward_chain_block"`
}

// SubEpochData is the weight proof's summary of one sub-epoch. On the wire
// NewDifficulty and ChallengeMerkleRoot share one presence byte
// (0 neither, 1 difficulty, 2 root, 3 both).
// Minimum size: 32+1 + 1 (new_sub_slot_iters absent) + 1 (shared byte) = 35.
//
//streamgen:custom-binary minsize=35
type SubEpochData struct {
	RewardChainHash     Bytes32  `json:"reward_chain_hash"`
	NumBlocksOverflow   uint8    `json:"num_blocks_overflow"`
	NewSubSlotIters     *uint64  `json:"new_sub_slot_iters"`
	NewDifficulty       *uint64  `json:"new_difficulty"`
	ChallengeMerkleRoot *Bytes32 `json:"challenge_merkle_root"`
}

// SubEpochChallengeSegment is one sampled challenge segment of a
// sub-epoch in a weight proof.
type SubEpochChallengeSegment struct {
	SubEpochN     uint32        `json:"sub_epoch_n"`
	SubSlots      []SubSlotData `json:"sub_slots"`
	RcSlotEndInfo *VDFInfo      `json:"rc_slot_end_info"`
}

// SubSlotData is one sub-slot or challenge block of a weight proof
// segment; which fields are set depends on which of the two it is.
type SubSlotData struct {
	ProofOfSpace      *ProofOfSpace       `json:"proof_of_space"`
	CcSignagePoint    *VDFProof           `json:"cc_signage_point"`
	CcInfusionPoint   *VDFProof           `json:"cc_infusion_point"`
	IccInfusionPoint  *VDFProof           `json:"icc_infusion_point"`
	CcSpVDFInfo       *VDFInfo            `json:"cc_sp_vdf_info"`
	SignagePointIndex *uint8              `json:"signage_point_index"`
	CcSlotEnd         *VDFProof           `json:"cc_slot_end"`
	IccSlotEnd        *VDFProof           `json:"icc_slot_end"`
	CcSlotEndInfo     *VDFInfo            `json:"cc_slot_end_info"`
	IccSlotEndInfo    *VDFInfo            `json:"icc_slot_end_info"`
	CcIpVDFInfo       *VDFInfo            `json:"cc_ip_vdf_info"`
	IccIpVDFInfo      *VDFInfo            `json:"icc_ip_vdf_info"`
	TotalIters        *streamable.Uint128 `json:"total_iters"`
}

// SubEpochSegments is the list of challenge segments of one sub-epoch, as
// a full node stores it in its database.
type SubEpochSegments struct {
	ChallengeSegments []SubEpochChallengeSegment `json:"challenge_segments"`
}
