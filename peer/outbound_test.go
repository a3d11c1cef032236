package peer_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestOutboundRateLimitWaits checks that our own outbound limit (30 % of
// request_peers' 10 per minute: 3) delays the fourth request to the next
// 60 s bucket instead of dropping it.
func TestOutboundRateLimitWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, &peer.Handler{Config: listenerConfig(), Exempt: func(*http.Request) bool { return true }})
		ccfg := e.clientConfig()
		ccfg.RequestTimeout = 2 * time.Minute // the wait counts against it, as in the reference
		dialer := e.dial(t, ccfg)
		start := time.Now()
		for i := range 4 {
			if _, err := dialer.RequestPeers(context.Background()); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			want := time.Duration(0)
			if i == 3 {
				want = time.Minute
			}
			if d := time.Since(start); d != want {
				t.Errorf("request %d done after %v, want %v", i, d, want)
			}
		}
	})
}

// TestRequestTimeoutWhileHeld checks that the request timeout runs while
// our outbound limit holds a request back: with a 30 s timeout, the
// fourth request_peers of a minute fails with ErrRequestTimeout after
// exactly 30 s instead of waiting for the next bucket.
func TestRequestTimeoutWhileHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, &peer.Handler{Config: listenerConfig(), Exempt: func(*http.Request) bool { return true }})
		ccfg := e.clientConfig()
		ccfg.RequestTimeout = 30 * time.Second
		dialer := e.dial(t, ccfg)
		for i := range 3 {
			if _, err := dialer.RequestPeers(context.Background()); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		start := time.Now()
		_, err := dialer.RequestPeers(context.Background())
		if !errors.Is(err, peer.ErrRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("fourth request: %v, want ErrRequestTimeout", err)
		}
		if d := time.Since(start); d != ccfg.RequestTimeout {
			t.Fatalf("fourth request failed after %v, want %v", d, ccfg.RequestTimeout)
		}
		// The id space was not touched: the next bucket works.
		time.Sleep(time.Minute)
		if _, err := dialer.RequestPeers(context.Background()); err != nil {
			t.Fatalf("request in the next minute: %v", err)
		}
	})
}

// TestRespondPeersDropped checks the exception: a respond_peers over our
// outbound limit is dropped, so the fourth request_peers in a minute is
// never answered.
func TestRespondPeersDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, &peer.Handler{Config: listenerConfig()})
		ccfg := e.clientConfig()
		ccfg.Exempt = true // only the listener limits itself
		dialer := e.dial(t, ccfg)
		for i := range 3 {
			if _, err := dialer.RequestPeers(context.Background()); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		if _, err := dialer.RequestPeers(context.Background()); !errors.Is(err, peer.ErrRequestTimeout) {
			t.Fatalf("fourth request: %v, want a timeout", err)
		}
	})
}

// TestOutboundWindowWaits checks that with v3 a third request_block waits
// for one of the two in flight (the peer's window) instead of being sent
// and getting us banned.
func TestOutboundWindowWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var handling atomic.Int32
		release := make(chan struct{})
		cfg := listenerConfig()
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
			handling.Add(1)
			defer handling.Add(-1)
			<-release
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &peer.Handler{Config: cfg})
		ccfg := e.clientConfig()
		ccfg.RateLimitsV3 = true
		dialer := e.dial(t, ccfg)
		if !dialer.Info().RateLimitsV3() {
			t.Fatal("v3 not active")
		}
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := dialer.RequestBlock(context.Background(), uint32(i), false); !errors.As(err, new(*peer.RejectError)) {
					t.Errorf("request %d: %v", i, err)
				}
			}()
		}
		synctest.Wait()
		if n := handling.Load(); n != 2 {
			t.Fatalf("%d requests being handled, want the window's 2", n)
		}
		close(release)
		wg.Wait()
		if err := dialer.Err(); err != nil {
			t.Fatalf("connection closed: %v", err)
		}
	})
}

// TestDialHandshakeFailures checks what Dial returns when the listener
// rejects the handshake, and when it never answers.
func TestDialHandshakeFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, &peer.Handler{Config: listenerConfig()})
		cfg := e.clientConfig()
		cfg.NetworkID = "mainnet"
		_, err := peer.Dial(context.Background(), e.addr, cfg)
		r := mustCloseReason(t, err)
		if !r.Remote || r.Code != peer.StatusProtocolError || r.Reason != "110" || r.Ban != ban10 {
			t.Errorf("rejected dial: %v", r)
		}
		if lr := e.nextClose(t); lr.Reason != "110" || lr.Ban != ban10 {
			t.Errorf("listener: %v", lr)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		k := fakePKI(t)
		silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			_, _, _ = c.Read(context.Background()) // the handshake, never answered
			_, _, _ = c.Read(context.Background()) // until the close
			_ = c.CloseNow()
		})
		ln := serveMem(t, silent, k.serverTLS(k.listener))
		cfg := peer.Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), DialContext: ln.dial}
		var closed *peer.CloseReason
		cfg.OnClose = func(_ *peer.Peer, r *peer.CloseReason) { closed = r }
		start := time.Now()
		_, err := peer.Dial(context.Background(), "127.0.0.1:8444", cfg)
		if d := time.Since(start); d != peer.DefaultOutboundHandshakeTimeout {
			t.Errorf("gave up after %v, want %v", d, peer.DefaultOutboundHandshakeTimeout)
		}
		r := mustCloseReason(t, err)
		if r.Code != peer.StatusNormal || r.Ban != 0 || r.Remote || !errors.Is(r, peer.ErrHandshakeTimeout) {
			t.Errorf("timed-out dial: %v", r)
		}
		if closed == nil || closed.Code != r.Code {
			t.Errorf("OnClose got %v", closed)
		}
		// An exempt peer (localhost) has the same handshake timeout.
		cfg.Exempt = true
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start = time.Now()
		_, err = peer.Dial(ctx, "127.0.0.1:8444", cfg)
		if d := time.Since(start); d != peer.DefaultOutboundHandshakeTimeout {
			t.Errorf("exempt dial gave up after %v, want %v", d, peer.DefaultOutboundHandshakeTimeout)
		}
		if r := mustCloseReason(t, err); r.Code != peer.StatusNormal || r.Ban != 0 || r.Remote || !errors.Is(r, peer.ErrHandshakeTimeout) {
			t.Errorf("timed-out exempt dial: %v", r)
		}
	})
}

// TestDialIPv6URL checks that an IPv6 literal is dialled bracketed.
func TestDialIPv6URL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, &peer.Handler{Config: listenerConfig()})
		var dialled string
		cfg := e.clientConfig()
		cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialled = addr
			return e.dialContext(ctx, network, addr)
		}
		for _, addr := range []string{"[::1]:8444", "::1:8444"} {
			if addr == "::1:8444" {
				if _, err := peer.Dial(context.Background(), addr, cfg); err == nil {
					t.Errorf("Dial(%q) succeeded; an unbracketed IPv6 host:port is ambiguous", addr)
				}
				continue
			}
			p, err := peer.Dial(context.Background(), addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			p.Close(nil)
			<-p.Done()
			if dialled != "[::1]:8444" {
				t.Errorf("dialled %q", dialled)
			}
		}
	})
}
