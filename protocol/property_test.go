package protocol_test

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// randomValue fills v (a pointer to a wire struct) with random content.
// Reflection is fine here: it builds test inputs, it is not a codec path.
// Values are canonical, i.e. what a decoder can produce: the custom
// layouts get consistent versions and presence combinations.
type randomizer struct {
	rng *rand.Rand
}

func (g *randomizer) fill(v reflect.Value, depth int) {
	t := v.Type()
	switch t {
	case reflect.TypeFor[protocol.Program]():
		v.Set(reflect.ValueOf(g.program(depth)))
		return
	case reflect.TypeFor[protocol.ByteList]():
		v.Set(reflect.ValueOf(protocol.ByteList(g.bytes(8))))
		return
	case reflect.TypeFor[streamable.Uint128]():
		v.Set(reflect.ValueOf(g.u128()))
		return
	}
	switch t.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(g.uint(t.Bits()))
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(g.uint(t.Bits())) >> 0 << (64 - t.Bits()) >> (64 - t.Bits()))
	case reflect.Bool:
		v.SetBool(g.rng.IntN(2) == 1)
	case reflect.String:
		v.SetString(g.str())
	case reflect.Array:
		for i := range v.Len() {
			g.fill(v.Index(i), depth+1)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			v.SetBytes(g.bytes(40))
			return
		}
		n := g.rng.IntN(4)
		if depth > 3 {
			n = g.rng.IntN(2)
		}
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			g.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Pointer:
		if g.rng.IntN(3) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(t.Elem())
		g.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			g.fill(v.Field(i), depth+1)
		}
		g.canonicalize(v)
	default:
		panic("randomizer: unexpected kind " + t.String())
	}
}

// canonicalize makes the hand-written layouts consistent, as a decoder
// would produce them.
func (g *randomizer) canonicalize(v reflect.Value) {
	switch x := v.Addr().Interface().(type) {
	case *protocol.ProofOfSpace:
		x.Version = uint8(g.rng.IntN(2))
		if x.Version == 0 {
			x.PlotIndex, x.MetaGroup, x.Strength = 0, 0, 0
		} else {
			x.Size = 0
			if g.rng.IntN(2) == 0 {
				x.PoolPublicKey, x.PoolContractPuzzleHash = &protocol.G1Element{1}, nil
			} else {
				x.PoolPublicKey, x.PoolContractPuzzleHash = nil, &protocol.Bytes32{2}
			}
		}
	case *protocol.FullBlock:
		x.Version = uint8(g.rng.IntN(2))
		if x.Version == 1 {
			x.TransactionsGenerator, x.TransactionsGeneratorRefList = nil, []uint32{}
		} else {
			x.TransactionsGeneratorBuffer = nil
		}
	case *protocol.UnfinishedBlock:
		x.Version = uint8(g.rng.IntN(2))
		if x.Version == 1 {
			x.TransactionsGenerator, x.TransactionsGeneratorRefList = nil, []uint32{}
		} else {
			x.TransactionsGeneratorBuffer = nil
		}
	}
}

func (g *randomizer) uint(bits int) uint64 {
	switch g.rng.IntN(4) {
	case 0:
		return 0
	case 1:
		return ^uint64(0) >> (64 - bits)
	}
	return g.rng.Uint64() >> (64 - bits)
}

func (g *randomizer) u128() streamable.Uint128 {
	switch g.rng.IntN(4) {
	case 0:
		return streamable.Uint128{}
	case 1:
		return streamable.Uint128{Hi: ^uint64(0), Lo: ^uint64(0) - uint64(g.rng.IntN(3))}
	}
	return streamable.Uint128{Hi: g.rng.Uint64(), Lo: g.rng.Uint64()}
}

func (g *randomizer) bytes(max int) []byte {
	b := make([]byte, g.rng.IntN(max+1))
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return b
}

func (g *randomizer) str() string {
	runes := []rune{'a', 'Z', '0', ' ', '"', '\\', '\n', 0x01, 'é', '€', 0x1F600}
	n := g.rng.IntN(8)
	s := make([]rune, n)
	for i := range s {
		s[i] = runes[g.rng.IntN(len(runes))]
	}
	return string(s)
}

// program returns a random valid CLVM serialization.
func (g *randomizer) program(depth int) protocol.Program {
	var b []byte
	var gen func(d int)
	gen = func(d int) {
		switch k := g.rng.IntN(5); {
		case k == 0 && d < 6:
			b = append(b, 0xff)
			gen(d + 1)
			gen(d + 1)
		case k == 1:
			b = append(b, 0x80)
		case k == 2:
			b = append(b, byte(g.rng.IntN(0x80)))
		default:
			n := 1 + g.rng.IntN(70)
			if n < 0x40 {
				b = append(b, 0x80|byte(n))
			} else {
				b = append(b, 0xc0|byte(n>>8), byte(n))
			}
			for range n {
				b = append(b, byte(g.rng.Uint32()))
			}
		}
	}
	gen(depth)
	return b
}

// TestRandomValuesRoundTrip builds seeded random values of every
// registered type and checks bytes → value → bytes and value → JSON →
// value, comparing the encodings (which are canonical) rather than Go
// values.
func TestRandomValuesRoundTrip(t *testing.T) {
	g := &randomizer{rng: rand.New(rand.NewPCG(0x5eed, 0xc41a))}
	for _, name := range protocol.TypeNames() {
		t.Run(name, func(t *testing.T) {
			for range 40 {
				v, _ := protocol.NewValue(name)
				g.fill(reflect.ValueOf(v).Elem(), 0)
				b1, err := streamable.Marshal(v)
				if err != nil {
					t.Fatalf("encode random value: %v", err)
				}
				v2, _ := protocol.NewValue(name)
				if err := streamable.Unmarshal(b1, v2); err != nil {
					t.Fatalf("decode %x: %v", b1, err)
				}
				b2, err := streamable.Marshal(v2)
				if err != nil || !bytes.Equal(b1, b2) {
					t.Fatalf("bytes → value → bytes differs (%v)\n%x\n%x", err, b1, b2)
				}
				j1 := v.AppendJSON(nil)
				if j2 := v2.AppendJSON(nil); !bytes.Equal(j1, j2) {
					t.Fatalf("decoded value renders different JSON\n%s\n%s", j1, j2)
				}
				v3, _ := protocol.NewValue(name)
				if err := streamable.UnmarshalJSON(j1, v3); err != nil {
					t.Fatalf("parse own JSON %s: %v", j1, err)
				}
				b3, err := streamable.Marshal(v3)
				if err != nil || !bytes.Equal(b1, b3) {
					t.Fatalf("value → JSON → value changed the encoding (%v)\n%s", err, j1)
				}
				if j3 := v3.AppendJSON(nil); !bytes.Equal(j1, j3) {
					t.Fatalf("JSON round trip differs\n%s\n%s", j1, j3)
				}
			}
		})
	}
}
