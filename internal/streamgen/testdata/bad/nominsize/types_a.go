package bad

// T is custom without a size.
//
//streamgen:custom-binary
type T struct {
	X uint8 `json:"x"`
}
