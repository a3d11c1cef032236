package bad

// T has a map.
type T struct {
	X map[string]uint8 `json:"x"`
}
