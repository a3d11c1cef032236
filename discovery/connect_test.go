package discovery

import (
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/protocol"
)

// TestOnePerGroup checks that outbound connections are made to distinct
// /16 groups only, however many live addresses share a group, and that
// the node stops below its target rather than break the rule.
func TestOnePerGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{FeelerMean: -1})
		var known []netip.AddrPort
		for i := range 30 {
			known = append(known, inGroup(i))
			h.net.add(inGroup(i))
		}
		for i := range 3 {
			known = append(known, pub(i))
			h.net.add(pub(i))
		}
		addKnown(t, h.am, known...)
		h.run()
		time.Sleep(time.Hour)
		synctest.Wait()
		h.stop()

		out := h.net.outbound()
		if len(out) != 4 {
			t.Errorf("%d outbound connections, want 4 (one per group)", len(out))
		}
		groups := make(map[addrman.Group]int)
		for _, l := range out {
			groups[addrman.GroupOf(l.addr.Addr())]++
		}
		for g, n := range groups {
			if n > 1 {
				t.Errorf("group %v has %d outbound connections", g, n)
			}
		}
	})
}

// TestRetryInterval checks that an address that keeps failing is dialled
// once per RetryInterval (30 min), no more.
func TestRetryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		dead := pub(7)
		addKnown(t, h.am, dead)
		h.run()
		time.Sleep(7000 * time.Second)
		synctest.Wait()
		h.stop()

		at := h.net.dialsTo(dead)
		if len(at) != 4 {
			t.Fatalf("%d dials in 7000 s, want 4 (one per 30 min): %v", len(at), at)
		}
		for i := 1; i < len(at); i++ {
			gap := at[i].Sub(at[i-1])
			if gap < DefaultRetryInterval || gap > DefaultRetryInterval+DefaultConnectIntervalFullNode {
				t.Errorf("dial %d came %v after the previous, want 30 min (+ at most one pause)", i, gap)
			}
		}
	})
}

// TestMaxPendingDials checks that at most MaxPendingDials (70) dials are
// under way at once, and that the limit is reached when dials hang.
func TestMaxPendingDials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		var known []netip.AddrPort
		for i := range 200 {
			known = append(known, pub(i))
			h.net.add(pub(i)).block = true
		}
		addKnown(t, h.am, known...)
		h.run()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		s := h.d.Stats()
		h.stop()

		if h.net.maxInflight != DefaultMaxPendingDials {
			t.Errorf("at most %d dials in flight, want %d", h.net.maxInflight, DefaultMaxPendingDials)
		}
		if s.MaxPendingSeen != DefaultMaxPendingDials || s.PendingDials != DefaultMaxPendingDials {
			t.Errorf("stats: pending %d, max %d; want %d, %d", s.PendingDials, s.MaxPendingSeen,
				DefaultMaxPendingDials, DefaultMaxPendingDials)
		}
		if s.Dials != DefaultMaxPendingDials {
			t.Errorf("%d dials started, want %d", s.Dials, DefaultMaxPendingDials)
		}
		// Cancelled dials are not held against the addresses.
		for _, ap := range known {
			if e, _ := h.am.Lookup(addrman.PeerInfoFrom(ap)); e.Attempts != 0 {
				t.Fatalf("%v: %d failures after a cancelled dial, want 0", ap, e.Attempts)
			}
		}
	})
}

// TestPoissonDelay checks the feeler delay against the reference's
// formula for a seeded generator, and its mean.
func TestPoissonDelay(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	ref := rand.New(rand.NewPCG(7, 8))
	for range 5 {
		u := ref.Float64()
		want := time.Duration(math.Log(1-u) * -240e9)
		if got := poissonDelay(r, 240*time.Second); got-want > time.Microsecond || want-got > time.Microsecond {
			t.Errorf("delay %v, want %v", got, want)
		}
	}
	const n = 200_000
	var sum time.Duration
	for range n {
		sum += poissonDelay(r, DefaultFeelerMean)
	}
	if mean := sum / n; mean < 236*time.Second || mean > 244*time.Second {
		t.Errorf("mean delay %v over %d draws, want 240 s ± 4 s", mean, n)
	}
}

// TestFeelers checks that feelers start only once the target is met, go
// to new-table addresses on the Poisson schedule drawn from Config.Rand,
// are closed after the handshake without joining the connections, and
// promote the address to the tried table.
func TestFeelers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const seed1, seed2 = 11, 12
		h := newHarness(t, Config{Rand: rand.New(rand.NewPCG(seed1, seed2))})
		var known []netip.AddrPort
		for i := range 60 {
			known = append(known, pub(i))
			h.net.add(pub(i))
		}
		addKnown(t, h.am, known...)
		mon := h.net.watchOutbound()
		h.run()
		time.Sleep(3 * time.Hour)
		synctest.Wait()
		h.stop()

		// The Rand gave 8 words to New (the DNS seed and the relay key),
		// then one draw per feeler.
		ref := rand.New(rand.NewPCG(seed1, seed2))
		for range 8 {
			ref.Uint64()
		}
		var feelerAt []time.Time
		for _, ap := range known {
			for i, k := range h.dialKinds(ap) {
				if k != kindFeeler {
					continue
				}
				feelerAt = append(feelerAt, h.net.dialsTo(ap)[i])
				if e, _ := h.am.Lookup(addrman.PeerInfoFrom(ap)); !e.Tried {
					t.Errorf("feeler to %v: not promoted to tried", ap)
				}
			}
		}
		slices.SortFunc(feelerAt, time.Time.Compare)
		if len(feelerAt) < 20 {
			t.Fatalf("%d feelers in 3 h, want about 45", len(feelerAt))
		}
		// Each feeler comes at the first round after its scheduled time;
		// a round with the target met pauses at most 19 s.
		prev := h.start
		for i, at := range feelerAt {
			due := prev.Add(poissonDelay(ref, DefaultFeelerMean))
			if at.Before(due) || at.After(due.Add(20*time.Second)) {
				t.Fatalf("feeler %d at %v, scheduled for %v", i, at.Sub(h.start), due.Sub(h.start))
			}
			prev = at
		}
		if n := len(h.net.outbound()); n != DefaultTargetOutboundFullNode || mon.max() != n {
			t.Errorf("%d outbound connections, at most %d at once; want %d (feelers never kept)", n, mon.max(),
				DefaultTargetOutboundFullNode)
		}
		if s := h.d.Stats(); s.Feelers != len(feelerAt) {
			t.Errorf("Stats().Feelers = %d, want %d", s.Feelers, len(feelerAt))
		}
	})
}

// TestDialOutcomes checks how each dial outcome updates the address
// manager and whether the connection is kept.
func TestDialOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{TargetOutbound: 2})
		live, self, dead, wallet, dup := pub(1), pub(2), pub(3), pub(4), pub(5)
		sameGroup := netip.AddrPortFrom(netip.AddrFrom4([4]byte{11, 1, 9, 9}), config.MainnetPort)
		extra := pub(6)
		for _, ap := range []netip.AddrPort{live, self, wallet, dup, sameGroup, extra} {
			h.net.add(ap)
		}
		h.net.set(self, func(n *fakeNode) { n.self = true })
		h.net.set(wallet, func(n *fakeNode) { n.typ = protocol.NodeWallet })
		addKnown(t, h.am, live, self, dead, wallet, dup, sameGroup, extra)
		h.net.inbound(dup.Addr(), 0, protocol.NodeWallet).addr = dup // holds dup: a duplicate

		tests := []struct {
			ap       netip.AddrPort
			outcome  dialOutcome
			attempts int
			tried    bool
			kept     bool
		}{
			{live, dialKept, 0, true, true},
			{self, dialDuplicate, 0, false, false},
			{dead, dialFailed, 1, false, false},
			{wallet, dialClosed, 1, false, false},
			{dup, dialDuplicate, 0, false, false},
			{sameGroup, dialClosed, 0, true, false}, // group 11.1/16 taken by live
			{extra, dialKept, 0, true, true},
		}
		ctx := t.Context()
		for _, tc := range tests {
			if !h.d.beginDial(ctx, tc.ap, kindOutbound) {
				t.Fatal("no dial slot")
			}
			got, _ := h.d.dial(ctx, tc.ap, kindOutbound)
			if got != tc.outcome {
				t.Errorf("%v: outcome %v, want %v", tc.ap, got, tc.outcome)
			}
			e, _ := h.am.Lookup(addrman.PeerInfoFrom(tc.ap))
			if e.Attempts != tc.attempts || e.Tried != tc.tried || e.LastTry.IsZero() {
				t.Errorf("%v: attempts %d tried %v last try %v; want %d, %v, set", tc.ap, e.Attempts, e.Tried,
					e.LastTry, tc.attempts, tc.tried)
			}
			kept := false
			for _, l := range h.net.outbound() {
				kept = kept || l.addr == tc.ap
			}
			if kept != tc.kept {
				t.Errorf("%v: connection kept %v, want %v", tc.ap, kept, tc.kept)
			}
		}
		// A target of 2 is met: no slot for one more outbound dial, and a
		// collision test's connection is closed after the handshake
		// without joining the connections.
		more := pub(8)
		h.net.add(more)
		addKnown(t, h.am, more)
		if h.d.beginDial(ctx, more, kindOutbound) {
			t.Error("an outbound dial started beyond the target")
		}
		h.d.beginDial(ctx, more, kindCollision)
		if got, _ := h.d.dial(ctx, more, kindCollision); got != dialClosed {
			t.Errorf("beyond the target: outcome %v, want closed", got)
		}
		if n := len(h.net.outbound()); n != 2 {
			t.Errorf("%d outbound connections, want 2", n)
		}
		if !h.d.isSelf(self) {
			t.Error("an address that answered with our node id is not remembered as ours")
		}
		if s := h.d.Stats(); s.PendingDials != 0 || len(h.d.slots) != 0 {
			t.Errorf("%d pending, %d slots held after the dials", s.PendingDials, len(h.d.slots))
		}
	})
}

// TestCollisionTest checks that a queued tried-table collision gets its
// old entry tested with a connection.
func TestCollisionTest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{FeelerMean: -1})
		// A collision waits for a test while the old entry has neither
		// succeeded nor been tried for 4 h and the new one succeeded
		// less than 40 min ago: fill the tried table, let 5 h pass, then
		// mark more addresses good until one collides with an old entry.
		good := func(ap netip.AddrPort) {
			addKnown(t, h.am, ap)
			h.am.Good(addrman.PeerInfoFrom(ap), true, time.Time{})
		}
		for i := range 4000 {
			good(pub(i))
		}
		time.Sleep(5 * time.Hour)
		h.am.ResolveCollisions() // settles the collisions queued so far
		phase2 := time.Now()
		var old netip.AddrPort
		for i := 4000; i < 8000 && !old.IsValid(); i++ {
			good(pub(i))
			if e, ok := h.am.SelectTriedCollision(); ok && e.LastSuccess.Before(phase2) {
				old, _ = e.Addr.AddrPort()
			}
		}
		if !old.IsValid() {
			t.Fatal("no tried collision with an old entry")
		}
		h.net.add(old)
		h.run()
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		h.stop()
		if !slices.Contains(h.dialKinds(old), kindCollision) {
			t.Errorf("old entry %v dialled as %v, want a collision test", old, h.dialKinds(old))
		}
		if e, _ := h.am.Lookup(addrman.PeerInfoFrom(old)); !e.Tried {
			t.Errorf("old entry %v evicted although its test succeeded", old)
		}
		if s := h.d.Stats(); s.CollisionTests == 0 {
			t.Error("Stats().CollisionTests = 0")
		}
	})
}

// TestNewRequiresServerAndAddrMan checks New's checks.
func TestNewRequiresServerAndAddrMan(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without a Server succeeded")
	}
	if _, err := newDiscovery(Config{}, newFakeNet(), protocol.NodeFullNode); err == nil {
		t.Error("New without an AddrMan succeeded")
	}
	am := addrman.New(addrman.Config{})
	if _, err := newDiscovery(Config{AddrMan: am}, newFakeNet(), protocol.NodeFarmer); err == nil {
		t.Error("a farmer was accepted")
	}
	d, err := newDiscovery(Config{AddrMan: am, NodeType: protocol.NodeWallet}, newFakeNet(), protocol.NodeFullNode)
	if err != nil {
		t.Fatal(err)
	}
	if d.cfg.TargetOutbound != DefaultTargetOutboundWallet || d.cfg.ConnectInterval != DefaultConnectIntervalWallet {
		t.Errorf("wallet defaults: target %d interval %v", d.cfg.TargetOutbound, d.cfg.ConnectInterval)
	}
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		h.run()
		synctest.Wait()
		if err := h.d.Run(t.Context()); !errors.Is(err, ErrRunning) {
			t.Errorf("second Run: %v, want ErrRunning", err)
		}
		h.stop()
	})
}

// TestTargetNeverExceeded checks that a node never holds more outbound
// full-node connections than its target, not even for a moment: slow
// handshakes (longer than the grace an outbound dial counts toward the
// target) must not let extra connections join the connection set. The
// count is taken at every connection that joins.
func TestTargetNeverExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{FeelerMean: -1})
		var known []netip.AddrPort
		for i := range 40 {
			known = append(known, pub(i))
			h.net.add(pub(i)).delay = 8 * time.Second
		}
		addKnown(t, h.am, known...)
		mon := h.net.watchOutbound()
		h.run()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		h.stop()

		if mon.max() > DefaultTargetOutboundFullNode {
			t.Errorf("%d outbound full-node connections at once, target %d", mon.max(), DefaultTargetOutboundFullNode)
		}
		if n := len(h.net.outbound()); n != DefaultTargetOutboundFullNode {
			t.Errorf("%d outbound connections at the end, want %d", n, DefaultTargetOutboundFullNode)
		}
		// Dials outlived their grace, so more were made than the target
		// needed; the extras were closed after their handshakes.
		if s := h.d.Stats(); s.Dials <= DefaultTargetOutboundFullNode || s.Closed == 0 {
			t.Errorf("%d dials, %d closed after the handshake; want extra dials, closed", s.Dials, s.Closed)
		}
	})
}
