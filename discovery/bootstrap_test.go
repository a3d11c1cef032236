package discovery

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/protocol"
)

// mapResolver answers from a map of host (without the trailing dot) to
// addresses, A or AAAA by family, and counts its lookups.
type mapResolver struct {
	mu    sync.Mutex
	hosts map[string][]netip.Addr
	calls int
}

func (r *mapResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	var out []netip.Addr
	for _, a := range r.hosts[strings.TrimSuffix(host, ".")] {
		if a.Is4() == (network == "ip4") {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lookup %s: no such host", host)
	}
	return out, nil
}

func (r *mapResolver) lookups() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// roundsOf groups step records by round, checking each round's steps
// come in the fixed order.
func roundsOf(t *testing.T, steps []stepRec) map[int][]stepRec {
	t.Helper()
	order := []string{StepPersisted, StepDNS, StepIntroducer, StepStatic}
	rounds := make(map[int][]stepRec)
	for _, s := range steps {
		r := rounds[s.round]
		if want := order[len(r)]; s.step != want {
			t.Fatalf("round %d: step %q where %q was due (order %v)", s.round, s.step, want, order)
		}
		rounds[s.round] = append(r, s)
	}
	return rounds
}

// TestBootstrapOrderAndBackoff checks that every round tries persisted
// peers, DNS introducers, the introducer and static peers in that order,
// each failing with a reason; that rounds without success are spaced 1,
// 2, 4, … 512 s, then 512 s; and that a kept connection restarts the
// spacing at 1 s.
func TestBootstrapOrderAndBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		static := netip.MustParseAddrPort("8.8.8.8:8444")
		res := &mapResolver{}
		h := newHarness(t, Config{
			DNS:         DNSConfig{Servers: []string{"seed-a.test", "seed-b.test"}, Resolver: res},
			Introducer:  "9.9.9.9:8444",
			StaticPeers: []string{static.String()},
		})
		h.run()
		defer h.stop()

		time.Sleep(2600 * time.Second)
		synctest.Wait()
		rounds := roundsOf(t, h.recordedSteps())
		wantStarts := []time.Duration{0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 1535, 2047, 2559}
		if len(rounds) != len(wantStarts) {
			t.Fatalf("%d rounds in 2600 s, want %d", len(rounds), len(wantStarts))
		}
		for i, want := range wantStarts {
			r := rounds[i+1]
			if len(r) != 4 {
				t.Fatalf("round %d: %d steps, want 4", i+1, len(r))
			}
			if got := r[0].at; got != want*time.Second {
				t.Errorf("round %d started at %v, want %v", i+1, got, want*time.Second)
			}
			for _, s := range r {
				if s.err == nil || s.n != 0 {
					t.Errorf("round %d step %s: n=%d err=%v, want a failure with a reason", i+1, s.step, s.n, s.err)
				}
			}
		}
		if res.lookups() == 0 {
			t.Error("the DNS introducers were never asked")
		}
		if got := h.d.Stats(); got.BootstrapRounds != 14 || got.BootstrapFailures != 14 {
			t.Errorf("stats: %d rounds, %d failures; want 14, 14", got.BootstrapRounds, got.BootstrapFailures)
		}

		// The static peer comes up: round 15 (at 3071 s) connects to it,
		// and the spacing starts over at 1 s: rounds 16, 17, 18 at 3072,
		// 3074 and 3078 s (the node still needs 7 more peers and knows
		// no other address).
		h.net.add(static)
		time.Sleep(3080*time.Second - time.Since(h.start))
		synctest.Wait()
		rounds = roundsOf(t, h.recordedSteps())
		r15 := rounds[15]
		if len(r15) != 4 || r15[0].at != 3071*time.Second || r15[3].err != nil || r15[3].n != 1 {
			t.Fatalf("round 15 = %+v, want a static success at 3071 s", r15)
		}
		for i, want := range []time.Duration{3072, 3074, 3078} {
			r := rounds[16+i]
			if len(r) == 0 || r[0].at != want*time.Second {
				t.Errorf("round %d = %+v, want a start at %v", 16+i, r, want*time.Second)
			}
		}
		if n := len(h.net.outbound()); n != 1 {
			t.Errorf("%d outbound connections, want 1 (the static peer)", n)
		}
	})
}

// TestBootstrapPersistedFirst checks that a node whose address table is
// not empty asks no DNS introducer or introducer: the first round ends
// with the persisted peers.
func TestBootstrapPersistedFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res := &mapResolver{}
		h := newHarness(t, Config{
			DNS:        DNSConfig{Servers: []string{"seed.test"}, Resolver: res},
			Introducer: "9.9.9.9:8444",
		})
		var live []netip.AddrPort
		for i := range 12 {
			live = append(live, pub(i))
			h.net.add(pub(i))
		}
		addKnown(t, h.am, live...)
		h.run()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		h.stop()

		steps := h.recordedSteps()
		if len(steps) != 1 || steps[0].step != StepPersisted || steps[0].err != nil || steps[0].n != 12 {
			t.Errorf("steps = %+v, want one successful persisted step with 12 addresses", steps)
		}
		if res.lookups() != 0 {
			t.Errorf("%d DNS lookups, want none", res.lookups())
		}
		if n := len(h.net.dialsTo(netip.MustParseAddrPort("9.9.9.9:8444"))); n != 0 {
			t.Errorf("introducer dialled %d times, want 0", n)
		}
		if n := len(h.net.outbound()); n != DefaultTargetOutboundFullNode {
			t.Errorf("%d outbound connections, want %d", n, DefaultTargetOutboundFullNode)
		}
	})
}

// TestBootstrapStopsAtFirstSuccess checks that a round whose DNS step
// finds new addresses neither asks the introducer nor dials static peers,
// and that the DNS answers are used.
func TestBootstrapStopsAtFirstSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ips []netip.Addr
		res := &mapResolver{hosts: map[string][]netip.Addr{}}
		h := newHarness(t, Config{
			DNS:         DNSConfig{Servers: []string{"seed.test"}, Resolver: res},
			Introducer:  "9.9.9.9:8444",
			StaticPeers: []string{"8.8.8.8:8444"},
		})
		for i := range 10 {
			h.net.add(pub(i))
			ips = append(ips, pub(i).Addr())
		}
		res.hosts["seed.test"] = ips
		h.run()
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		h.stop()

		rounds := roundsOf(t, h.recordedSteps())
		r1 := rounds[1]
		if len(rounds) != 1 || len(r1) != 2 || r1[1].step != StepDNS || r1[1].err != nil || r1[1].n != 10 {
			t.Fatalf("rounds = %+v, want one round ending with a DNS success of 10", rounds)
		}
		if n := len(h.net.outbound()); n != DefaultTargetOutboundFullNode {
			t.Errorf("%d outbound connections, want %d", n, DefaultTargetOutboundFullNode)
		}
		for _, ap := range []string{"9.9.9.9:8444", "8.8.8.8:8444"} {
			if n := len(h.net.dialsTo(netip.MustParseAddrPort(ap))); n != 0 {
				t.Errorf("%s dialled %d times, want 0", ap, n)
			}
		}
	})
}

// TestBootstrapIntroducer checks the introducer step: the introducer is
// dialled, its usable addresses are stored with timestamp 0 (private,
// host-name, oversized and other-network entries dropped), and its
// connection is closed.
func TestBootstrapIntroducer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		intro := netip.MustParseAddrPort("9.9.9.9:8444")
		h := newHarness(t, Config{Introducer: intro.String(), TargetOutbound: 2})
		node := h.net.add(intro)
		node.typ = protocol.NodeIntroducer
		good := []netip.AddrPort{pub(1), pub(2), pub(3)}
		for _, ap := range good {
			node.introducer = append(node.introducer, tpi(ap, time.Now()))
		}
		node.introducer = append(node.introducer,
			protocol.TimestampedPeerInfo{Host: "10.1.2.3", Port: 8444},
			protocol.TimestampedPeerInfo{Host: "node.example", Port: 8444},
			protocol.TimestampedPeerInfo{Host: strings.Repeat("1", 46), Port: 8444},
			protocol.TimestampedPeerInfo{Host: "5.5.5.5", Port: config.Testnet11Port},
			protocol.TimestampedPeerInfo{Host: "5.5.5.6", Port: 0},
		)
		h.run()
		synctest.Wait()
		h.stop()

		steps := h.recordedSteps()
		var got stepRec
		for _, s := range steps {
			if s.step == StepIntroducer {
				got = s
			}
		}
		if got.err != nil || got.n != 3 {
			t.Fatalf("introducer step = %+v, want 3 addresses", got)
		}
		if h.am.Size() != 3 {
			t.Errorf("address table holds %d, want 3", h.am.Size())
		}
		for _, ap := range good {
			// They are not in the network: dials fail, so nothing
			// stamps them.
			e, ok := h.am.Lookup(addrman.PeerInfoFrom(ap))
			if !ok {
				t.Errorf("%v not stored", ap)
			} else if !e.Timestamp.IsZero() {
				t.Errorf("%v: timestamp %v, want 0 for an introducer address", ap, e.Timestamp)
			}
		}
		for _, l := range h.net.Links() {
			if l.(*fakeLink).addr == intro {
				t.Error("introducer connection left open")
			}
		}
		if n := len(h.net.dialsTo(intro)); n != 1 {
			t.Errorf("introducer dialled %d times, want 1", n)
		}
	})
}

// TestRebootstrapWhenAllDead checks that a node whose every known
// address is dead starts a second bootstrap round, asks the introducer
// and reaches its target.
func TestRebootstrapWhenAllDead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		intro := netip.MustParseAddrPort("9.9.9.9:8444")
		h := newHarness(t, Config{Introducer: intro.String()})
		var dead []netip.AddrPort
		for i := range 5 {
			dead = append(dead, pub(100+i)) // not in the network
		}
		addKnown(t, h.am, dead...)
		node := h.net.add(intro)
		node.typ = protocol.NodeIntroducer
		for i := range 20 {
			h.net.add(pub(i))
			node.introducer = append(node.introducer, tpi(pub(i), time.Time{}))
		}
		h.run()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		h.stop()

		rounds := roundsOf(t, h.recordedSteps())
		if len(rounds) != 2 {
			t.Fatalf("%d rounds, want 2: %+v", len(rounds), rounds)
		}
		if r := rounds[1]; len(r) != 1 || r[0].err != nil || r[0].n != 5 {
			t.Errorf("round 1 = %+v, want the 5 persisted addresses", r)
		}
		r2 := rounds[2]
		if last := r2[len(r2)-1]; last.step != StepIntroducer || last.err != nil || last.n != 20 {
			t.Errorf("round 2 = %+v, want an introducer success of 20", r2)
		}
		if !errors.Is(r2[1].err, ErrStepSkipped) {
			t.Errorf("round 2 DNS step: %v, want skipped", r2[1].err)
		}
		for _, ap := range dead {
			if n := len(h.net.dialsTo(ap)); n != 1 {
				t.Errorf("dead %v dialled %d times in 10 min, want 1", ap, n)
			}
		}
		if n := len(h.net.outbound()); n != DefaultTargetOutboundFullNode {
			t.Errorf("%d outbound connections, want %d", n, DefaultTargetOutboundFullNode)
		}
		if s := h.d.Stats(); s.BootstrapRounds != 2 {
			t.Errorf("Stats().BootstrapRounds = %d, want 2", s.BootstrapRounds)
		}
	})
}

// TestResolve checks how introducer and static-peer addresses are
// resolved: IP literals as they are, host names IPv4 first, then IPv6.
func TestResolve(t *testing.T) {
	res := &mapResolver{hosts: map[string][]netip.Addr{
		"both.test": {netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("1.2.3.4")},
		"v6.test":   {netip.MustParseAddr("2606:4700::1")},
	}}
	d, err := newDiscovery(Config{AddrMan: addrman.New(addrman.Config{}), DNS: DNSConfig{Resolver: res}},
		newFakeNet(), protocol.NodeFullNode)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"1.2.3.4:8444", "1.2.3.4:8444"},
		{"[::ffff:1.2.3.4]:8444", "1.2.3.4:8444"},
		{"[2001:db8::5]:58444", "[2001:db8::5]:58444"},
		{"both.test:8444", "1.2.3.4:8444"},
		{"v6.test:8444", "[2606:4700::1]:8444"},
		{"missing.test:8444", ""},
		{"1.2.3.4", ""},
		{"1.2.3.4:0", ""},
		{"1.2.3.4:70000", ""},
		{"[fe80::1%eth0]:8444", ""},
	}
	for _, tc := range tests {
		got, err := d.resolve(t.Context(), tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("resolve(%q) = %v, want an error", tc.in, got)
		case tc.want != "" && (err != nil || got.String() != tc.want):
			t.Errorf("resolve(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
