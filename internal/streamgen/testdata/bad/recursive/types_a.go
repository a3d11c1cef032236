package bad

// T contains itself.
type T struct {
	X []T `json:"x"`
}
