package peer_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestLargeMessagesIntact sends large messages of different contents back
// to back, so pooled send buffers are reused while others are queued: each
// must arrive as it was sent. (Handlers run concurrently, so messages are
// matched by their lengths, not by the order of the handlers.)
// sendPooledMin is the smallest message the peer encodes into a pooled
// buffer (64 KiB).
const sendPooledMin = 64 << 10

func TestLargeMessagesIntact(t *testing.T) {
	const n = 24
	got := make(chan []byte, n)
	dcfg := peer.Config{Handlers: map[protocol.MessageType]peer.HandlerFunc{
		protocol.MsgRespondBlocks: func(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
			got <- m.Data
			return nil, nil
		},
	}}
	pp := connectPeers(t, peerLibs[0], listenerConfig(), dcfg)
	ctx := context.Background()
	payload := func(i int) []byte {
		b := make([]byte, sendPooledMin+i*40_000)
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
		i := (len(b) - sendPooledMin) / 40_000
		if i < 0 || i >= n || seen[i] || !bytes.Equal(b, payload(i)) {
			t.Fatalf("a message of %d bytes is not one that was sent", len(b))
		}
		seen[i] = true
	}
}
