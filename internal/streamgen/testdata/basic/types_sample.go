package basic

import "github.com/chianet/chianet/streamable"

// Empty has no fields.
type Empty struct{}

// Pair is a tuple.
//
//streamgen:tuple
type Pair struct {
	Code  uint16 `json:"code"`
	Value string `json:"value"`
}

// Sample uses every field kind.
type Sample struct {
	A     uint8              `json:"a"`
	B     int16              `json:"b"`
	C     uint64             `json:"c"`
	D     bool               `json:"d"`
	E     string             `json:"e"`
	F     []byte             `json:"f"`
	G     streamable.Uint128 `json:"g"`
	H     Bytes32            `json:"h"`
	I     [4]uint64          `json:"i"`
	J     *uint32            `json:"j"`
	K     *Bytes32           `json:"k"`
	L     []Pair             `json:"l"`
	M     *[]Bytes32         `json:"m"`
	N     [][]uint32         `json:"n"`
	O     Program            `json:"o"`
	P     *Empty             `json:"p"`
	Inner Custom             `json:"inner"`
}

// Custom has a hand-written binary codec.
//
//streamgen:custom-binary minsize=2
type Custom struct {
	X uint8  `json:"x"`
	Y *uint8 `json:"y"`
}
