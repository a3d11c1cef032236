package protocol

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/chianet/chianet/streamable"
)

// Binary codec of ProofOfSpace (declared in types_blocks.go with
// //streamgen:custom-binary; its JSON, Hash and TypeName are generated).
//
// The reference (chia_rs proof_of_space.rs) packs a proof version into the
// presence byte of pool_contract_puzzle_hash: version = prefix >> 1, and
// bit 0 says whether the contract puzzle hash follows. The layout is
//
//	challenge                 32
//	pool_public_key           Optional G1 (presence byte 0/1)
//	prefix                    u8: 0,1 = version 0; 2,3 = version 1
//	pool_contract_puzzle_hash 32, if prefix bit 0
//	plot_public_key           48
//	version 0 (v1 plots):     size u8
//	version 1 (v2 plots):     plot_index u16, meta_group u8, strength u8
//	proof                     bytes (u32 length + data)
//
// Version 0 is byte-identical to the older plain-Optional layout. A
// version 1 proof must carry exactly one of pool_public_key and
// pool_contract_puzzle_hash. Fields that the version does not store are
// not encoded and decode as zero: plot_index, meta_group and strength for
// version 0, size for version 1.
//
// Hashing: the generated Hash method returns the SHA-256 of the
// serialization (or the error that makes p impossible to serialize). For version 0 that is the reference get_hash(). For
// version 1 it is NOT: the reference hashes the same bytes up to strength
// and then the proof's 32-byte quality string instead of the proof. The
// quality string comes out of verifying the v2 plot proof (the chia_pos2
// crate), which a networking stack does not do. HashWithQualityString
// computes the reference hash for a caller that has the quality string.
// The same difference carries over to the hash of every value that
// contains a version 1 ProofOfSpace (RewardChainBlock,
// RewardChainBlockUnfinished, ...).

// Prefix byte values of the packed pool_contract_puzzle_hash presence byte.
const (
	posPrefixHasContract = 0b01
	posPrefixVersion1    = 0b10
)

// EncodeStreamable appends the packed layout. A version other than 0 or
// 1, or a version 1 proof without exactly one of pool_public_key and
// pool_contract_puzzle_hash, makes w fail with streamable.ErrInvalidValue.
func (p *ProofOfSpace) EncodeStreamable(w *streamable.Writer) {
	if err := p.checkVersion(); err != nil {
		w.Fail(err)
		return
	}
	w.Fixed(p.Challenge[:])
	if p.PoolPublicKey != nil {
		w.U8(1)
		w.Fixed(p.PoolPublicKey[:])
	} else {
		w.U8(0)
	}
	var prefix uint8
	if p.Version == 1 {
		prefix = posPrefixVersion1
	}
	if p.PoolContractPuzzleHash != nil {
		w.U8(prefix | posPrefixHasContract)
		w.Fixed(p.PoolContractPuzzleHash[:])
	} else {
		w.U8(prefix)
	}
	w.Fixed(p.PlotPublicKey[:])
	if p.Version == 0 {
		w.U8(p.Size)
	} else {
		w.U16(p.PlotIndex)
		w.U8(p.MetaGroup)
		w.U8(p.Strength)
	}
	w.BytesPrefixed(p.Proof)
}

// checkVersion reports why p cannot be encoded, or nil.
func (p *ProofOfSpace) checkVersion() error {
	switch p.Version {
	case 0:
		return nil
	case 1:
		if (p.PoolPublicKey != nil) == (p.PoolContractPuzzleHash != nil) {
			return fmt.Errorf("%w: ProofOfSpace version 1 needs exactly one of pool_public_key and pool_contract_puzzle_hash", streamable.ErrInvalidValue)
		}
		return nil
	}
	return fmt.Errorf("%w: ProofOfSpace version %d (only 0 and 1 exist)", streamable.ErrInvalidValue, p.Version)
}

// DecodeStreamable reads the packed layout. A prefix byte above 3, or a
// version 1 proof without exactly one of pool_public_key and
// pool_contract_puzzle_hash, is an error wrapping streamable.ErrInvalidValue.
func (p *ProofOfSpace) DecodeStreamable(r *streamable.Reader) error {
	*p = ProofOfSpace{}
	if err := r.Fixed(p.Challenge[:]); err != nil {
		return streamable.Field(err, "challenge")
	}
	if ok, err := r.Option(); err != nil {
		return streamable.Field(err, "pool_public_key")
	} else if ok {
		p.PoolPublicKey = new(G1Element)
		if err := r.Fixed(p.PoolPublicKey[:]); err != nil {
			return streamable.Field(err, "pool_public_key")
		}
	}
	prefix, err := r.U8()
	if err != nil {
		return streamable.Field(err, "pool_contract_puzzle_hash")
	}
	if prefix > posPrefixVersion1|posPrefixHasContract {
		return streamable.Field(fmt.Errorf("%w: ProofOfSpace prefix byte 0x%02x (version %d)", streamable.ErrInvalidValue, prefix, prefix>>1), "pool_contract_puzzle_hash")
	}
	p.Version = prefix >> 1
	if prefix&posPrefixHasContract != 0 {
		p.PoolContractPuzzleHash = new(Bytes32)
		if err := r.Fixed(p.PoolContractPuzzleHash[:]); err != nil {
			return streamable.Field(err, "pool_contract_puzzle_hash")
		}
	}
	if err := r.Fixed(p.PlotPublicKey[:]); err != nil {
		return streamable.Field(err, "plot_public_key")
	}
	if p.Version == 0 {
		if p.Size, err = r.U8(); err != nil {
			return streamable.Field(err, "size")
		}
	} else {
		if p.PlotIndex, err = r.U16(); err != nil {
			return streamable.Field(err, "plot_index")
		}
		if p.MetaGroup, err = r.U8(); err != nil {
			return streamable.Field(err, "meta_group")
		}
		if p.Strength, err = r.U8(); err != nil {
			return streamable.Field(err, "strength")
		}
	}
	if p.Proof, err = r.Bytes(); err != nil {
		return streamable.Field(err, "proof")
	}
	// The reference checks the pool fields after reading the whole proof,
	// so a truncated input reports truncation first, as here.
	if p.Version == 1 && (p.PoolPublicKey != nil) == (p.PoolContractPuzzleHash != nil) {
		return streamable.Field(fmt.Errorf("%w: ProofOfSpace version 1 needs exactly one of pool_public_key and pool_contract_puzzle_hash", streamable.ErrInvalidValue), "pool_contract_puzzle_hash")
	}
	return nil
}

// HashWithQualityString returns the reference get_hash() of p, given the
// quality string q of its plot proof.
//
// For version 1 (v2 plots) the reference hashes the serialization up to
// and including strength, then q in place of the proof; q is the SHA-256 of
// the serialized quality that verifying the proof yields (chia_pos2), which
// chianet does not compute. For version 0 the reference hash is the SHA-256
// of the serialization and q is ignored, so the result equals Hash().
// Any other version has no hash: the error wraps streamable.ErrInvalidValue,
// as from Hash().
//
// Like the reference, the version 1 hash does not check that exactly one
// of pool_public_key and pool_contract_puzzle_hash is set.
func (p *ProofOfSpace) HashWithQualityString(q Bytes32) (Bytes32, error) {
	switch p.Version {
	case 0:
		return p.Hash()
	case 1:
	default:
		return Bytes32{}, streamable.Field(p.checkVersion(), p.TypeName())
	}
	// Largest input: 32 + 1+48 + 1+32 + 48 + 2+1+1 + 32 = 198 bytes.
	var buf [200]byte
	b := append(buf[:0], p.Challenge[:]...)
	if p.PoolPublicKey != nil {
		b = append(b, 1)
		b = append(b, p.PoolPublicKey[:]...)
	} else {
		b = append(b, 0)
	}
	if p.PoolContractPuzzleHash != nil {
		b = append(b, posPrefixVersion1|posPrefixHasContract)
		b = append(b, p.PoolContractPuzzleHash[:]...)
	} else {
		b = append(b, posPrefixVersion1)
	}
	b = append(b, p.PlotPublicKey[:]...)
	b = binary.BigEndian.AppendUint16(b, p.PlotIndex)
	b = append(b, p.MetaGroup, p.Strength)
	b = append(b, q[:]...)
	return sha256.Sum256(b), nil
}
