package protocol

import "github.com/chianet/chianet/streamable"

// NewPeak announces a full node's new peak to its full node peers.
type NewPeak struct {
	HeaderHash                Bytes32            `json:"header_hash"`
	Height                    uint32             `json:"height"`
	Weight                    streamable.Uint128 `json:"weight"`
	ForkPointWithPreviousPeak uint32             `json:"fork_point_with_previous_peak"`
	UnfinishedRewardBlockHash Bytes32            `json:"unfinished_reward_block_hash"`
}

// NewTransaction announces a transaction that entered the sender's mempool.
type NewTransaction struct {
	TransactionID Bytes32 `json:"transaction_id"`
	Cost          uint64  `json:"cost"`
	Fees          uint64  `json:"fees"`
}

// RequestTransaction asks a peer for the spend bundle of a transaction it
// announced.
type RequestTransaction struct {
	TransactionID Bytes32 `json:"transaction_id"`
}

// RespondTransaction carries a spend bundle, in answer to
// RequestTransaction.
type RespondTransaction struct {
	Transaction SpendBundle `json:"transaction"`
}

// RequestProofOfWeight asks for a weight proof of the chain ending at tip.
type RequestProofOfWeight struct {
	TotalNumberOfBlocks uint32  `json:"total_number_of_blocks"`
	Tip                 Bytes32 `json:"tip"`
}

// RespondProofOfWeight carries the weight proof for tip.
type RespondProofOfWeight struct {
	Wp  WeightProof `json:"wp"`
	Tip Bytes32     `json:"tip"`
}

// RequestBlock asks for the full block at a height.
type RequestBlock struct {
	Height                  uint32 `json:"height"`
	IncludeTransactionBlock bool   `json:"include_transaction_block"`
}

// RejectBlock says the requested block at height is not available.
type RejectBlock struct {
	Height uint32 `json:"height"`
}

// RequestBlocks asks for the full blocks of a height range.
type RequestBlocks struct {
	StartHeight             uint32 `json:"start_height"`
	EndHeight               uint32 `json:"end_height"`
	IncludeTransactionBlock bool   `json:"include_transaction_block"`
}

// RespondBlocks carries the full blocks of a height range.
type RespondBlocks struct {
	StartHeight uint32      `json:"start_height"`
	EndHeight   uint32      `json:"end_height"`
	Blocks      []FullBlock `json:"blocks"`
}

// RejectBlocks says the requested height range is not available.
type RejectBlocks struct {
	StartHeight uint32 `json:"start_height"`
	EndHeight   uint32 `json:"end_height"`
}

// RespondBlock carries one full block, in answer to RequestBlock or
// unsolicited when a node farms or relays a new block.
type RespondBlock struct {
	Block FullBlock `json:"block"`
}

// NewUnfinishedBlock announces an unfinished block by its reward chain
// hash.
type NewUnfinishedBlock struct {
	UnfinishedRewardHash Bytes32 `json:"unfinished_reward_hash"`
}

// RequestUnfinishedBlock asks for the unfinished block with a reward chain
// hash.
type RequestUnfinishedBlock struct {
	UnfinishedRewardHash Bytes32 `json:"unfinished_reward_hash"`
}

// NewUnfinishedBlock2 announces an unfinished block by its reward chain
// hash and, optionally, its foliage hash.
type NewUnfinishedBlock2 struct {
	UnfinishedRewardHash Bytes32  `json:"unfinished_reward_hash"`
	FoliageHash          *Bytes32 `json:"foliage_hash"`
}

// RequestUnfinishedBlock2 asks for an unfinished block by reward chain
// hash and, optionally, foliage hash.
type RequestUnfinishedBlock2 struct {
	UnfinishedRewardHash Bytes32  `json:"unfinished_reward_hash"`
	FoliageHash          *Bytes32 `json:"foliage_hash"`
}

// RespondUnfinishedBlock carries an unfinished block.
type RespondUnfinishedBlock struct {
	UnfinishedBlock UnfinishedBlock `json:"unfinished_block"`
}

// NewSignagePointOrEndOfSubSlot announces a new signage point, or (index
// 0) the end of a sub-slot.
type NewSignagePointOrEndOfSubSlot struct {
	PrevChallengeHash  *Bytes32 `json:"prev_challenge_hash"`
	ChallengeHash      Bytes32  `json:"challenge_hash"`
	IndexFromChallenge uint8    `json:"index_from_challenge"`
	LastRcInfusion     Bytes32  `json:"last_rc_infusion"`
}

// RequestSignagePointOrEndOfSubSlot asks for a signage point or an end of
// sub-slot bundle that a peer announced.
type RequestSignagePointOrEndOfSubSlot struct {
	ChallengeHash      Bytes32 `json:"challenge_hash"`
	IndexFromChallenge uint8   `json:"index_from_challenge"`
	LastRcInfusion     Bytes32 `json:"last_rc_infusion"`
}

// RespondSignagePoint carries the VDFs and proofs of a signage point.
type RespondSignagePoint struct {
	IndexFromChallenge  uint8    `json:"index_from_challenge"`
	ChallengeChainVDF   VDFInfo  `json:"challenge_chain_vdf"`
	ChallengeChainProof VDFProof `json:"challenge_chain_proof"`
	RewardChainVDF      VDFInfo  `json:"reward_chain_vdf"`
	RewardChainProof    VDFProof `json:"reward_chain_proof"`
}

// RespondEndOfSubSlot carries an end of sub-slot bundle.
type RespondEndOfSubSlot struct {
	EndOfSlotBundle EndOfSubSlotBundle `json:"end_of_slot_bundle"`
}

// RequestMempoolTransactions asks a peer for its mempool transactions that
// are not in the given filter of already-known transaction ids.
type RequestMempoolTransactions struct {
	Filter []byte `json:"filter"`
}

// NewCompactVDF announces a compact proof for one of a block's VDFs.
type NewCompactVDF struct {
	Height     uint32  `json:"height"`
	HeaderHash Bytes32 `json:"header_hash"`
	FieldVDF   uint8   `json:"field_vdf"`
	VDFInfo    VDFInfo `json:"vdf_info"`
}

// RequestCompactVDF asks for a compact proof that a peer announced.
type RequestCompactVDF struct {
	Height     uint32  `json:"height"`
	HeaderHash Bytes32 `json:"header_hash"`
	FieldVDF   uint8   `json:"field_vdf"`
	VDFInfo    VDFInfo `json:"vdf_info"`
}

// RespondCompactVDF carries a compact proof for one of a block's VDFs.
type RespondCompactVDF struct {
	Height     uint32   `json:"height"`
	HeaderHash Bytes32  `json:"header_hash"`
	FieldVDF   uint8    `json:"field_vdf"`
	VDFInfo    VDFInfo  `json:"vdf_info"`
	VDFProof   VDFProof `json:"vdf_proof"`
}

// RequestPeers asks a full node for the peers it knows. It has no fields.
type RequestPeers struct{}

// RespondPeers is the answer to RequestPeers.
type RespondPeers struct {
	PeerList []TimestampedPeerInfo `json:"peer_list"`
}
