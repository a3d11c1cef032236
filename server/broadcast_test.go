package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// peakReceiver is a lightweight full-node client that records the
// new_peak heights it receives.
func peakReceiver(t *testing.T, n *node, k *pki) (identity, chan uint32) {
	t.Helper()
	id := k.issue(t)
	got := make(chan uint32, 16)
	cfg := clientConfig(k, id, protocol.NodeFullNode)
	cfg.Handlers = map[protocol.MessageType]peer.HandlerFunc{
		protocol.MsgNewPeak: func(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
			var np protocol.NewPeak
			if err := streamable.Unmarshal(m.Data, &np); err != nil {
				return nil, err
			}
			got <- np.Height
			return nil, nil
		},
	}
	if _, err := dialClient(t, n.addr(), cfg); err != nil {
		t.Fatal(err)
	}
	n.connected(id.id)
	return id, got
}

// receive waits for one height from ch.
func receive(t *testing.T, ch chan uint32) uint32 {
	t.Helper()
	select {
	case h := <-ch:
		return h
	case <-time.After(failsafe):
		t.Fatal("nothing received")
		return 0
	}
}

// TestBroadcast: a broadcast reaches every selected connection once; a
// request type is refused and sends nothing.
func TestBroadcast(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	var ids []identity
	var chans []chan uint32
	for range 3 {
		id, ch := peakReceiver(t, n, k)
		ids, chans = append(ids, id), append(chans, ch)
	}
	// A wallet has no new_peak handler: it would disconnect if the
	// filter let the message through.
	wallet, _ := mustConnect(t, n, k, protocol.NodeWallet)

	ctx := context.Background()
	sent, err := n.Broadcast(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: 7}, OfNodeType(protocol.NodeFullNode))
	if err != nil || sent != 3 {
		t.Fatalf("Broadcast = %d, %v; want 3 peers", sent, err)
	}
	for i, ch := range chans {
		if h := receive(t, ch); h != 7 {
			t.Errorf("peer %d got height %d", i, h)
		}
	}

	sent, err = n.Broadcast(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: 8},
		And(OfNodeType(protocol.NodeFullNode), Except(ids[0].id)))
	if err != nil || sent != 2 {
		t.Fatalf("Broadcast except one = %d, %v; want 2 peers", sent, err)
	}
	for i, ch := range chans[1:] {
		if h := receive(t, ch); h != 8 {
			t.Errorf("peer %d got height %d", i+1, h)
		}
	}

	for _, typ := range []protocol.MessageType{protocol.MsgRequestPeers, protocol.MsgRequestBlock} {
		sent, err = n.Broadcast(ctx, typ, nil, nil)
		if !errors.Is(err, ErrNotBroadcastable) || sent != 0 {
			t.Errorf("Broadcast(%v) = %d, %v; want ErrNotBroadcastable", typ, sent, err)
		}
	}

	// Nothing else arrived, and every connection is still up: a third
	// broadcast to all full nodes is the first thing the first peer sees
	// after height 7.
	if _, err := n.Broadcast(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: 9}, OfNodeType(protocol.NodeFullNode)); err != nil {
		t.Fatal(err)
	}
	for i, ch := range chans {
		if h := receive(t, ch); h != 9 {
			t.Errorf("peer %d got height %d, want 9", i, h)
		}
	}
	if wallet.Err() != nil || len(n.Peers()) != 4 {
		t.Errorf("wallet %v, %d peers", wallet.Err(), len(n.Peers()))
	}
}
