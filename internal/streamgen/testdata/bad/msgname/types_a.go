package bad

// T is a wire struct.
type T struct {
	X uint8 `json:"x"`
}
