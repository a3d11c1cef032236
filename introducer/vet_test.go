package introducer

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// newTestVetter is a vetting loop over tb with real time (fake inside a
// synctest bubble) and vet as its vetting connection.
func newTestVetter(tb *table, slots int, vet func(context.Context, netip.AddrPort) error) *vetter {
	return &vetter{
		table: tb,
		clock: realClock{},
		vet:   vet,
		slots: slots,
		log:   slog.New(slog.DiscardHandler),
		wake:  make(chan struct{}, 1),
	}
}

// startVetter runs v until the returned stop is called; stop waits for
// run to return.
func startVetter(v *vetter) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// TestVetterBoundedConcurrency: with 40 peers due and vetting
// connections that hang, exactly MaxConcurrentVets are under way, and
// answers are made meanwhile; once they finish, every peer is vetted.
func TestVetterBoundedConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := newTestTable(1, nil)
		release := make(chan struct{})
		var cur, peak atomic.Int32
		v := newTestVetter(tb, 4, func(ctx context.Context, _ netip.AddrPort) error {
			n := cur.Add(1)
			defer cur.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		for i := range 40 {
			tb.seen(addr(i), time.Now())
			v.poke()
		}
		stop := startVetter(v)
		defer stop()
		synctest.Wait()
		if n := cur.Load(); n != 4 {
			t.Fatalf("%d vetting connections under way, want 4", n)
		}
		// Answers do not wait for vetting.
		if got := tb.pick(netip.AddrPort{}, time.Now()); len(got) != 0 {
			t.Fatalf("answer while nothing is vetted: %v", got)
		}
		close(release)
		synctest.Wait()
		if peers, vetted := tb.counts(); peers != 40 || vetted != 40 {
			t.Fatalf("%d peers, %d vetted; want 40 and 40", peers, vetted)
		}
		if p := peak.Load(); p != 4 {
			t.Fatalf("peak of %d vetting connections, want 4", p)
		}
		if got := tb.pick(netip.AddrPort{}, time.Now()); len(got) != 20 {
			t.Fatalf("answer of %d peers, want 20", len(got))
		}
	})
}

// TestVetterSchedule runs the loop for two hours of fake time: a live
// peer is vetted at once and every 500 s; a dead one as often until its
// 7th failure forgets it; once the recent window has passed without a
// reconnect, the live one is forgotten too.
func TestVetterSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		tb := newTestTable(1, nil)
		live, dead := addr(1), addr(2)
		var mu sync.Mutex
		times := make(map[netip.AddrPort][]time.Duration)
		v := newTestVetter(tb, 4, func(_ context.Context, ap netip.AddrPort) error {
			mu.Lock()
			times[ap] = append(times[ap], time.Since(start))
			mu.Unlock()
			if ap == dead {
				return errors.New("connection refused")
			}
			return nil
		})
		tb.seen(live, start)
		tb.seen(dead, start)
		stop := startVetter(v)
		defer stop()

		time.Sleep(3600 * time.Second)
		synctest.Wait()
		mu.Lock()
		var wantLive, wantDead []time.Duration
		for i := range 8 {
			wantLive = append(wantLive, time.Duration(i)*500*time.Second)
		}
		wantDead = wantLive[:7]
		if !slices.Equal(times[live], wantLive) || !slices.Equal(times[dead], wantDead) {
			t.Fatalf("vetted at\nlive %v\ndead %v\nwant\nlive %v\ndead %v", times[live], times[dead], wantLive, wantDead)
		}
		mu.Unlock()
		if s := tb.snapshot(); len(s) != 1 || s[0].Addr != live || !s[0].Vetted {
			t.Fatalf("after 3,600 s: %+v", s)
		}
		if v.vets.Load() != 15 || v.failures.Load() != 7 || v.forgotten.Load() != 1 {
			t.Fatalf("vets %d, failures %d, forgotten %d", v.vets.Load(), v.failures.Load(), v.forgotten.Load())
		}

		// Not seen again: forgotten at the first sweep after 6,000 s.
		time.Sleep(6000*time.Second - time.Since(start))
		synctest.Wait()
		if n, _ := tb.counts(); n != 1 {
			t.Fatalf("forgotten before the window ended (%d peers)", n)
		}
		time.Sleep(sweepInterval)
		synctest.Wait()
		if n, _ := tb.counts(); n != 0 {
			t.Fatalf("%d peers left after the recent window", n)
		}
	})
}

// TestVetterShutdown: vetting connections cut short by shutdown count
// for nothing, and run returns once they have.
func TestVetterShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := newTestTable(1, nil)
		v := newTestVetter(tb, 2, func(ctx context.Context, _ netip.AddrPort) error {
			<-ctx.Done()
			return ctx.Err()
		})
		tb.seen(addr(1), time.Now())
		stop := startVetter(v)
		synctest.Wait()
		stop()
		s := tb.snapshot()
		if len(s) != 1 || s[0].Vetting || s[0].Failures != 0 || !s[0].LastTry.IsZero() || v.vets.Load() != 0 {
			t.Fatalf("after shutdown: %+v, %d vets", s, v.vets.Load())
		}
	})
}
