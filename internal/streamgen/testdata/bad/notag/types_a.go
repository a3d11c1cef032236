package bad

// T lacks a json tag.
type T struct {
	X uint8
}
