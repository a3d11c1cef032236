package protocol

// FarmNewBlockProtocol asks a simulator full node to farm a block paying
// the reward to a puzzle hash.
type FarmNewBlockProtocol struct {
	PuzzleHash Bytes32 `json:"puzzle_hash"`
}

// ReorgProtocol asks a simulator full node to reorg the chain between two
// heights.
type ReorgProtocol struct {
	OldIndex   uint32   `json:"old_index"`
	NewIndex   uint32   `json:"new_index"`
	PuzzleHash Bytes32  `json:"puzzle_hash"`
	Seed       *Bytes32 `json:"seed"`
}

// GetAllCoinsProtocol asks a simulator full node for all its coins.
type GetAllCoinsProtocol struct {
	IncludeSpentCoins bool `json:"include_spent_coins"`
}
