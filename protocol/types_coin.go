package protocol

// Coin is an unspent transaction output: its parent coin, the hash of the
// puzzle that locks it and its amount in mojos.
type Coin struct {
	ParentCoinInfo Bytes32 `json:"parent_coin_info"`
	PuzzleHash     Bytes32 `json:"puzzle_hash"`
	Amount         uint64  `json:"amount"`
}

// CoinSpend is the spend of one coin: the revealed puzzle and the solution
// it is run with.
type CoinSpend struct {
	Coin         Coin    `json:"coin"`
	PuzzleReveal Program `json:"puzzle_reveal"`
	Solution     Program `json:"solution"`
}

// SpendBundle is a transaction: a set of coin spends and their aggregated
// BLS signature.
type SpendBundle struct {
	CoinSpends          []CoinSpend `json:"coin_spends"`
	AggregatedSignature G2Element   `json:"aggregated_signature"`
}

// CoinRecord is a coin with the heights it was created and spent at, as a
// full node stores it (RPC and database only).
type CoinRecord struct {
	Coin                Coin   `json:"coin"`
	ConfirmedBlockIndex uint32 `json:"confirmed_block_index"`
	SpentBlockIndex     uint32 `json:"spent_block_index"`
	Coinbase            bool   `json:"coinbase"`
	Timestamp           uint64 `json:"timestamp"`
}
