package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// jsonPieces are string fragments whose escaping differs between JSON
// encoders: quotes, control characters, HTML characters, non-ASCII,
// U+2028 and invalid UTF-8.
var jsonPieces = []string{"a", "z", "A", "_", " ", "\"", "\\", "/", "<", ">", "&", "\x00", "\x01", "\b", "\f", "\n",
	"\r", "\t", "\x1f", "\x7f", "é", "€", "😀", "\u2028", "\u2029", "\xff", "\xed\xa0\x80", "success"}

func randString(rng *rand.Rand) string {
	var s strings.Builder
	for range rng.IntN(6) {
		s.WriteString(jsonPieces[rng.IntN(len(jsonPieces))])
	}
	return s.String()
}

func randBytes32(rng *rand.Rand) (h protocol.Bytes32) {
	for i := range h {
		h[i] = byte(rng.Uint32())
	}
	return h
}

func rand16(rng *rand.Rand) (a [16]byte) {
	h := randBytes32(rng)
	copy(a[:], h[:])
	return a
}

func randUint64(rng *rand.Rand) uint64 {
	switch rng.IntN(4) {
	case 0:
		return 0
	case 1:
		return math.MaxUint64
	case 2:
		return uint64(rng.IntN(1000))
	default:
		return rng.Uint64()
	}
}

func randTime(rng *rand.Rand) time.Time {
	switch rng.IntN(4) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(rng.Int64N(4e9), 0)
	default:
		return time.Unix(rng.Int64N(4e9), rng.Int64N(1e9))
	}
}

func randConnection(rng *rand.Rand) Connection {
	c := Connection{
		NodeType: protocol.NodeType(rng.IntN(256)), LocalPort: uint16(rng.Uint32()), PeerPort: uint16(rng.Uint32()),
		PeerServerPort: uint16(rng.Uint32()), NodeID: randBytes32(rng), CreationTime: randTime(rng),
		BytesRead: randUint64(rng), BytesWritten: randUint64(rng), LastMessageTime: randTime(rng),
	}
	switch rng.IntN(5) {
	case 0: // the zero Addr
	case 1:
		c.PeerHost = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), 0, 1})
	case 2:
		c.PeerHost = netip.AddrFrom16(rand16(rng))
	case 3:
		c.PeerHost = netip.AddrFrom16(netip.AddrFrom4([4]byte{127, 0, 0, byte(rng.Uint32())}).As16())
	default:
		c.PeerHost = netip.AddrFrom16(rand16(rng)).WithZone(randString(rng))
	}
	if rng.IntN(3) > 0 {
		c.Peak = &Peak{Height: rng.Uint32(), HeaderHash: randBytes32(rng),
			Weight: streamable.Uint128{Hi: randUint64(rng), Lo: randUint64(rng)}}
	}
	return c
}

// legacyConnectionJSON is how Connection was encoded before it wrote its
// own sorted JSON: through connectionJSON and encoding/json.
func legacyConnectionJSON(c Connection) connectionJSON {
	t := uint8(c.NodeType)
	j := connectionJSON{
		Type: &t, LocalPort: &c.LocalPort, PeerHost: c.PeerHost.Unmap().String(), PeerPort: c.PeerPort,
		PeerServerPort: &c.PeerServerPort, NodeID: hash32(c.NodeID), CreationTime: unixTime(c.CreationTime),
		BytesRead: c.BytesRead, BytesWritten: c.BytesWritten, LastMessageTime: unixTime(c.LastMessageTime),
	}
	if !c.PeerHost.IsValid() {
		j.PeerHost = ""
	}
	if c.Peak != nil {
		w, h := uint128(c.Peak.Weight), hash32(c.Peak.HeaderHash)
		j.PeakHeight, j.PeakWeight, j.PeakHash = &c.Peak.Height, &w, &h
	}
	return j
}

// TestConnectionJSONMatchesLegacy holds Connection's direct encoder to the
// encoding/json form it replaced, sorted by the general path, and checks
// that what it writes decodes back to the same connection.
func TestConnectionJSONMatchesLegacy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 3000 {
		c := randConnection(rng)
		want, err := appendTree(nil, legacyConnectionJSON(c))
		if err != nil {
			t.Fatal(err)
		}
		got := c.appendJSON(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("connection %d: direct\n%s\nlegacy\n%s", i, got, want)
		}
		var back Connection
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("connection %d: %v: %s", i, err, got)
		}
		// A float of seconds keeps about a microsecond; an IPv4-mapped
		// address is written as IPv4; a zone loses invalid UTF-8.
		for _, p := range [][2]*time.Time{{&back.CreationTime, &c.CreationTime}, {&back.LastMessageTime, &c.LastMessageTime}} {
			if d := p[0].Sub(*p[1]); d > -time.Microsecond && d < time.Microsecond {
				*p[0] = *p[1]
			}
		}
		if c.PeerHost = c.PeerHost.Unmap(); !utf8.ValidString(c.PeerHost.Zone()) {
			back.PeerHost = c.PeerHost
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("connection %d does not round-trip:\n%+v\n%+v", i, c, back)
		}
	}
}

// randValue returns a random answer-like value of the kinds routes put in
// their answers, to depth levels of nesting.
func randValue(rng *rand.Rand, depth int) any {
	n := 15
	if depth > 0 {
		n = 17
	}
	switch rng.IntN(n) {
	case 0:
		return nil
	case 1:
		return randString(rng)
	case 2:
		return rng.IntN(2) == 0
	case 3:
		return rng.IntN(2000) - 1000
	case 4:
		return int64(randUint64(rng))
	case 5:
		return uint8(rng.Uint32())
	case 6:
		return uint16(rng.Uint32())
	case 7:
		return rng.Uint32()
	case 8:
		return randUint64(rng)
	case 9:
		return hash32(randBytes32(rng))
	case 10:
		return uint128{Hi: randUint64(rng), Lo: randUint64(rng)}
	case 11:
		return unixTime(randTime(rng))
	case 12:
		cs := make([]Connection, rng.IntN(3))
		for i := range cs {
			cs[i] = randConnection(rng)
		}
		if len(cs) == 0 && rng.IntN(2) == 0 {
			cs = nil
		}
		return cs
	case 13: // the general path
		return []any{rng.Float64() * 1e6, NetworkInfo{NetworkName: randString(rng)}, (*Connection)(nil), json.Number("12")}
	case 14:
		c := randConnection(rng)
		return &c
	case 15:
		a := make([]any, rng.IntN(4))
		for i := range a {
			a[i] = randValue(rng, depth-1)
		}
		return a
	default:
		return randObject(rng, depth-1)
	}
}

func randObject(rng *rand.Rand, depth int) map[string]any {
	m := make(map[string]any)
	for range rng.IntN(6) {
		m[randString(rng)] = randValue(rng, depth)
	}
	return m
}

// legacyAnswer is how respond wrote a route's answer before: the general
// path, with "success" added to the decoded object.
func legacyAnswer(v any) ([]byte, error) {
	tree, err := toTree(v)
	if err != nil {
		return nil, err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	if _, has := m["success"]; !has {
		m["success"] = true
	}
	return encodeTree(m)
}

// TestSortedEncoderMatchesTreePath holds the direct encoder of answers
// (appendSorted, appendAnswer) to the general path on random nested
// answers: sorted keys, escaping, big integers and nulls.
func TestSortedEncoderMatchesTreePath(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for i := range 3000 {
		m := randObject(rng, 3)
		if rng.IntN(4) == 0 {
			m["success"] = rng.IntN(2) == 0
		}
		want, err := appendTree(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshalSorted(m)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("value %d: %v: direct\n%s\ngeneral\n%s", i, err, got, want)
		}
		want, err = legacyAnswer(m)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := appendAnswer(nil, m)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("answer %d: %v: direct\n%s\ngeneral\n%s", i, err, got, want)
		}
		if s, has := m["success"]; ok != (!has || s == true) {
			t.Fatalf("answer %d: success %v for %v", i, ok, s)
		}
		e := &Error{Code: ErrorCode(randString(rng)), Message: randString(rng), StructuredMessage: randString(rng),
			Data: randObject(rng, 2)}
		want, _ = appendTree(nil, e.envelope())
		if got, err := marshalSorted(e.envelope()); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("envelope %d: %v: direct\n%s\ngeneral\n%s", i, err, got, want)
		}
	}
	// The general path still serves answers that are not maps.
	for _, v := range []any{nil, NetworkInfo{NetworkName: "<x>"}, struct{ A []int }{[]int{1}}} {
		want, _ := legacyAnswer(v)
		if v == nil {
			want = []byte(`{"success":true}`)
		}
		if got, _, err := appendAnswer(nil, v); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%#v: %v: %s, want %s", v, err, got, want)
		}
	}
	if _, _, err := appendAnswer(nil, []int{1}); err == nil {
		t.Error("an array was taken for an answer")
	}
}

// TestSortedEncoderNilMapsAndSlices holds the direct encoder to the
// general path on nil and empty maps and slices nested in an answer: nil
// is null, empty is {} or [].
func TestSortedEncoderNilMapsAndSlices(t *testing.T) {
	for _, m := range []map[string]any{
		{"a": map[string]any(nil)},
		{"a": map[string]any{}},
		{"a": []any{map[string]any(nil), []any(nil), []any{}}},
		{"a": map[string]any{"b": map[string]any(nil)}},
		{"a": []Connection(nil), "b": []Connection{}, "c": []hash32(nil)},
	} {
		want, err := appendTree(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := marshalSorted(m); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%v: direct %s, general %s", err, got, want)
		}
		want, err = legacyAnswer(m)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, err := appendAnswer(nil, m); err != nil || !bytes.Equal(got, want) {
			t.Errorf("answer: %v: direct %s, general %s", err, got, want)
		}
	}
}
