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

// TestCallerReadsHeartbeat checks that a ping or pong that arrives while
// a Request caller waits for a slow reply is handled at once: the
// heartbeat's pong keeps the connection up.
func TestCallerReadsHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *Peer, m protocol.Message) (*protocol.Message, error) {
			time.Sleep(5 * time.Second)
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &Handler{Config: cfg})
		dcfg := e.clientConfig()
		dcfg.PingInterval, dcfg.PongTimeout = time.Second, time.Second
		dialer := e.dial(t, dcfg)
		freeRole(t, dialer)
		if _, err := dialer.RequestBlock(context.Background(), 3, false); !errors.As(err, new(*RejectError)) {
			t.Fatalf("RequestBlock over several heartbeats: %v, want a rejection", err)
		}
		e.nextAccepted(t).Close(nil)
		<-dialer.Done()
	})
}

// TestCallerReadsExpired checks that a request whose timeout passed
// before its caller started to read (while it waited for a slot or its
// write) does not wait: there is nothing left to interrupt it.
func TestCallerReadsExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, &Handler{Config: listenerConfig()})
		dialer := e.dial(t, e.clientConfig())
		freeRole(t, dialer)
		id, ok := dialer.register(make(chan protocol.Message, 1))
		if !ok {
			t.Fatal("no request id")
		}
		exp := &expiry{done: make(chan struct{})}
		exp.expire()
		start := time.Now()
		if _, ok := dialer.readOwnReply(context.Background(), exp, id); ok {
			t.Fatal("readOwnReply got a reply nobody sent")
		}
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("an expired request waited %v on the socket", waited)
		}
		e.nextAccepted(t).Close(nil)
		<-dialer.Done()
	})
}

// TestCloseWhileCallerReads checks that closing a connection whose
// Request caller is waiting on the socket ends at once, the close
// handshake included, instead of after closeWait.
func TestCloseWhileCallerReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *Peer, m protocol.Message) (*protocol.Message, error) {
			<-release
			return nil, nil
		}
		e := startMem(t, &Handler{Config: cfg})
		dialer := e.dial(t, e.clientConfig())
		freeRole(t, dialer)
		done := make(chan error, 1)
		go func() {
			_, err := dialer.RequestBlock(context.Background(), 1, false)
			done <- err
		}()
		synctest.Wait()
		start := time.Now()
		dialer.Close(nil)
		<-dialer.Done()
		if took := time.Since(start); took >= closeWait {
			t.Errorf("Close took %v with a caller reading, want well under %v", took, closeWait)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("request during Close: %v, want ErrClosed", err)
		}
		close(release)
		<-e.nextAccepted(t).Done()
	})
}

// TestCallerReadsInboundCallWhileBusy checks that a Request caller that
// reads an inbound call while every handler slot is taken does not wait
// for a slot: its context still ends its wait on time.
func TestCallerReadsInboundCallWhileBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *Peer, m protocol.Message) (*protocol.Message, error) {
			for h := range uint32(2) {
				if err := p.Send(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: h}); err != nil {
					return nil, err
				}
			}
			select {
			case <-ctx.Done():
				return nil, nil
			case <-time.After(time.Minute):
				return echoBlock(ctx, p, m)
			}
		}
		e := startMem(t, &Handler{Config: cfg})
		release := make(chan struct{})
		dcfg := e.clientConfig()
		dcfg.MaxHandlers = 1
		dcfg.Handlers = map[protocol.MessageType]HandlerFunc{
			protocol.MsgNewPeak: func(context.Context, *Peer, protocol.Message) (*protocol.Message, error) {
				<-release
				return nil, nil
			},
		}
		dialer := e.dial(t, dcfg)
		freeRole(t, dialer)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := dialer.RequestBlock(ctx, 1, false)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("RequestBlock: %v, want the caller's deadline", err)
		}
		if took := time.Since(start); took != 3*time.Second {
			t.Errorf("RequestBlock returned after %v, want 3s", took)
		}
		close(release)
		e.nextAccepted(t).Close(nil)
		<-dialer.Done()
	})
}

// freeRole makes one request on a dialled peer, after which no goroutine
// reads its socket (readrole.go), so the next Request caller reads it.
func freeRole(t *testing.T, p *Peer) {
	t.Helper()
	if _, err := p.RequestPeers(context.Background()); err != nil {
		t.Fatalf("RequestPeers: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reading {
		t.Fatal("the read role is still held after a request")
	}
}

// TestRequestAfterTimeout checks that a request that timed out leaves
// nothing spent behind (its expired timeout is not kept for the next
// request, which would then time out at once), and that the spare state
// of requests that succeeded serves the next ones.
func TestRequestAfterTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *Peer, m protocol.Message) (*protocol.Message, error) {
			var req protocol.RequestBlock
			if err := streamable.Unmarshal(m.Data, &req); err != nil {
				return nil, err
			}
			if req.Height == 1 {
				select {
				case <-ctx.Done():
					return nil, nil
				case <-time.After(2 * time.Second):
				}
			}
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &Handler{Config: cfg})
		dcfg := e.clientConfig()
		dcfg.RequestTimeout = time.Second
		dialer := e.dial(t, dcfg)
		for range 3 {
			if _, err := dialer.RequestBlock(context.Background(), 1, false); !errors.Is(err, ErrRequestTimeout) {
				t.Fatalf("slow request: %v, want ErrRequestTimeout", err)
			}
			for range 3 {
				if _, err := dialer.RequestBlock(context.Background(), 2, false); !errors.As(err, new(*RejectError)) {
					t.Fatalf("request after a timed-out one: %v, want a rejection", err)
				}
			}
			if dialer.spare.Load() == nil {
				t.Fatal("no spare request state after requests that succeeded")
			}
		}
		e.nextAccepted(t).Close(nil)
		<-dialer.Done()
	})
}
