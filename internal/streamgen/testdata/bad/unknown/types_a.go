package bad

// T has a field kind the generator does not know.
type T struct {
	X float64 `json:"x"`
}
