package peer_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/peer"
)

// TestPing pings over a real loopback connection from both ends, then
// after the close.
func TestPing(t *testing.T) {
	e := startLoopback(t, &peer.Handler{Config: listenerConfig()})
	dialer := e.dial(t, e.clientConfig())
	listener := e.nextAccepted(t)
	ctx := context.Background()
	for name, p := range map[string]*peer.Peer{"dialer": dialer, "listener": listener} {
		rtt, err := p.Ping(ctx)
		if err != nil {
			t.Fatalf("%s: Ping: %v", name, err)
		}
		if rtt <= 0 || rtt > 10*time.Second {
			t.Errorf("%s: round trip %v", name, rtt)
		}
	}
	if _, err := dialer.RequestPeers(ctx); err != nil {
		t.Fatalf("connection unusable after pings: %v", err)
	}

	dialer.Close(nil)
	<-dialer.Done()
	if _, err := dialer.Ping(ctx); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("Ping after close: %v, want ErrClosed", err)
	}
	<-listener.Done()
}

// TestPingWithHeartbeat pings from several goroutines while the
// heartbeat pings too: every ping gets its own pong (the race detector
// watches the shared state), and the heartbeat keeps working.
func TestPingWithHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pings atomic.Int32
		k := fakePKI(t)
		ln := serveMem(t, rawServer(t, func(int32) bool { return true }, &pings), k.serverTLS(k.listener))
		cfg := peer.Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), DialContext: ln.dial, PingInterval: time.Second}
		p, err := peer.Dial(context.Background(), "127.0.0.1:8444", cfg)
		if err != nil {
			t.Fatal(err)
		}
		const goroutines, rounds = 4, 5
		var wg sync.WaitGroup
		errs := make(chan error, goroutines*rounds)
		for range goroutines {
			wg.Go(func() {
				for range rounds {
					// Every 3 s: the heartbeat pings in the idle seconds
					// between, and may ping at the same instant.
					time.Sleep(3 * time.Second)
					if _, err := p.Ping(context.Background()); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("Ping: %v", err)
		}
		if err := p.Err(); err != nil {
			t.Fatalf("connection closed: %v", err)
		}
		// The heartbeat pinged at least at 1 s and 2 s, before any Ping.
		if n, ours := pings.Load(), int32(goroutines*rounds); n < ours+2 {
			t.Errorf("listener saw %d pings, want our %d and at least 2 of the heartbeat", n, ours)
		}
		p.Close(nil)
		<-p.Done()
	})
}

// TestPingNoPong checks that a missing pong ends Ping at its context
// without closing the connection, and that a close ends a waiting Ping
// with the close reason.
func TestPingNoPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pings atomic.Int32
		k := fakePKI(t)
		ln := serveMem(t, rawServer(t, func(int32) bool { return false }, &pings), k.serverTLS(k.listener))
		cfg := peer.Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), DialContext: ln.dial}
		p, err := peer.Dial(context.Background(), "127.0.0.1:8444", cfg)
		if err != nil {
			t.Fatal(err)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = p.Ping(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, peer.ErrClosed) {
			t.Fatalf("Ping without pong: %v, want the context's deadline", err)
		}
		if err := p.Err(); err != nil {
			t.Fatalf("a missing pong closed the connection: %v", err)
		}

		// A Ping without deadline waits until the heartbeat (ping at 60 s
		// of silence, no pong within 30 s) drops the connection.
		start := time.Now()
		_, err = p.Ping(context.Background())
		if r := mustCloseReason(t, err); !errors.Is(r, peer.ErrPongTimeout) {
			t.Fatalf("Ping during the heartbeat's close: %v", err)
		}
		if d := time.Since(start); d != peer.DefaultPingInterval+peer.DefaultPongTimeout-5*time.Second {
			t.Errorf("Ping returned after %v", d)
		}
		<-p.Done()
	})
}
