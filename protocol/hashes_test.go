package protocol

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/chianet/chianet/streamable"
)

// A value that cannot be encoded has no hash: Hash and Name say why
// instead of returning a hash of nothing.
func TestHashOfUnencodableValue(t *testing.T) {
	bad := &SpendBundle{CoinSpends: []CoinSpend{{PuzzleReveal: Program{0xff}, Solution: Program{0x80}}}}
	if h, err := bad.Hash(); err == nil || h != (Bytes32{}) {
		t.Fatalf("Hash = %v, %v; want an error", h, err)
	} else if !errors.Is(err, streamable.ErrInvalidValue) || !strings.Contains(err.Error(), "CLVM") {
		t.Fatalf("Hash error %q does not say the program is not CLVM", err)
	}
	if h, err := bad.Name(); err == nil || h != (Bytes32{}) {
		t.Fatalf("Name = %v, %v; want an error", h, err)
	}
	// An empty Program cannot be expressed on the wire either.
	empty := &CoinSpend{PuzzleReveal: Program{0x80}}
	if _, err := empty.Hash(); !errors.Is(err, streamable.ErrInvalidValue) {
		t.Fatalf("Hash of a CoinSpend with an empty solution: %v", err)
	}

	good := &SpendBundle{CoinSpends: []CoinSpend{{PuzzleReveal: Program{0x80}, Solution: Program{0xff, 0x01, 0x80}}}}
	ser, err := streamable.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := good.Name(); err != nil || h != Bytes32(sha256.Sum256(ser)) {
		t.Fatalf("Name = %v, %v; want the SHA-256 of %x", h, err, ser)
	}
}

func TestHeaderHashIsFoliageHash(t *testing.T) {
	var b FullBlock
	b.Foliage.PrevBlockHash = Bytes32{1}
	want, err := b.Foliage.Hash()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []interface{ HeaderHash() (Bytes32, error) }{
		&b,
		&UnfinishedBlock{Foliage: b.Foliage},
		&HeaderBlock{Foliage: b.Foliage},
		&UnfinishedHeaderBlock{Foliage: b.Foliage},
	} {
		if h, err := v.HeaderHash(); err != nil || h != want {
			t.Errorf("%T.HeaderHash = %v, %v; want %v", v, h, err, want)
		}
	}
}
