package protocol

import "crypto/sha256"

// HeaderHash returns the block's header hash: the hash of its foliage. It
// fails only if the foliage cannot be encoded.
func (b *FullBlock) HeaderHash() (Bytes32, error) { return b.Foliage.Hash() }

// HeaderHash returns the block's header hash: the hash of its foliage. It
// fails only if the foliage cannot be encoded.
func (b *UnfinishedBlock) HeaderHash() (Bytes32, error) { return b.Foliage.Hash() }

// HeaderHash returns the block's header hash: the hash of its foliage. It
// fails only if the foliage cannot be encoded.
func (b *HeaderBlock) HeaderHash() (Bytes32, error) { return b.Foliage.Hash() }

// HeaderHash returns the block's header hash: the hash of its foliage. It
// fails only if the foliage cannot be encoded.
func (b *UnfinishedHeaderBlock) HeaderHash() (Bytes32, error) { return b.Foliage.Hash() }

// Name returns the spend bundle's name, the hash of its serialization. A
// bundle that cannot be encoded (a puzzle reveal or solution that is not
// one CLVM serialization, say) has no name: Name returns the error.
func (s *SpendBundle) Name() (Bytes32, error) { return s.Hash() }

// ID returns the coin's id (its name): SHA-256 of the parent coin id, the
// puzzle hash and the amount as a minimal big-endian two's complement
// integer, as CLVM writes integers (0 is empty; 128 is 0x0080).
func (c *Coin) ID() Bytes32 {
	var buf [32 + 32 + 9]byte
	n := copy(buf[:], c.ParentCoinInfo[:])
	n += copy(buf[n:], c.PuzzleHash[:])
	n += putCLVMUint(buf[n:], c.Amount)
	return sha256.Sum256(buf[:n])
}

// putCLVMUint writes v as the shortest big-endian two's complement byte
// string that holds it and returns its length (0 to 9 bytes).
func putCLVMUint(dst []byte, v uint64) int {
	if v == 0 {
		return 0
	}
	var tmp [9]byte
	i := len(tmp)
	for v > 0 {
		i--
		tmp[i] = byte(v)
		v >>= 8
	}
	if tmp[i]&0x80 != 0 {
		i--
		tmp[i] = 0
	}
	return copy(dst, tmp[i:])
}
