package peer_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestCloseWithRequestsInFlight closes a connection, from either end,
// while requests wait for replies that never come: every waiter gets the
// close reason, and no goroutine of either peer survives.
func TestCloseWithRequestsInFlight(t *testing.T) {
	for _, closer := range []string{"requester", "responder"} {
		t.Run(closer, func(t *testing.T) {
			// Registered first, so it runs after every other cleanup (the
			// listener's shutdown included).
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			const n = 20
			entered := make(chan struct{}, n)
			cfg := listenerConfig()
			cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, _ *peer.Peer, _ protocol.Message) (*protocol.Message, error) {
				entered <- struct{}{}
				<-ctx.Done() // never answers; returns when the peer closes
				return nil, nil
			}
			e := startLoopback(t, &peer.Handler{Config: cfg})
			dialer, err := peer.Dial(context.Background(), e.addr, e.clientConfig())
			if err != nil {
				t.Fatal(err)
			}
			listener := e.nextAccepted(t)

			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := dialer.RequestBlock(context.Background(), uint32(i), false)
					errs <- err
				}()
			}
			for range n {
				<-entered
			}
			if closer == "requester" {
				dialer.Close(nil)
				dialer.Close(peer.BanClose(1, nil)) // idempotent: the first reason stays
			} else {
				listener.Close(peer.ProtocolViolation(protocol.ErrCodeInternalProtocolError, 0, nil))
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				r := mustCloseReason(t, err)
				if closer == "responder" && (!r.Remote || r.Code != peer.StatusProtocolError || r.Reason != "125") {
					t.Errorf("waiter got %v, want the responder's close", r)
				}
			}
			<-dialer.Done()
			<-listener.Done()
			r := mustCloseReason(t, dialer.Err())
			if closer == "requester" && (r.Code != peer.StatusNormal || r.Remote || r.Ban != 0) {
				t.Errorf("dialer close reason %v", r)
			}
			if _, err := dialer.RequestPeers(context.Background()); !errors.Is(err, peer.ErrClosed) {
				t.Errorf("request after close: %v", err)
			}
			if err := dialer.Send(context.Background(), protocol.MsgRequestPeers, &protocol.RequestPeers{}); !errors.Is(err, peer.ErrClosed) {
				t.Errorf("send after close: %v", err)
			}
			<-e.closes
		})
	}
}

// TestAcceptRefuses checks the owner's hook: a refused peer sees a
// successful handshake followed by a plain close.
func TestAcceptRefuses(t *testing.T) {
	e := startLoopback(t, &peer.Handler{
		Config: listenerConfig(),
		Accept: func(*peer.Peer) error { return errors.New("inbound limit reached") },
	})
	dialer, err := peer.Dial(context.Background(), e.addr, e.clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	<-dialer.Done()
	r := mustCloseReason(t, dialer.Err())
	if r.Code != peer.StatusNormal || r.Reason != "" || r.Ban != 0 || !r.Remote {
		t.Fatalf("dialer saw %v, want a plain close by the peer", r)
	}
	if r := e.nextClose(t); !errors.Is(r, peer.ErrRefused) || r.Ban != 0 {
		t.Fatalf("listener close %v", r)
	}
}

// TestHandlerErrors checks the close actions for handler results.
func TestHandlerErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		code   int
		reason string
		ban    int
	}{
		{"plain error", errors.New("boom"), peer.StatusProtocolError, "1", 10},
		{"close reason", peer.BanClose(protocol.ConsensusErrorBan, errors.New("bad block")), peer.StatusNormal, "", 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := listenerConfig()
			cfg.Handlers[protocol.MsgRequestBlock] = func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
				return nil, tc.err
			}
			e := startLoopback(t, &peer.Handler{Config: cfg})
			dialer := e.dial(t, e.clientConfig())
			_, err := dialer.RequestBlock(context.Background(), 1, false)
			r := mustCloseReason(t, err)
			if r.Code != tc.code || r.Reason != tc.reason {
				t.Errorf("requester saw %v", r)
			}
			lr := e.nextClose(t)
			if lr.Code != tc.code || lr.Reason != tc.reason || int(lr.Ban.Seconds()) != tc.ban {
				t.Errorf("listener closed with %v", lr)
			}
		})
	}
}
