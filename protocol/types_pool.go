package protocol

// The pool protocol types are JSON bodies of a pool's HTTP API, not peer
// messages, but they are Streamable too (signatures cover their hashes).

// AuthenticationPayloadV1 is the payload a farmer signs to authenticate
// GET /farmer and GET /login.
type AuthenticationPayloadV1 struct {
	MethodName          string  `json:"method_name"`
	LauncherID          Bytes32 `json:"launcher_id"`
	TargetPuzzleHash    Bytes32 `json:"target_puzzle_hash"`
	AuthenticationToken uint64  `json:"authentication_token"`
}

// GetAuthRequest is the request of GET /auth.
type GetAuthRequest struct {
	LauncherID Bytes32   `json:"launcher_id"`
	Timestamp  uint64    `json:"timestamp"`
	Signature  G2Element `json:"signature"`
}

// GetAuthResponse is the answer of GET /auth.
type GetAuthResponse struct {
	AuthenticationToken string `json:"authentication_token"`
	Expiration          uint64 `json:"expiration"`
}

// GetPoolInfoResponse is the answer of GET /pool_info.
type GetPoolInfoResponse struct {
	Name                       string  `json:"name"`
	LogoURL                    string  `json:"logo_url"`
	MinimumDifficulty          uint64  `json:"minimum_difficulty"`
	RelativeLockHeight         uint32  `json:"relative_lock_height"`
	ProtocolVersion            uint8   `json:"protocol_version"`
	Fee                        string  `json:"fee"`
	Description                string  `json:"description"`
	TargetPuzzleHash           Bytes32 `json:"target_puzzle_hash"`
	AuthenticationTokenTimeout uint8   `json:"authentication_token_timeout"`
	PoolMemoization            Program `json:"pool_memoization"`
}

// PostPartialPayload is the signed part of a POST /partial request.
type PostPartialPayload struct {
	LauncherID          Bytes32      `json:"launcher_id"`
	AuthenticationToken uint64       `json:"authentication_token"`
	ProofOfSpace        ProofOfSpace `json:"proof_of_space"`
	SpHash              Bytes32      `json:"sp_hash"`
	EndOfSubSlot        bool         `json:"end_of_sub_slot"`
	HarvesterID         Bytes32      `json:"harvester_id"`
}

// PostPartialRequest is the request of POST /partial.
type PostPartialRequest struct {
	Payload               PostPartialPayload `json:"payload"`
	AuthenticationTokenV2 string             `json:"authentication_token_v2"`
	AggregateSignature    G2Element          `json:"aggregate_signature"`
}

// PostPartialResponse is the success answer of POST /partial.
type PostPartialResponse struct {
	NewDifficulty uint64 `json:"new_difficulty"`
}

// GetFarmerRequestV2 is the request of GET /farmer with a v2
// authentication token.
type GetFarmerRequestV2 struct {
	AuthenticationToken   uint64  `json:"authentication_token"`
	LauncherID            Bytes32 `json:"launcher_id"`
	AuthenticationTokenV2 string  `json:"authentication_token_v2"`
}

// GetFarmerRequestV1 is the request of GET /farmer: the GetFarmerRequestV2
// fields followed by the v1 signature.
type GetFarmerRequestV1 struct {
	AuthenticationToken   uint64     `json:"authentication_token"`
	LauncherID            Bytes32    `json:"launcher_id"`
	AuthenticationTokenV2 string     `json:"authentication_token_v2"`
	Signature             *G2Element `json:"signature"`
}

// GetFarmerResponse is the success answer of GET /farmer.
type GetFarmerResponse struct {
	AuthenticationPublicKey G1Element `json:"authentication_public_key"`
	PayoutInstructions      string    `json:"payout_instructions"`
	CurrentDifficulty       uint64    `json:"current_difficulty"`
	CurrentPoints           uint64    `json:"current_points"`
}

// PostFarmerPayload is the signed part of a POST /farmer request.
type PostFarmerPayload struct {
	LauncherID              Bytes32   `json:"launcher_id"`
	AuthenticationToken     uint64    `json:"authentication_token"`
	AuthenticationPublicKey G1Element `json:"authentication_public_key"`
	PayoutInstructions      string    `json:"payout_instructions"`
	SuggestedDifficulty     *uint64   `json:"suggested_difficulty"`
}

// PostFarmerRequest is the request of POST /farmer.
type PostFarmerRequest struct {
	Payload   PostFarmerPayload `json:"payload"`
	Signature G2Element         `json:"signature"`
}

// PostFarmerResponse is the success answer of POST /farmer.
type PostFarmerResponse struct {
	WelcomeMessage string `json:"welcome_message"`
}

// PutFarmerPayload is the signed part of a PUT /farmer request; nil fields
// are left unchanged.
type PutFarmerPayload struct {
	LauncherID              Bytes32    `json:"launcher_id"`
	AuthenticationToken     uint64     `json:"authentication_token"`
	AuthenticationPublicKey *G1Element `json:"authentication_public_key"`
	PayoutInstructions      *string    `json:"payout_instructions"`
	SuggestedDifficulty     *uint64    `json:"suggested_difficulty"`
	AuthenticationTokenV2   string     `json:"authentication_token_v2"`
}

// PutFarmerRequest is the request of PUT /farmer.
type PutFarmerRequest struct {
	Payload   PutFarmerPayload `json:"payload"`
	Signature *G2Element       `json:"signature"`
}

// PutFarmerResponse is the success answer of PUT /farmer: which fields
// were updated.
type PutFarmerResponse struct {
	AuthenticationPublicKey *bool `json:"authentication_public_key"`
	PayoutInstructions      *bool `json:"payout_instructions"`
	SuggestedDifficulty     *bool `json:"suggested_difficulty"`
}

// ErrorResponse is the error answer of every pool endpoint. ErrorCode is
// a PoolErrorCode (1..16).
type ErrorResponse struct {
	ErrorCode    uint16  `json:"error_code"`
	ErrorMessage *string `json:"error_message"`
}
