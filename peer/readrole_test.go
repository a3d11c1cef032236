package peer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// TestCallerReads covers a dialled connection whose Request callers read
// their own replies (readrole.go): a reply too long to wait for, a
// message from the peer that arrives before the reply, and an inbound
// message while no caller reads, which the watchdog's reader must take
// within 2×readHandoff.
func TestCallerReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const manyPeers = 15_000 // about 300 KB: over callerWaitLimit
		var peers []protocol.TimestampedPeerInfo
		for i := range manyPeers {
			peers = append(peers, protocol.TimestampedPeerInfo{Host: fmt.Sprintf("10.0.%d.%d", i/256, i%256), Port: 8444, Timestamp: uint64(i)})
		}
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestPeers] = func(ctx context.Context, p *Peer, _ protocol.Message) (*protocol.Message, error) {
			return Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{PeerList: peers})
		}
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *Peer, m protocol.Message) (*protocol.Message, error) {
			// A message of our own goes out before the reply.
			if err := p.Send(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: 77}); err != nil {
				return nil, err
			}
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &Handler{Config: cfg})
		peaks := make(chan uint32, 2)
		dcfg := e.clientConfig()
		dcfg.Handlers = map[protocol.MessageType]HandlerFunc{
			protocol.MsgNewPeak: func(_ context.Context, _ *Peer, m protocol.Message) (*protocol.Message, error) {
				var np protocol.NewPeak
				if err := streamable.Unmarshal(m.Data, &np); err != nil {
					return nil, err
				}
				peaks <- np.Height
				return nil, nil
			},
		}
		dialer := e.dial(t, dcfg)
		listener := e.nextAccepted(t)
		ctx := context.Background()

		got, err := dialer.RequestPeers(ctx)
		if err != nil || len(got.PeerList) != manyPeers || got.PeerList[manyPeers-1] != peers[manyPeers-1] {
			t.Fatalf("RequestPeers: %d peers, %v; want %d", len(got.PeerList), err, manyPeers)
		}

		rej, err := dialer.RequestBlock(ctx, 5, false)
		if !errors.As(err, new(*RejectError)) {
			t.Fatalf("RequestBlock: %v, %v; want a rejection", rej, err)
		}
		if h := <-peaks; h != 77 {
			t.Fatalf("new_peak height %d, want 77", h)
		}

		// Nobody is reading now; the listener's message must still be.
		synctest.Wait()
		start := time.Now()
		if err := listener.Send(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: 78}); err != nil {
			t.Fatal(err)
		}
		if h := <-peaks; h != 78 {
			t.Fatalf("new_peak height %d, want 78", h)
		}
		if waited := time.Since(start); waited > 2*readHandoff {
			t.Fatalf("an inbound message waited %v for a reader, want at most %v", waited, 2*readHandoff)
		}

		listener.Close(nil)
		<-dialer.Done()
	})
}

// TestSlowHandlersConcurrent checks that handlers that take long still
// run concurrently when requests come in a burst: only the first waits
// for the watchdog, the others start as soon as they are read.
func TestSlowHandlersConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, work = 20, 50 * time.Millisecond
		var running, most atomic.Int32
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *Peer, m protocol.Message) (*protocol.Message, error) {
			now := running.Add(1)
			for {
				old := most.Load()
				if now <= old || most.CompareAndSwap(old, now) {
					break
				}
			}
			time.Sleep(work)
			running.Add(-1)
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &Handler{Config: cfg})
		dialer := e.dial(t, e.clientConfig())
		start := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if _, err := dialer.RequestBlock(context.Background(), uint32(i), false); !errors.As(err, new(*RejectError)) {
					t.Errorf("request %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if took, limit := time.Since(start), work+2*readHandoff; took > limit {
			t.Errorf("%d requests with %v handlers took %v, want at most %v", n, work, took, limit)
		}
		if most.Load() != n {
			t.Errorf("at most %d handlers ran at once, want %d", most.Load(), n)
		}
		e.nextAccepted(t).Close(nil)
		<-dialer.Done()
	})
}
