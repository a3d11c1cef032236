package protocol

//go:generate go run github.com/chianet/chianet/internal/streamgen

// NewValue returns a new zero value of the wire type with the given
// reference class name (for example "RespondBlock"), or false if there is
// no such type.
func NewValue(name string) (Value, bool) {
	v := newValueByName(name)
	return v, v != nil
}

// TypeNames returns the reference class names of every wire type, sorted.
func TypeNames() []string {
	return append([]string(nil), typeNames...)
}
