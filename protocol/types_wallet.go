package protocol

import "github.com/chianet/chianet/streamable"

// RequestPuzzleSolution asks for the puzzle and solution a coin was spent
// with at a height.
type RequestPuzzleSolution struct {
	CoinName Bytes32 `json:"coin_name"`
	Height   uint32  `json:"height"`
}

// PuzzleSolutionResponse is the puzzle and solution of a spent coin, the
// body of RespondPuzzleSolution.
type PuzzleSolutionResponse struct {
	CoinName Bytes32 `json:"coin_name"`
	Height   uint32  `json:"height"`
	Puzzle   Program `json:"puzzle"`
	Solution Program `json:"solution"`
}

// RespondPuzzleSolution answers RequestPuzzleSolution.
type RespondPuzzleSolution struct {
	Response PuzzleSolutionResponse `json:"response"`
}

// RejectPuzzleSolution says the requested puzzle solution is not
// available.
type RejectPuzzleSolution struct {
	CoinName Bytes32 `json:"coin_name"`
	Height   uint32  `json:"height"`
}

// SendTransaction submits a spend bundle from a wallet to a full node.
type SendTransaction struct {
	Transaction SpendBundle `json:"transaction"`
}

// TransactionAck answers SendTransaction. Status is a
// MempoolInclusionStatus (1 success, 2 pending, 3 failed).
type TransactionAck struct {
	Txid   Bytes32 `json:"txid"`
	Status uint8   `json:"status"`
	Error  *string `json:"error"`
}

// NewPeakWallet announces a full node's new peak to its wallets.
type NewPeakWallet struct {
	HeaderHash                Bytes32            `json:"header_hash"`
	Height                    uint32             `json:"height"`
	Weight                    streamable.Uint128 `json:"weight"`
	ForkPointWithPreviousPeak uint32             `json:"fork_point_with_previous_peak"`
}

// RequestBlockHeader asks for the header block at a height.
type RequestBlockHeader struct {
	Height uint32 `json:"height"`
}

// RespondBlockHeader carries one header block.
type RespondBlockHeader struct {
	HeaderBlock HeaderBlock `json:"header_block"`
}

// RejectHeaderRequest says the header block at height is not available.
type RejectHeaderRequest struct {
	Height uint32 `json:"height"`
}

// RequestRemovals asks which coins a block removed, either all of them or
// only the named ones (with proofs).
type RequestRemovals struct {
	Height     uint32     `json:"height"`
	HeaderHash Bytes32    `json:"header_hash"`
	CoinNames  *[]Bytes32 `json:"coin_names"`
}

// RespondRemovals lists the coins a block removed, with Merkle proofs when
// specific coins were asked for.
type RespondRemovals struct {
	Height     uint32           `json:"height"`
	HeaderHash Bytes32          `json:"header_hash"`
	Coins      []RemovalsCoin   `json:"coins"`
	Proofs     *[]RemovalsProof `json:"proofs"`
}

// RemovalsCoin is one (coin name, coin) entry of RespondRemovals; the coin
// is nil when the block did not remove it.
//
//streamgen:tuple
type RemovalsCoin struct {
	CoinName Bytes32 `json:"coin_name"`
	Coin     *Coin   `json:"coin"`
}

// RemovalsProof is one (coin name, Merkle proof) entry of RespondRemovals.
//
//streamgen:tuple
type RemovalsProof struct {
	CoinName Bytes32 `json:"coin_name"`
	Proof    []byte  `json:"proof"`
}

// RejectRemovalsRequest says the requested removals are not available.
type RejectRemovalsRequest struct {
	Height     uint32  `json:"height"`
	HeaderHash Bytes32 `json:"header_hash"`
}

// RequestAdditions asks which coins a block created, either all of them or
// only those with the given puzzle hashes (with proofs).
type RequestAdditions struct {
	Height       uint32     `json:"height"`
	HeaderHash   *Bytes32   `json:"header_hash"`
	PuzzleHashes *[]Bytes32 `json:"puzzle_hashes"`
}

// RespondAdditions lists the coins a block created, grouped by puzzle
// hash, with Merkle proofs when specific puzzle hashes were asked for.
type RespondAdditions struct {
	Height     uint32            `json:"height"`
	HeaderHash Bytes32           `json:"header_hash"`
	Coins      []AdditionsCoins  `json:"coins"`
	Proofs     *[]AdditionsProof `json:"proofs"`
}

// AdditionsCoins is one (puzzle hash, coins) entry of RespondAdditions.
//
//streamgen:tuple
type AdditionsCoins struct {
	PuzzleHash Bytes32 `json:"puzzle_hash"`
	Coins      []Coin  `json:"coins"`
}

// AdditionsProof is one (puzzle hash, puzzle hash proof, coins proof)
// entry of RespondAdditions; the coins proof is nil when no coin has that
// puzzle hash.
//
//streamgen:tuple
type AdditionsProof struct {
	PuzzleHash Bytes32 `json:"puzzle_hash"`
	Proof      []byte  `json:"proof"`
	CoinsProof *[]byte `json:"coins_proof"`
}

// RejectAdditionsRequest says the requested additions are not available.
type RejectAdditionsRequest struct {
	Height     uint32  `json:"height"`
	HeaderHash Bytes32 `json:"header_hash"`
}

// RespondBlockHeaders carries the header blocks of a height range, in
// answer to RequestBlockHeaders.
type RespondBlockHeaders struct {
	StartHeight  uint32        `json:"start_height"`
	EndHeight    uint32        `json:"end_height"`
	HeaderBlocks []HeaderBlock `json:"header_blocks"`
}

// RejectBlockHeaders says the requested header range is not available.
type RejectBlockHeaders struct {
	StartHeight uint32 `json:"start_height"`
	EndHeight   uint32 `json:"end_height"`
}

// RequestBlockHeaders asks for the header blocks of a height range,
// optionally with their transaction filters.
type RequestBlockHeaders struct {
	StartHeight  uint32 `json:"start_height"`
	EndHeight    uint32 `json:"end_height"`
	ReturnFilter bool   `json:"return_filter"`
}

// RequestHeaderBlocks is the older request for the header blocks of a
// height range.
type RequestHeaderBlocks struct {
	StartHeight uint32 `json:"start_height"`
	EndHeight   uint32 `json:"end_height"`
}

// RejectHeaderBlocks says the header blocks asked for by
// RequestHeaderBlocks are not available.
type RejectHeaderBlocks struct {
	StartHeight uint32 `json:"start_height"`
	EndHeight   uint32 `json:"end_height"`
}

// RespondHeaderBlocks answers RequestHeaderBlocks.
type RespondHeaderBlocks struct {
	StartHeight  uint32        `json:"start_height"`
	EndHeight    uint32        `json:"end_height"`
	HeaderBlocks []HeaderBlock `json:"header_blocks"`
}

// CoinState is the state of a coin as a wallet sees it: the heights at
// which it was created and spent, each nil if that has not happened.
type CoinState struct {
	Coin          Coin    `json:"coin"`
	SpentHeight   *uint32 `json:"spent_height"`
	CreatedHeight *uint32 `json:"created_height"`
}

// RegisterForPhUpdates subscribes a wallet to coins with the given puzzle
// hashes.
type RegisterForPhUpdates struct {
	PuzzleHashes []Bytes32 `json:"puzzle_hashes"`
	MinHeight    uint32    `json:"min_height"`
}

// RespondToPhUpdates answers RegisterForPhUpdates with the current state
// of the matching coins.
type RespondToPhUpdates struct {
	PuzzleHashes []Bytes32   `json:"puzzle_hashes"`
	MinHeight    uint32      `json:"min_height"`
	CoinStates   []CoinState `json:"coin_states"`
}

// RegisterForCoinUpdates subscribes a wallet to the given coin ids.
type RegisterForCoinUpdates struct {
	CoinIDs   []Bytes32 `json:"coin_ids"`
	MinHeight uint32    `json:"min_height"`
}

// RespondToCoinUpdates answers RegisterForCoinUpdates with the current
// state of the coins.
type RespondToCoinUpdates struct {
	CoinIDs    []Bytes32   `json:"coin_ids"`
	MinHeight  uint32      `json:"min_height"`
	CoinStates []CoinState `json:"coin_states"`
}

// CoinStateUpdate pushes changes of subscribed coins to a wallet after a
// new peak.
type CoinStateUpdate struct {
	Height     uint32      `json:"height"`
	ForkHeight uint32      `json:"fork_height"`
	PeakHash   Bytes32     `json:"peak_hash"`
	Items      []CoinState `json:"items"`
}

// RequestChildren asks for the coins created by spending a coin.
type RequestChildren struct {
	CoinName Bytes32 `json:"coin_name"`
}

// RespondChildren answers RequestChildren.
type RespondChildren struct {
	CoinStates []CoinState `json:"coin_states"`
}

// RequestSESInfo asks for the sub-epoch summaries covering a height range.
type RequestSESInfo struct {
	StartHeight uint32 `json:"start_height"`
	EndHeight   uint32 `json:"end_height"`
}

// RespondSESInfo answers RequestSESInfo with reward chain hashes and, for
// each, the heights of its sub-epoch.
type RespondSESInfo struct {
	RewardChainHash []Bytes32  `json:"reward_chain_hash"`
	Heights         [][]uint32 `json:"heights"`
}

// RequestFeeEstimates asks for fee rate estimates for the given target
// times (Unix seconds).
type RequestFeeEstimates struct {
	TimeTargets []uint64 `json:"time_targets"`
}

// RespondFeeEstimates answers RequestFeeEstimates.
type RespondFeeEstimates struct {
	Estimates FeeEstimateGroup `json:"estimates"`
}

// RequestRemovePuzzleSubscriptions unsubscribes from puzzle hashes (all of
// them when nil).
type RequestRemovePuzzleSubscriptions struct {
	PuzzleHashes *[]Bytes32 `json:"puzzle_hashes"`
}

// RespondRemovePuzzleSubscriptions lists the puzzle hashes that were
// unsubscribed.
type RespondRemovePuzzleSubscriptions struct {
	PuzzleHashes []Bytes32 `json:"puzzle_hashes"`
}

// RequestRemoveCoinSubscriptions unsubscribes from coin ids (all of them
// when nil).
type RequestRemoveCoinSubscriptions struct {
	CoinIDs *[]Bytes32 `json:"coin_ids"`
}

// RespondRemoveCoinSubscriptions lists the coin ids that were
// unsubscribed.
type RespondRemoveCoinSubscriptions struct {
	CoinIDs []Bytes32 `json:"coin_ids"`
}

// CoinStateFilters selects which coins RequestPuzzleState returns.
type CoinStateFilters struct {
	IncludeSpent   bool   `json:"include_spent"`
	IncludeUnspent bool   `json:"include_unspent"`
	IncludeHinted  bool   `json:"include_hinted"`
	MinAmount      uint64 `json:"min_amount"`
}

// RequestPuzzleState asks for the coin states of puzzle hashes since a
// height, optionally subscribing once the full answer has been sent
// (CHIP-26).
type RequestPuzzleState struct {
	PuzzleHashes          []Bytes32        `json:"puzzle_hashes"`
	PreviousHeight        *uint32          `json:"previous_height"`
	HeaderHash            Bytes32          `json:"header_hash"`
	Filters               CoinStateFilters `json:"filters"`
	SubscribeWhenFinished bool             `json:"subscribe_when_finished"`
}

// RespondPuzzleState answers RequestPuzzleState; IsFinished is false when
// the answer was cut short and must be continued from Height.
type RespondPuzzleState struct {
	PuzzleHashes []Bytes32   `json:"puzzle_hashes"`
	Height       uint32      `json:"height"`
	HeaderHash   Bytes32     `json:"header_hash"`
	IsFinished   bool        `json:"is_finished"`
	CoinStates   []CoinState `json:"coin_states"`
}

// RejectPuzzleState refuses RequestPuzzleState. Reason is a
// RejectStateReason (0 reorg, 1 subscription limit exceeded).
type RejectPuzzleState struct {
	Reason uint8 `json:"reason"`
}

// RequestCoinState asks for the states of coins since a height,
// optionally subscribing to them (CHIP-26).
type RequestCoinState struct {
	CoinIDs        []Bytes32 `json:"coin_ids"`
	PreviousHeight *uint32   `json:"previous_height"`
	HeaderHash     Bytes32   `json:"header_hash"`
	Subscribe      bool      `json:"subscribe"`
}

// RespondCoinState answers RequestCoinState.
type RespondCoinState struct {
	CoinIDs    []Bytes32   `json:"coin_ids"`
	CoinStates []CoinState `json:"coin_states"`
}

// RejectCoinState refuses RequestCoinState. Reason is a RejectStateReason.
type RejectCoinState struct {
	Reason uint8 `json:"reason"`
}

// RemovedMempoolItem names a transaction that left the mempool. Reason is
// a MempoolRemoveReason (1 conflict, 2 block inclusion, 3 pool full,
// 4 expired).
type RemovedMempoolItem struct {
	TransactionID Bytes32 `json:"transaction_id"`
	Reason        uint8   `json:"reason"`
}

// MempoolItemsAdded tells a subscribed wallet which transactions entered
// the mempool.
type MempoolItemsAdded struct {
	TransactionIDs []Bytes32 `json:"transaction_ids"`
}

// MempoolItemsRemoved tells a subscribed wallet which transactions left
// the mempool, and why.
type MempoolItemsRemoved struct {
	RemovedItems []RemovedMempoolItem `json:"removed_items"`
}

// RequestCostInfo asks a full node for its cost limits and mempool
// state. It has no fields.
type RequestCostInfo struct{}

// RespondCostInfo answers RequestCostInfo.
type RespondCostInfo struct {
	MaxTransactionCost uint64 `json:"max_transaction_cost"`
	MaxBlockCost       uint64 `json:"max_block_cost"`
	MaxMempoolCost     uint64 `json:"max_mempool_cost"`
	MempoolCost        uint64 `json:"mempool_cost"`
	MempoolFee         uint64 `json:"mempool_fee"`
	BumpFeePerCost     uint8  `json:"bump_fee_per_cost"`
}

// FeeRate is a fee rate in mojos per unit of CLVM cost.
type FeeRate struct {
	MojosPerClvmCost uint64 `json:"mojos_per_clvm_cost"`
}

// FeeEstimate is the estimated fee rate for one target time; when Error
// is set the rate is not valid.
type FeeEstimate struct {
	Error            *string `json:"error"`
	TimeTarget       uint64  `json:"time_target"`
	EstimatedFeeRate FeeRate `json:"estimated_fee_rate"`
}

// FeeEstimateGroup is a set of fee estimates; Error is set when at least
// one of them is invalid.
type FeeEstimateGroup struct {
	Error     *string       `json:"error"`
	Estimates []FeeEstimate `json:"estimates"`
}
