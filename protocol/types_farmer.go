package protocol

// SPSubSlotSourceData is the end-of-sub-slot data behind a signage point
// at index 0, sent so that a third-party harvester can check what it signs.
type SPSubSlotSourceData struct {
	CcSubSlot ChallengeChainSubSlot `json:"cc_sub_slot"`
	RcSubSlot RewardChainSubSlot    `json:"rc_sub_slot"`
}

// SPVDFSourceData is the VDF output data behind a signage point, sent so
// that a third-party harvester can check what it signs.
type SPVDFSourceData struct {
	CcVDF ClassgroupElement `json:"cc_vdf"`
	RcVDF ClassgroupElement `json:"rc_vdf"`
}

// SignagePointSourceData is the data a signage point's hashes were made
// from: a sub-slot (index 0) or VDF outputs.
type SignagePointSourceData struct {
	SubSlotData *SPSubSlotSourceData `json:"sub_slot_data"`
	VDFData     *SPVDFSourceData     `json:"vdf_data"`
}

// NewSignagePoint tells a farmer about a new signage point to look up
// proofs for.
type NewSignagePoint struct {
	ChallengeHash     Bytes32                 `json:"challenge_hash"`
	ChallengeChainSp  Bytes32                 `json:"challenge_chain_sp"`
	RewardChainSp     Bytes32                 `json:"reward_chain_sp"`
	Difficulty        uint64                  `json:"difficulty"`
	SubSlotIters      uint64                  `json:"sub_slot_iters"`
	SignagePointIndex uint8                   `json:"signage_point_index"`
	PeakHeight        uint32                  `json:"peak_height"`
	LastTxHeight      uint32                  `json:"last_tx_height"`
	SpSourceData      *SignagePointSourceData `json:"sp_source_data"`
	FilterChallenge   *Bytes32                `json:"filter_challenge"`
}

// DeclareProofOfSpace is sent by a farmer to its full node when it has a
// proof of space good enough to make a block.
type DeclareProofOfSpace struct {
	ChallengeHash              Bytes32      `json:"challenge_hash"`
	ChallengeChainSp           Bytes32      `json:"challenge_chain_sp"`
	SignagePointIndex          uint8        `json:"signage_point_index"`
	RewardChainSp              Bytes32      `json:"reward_chain_sp"`
	ProofOfSpace               ProofOfSpace `json:"proof_of_space"`
	ChallengeChainSpSignature  G2Element    `json:"challenge_chain_sp_signature"`
	RewardChainSpSignature     G2Element    `json:"reward_chain_sp_signature"`
	FarmerPuzzleHash           Bytes32      `json:"farmer_puzzle_hash"`
	PoolTarget                 *PoolTarget  `json:"pool_target"`
	PoolSignature              *G2Element   `json:"pool_signature"`
	IncludeSignatureSourceData bool         `json:"include_signature_source_data"`
}

// RequestSignedValues asks a farmer to sign a new block's foliage; the
// optional source data lets a third-party harvester check the hashes.
type RequestSignedValues struct {
	QualityString               Bytes32                     `json:"quality_string"`
	FoliageBlockDataHash        Bytes32                     `json:"foliage_block_data_hash"`
	FoliageTransactionBlockHash Bytes32                     `json:"foliage_transaction_block_hash"`
	FoliageBlockData            *FoliageBlockData           `json:"foliage_block_data"`
	FoliageTransactionBlockData *FoliageTransactionBlock    `json:"foliage_transaction_block_data"`
	RcBlockUnfinished           *RewardChainBlockUnfinished `json:"rc_block_unfinished"`
}

// FarmingInfo reports to the full node (and UI) how a signage point was
// farmed: plots passing the filter, proofs found and lookup time.
type FarmingInfo struct {
	ChallengeHash Bytes32 `json:"challenge_hash"`
	SpHash        Bytes32 `json:"sp_hash"`
	Timestamp     uint64  `json:"timestamp"`
	Passed        uint32  `json:"passed"`
	Proofs        uint32  `json:"proofs"`
	TotalPlots    uint32  `json:"total_plots"`
	LookupTime    uint64  `json:"lookup_time"`
}

// SignedValues answers RequestSignedValues with the foliage signatures.
type SignedValues struct {
	QualityString                    Bytes32   `json:"quality_string"`
	FoliageBlockDataSignature        G2Element `json:"foliage_block_data_signature"`
	FoliageTransactionBlockSignature G2Element `json:"foliage_transaction_block_signature"`
}
