package protocol

import "github.com/chianet/chianet/streamable"

// PoolTarget is where a block's pool reward goes, valid up to MaxHeight
// (0 means forever).
type PoolTarget struct {
	PuzzleHash Bytes32 `json:"puzzle_hash"`
	MaxHeight  uint32  `json:"max_height"`
}

// ClassgroupElement is a VDF output: an element of a class group, in
// 100 bytes.
type ClassgroupElement struct {
	Data Bytes100 `json:"data"`
}

// VDFInfo states that running a VDF from Challenge for NumberOfIterations
// yields Output.
type VDFInfo struct {
	Challenge          Bytes32           `json:"challenge"`
	NumberOfIterations uint64            `json:"number_of_iterations"`
	Output             ClassgroupElement `json:"output"`
}

// VDFProof is the proof (witness) of a VDFInfo.
//
//streamgen:rust-bytes
type VDFProof struct {
	WitnessType          uint8  `json:"witness_type"`
	Witness              []byte `json:"witness"`
	NormalizedToIdentity bool   `json:"normalized_to_identity"`
}

// ProofOfSpace is a plot's proof of space for a challenge. Version 0 is a
// v1 plot (uses Size), version 1 a v2 plot (uses PlotIndex, MetaGroup and
// Strength). On the wire the version shares a byte with the presence of
// PoolContractPuzzleHash and only the version's own fields are written.
// Minimum size: version 0, no pool key, no pool contract:
// 32+1+1+48+1 (size)+4 (empty proof) = 87.
//
//streamgen:custom-binary minsize=87
//streamgen:rust-bytes
type ProofOfSpace struct {
	Challenge              Bytes32    `json:"challenge"`
	PoolPublicKey          *G1Element `json:"pool_public_key"`
	PoolContractPuzzleHash *Bytes32   `json:"pool_contract_puzzle_hash"`
	PlotPublicKey          G1Element  `json:"plot_public_key"`
	Version                uint8      `json:"version"`
	PlotIndex              uint16     `json:"plot_index"`
	MetaGroup              uint8      `json:"meta_group"`
	Strength               uint8      `json:"strength"`
	Size                   uint8      `json:"size"`
	Proof                  []byte     `json:"proof"`
}

// RewardChainBlockUnfinished is the reward chain part of a block before
// its infusion point is known.
type RewardChainBlockUnfinished struct {
	TotalIters                streamable.Uint128 `json:"total_iters"`
	SignagePointIndex         uint8              `json:"signage_point_index"`
	PosSsCcChallengeHash      Bytes32            `json:"pos_ss_cc_challenge_hash"`
	ProofOfSpace              ProofOfSpace       `json:"proof_of_space"`
	ChallengeChainSpVDF       *VDFInfo           `json:"challenge_chain_sp_vdf"`
	ChallengeChainSpSignature G2Element          `json:"challenge_chain_sp_signature"`
	RewardChainSpVDF          *VDFInfo           `json:"reward_chain_sp_vdf"`
	RewardChainSpSignature    G2Element          `json:"reward_chain_sp_signature"`
}

// RewardChainBlock is the reward chain part of a finished block. On the
// wire InfusedChallengeChainIpVDF and HeaderMmrRoot share one presence
// byte (0 neither, 1 VDF, 2 root, 3 both).
// Minimum size: 16+4+16+1+32 + ProofOfSpace 87 + 1 + 96 + VDFInfo 140 +
// 1 + 96 + VDFInfo 140 + 1 (shared byte) + 1 = 632.
//
//streamgen:custom-binary minsize=632
type RewardChainBlock struct {
	Weight                     streamable.Uint128 `json:"weight"`
	Height                     uint32             `json:"height"`
	TotalIters                 streamable.Uint128 `json:"total_iters"`
	SignagePointIndex          uint8              `json:"signage_point_index"`
	PosSsCcChallengeHash       Bytes32            `json:"pos_ss_cc_challenge_hash"`
	ProofOfSpace               ProofOfSpace       `json:"proof_of_space"`
	ChallengeChainSpVDF        *VDFInfo           `json:"challenge_chain_sp_vdf"`
	ChallengeChainSpSignature  G2Element          `json:"challenge_chain_sp_signature"`
	ChallengeChainIpVDF        VDFInfo            `json:"challenge_chain_ip_vdf"`
	RewardChainSpVDF           *VDFInfo           `json:"reward_chain_sp_vdf"`
	RewardChainSpSignature     G2Element          `json:"reward_chain_sp_signature"`
	RewardChainIpVDF           VDFInfo            `json:"reward_chain_ip_vdf"`
	InfusedChallengeChainIpVDF *VDFInfo           `json:"infused_challenge_chain_ip_vdf"`
	HeaderMmrRoot              *Bytes32           `json:"header_mmr_root"`
	IsTransactionBlock         bool               `json:"is_transaction_block"`
}

// FoliageBlockData is the signed foliage data of every block: pool target,
// farmer reward puzzle hash and extension data.
type FoliageBlockData struct {
	UnfinishedRewardBlockHash Bytes32    `json:"unfinished_reward_block_hash"`
	PoolTarget                PoolTarget `json:"pool_target"`
	PoolSignature             *G2Element `json:"pool_signature"`
	FarmerRewardPuzzleHash    Bytes32    `json:"farmer_reward_puzzle_hash"`
	ExtensionData             Bytes32    `json:"extension_data"`
}

// Foliage links a block to its predecessor and to its reward chain block;
// its hash is the block's header hash.
type Foliage struct {
	PrevBlockHash                    Bytes32          `json:"prev_block_hash"`
	RewardBlockHash                  Bytes32          `json:"reward_block_hash"`
	FoliageBlockData                 FoliageBlockData `json:"foliage_block_data"`
	FoliageBlockDataSignature        G2Element        `json:"foliage_block_data_signature"`
	FoliageTransactionBlockHash      *Bytes32         `json:"foliage_transaction_block_hash"`
	FoliageTransactionBlockSignature *G2Element       `json:"foliage_transaction_block_signature"`
}

// FoliageTransactionBlock is the foliage of a transaction block: timestamp
// and the roots of its filter, additions, removals and transactions info.
type FoliageTransactionBlock struct {
	PrevTransactionBlockHash Bytes32 `json:"prev_transaction_block_hash"`
	Timestamp                uint64  `json:"timestamp"`
	FilterHash               Bytes32 `json:"filter_hash"`
	AdditionsRoot            Bytes32 `json:"additions_root"`
	RemovalsRoot             Bytes32 `json:"removals_root"`
	TransactionsInfoHash     Bytes32 `json:"transactions_info_hash"`
}

// TransactionsInfo summarises a transaction block's transactions: generator
// roots, aggregated signature, fees, cost and reward claims.
type TransactionsInfo struct {
	GeneratorRoot            Bytes32   `json:"generator_root"`
	GeneratorRefsRoot        Bytes32   `json:"generator_refs_root"`
	AggregatedSignature      G2Element `json:"aggregated_signature"`
	Fees                     uint64    `json:"fees"`
	Cost                     uint64    `json:"cost"`
	RewardClaimsIncorporated []Coin    `json:"reward_claims_incorporated"`
}

// ChallengeChainSubSlot is the challenge chain's end of a sub-slot.
type ChallengeChainSubSlot struct {
	ChallengeChainEndOfSlotVDF       VDFInfo  `json:"challenge_chain_end_of_slot_vdf"`
	InfusedChallengeChainSubSlotHash *Bytes32 `json:"infused_challenge_chain_sub_slot_hash"`
	SubepochSummaryHash              *Bytes32 `json:"subepoch_summary_hash"`
	NewSubSlotIters                  *uint64  `json:"new_sub_slot_iters"`
	NewDifficulty                    *uint64  `json:"new_difficulty"`
}

// InfusedChallengeChainSubSlot is the infused challenge chain's end of a
// sub-slot.
type InfusedChallengeChainSubSlot struct {
	InfusedChallengeChainEndOfSlotVDF VDFInfo `json:"infused_challenge_chain_end_of_slot_vdf"`
}

// RewardChainSubSlot is the reward chain's end of a sub-slot.
type RewardChainSubSlot struct {
	EndOfSlotVDF                     VDFInfo  `json:"end_of_slot_vdf"`
	ChallengeChainSubSlotHash        Bytes32  `json:"challenge_chain_sub_slot_hash"`
	InfusedChallengeChainSubSlotHash *Bytes32 `json:"infused_challenge_chain_sub_slot_hash"`
	Deficit                          uint8    `json:"deficit"`
}

// SubSlotProofs are the VDF proofs of a sub-slot's end.
type SubSlotProofs struct {
	ChallengeChainSlotProof        VDFProof  `json:"challenge_chain_slot_proof"`
	InfusedChallengeChainSlotProof *VDFProof `json:"infused_challenge_chain_slot_proof"`
	RewardChainSlotProof           VDFProof  `json:"reward_chain_slot_proof"`
}

// ChallengeBlockInfo is the part of a block the challenge chain commits
// to; only its hash is used (it is never sent in a message).
type ChallengeBlockInfo struct {
	ProofOfSpace              ProofOfSpace `json:"proof_of_space"`
	ChallengeChainSpVDF       *VDFInfo     `json:"challenge_chain_sp_vdf"`
	ChallengeChainSpSignature G2Element    `json:"challenge_chain_sp_signature"`
	ChallengeChainIpVDF       VDFInfo      `json:"challenge_chain_ip_vdf"`
}

// EndOfSubSlotBundle is everything that ends a sub-slot: the three chains'
// sub-slot data and their proofs.
type EndOfSubSlotBundle struct {
	ChallengeChain        ChallengeChainSubSlot         `json:"challenge_chain"`
	InfusedChallengeChain *InfusedChallengeChainSubSlot `json:"infused_challenge_chain"`
	RewardChain           RewardChainSubSlot            `json:"reward_chain"`
	Proofs                SubSlotProofs                 `json:"proofs"`
}

// FullBlock is a complete block. On the wire the presence byte of
// TransactionsGenerator also carries a format version: version 0 writes
// the optional generator and the ref list; version 1 writes the optional
// generator buffer as u32-prefixed bytes and no ref list.
// Minimum size (version 1, no generator): 4 (no sub-slots) +
// RewardChainBlock 632 + 1 + VDFProof 6 + 1 + VDFProof 6 + 1 +
// Foliage 295 + 1 + 1 + 1 (version byte) = 949.
//
//streamgen:custom-binary minsize=949
type FullBlock struct {
	FinishedSubSlots             []EndOfSubSlotBundle     `json:"finished_sub_slots"`
	RewardChainBlock             RewardChainBlock         `json:"reward_chain_block"`
	ChallengeChainSpProof        *VDFProof                `json:"challenge_chain_sp_proof"`
	ChallengeChainIpProof        VDFProof                 `json:"challenge_chain_ip_proof"`
	RewardChainSpProof           *VDFProof                `json:"reward_chain_sp_proof"`
	RewardChainIpProof           VDFProof                 `json:"reward_chain_ip_proof"`
	InfusedChallengeChainIpProof *VDFProof                `json:"infused_challenge_chain_ip_proof"`
	Foliage                      Foliage                  `json:"foliage"`
	FoliageTransactionBlock      *FoliageTransactionBlock `json:"foliage_transaction_block"`
	TransactionsInfo             *TransactionsInfo        `json:"transactions_info"`
	TransactionsGenerator        *Program                 `json:"transactions_generator"`
	TransactionsGeneratorRefList []uint32                 `json:"transactions_generator_ref_list"`
	TransactionsGeneratorBuffer  *ByteList                `json:"transactions_generator_buffer"`
	Version                      uint8                    `json:"version"`
}

// UnfinishedBlock is a block before its infusion point VDFs are known. Its
// generator tail is encoded like FullBlock's.
// Minimum size (version 1, no generator): 4 +
// RewardChainBlockUnfinished 330 + 1 + 1 + Foliage 295 + 1 + 1 +
// 1 (version byte) = 634.
//
//streamgen:custom-binary minsize=634
type UnfinishedBlock struct {
	FinishedSubSlots             []EndOfSubSlotBundle       `json:"finished_sub_slots"`
	RewardChainBlock             RewardChainBlockUnfinished `json:"reward_chain_block"`
	ChallengeChainSpProof        *VDFProof                  `json:"challenge_chain_sp_proof"`
	RewardChainSpProof           *VDFProof                  `json:"reward_chain_sp_proof"`
	Foliage                      Foliage                    `json:"foliage"`
	FoliageTransactionBlock      *FoliageTransactionBlock   `json:"foliage_transaction_block"`
	TransactionsInfo             *TransactionsInfo          `json:"transactions_info"`
	TransactionsGenerator        *Program                   `json:"transactions_generator"`
	TransactionsGeneratorRefList []uint32                   `json:"transactions_generator_ref_list"`
	TransactionsGeneratorBuffer  *ByteList                  `json:"transactions_generator_buffer"`
	Version                      uint8                      `json:"version"`
}

// HeaderBlock is a block without its transactions generator, as sent to
// light clients; it carries the transactions filter instead.
//
//streamgen:rust-bytes
type HeaderBlock struct {
	FinishedSubSlots             []EndOfSubSlotBundle     `json:"finished_sub_slots"`
	RewardChainBlock             RewardChainBlock         `json:"reward_chain_block"`
	ChallengeChainSpProof        *VDFProof                `json:"challenge_chain_sp_proof"`
	ChallengeChainIpProof        VDFProof                 `json:"challenge_chain_ip_proof"`
	RewardChainSpProof           *VDFProof                `json:"reward_chain_sp_proof"`
	RewardChainIpProof           VDFProof                 `json:"reward_chain_ip_proof"`
	InfusedChallengeChainIpProof *VDFProof                `json:"infused_challenge_chain_ip_proof"`
	Foliage                      Foliage                  `json:"foliage"`
	FoliageTransactionBlock      *FoliageTransactionBlock `json:"foliage_transaction_block"`
	TransactionsFilter           []byte                   `json:"transactions_filter"`
	TransactionsInfo             *TransactionsInfo        `json:"transactions_info"`
}

// UnfinishedHeaderBlock is an UnfinishedBlock without transactions info
// and generator, carrying the transactions filter instead.
type UnfinishedHeaderBlock struct {
	FinishedSubSlots        []EndOfSubSlotBundle       `json:"finished_sub_slots"`
	RewardChainBlock        RewardChainBlockUnfinished `json:"reward_chain_block"`
	ChallengeChainSpProof   *VDFProof                  `json:"challenge_chain_sp_proof"`
	RewardChainSpProof      *VDFProof                  `json:"reward_chain_sp_proof"`
	Foliage                 Foliage                    `json:"foliage"`
	FoliageTransactionBlock *FoliageTransactionBlock   `json:"foliage_transaction_block"`
	TransactionsFilter      []byte                     `json:"transactions_filter"`
}

// SubEpochSummary summarises a finished sub-epoch. On the wire
// NewSubSlotIters and ChallengeMerkleRoot share one presence byte
// (0 neither, 1 iters, 2 root, 3 both).
// Minimum size: 32+32+1 + 1 (new_difficulty absent) + 1 (shared byte) = 67.
//
//streamgen:custom-binary minsize=67
type SubEpochSummary struct {
	PrevSubepochSummaryHash Bytes32  `json:"prev_subepoch_summary_hash"`
	RewardChainHash         Bytes32  `json:"reward_chain_hash"`
	NumBlocksOverflow       uint8    `json:"num_blocks_overflow"`
	NewDifficulty           *uint64  `json:"new_difficulty"`
	NewSubSlotIters         *uint64  `json:"new_sub_slot_iters"`
	ChallengeMerkleRoot     *Bytes32 `json:"challenge_merkle_root"`
}

// BlockRecord is the summary of a block a full node keeps for consensus
// (RPC and database only, never sent to peers).
type BlockRecord struct {
	HeaderHash                         Bytes32            `json:"header_hash"`
	PrevHash                           Bytes32            `json:"prev_hash"`
	Height                             uint32             `json:"height"`
	Weight                             streamable.Uint128 `json:"weight"`
	TotalIters                         streamable.Uint128 `json:"total_iters"`
	SignagePointIndex                  uint8              `json:"signage_point_index"`
	ChallengeVDFOutput                 ClassgroupElement  `json:"challenge_vdf_output"`
	InfusedChallengeVDFOutput          *ClassgroupElement `json:"infused_challenge_vdf_output"`
	RewardInfusionNewChallenge         Bytes32            `json:"reward_infusion_new_challenge"`
	ChallengeBlockInfoHash             Bytes32            `json:"challenge_block_info_hash"`
	SubSlotIters                       uint64             `json:"sub_slot_iters"`
	PoolPuzzleHash                     Bytes32            `json:"pool_puzzle_hash"`
	FarmerPuzzleHash                   Bytes32            `json:"farmer_puzzle_hash"`
	RequiredIters                      uint64             `json:"required_iters"`
	Deficit                            uint8              `json:"deficit"`
	Overflow                           bool               `json:"overflow"`
	PrevTransactionBlockHeight         uint32             `json:"prev_transaction_block_height"`
	Timestamp                          *uint64            `json:"timestamp"`
	PrevTransactionBlockHash           *Bytes32           `json:"prev_transaction_block_hash"`
	Fees                               *uint64            `json:"fees"`
	RewardClaimsIncorporated           *[]Coin            `json:"reward_claims_incorporated"`
	FinishedChallengeSlotHashes        *[]Bytes32         `json:"finished_challenge_slot_hashes"`
	FinishedInfusedChallengeSlotHashes *[]Bytes32         `json:"finished_infused_challenge_slot_hashes"`
	FinishedRewardSlotHashes           *[]Bytes32         `json:"finished_reward_slot_hashes"`
	SubEpochSummaryIncluded            *SubEpochSummary   `json:"sub_epoch_summary_included"`
}

// SignagePoint is a signage point's VDFs and proofs as a full node caches
// them (RPC only).
type SignagePoint struct {
	CcVDF   *VDFInfo  `json:"cc_vdf"`
	CcProof *VDFProof `json:"cc_proof"`
	RcVDF   *VDFInfo  `json:"rc_vdf"`
	RcProof *VDFProof `json:"rc_proof"`
}
