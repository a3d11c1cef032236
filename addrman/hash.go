package addrman

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
)

// The placement functions below follow the reference's ExtendedPeerInfo
// (get_tried_bucket, get_new_bucket, get_bucket_position) byte for byte, so
// that with the same key an address lands in the same bucket and slot as
// in chia-blockchain. H(x) is the first 8 bytes of SHA-256(x) read as a
// big-endian integer; key is the 32-byte secret.

// hash64 returns H(b).
func hash64(b []byte) uint64 {
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// triedBucket returns the tried bucket of ap:
//
//	h1 = H(key ‖ addrkey) mod TriedBucketsPerGroup
//	bucket = H(key ‖ group(addr) ‖ byte(h1)) mod TriedBucketCount
func triedBucket(key *[32]byte, ap netip.AddrPort) int {
	var buf [64]byte
	k := keyOf(ap)
	b := append(append(buf[:0], key[:]...), k[:]...)
	h1 := hash64(b) % TriedBucketsPerGroup
	g := GroupOf(ap.Addr())
	b = append(append(buf[:0], key[:]...), g.b[:g.n]...)
	b = append(b, byte(h1))
	return int(hash64(b) % TriedBucketCount)
}

// newBucket returns the new bucket of addr when src told us about it:
//
//	h1 = H(key ‖ group(addr) ‖ group(src)) mod NewBucketsPerSourceGroup
//	bucket = H(key ‖ group(src) ‖ byte(h1)) mod NewBucketCount
func newBucket(key *[32]byte, addr, src netip.Addr) int {
	var buf [64]byte
	ga, gs := GroupOf(addr), GroupOf(src)
	b := append(append(buf[:0], key[:]...), ga.b[:ga.n]...)
	b = append(b, gs.b[:gs.n]...)
	h1 := hash64(b) % NewBucketsPerSourceGroup
	b = append(append(buf[:0], key[:]...), gs.b[:gs.n]...)
	b = append(b, byte(h1))
	return int(hash64(b) % NewBucketCount)
}

// bucketPosition returns the slot of ap in a bucket:
//
//	H(key ‖ ("N" for new, "K" for tried) ‖ bucket as 3 bytes big-endian ‖ addrkey) mod BucketSize
func bucketPosition(key *[32]byte, isNew bool, bucket int, ap netip.AddrPort) int {
	var buf [64]byte
	k := keyOf(ap)
	b := append(buf[:0], key[:]...)
	if isNew {
		b = append(b, 'N')
	} else {
		b = append(b, 'K')
	}
	b = append(b, byte(bucket>>16), byte(bucket>>8), byte(bucket))
	b = append(b, k[:]...)
	return int(hash64(b) % BucketSize)
}
