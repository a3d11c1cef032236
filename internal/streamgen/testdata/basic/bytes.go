package basic

// Bytes32 is a fixed-size byte type.
type Bytes32 [32]byte

// Program is a hand-written leaf type.
//
//streamgen:manual minsize=1
type Program []byte
