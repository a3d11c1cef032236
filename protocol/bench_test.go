package protocol_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// Benchmarks of the codec over real and realistic payloads. Each group
// has a memcpy of the same number of bytes as its ceiling, measured in the
// same run; BENCHMARKS.md records the ratios.

// benchRespondBlock returns the corpus respond_block payload.
func benchRespondBlock(b *testing.B) []byte {
	b.Helper()
	for _, rec := range corpusSeeds() {
		if rec.Name == "respond_block" {
			data, _ := hex.DecodeString(rec.Hex)
			return data
		}
	}
	b.Skip("conformance corpus not found (set CHIANET_CONFORMANCE_DIR): the block benchmarks use its respond_block")
	return nil
}

// benchRespondBlocks returns a RespondBlocks holding the corpus block n
// times.
func benchRespondBlocks(b *testing.B, n int) []byte {
	var rb protocol.RespondBlock
	if err := streamable.Unmarshal(benchRespondBlock(b), &rb); err != nil {
		b.Fatal(err)
	}
	msg := protocol.RespondBlocks{StartHeight: 1, EndHeight: uint32(n)}
	for range n {
		msg.Blocks = append(msg.Blocks, rb.Block)
	}
	out, err := streamable.Marshal(&msg)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// benchRespondPeers returns a RespondPeers with n IPv4 peers.
func benchRespondPeers(b testing.TB, n int) []byte {
	msg := protocol.RespondPeers{}
	for i := range n {
		msg.PeerList = append(msg.PeerList, protocol.TimestampedPeerInfo{
			Host:      fmt.Sprintf("%d.%d.%d.%d", 1+i%200, (i/200)%256, i%256, 1+i%250),
			Port:      8444,
			Timestamp: 1_760_000_000 + uint64(i),
		})
	}
	out, err := streamable.Marshal(&msg)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func benchHandshake(b testing.TB) []byte {
	h := protocol.Handshake{
		NetworkID:       "mainnet",
		ProtocolVersion: "0.0.36",
		SoftwareVersion: "2.7.3",
		ServerPort:      8444,
		NodeType:        uint8(protocol.NodeFullNode),
		Capabilities:    protocol.DefaultCapabilities(protocol.NodeFullNode),
	}
	out, err := streamable.Marshal(&h)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func benchDecode(b *testing.B, data []byte, newV func() protocol.Value) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := streamable.Unmarshal(data, newV()); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEncode(b *testing.B, data []byte, v protocol.Value) {
	if err := streamable.Unmarshal(data, v); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, len(data))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = streamable.Append(buf[:0], v)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchMemcpy(b *testing.B, n int) {
	src := make([]byte, n)
	dst := make([]byte, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		copy(dst, src)
	}
}

func BenchmarkCodec(b *testing.B) {
	cases := []struct {
		name string
		data func(*testing.B) []byte
		newV func() protocol.Value
	}{
		{"RespondBlock", benchRespondBlock, func() protocol.Value { return new(protocol.RespondBlock) }},
		{"RespondBlocks32", func(b *testing.B) []byte { return benchRespondBlocks(b, 32) }, func() protocol.Value { return new(protocol.RespondBlocks) }},
		{"RespondPeers1000", func(b *testing.B) []byte { return benchRespondPeers(b, 1000) }, func() protocol.Value { return new(protocol.RespondPeers) }},
		{"Handshake", func(b *testing.B) []byte { return benchHandshake(b) }, func() protocol.Value { return new(protocol.Handshake) }},
	}
	for _, c := range cases {
		b.Run("Decode/"+c.name, func(b *testing.B) { benchDecode(b, c.data(b), c.newV) })
		b.Run("Encode/"+c.name, func(b *testing.B) { benchEncode(b, c.data(b), c.newV()) })
		b.Run("Memcpy/"+c.name, func(b *testing.B) { benchMemcpy(b, len(c.data(b))) })
	}
}

// BenchmarkMessageFraming measures the envelope alone: the payload is a
// sub-slice of the frame, so decoding costs the same for any payload size.
func BenchmarkMessageFraming(b *testing.B) {
	payload := make([]byte, 200*1024)
	m := protocol.Message{Type: protocol.MsgRespondBlock, HasID: true, ID: 7, Data: payload}
	frame, err := m.AppendTo(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Decode200KB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := protocol.DecodeMessage(frame)
			if err != nil || len(got.Data) != len(payload) {
				b.Fatal(err)
			}
		}
	})
	b.Run("Memcpy200KB", func(b *testing.B) { benchMemcpy(b, len(frame)) })
}
