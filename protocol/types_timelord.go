package protocol

import "github.com/chianet/chianet/streamable"

// NewPeakTimelord gives a timelord the new peak to run VDFs from.
type NewPeakTimelord struct {
	RewardChainBlock                 RewardChainBlock   `json:"reward_chain_block"`
	Difficulty                       uint64             `json:"difficulty"`
	Deficit                          uint8              `json:"deficit"`
	SubSlotIters                     uint64             `json:"sub_slot_iters"`
	SubEpochSummary                  *SubEpochSummary   `json:"sub_epoch_summary"`
	PreviousRewardChallenges         []RewardChallenge  `json:"previous_reward_challenges"`
	LastChallengeSbOrEosTotalIters   streamable.Uint128 `json:"last_challenge_sb_or_eos_total_iters"`
	PassesSESHeightButNotYetIncluded bool               `json:"passes_ses_height_but_not_yet_included"`
}

// RewardChallenge is one (reward chain challenge, total iterations) entry
// of NewPeakTimelord.previous_reward_challenges.
//
//streamgen:tuple
type RewardChallenge struct {
	Challenge  Bytes32            `json:"challenge"`
	TotalIters streamable.Uint128 `json:"total_iters"`
}

// NewUnfinishedBlockTimelord gives a timelord an unfinished block whose
// infusion point it should compute.
type NewUnfinishedBlockTimelord struct {
	RewardChainBlock RewardChainBlockUnfinished `json:"reward_chain_block"`
	Difficulty       uint64                     `json:"difficulty"`
	SubSlotIters     uint64                     `json:"sub_slot_iters"`
	Foliage          Foliage                    `json:"foliage"`
	SubEpochSummary  *SubEpochSummary           `json:"sub_epoch_summary"`
	RcPrev           Bytes32                    `json:"rc_prev"`
	HeaderMmrRoot    *Bytes32                   `json:"header_mmr_root"`
}

// NewInfusionPointVDF carries the infusion point VDFs a timelord computed
// for an unfinished block.
type NewInfusionPointVDF struct {
	UnfinishedRewardHash         Bytes32   `json:"unfinished_reward_hash"`
	ChallengeChainIpVDF          VDFInfo   `json:"challenge_chain_ip_vdf"`
	ChallengeChainIpProof        VDFProof  `json:"challenge_chain_ip_proof"`
	RewardChainIpVDF             VDFInfo   `json:"reward_chain_ip_vdf"`
	RewardChainIpProof           VDFProof  `json:"reward_chain_ip_proof"`
	InfusedChallengeChainIpVDF   *VDFInfo  `json:"infused_challenge_chain_ip_vdf"`
	InfusedChallengeChainIpProof *VDFProof `json:"infused_challenge_chain_ip_proof"`
}

// NewSignagePointVDF carries the signage point VDFs a timelord computed.
type NewSignagePointVDF struct {
	IndexFromChallenge    uint8    `json:"index_from_challenge"`
	ChallengeChainSpVDF   VDFInfo  `json:"challenge_chain_sp_vdf"`
	ChallengeChainSpProof VDFProof `json:"challenge_chain_sp_proof"`
	RewardChainSpVDF      VDFInfo  `json:"reward_chain_sp_vdf"`
	RewardChainSpProof    VDFProof `json:"reward_chain_sp_proof"`
}

// NewEndOfSubSlotVDF carries the end of sub-slot bundle a timelord
// computed.
type NewEndOfSubSlotVDF struct {
	EndOfSubSlotBundle EndOfSubSlotBundle `json:"end_of_sub_slot_bundle"`
}

// RequestCompactProofOfTime asks a bluebox timelord for a compact proof of
// a block's VDF.
type RequestCompactProofOfTime struct {
	NewProofOfTime VDFInfo `json:"new_proof_of_time"`
	HeaderHash     Bytes32 `json:"header_hash"`
	Height         uint32  `json:"height"`
	FieldVDF       uint8   `json:"field_vdf"`
}

// RespondCompactProofOfTime answers RequestCompactProofOfTime.
type RespondCompactProofOfTime struct {
	VDFInfo    VDFInfo  `json:"vdf_info"`
	VDFProof   VDFProof `json:"vdf_proof"`
	HeaderHash Bytes32  `json:"header_hash"`
	Height     uint32   `json:"height"`
	FieldVDF   uint8    `json:"field_vdf"`
}
