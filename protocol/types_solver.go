package protocol

// SolverInfo asks a solver to turn a v2 plot's partial proof into a full
// proof.
type SolverInfo struct {
	PartialProof PartialProof `json:"partial_proof"`
	PlotID       Bytes32      `json:"plot_id"`
	Strength     uint8        `json:"strength"`
	Size         uint8        `json:"size"`
}

// SolverResponse carries the full proof a solver found for a partial
// proof.
type SolverResponse struct {
	PartialProof PartialProof `json:"partial_proof"`
	Proof        []byte       `json:"proof"`
}

// PartialProof is the partial proof of space of a v2 plot: 16 proof
// fragments.
type PartialProof struct {
	Fragments [16]uint64 `json:"fragments"`
}
