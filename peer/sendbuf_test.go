package peer

import (
	"bytes"
	"context"
	"testing"

	"github.com/chianet/chianet/protocol"
)

// TestSendBuffers checks the size classes of the pool of large outgoing
// messages and that encode uses it only from pooledMin on.
func TestSendBuffers(t *testing.T) {
	for _, n := range []int{pooledMin, pooledMin + 1, 1 << 20, 1<<20 + 7, pooledMax} {
		b := getSendBuffer(n)
		if len(b) != 0 || cap(b) < n || cap(b) >= 2*n || cap(b)&(cap(b)-1) != 0 {
			t.Errorf("getSendBuffer(%d): len %d cap %d", n, len(b), cap(b))
		}
		putSendBuffer(b)
	}
	// Buffers that are not ours are not taken.
	putSendBuffer(nil)
	putSendBuffer(make([]byte, 0, pooledMin/2))
	putSendBuffer(make([]byte, 0, 3*pooledMin))
	putSendBuffer(make([]byte, 0, 2*pooledMax))
	if b := getSendBuffer(3 * pooledMin); cap(b) == 3*pooledMin {
		t.Error("the pool kept a foreign buffer")
	}

	for _, c := range []struct {
		size   int
		pooled bool
	}{{0, false}, {pooledMin - 8, false}, {pooledMin, true}, {5 << 20, true}, {pooledMax, false}} {
		m := protocol.Message{Type: protocol.MsgRespondBlocks, Data: bytes.Repeat([]byte{9}, c.size)}
		data, pooled, err := encode(&m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.MarshalBinary()
		if pooled != c.pooled || !bytes.Equal(data, want) {
			t.Errorf("encode of %d bytes: pooled %v, equal %v", c.size, pooled, bytes.Equal(data, want))
		}
		if pooled {
			putSendBuffer(data)
		}
	}
	big := protocol.Message{Type: protocol.MsgRespondBlocks, Data: make([]byte, protocol.MaxMessageSize)}
	if _, _, err := encode(&big); err == nil {
		t.Error("encode accepted a message over MaxMessageSize")
	}
}

// TestLargeMessagesIntact sends large messages of different contents back
// to back, so pooled send buffers are reused while others are queued: each
// must arrive as it was sent. (Handlers run concurrently, so messages are
// matched by their lengths, not by the order of the handlers.)
func TestLargeMessagesIntact(t *testing.T) {
	const n = 24
	got := make(chan []byte, n)
	dcfg := Config{Handlers: map[protocol.MessageType]HandlerFunc{
		protocol.MsgRespondBlocks: func(_ context.Context, _ *Peer, m protocol.Message) (*protocol.Message, error) {
			got <- m.Data
			return nil, nil
		},
	}}
	pp := connectPeers(t, peerLibs[0], listenerConfig(), dcfg)
	ctx := context.Background()
	payload := func(i int) []byte {
		b := make([]byte, pooledMin+i*40_000)
		for j := range b {
			b[j] = byte(i + j*31)
		}
		return b
	}
	for i := range n {
		m := protocol.Message{Type: protocol.MsgRespondBlocks, Data: payload(i)}
		if err := pp.listener.SendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[int]bool)
	for range n {
		b := <-got
		i := (len(b) - pooledMin) / 40_000
		if i < 0 || i >= n || seen[i] || !bytes.Equal(b, payload(i)) {
			t.Fatalf("a message of %d bytes is not one that was sent", len(b))
		}
		seen[i] = true
	}
}
