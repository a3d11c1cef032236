package peer_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// checkIDs wraps echoBlock with a check that request ids come from the
// sender's half of the id space.
func checkIDs(t *testing.T, fromDialer bool, bad *atomic.Int32) peer.HandlerFunc {
	return func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
		if !m.HasID || (m.ID < idHalf) != fromDialer {
			bad.Add(1)
		}
		return echoBlock(ctx, p, m)
	}
}

// TestConcurrentRequestsBothWays sends 1,000 request_block from each side
// at once, every one with its own height, and checks every reply echoes
// its request's height.
func TestConcurrentRequestsBothWays(t *testing.T) {
	for _, v3 := range []bool{false, true} {
		t.Run(map[bool]string{false: "v2", true: "v3"}[v3], func(t *testing.T) {
			var badIDs atomic.Int32
			cfg := listenerConfig()
			cfg.Handlers[protocol.MsgRequestBlock] = checkIDs(t, true, &badIDs)
			h := &peer.Handler{Config: cfg, Exempt: func(*http.Request) bool { return true }}
			e := startLoopback(t, h)
			ccfg := e.clientConfig()
			ccfg.Exempt = true
			ccfg.RateLimitsV3 = v3
			ccfg.Handlers[protocol.MsgRequestBlock] = checkIDs(t, false, &badIDs)
			dialer := e.dial(t, ccfg)
			listener := e.nextAccepted(t)

			const n = 1000
			var wg sync.WaitGroup
			errs := make(chan error, 2*n)
			for side, p := range []*peer.Peer{dialer, listener} {
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						height := uint32(side*1_000_000 + i)
						_, err := p.RequestBlock(context.Background(), height, false)
						var rej *peer.RejectError
						if !errors.As(err, &rej) {
							errs <- err
							return
						}
						if got := rej.Payload.(*protocol.RejectBlock).Height; got != height {
							errs <- errors.New("reply for another request")
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("request failed: %v", err)
			}
			if badIDs.Load() != 0 {
				t.Fatalf("%d requests carried an id from the wrong half", badIDs.Load())
			}
			if s := listener.Stats(); s.MessagesRead < n || s.MessagesWritten < n {
				t.Errorf("listener stats: %+v", s)
			}
		})
	}
}

// TestRepliesOutOfOrder holds the reply to the first request until every
// later request has been answered, and checks the replies still find
// their callers.
func TestRepliesOutOfOrder(t *testing.T) {
	const n = 50
	entered := make(chan struct{})
	release := make(chan struct{})
	cfg := listenerConfig()
	cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
		var req protocol.RequestBlock
		if err := streamable.Unmarshal(m.Data, &req); err != nil {
			return nil, err
		}
		if req.Height == 0 {
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
				return nil, nil
			}
		}
		return echoBlock(ctx, p, m)
	}
	e := startLoopback(t, &peer.Handler{Config: cfg, Exempt: func(*http.Request) bool { return true }})
	ccfg := e.clientConfig()
	ccfg.Exempt = true
	dialer := e.dial(t, ccfg)

	request := func(height uint32) error {
		_, err := dialer.RequestBlock(context.Background(), height, false)
		var rej *peer.RejectError
		if !errors.As(err, &rej) {
			return err
		}
		if got := rej.Payload.(*protocol.RejectBlock).Height; got != height {
			return errors.New("mismatched reply")
		}
		return nil
	}
	first := make(chan error, 1)
	go func() { first <- request(0) }()
	<-entered
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := request(uint32(i)); err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-first:
		t.Fatalf("first request finished before its reply was released: %v", err)
	default:
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first request: %v", err)
	}
}

// TestErrorReply checks that an Error (255) reply reaches the caller as an
// *APIError, and that the typed helpers decode replies.
func TestErrorReply(t *testing.T) {
	cfg := listenerConfig()
	data := []byte{1, 2}
	cfg.Handlers[protocol.MsgRequestBlock] = func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
		return nil, &peer.APIError{Code: 7, Message: "no such block", Data: data}
	}
	e := startLoopback(t, &peer.Handler{Config: cfg})
	dialer := e.dial(t, e.clientConfig())
	_, err := dialer.RequestBlock(context.Background(), 5, false)
	var apiErr *peer.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 7 || apiErr.Message != "no such block" || string(apiErr.Data) != string(data) {
		t.Fatalf("RequestBlock: %v, want the APIError", err)
	}
	// The connection carries on.
	if rp, err := dialer.RequestPeers(context.Background()); err != nil || rp == nil {
		t.Fatalf("RequestPeers after an error reply: %v", err)
	}
}

// TestIDLessRequest sends request_peers without an id, as the reference's
// discovery does: the reply comes back without an id and goes to the
// respond_peers handler.
func TestIDLessRequest(t *testing.T) {
	e := startLoopback(t, &peer.Handler{Config: listenerConfig()})
	got := make(chan protocol.Message, 1)
	cfg := e.clientConfig()
	cfg.Handlers[protocol.MsgRespondPeers] = func(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
		got <- m
		return nil, nil
	}
	dialer := e.dial(t, cfg)
	if err := dialer.Send(context.Background(), protocol.MsgRequestPeers, &protocol.RequestPeers{}); err != nil {
		t.Fatal(err)
	}
	m := <-got
	if m.HasID || m.Type != protocol.MsgRespondPeers {
		t.Fatalf("reply %v with id %v/%d, want respond_peers without an id", m.Type, m.HasID, m.ID)
	}
}

// TestLateReplyDropped lets a request time out, checks its id is skipped
// while it is timed out, then delivers the late reply and checks it is
// dropped rather than dispatched (the dialer has no reject_block handler,
// so dispatching it would close the connection) and the id freed.
func TestLateReplyDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
			var req protocol.RequestBlock
			_ = streamable.Unmarshal(m.Data, &req)
			if req.Height == 1 {
				<-release
			}
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &peer.Handler{Config: cfg})
		dialer := e.dial(t, e.clientConfig())
		listener := e.nextAccepted(t)

		start := time.Now()
		_, err := dialer.RequestBlock(context.Background(), 1, false)
		if !errors.Is(err, peer.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("RequestBlock: %v, want a timeout", err)
		}
		if d := time.Since(start); d != peer.DefaultRequestTimeout {
			t.Fatalf("timed out after %v, want %v", d, peer.DefaultRequestTimeout)
		}
		close(release) // the late reply goes out now
		synctest.Wait()
		if _, err := dialer.RequestBlock(context.Background(), 2, false); !errors.As(err, new(*peer.RejectError)) {
			t.Fatalf("request after the late reply: %v", err)
		}
		dialer.Close(nil)
		<-listener.Done()
	})
}

// TestRequestContext checks a caller's own deadline and cancellation.
func TestRequestContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
			<-release
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &peer.Handler{Config: cfg})
		dialer := e.dial(t, e.clientConfig())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := dialer.RequestBlock(ctx, 1, false)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, peer.ErrRequestTimeout) {
			t.Fatalf("RequestBlock: %v, want the caller's deadline", err)
		}
		// The caller stopped reading the socket mid-wait: the late reply
		// is dropped and the connection carries on.
		close(release)
		if _, err := dialer.RequestPeers(context.Background()); err != nil {
			t.Fatalf("request after a cancelled one: %v", err)
		}
		_, err = dialer.RequestBlock(context.Background(), 2, false)
		if !errors.As(err, new(*peer.RejectError)) {
			t.Fatalf("RequestBlock after a cancelled one: %v, want a rejection", err)
		}
		e.nextAccepted(t).Close(nil)
		<-dialer.Done()
	})
}

// TestHandlerRequestsOwnPeer checks that a handler can make a request to
// the peer whose call it is handling, on an accepted and on a dialled
// connection, and that the nested round trip costs no time on the
// bubble's clock: nothing waits for a timer to read the reply.
func TestHandlerRequestsOwnPeer(t *testing.T) {
	nested := func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
		if _, err := p.RequestPeers(ctx); err != nil {
			return nil, err
		}
		return echoBlock(ctx, p, m)
	}
	synctest.Test(t, func(t *testing.T) {
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = nested
		e := startMem(t, &peer.Handler{Config: cfg})
		ccfg := e.clientConfig()
		ccfg.Handlers[protocol.MsgRequestBlock] = nested
		dialer := e.dial(t, ccfg)
		listener := e.nextAccepted(t)
		for _, c := range []struct {
			name string
			p    *peer.Peer
		}{{"dialer asks, listener's handler asks back", dialer}, {"listener asks, dialer's handler asks back", listener}} {
			for i := range 3 {
				start := time.Now()
				if _, err := c.p.RequestBlock(context.Background(), uint32(i), false); !errors.As(err, new(*peer.RejectError)) {
					t.Fatalf("%s: %v", c.name, err)
				}
				if d := time.Since(start); d != 0 {
					t.Fatalf("%s: the nested round trip took %v of fake time, want 0", c.name, d)
				}
			}
		}
		dialer.Close(nil)
		<-listener.Done()
	})
}
