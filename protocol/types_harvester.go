package protocol

// PoolDifficulty is the partial difficulty a pool set for the plots of one
// pool contract.
type PoolDifficulty struct {
	Difficulty             uint64  `json:"difficulty"`
	SubSlotIters           uint64  `json:"sub_slot_iters"`
	PoolContractPuzzleHash Bytes32 `json:"pool_contract_puzzle_hash"`
}

// HarvesterHandshake gives a harvester the farmer and pool keys its plots
// must use.
type HarvesterHandshake struct {
	FarmerPublicKeys []G1Element `json:"farmer_public_keys"`
	PoolPublicKeys   []G1Element `json:"pool_public_keys"`
}

// NewSignagePointHarvester is the older form of the signage point sent by
// a farmer to its harvesters (protocol versions before 0.0.38).
type NewSignagePointHarvester struct {
	ChallengeHash     Bytes32          `json:"challenge_hash"`
	Difficulty        uint64           `json:"difficulty"`
	SubSlotIters      uint64           `json:"sub_slot_iters"`
	SignagePointIndex uint8            `json:"signage_point_index"`
	SpHash            Bytes32          `json:"sp_hash"`
	PoolDifficulties  []PoolDifficulty `json:"pool_difficulties"`
	FilterPrefixBits  uint8            `json:"filter_prefix_bits"`
}

// NewSignagePointHarvester2 is the signage point a farmer sends to its
// harvesters (message 66, protocol version 0.0.38 and later).
type NewSignagePointHarvester2 struct {
	ChallengeHash     Bytes32          `json:"challenge_hash"`
	Difficulty        uint64           `json:"difficulty"`
	SubSlotIters      uint64           `json:"sub_slot_iters"`
	SignagePointIndex uint8            `json:"signage_point_index"`
	SpHash            Bytes32          `json:"sp_hash"`
	PoolDifficulties  []PoolDifficulty `json:"pool_difficulties"`
	PeakHeight        uint32           `json:"peak_height"`
	LastTxHeight      uint32           `json:"last_tx_height"`
	FilterChallenge   *Bytes32         `json:"filter_challenge"`
}

// ProofOfSpaceFeeInfo tells the farmer which fee threshold a third-party
// harvester applied to a proof.
type ProofOfSpaceFeeInfo struct {
	AppliedFeeThreshold uint32 `json:"applied_fee_threshold"`
}

// NewProofOfSpace is sent by a harvester to its farmer when a plot has a
// proof for a signage point.
type NewProofOfSpace struct {
	ChallengeHash               Bytes32              `json:"challenge_hash"`
	SpHash                      Bytes32              `json:"sp_hash"`
	PlotIdentifier              string               `json:"plot_identifier"`
	Proof                       ProofOfSpace         `json:"proof"`
	SignagePointIndex           uint8                `json:"signage_point_index"`
	IncludeSourceSignatureData  bool                 `json:"include_source_signature_data"`
	FarmerRewardAddressOverride *Bytes32             `json:"farmer_reward_address_override"`
	FeeInfo                     *ProofOfSpaceFeeInfo `json:"fee_info"`
}

// PartialProofsData is sent by a harvester with v2 plots to its farmer:
// the partial proofs the solver must complete, plus the plot parameters.
type PartialProofsData struct {
	ChallengeHash          Bytes32        `json:"challenge_hash"`
	SpHash                 Bytes32        `json:"sp_hash"`
	PlotIdentifier         string         `json:"plot_identifier"`
	PartialProofs          []PartialProof `json:"partial_proofs"`
	SignagePointIndex      uint8          `json:"signage_point_index"`
	PlotSize               uint8          `json:"plot_size"`
	PlotIndex              uint16         `json:"plot_index"`
	MetaGroup              uint8          `json:"meta_group"`
	Strength               uint8          `json:"strength"`
	PlotID                 Bytes32        `json:"plot_id"`
	PoolPublicKey          *G1Element     `json:"pool_public_key"`
	PoolContractPuzzleHash *Bytes32       `json:"pool_contract_puzzle_hash"`
	PlotPublicKey          G1Element      `json:"plot_public_key"`
}

// SignatureRequestSourceData is the serialized data behind one message a
// harvester is asked to sign. Kind is a SigningDataKind (1..7).
type SignatureRequestSourceData struct {
	Kind uint8  `json:"kind"`
	Data []byte `json:"data"`
}

// RequestSignatures asks a harvester to sign messages with a plot key; the
// source data is only sent to third-party harvesters (CHIP-22).
type RequestSignatures struct {
	PlotIdentifier    string                         `json:"plot_identifier"`
	ChallengeHash     Bytes32                        `json:"challenge_hash"`
	SpHash            Bytes32                        `json:"sp_hash"`
	Messages          []Bytes32                      `json:"messages"`
	MessageData       *[]*SignatureRequestSourceData `json:"message_data"`
	RcBlockUnfinished *RewardChainBlockUnfinished    `json:"rc_block_unfinished"`
}

// RespondSignatures answers RequestSignatures.
type RespondSignatures struct {
	PlotIdentifier              string             `json:"plot_identifier"`
	ChallengeHash               Bytes32            `json:"challenge_hash"`
	SpHash                      Bytes32            `json:"sp_hash"`
	LocalPk                     G1Element          `json:"local_pk"`
	FarmerPk                    G1Element          `json:"farmer_pk"`
	MessageSignatures           []MessageSignature `json:"message_signatures"`
	IncludeSourceSignatureData  bool               `json:"include_source_signature_data"`
	FarmerRewardAddressOverride *Bytes32           `json:"farmer_reward_address_override"`
}

// MessageSignature is one (message, signature) entry of RespondSignatures.
//
//streamgen:tuple
type MessageSignature struct {
	Message   Bytes32   `json:"message"`
	Signature G2Element `json:"signature"`
}

// Plot describes one plot a harvester farms. Size is the k-size of a v1
// plot, or the strength with bit 0x80 set for a v2 plot.
type Plot struct {
	Filename               string     `json:"filename"`
	Size                   uint8      `json:"size"`
	PlotID                 Bytes32    `json:"plot_id"`
	PoolPublicKey          *G1Element `json:"pool_public_key"`
	PoolContractPuzzleHash *Bytes32   `json:"pool_contract_puzzle_hash"`
	PlotPublicKey          G1Element  `json:"plot_public_key"`
	FileSize               uint64     `json:"file_size"`
	TimeModified           uint64     `json:"time_modified"`
	CompressionLevel       *uint8     `json:"compression_level"`
}

// Plot2 is Plot plus the v2 plot parameters plot_index and meta_group
// (protocol version 0.0.38 and later).
type Plot2 struct {
	Filename               string     `json:"filename"`
	Size                   uint8      `json:"size"`
	PlotID                 Bytes32    `json:"plot_id"`
	PoolPublicKey          *G1Element `json:"pool_public_key"`
	PoolContractPuzzleHash *Bytes32   `json:"pool_contract_puzzle_hash"`
	PlotPublicKey          G1Element  `json:"plot_public_key"`
	FileSize               uint64     `json:"file_size"`
	TimeModified           uint64     `json:"time_modified"`
	CompressionLevel       *uint8     `json:"compression_level"`
	PlotIndex              uint16     `json:"plot_index"`
	MetaGroup              uint8      `json:"meta_group"`
}

// RequestPlots asks a harvester for its plot list. It has no fields.
type RequestPlots struct{}

// RespondPlots answers RequestPlots.
type RespondPlots struct {
	Plots                 []Plot   `json:"plots"`
	FailedToOpenFilenames []string `json:"failed_to_open_filenames"`
	NoKeyFilenames        []string `json:"no_key_filenames"`
}

// RespondPlots2 answers RequestPlots with Plot2 entries (protocol version
// 0.0.38 and later).
type RespondPlots2 struct {
	Plots                 []Plot2  `json:"plots"`
	FailedToOpenFilenames []string `json:"failed_to_open_filenames"`
	NoKeyFilenames        []string `json:"no_key_filenames"`
}

// PlotSyncIdentifier identifies one message of a plot sync run.
type PlotSyncIdentifier struct {
	Timestamp uint64 `json:"timestamp"`
	SyncID    uint64 `json:"sync_id"`
	MessageID uint64 `json:"message_id"`
}

// PlotSyncStart opens a plot sync run from a harvester to its farmer.
type PlotSyncStart struct {
	Identifier     PlotSyncIdentifier `json:"identifier"`
	Initial        bool               `json:"initial"`
	LastSyncID     uint64             `json:"last_sync_id"`
	PlotFileCount  uint32             `json:"plot_file_count"`
	HarvestingMode uint8              `json:"harvesting_mode"`
}

// PlotSyncPathList is a batch of plot paths in a plot sync run (removed,
// invalid, keys missing or duplicates, depending on the message type).
type PlotSyncPathList struct {
	Identifier PlotSyncIdentifier `json:"identifier"`
	Data       []string           `json:"data"`
	Final      bool               `json:"final"`
}

// PlotSyncPlotList is a batch of loaded plots in a plot sync run.
type PlotSyncPlotList struct {
	Identifier PlotSyncIdentifier `json:"identifier"`
	Data       []Plot             `json:"data"`
	Final      bool               `json:"final"`
}

// PlotSyncPlotList2 is a batch of loaded plots as Plot2 entries
// (protocol version 0.0.38 and later).
type PlotSyncPlotList2 struct {
	Identifier PlotSyncIdentifier `json:"identifier"`
	Data       []Plot2            `json:"data"`
	Final      bool               `json:"final"`
}

// PlotSyncDone closes a plot sync run.
type PlotSyncDone struct {
	Identifier PlotSyncIdentifier `json:"identifier"`
	Duration   uint64             `json:"duration"`
}

// PlotSyncError is the error part of a PlotSyncResponse.
type PlotSyncError struct {
	Code               int16               `json:"code"`
	Message            string              `json:"message"`
	ExpectedIdentifier *PlotSyncIdentifier `json:"expected_identifier"`
}

// PlotSyncResponse is the farmer's reply to each plot sync message.
type PlotSyncResponse struct {
	Identifier  PlotSyncIdentifier `json:"identifier"`
	MessageType int16              `json:"message_type"`
	Error       *PlotSyncError     `json:"error"`
}
