package addrman

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

// act is what one scenario step does to the manager.
type act int

const (
	doNothing act = iota
	doAdd         // Add(addrs, src, penalty) with timestamp ts
	doGood        // Good(addrs[0], flag = testBeforeEvict, at)
	doAttempt     // Attempt(addrs[0], flag = countFailure, at)
	doConnect     // Connect(addrs[0], at)
	doResolve     // ResolveCollisions()
)

// step is one round of a scenario: advance the fake clock, act, then
// check. Zero-valued expectations are not checked.
type step struct {
	name    string
	advance time.Duration
	do      act
	addrs   []string
	ts      uint64 // advertised timestamp (doAdd)
	src     string
	penalty time.Duration
	flag    bool
	at      int64 // Unix seconds for Good/Attempt/Connect; 0 = the clock

	added, rejected int      // doAdd results (checked when do == doAdd)
	size            int      // Size(), if nonzero
	tried, inNew    []string // addresses that must be in that table
	gone            []string // addresses that must be unknown
	entries         []Entry  // compared field by field
	collision       string   // SelectTriedCollision: "" unchecked, "-" none, else the address
}

func runScenario(t *testing.T, m *Manager, clk *fakeClock, steps []step) {
	t.Helper()
	for i, s := range steps {
		where := fmt.Sprintf("step %d (%s)", i, s.name)
		clk.Advance(s.advance)
		var at time.Time
		if s.at != 0 {
			at = time.Unix(s.at, 0)
		}
		switch s.do {
		case doAdd:
			in := make([]protocol.TimestampedPeerInfo, len(s.addrs))
			for j, a := range s.addrs {
				in[j] = tpi(a, s.ts)
			}
			var src PeerInfo
			if s.src != "" {
				src = pi(s.src)
			}
			added, rejected := m.Add(in, src, s.penalty)
			if added != s.added || rejected != s.rejected {
				t.Fatalf("%s: Add = %d added, %d rejected; want %d, %d", where, added, rejected, s.added, s.rejected)
			}
		case doGood:
			m.Good(pi(s.addrs[0]), s.flag, at)
		case doAttempt:
			m.Attempt(pi(s.addrs[0]), s.flag, at)
		case doConnect:
			m.Connect(pi(s.addrs[0]), at)
		case doResolve:
			m.ResolveCollisions()
		}
		checkInvariants(t, m)
		if s.size != 0 && m.Size() != s.size {
			t.Fatalf("%s: size %d, want %d", where, m.Size(), s.size)
		}
		for _, a := range s.tried {
			if e, ok := m.Lookup(pi(a)); !ok || !e.Tried {
				t.Fatalf("%s: %s not tried (known %v)", where, a, ok)
			}
		}
		for _, a := range s.inNew {
			if e, ok := m.Lookup(pi(a)); !ok || e.Tried {
				t.Fatalf("%s: %s not new (known %v)", where, a, ok)
			}
		}
		for _, a := range s.gone {
			if _, ok := m.Lookup(pi(a)); ok {
				t.Fatalf("%s: %s still known", where, a)
			}
		}
		for _, want := range s.entries {
			got, ok := m.Lookup(want.Addr)
			if !ok {
				t.Fatalf("%s: %v unknown", where, want.Addr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s:\n got %+v\nwant %+v", where, got, want)
			}
		}
		switch c, ok := m.SelectTriedCollision(); {
		case s.collision == "":
		case s.collision == "-" && ok:
			t.Fatalf("%s: collision with %v, want none", where, c.Addr)
		case s.collision != "-" && (!ok || c.Addr != pi(s.collision)):
			t.Fatalf("%s: collision %v (%v), want %s", where, c.Addr, ok, s.collision)
		}
	}
}

// refAddGood is the reference tests' loop: add 250.1.1.i from 252.2.2.2
// with timestamp 0 and mark it good; collision is the expectation after
// each Good.
func refAddGood(from, to int, collision string) []step {
	var steps []step
	for i := from; i <= to; i++ {
		a := fmt.Sprintf("250.1.1.%d:8444", i)
		steps = append(steps,
			step{name: "add " + a, do: doAdd, addrs: []string{a}, src: "252.2.2.2:8444", added: 1, size: i},
			step{name: "good " + a, do: doGood, addrs: []string{a}, flag: true, size: i, collision: collision},
		)
	}
	return steps
}

// TestReferenceScenarios replays chia-blockchain's address manager tests
// (chia/_tests/core/full_node/test_address_manager.py) with its key
// (2**256-1) and private subnets allowed. The same collisions at the same
// addresses show that placement matches the reference.
func TestReferenceScenarios(t *testing.T) {
	const src = "252.2.2.2:8444"
	a := func(i int) string { return fmt.Sprintf("250.1.1.%d:8444", i) }
	tests := []struct {
		name  string
		steps []step
	}{
		{"collisions_new", func() []step {
			var s []step
			for i := 1; i <= 7; i++ {
				s = append(s, step{do: doAdd, addrs: []string{a(i)}, src: src, added: 1, size: i})
			}
			return append(s,
				// 250.1.1.8 lands on a slot held by a terrible (timestamp 0) entry and replaces it.
				step{name: "new-table collision", do: doAdd, addrs: []string{a(8)}, src: src, added: 1, size: 7},
				step{do: doAdd, addrs: []string{a(9)}, src: src, added: 1, size: 8},
			)
		}()},
		{"collisions_tried", append(refAddGood(1, 76, ""),
			// 77's new slot holds an entry that just succeeded (it waits
			// in the collision queue), so 77 is dropped. The reference's
			// add reports True here although it drops it too.
			step{name: "77 is dropped", do: doAdd, addrs: []string{a(77)}, src: src, added: 0, size: 76},
			step{do: doAdd, addrs: []string{a(78)}, src: src, added: 1, size: 77},
		)},
		{"no_evict", append(refAddGood(1, 17, "-"),
			step{do: doAdd, addrs: []string{a(18)}, src: src, added: 1, size: 18},
			step{name: "18 collides with 16", do: doGood, addrs: []string{a(18)}, flag: true, size: 18, collision: a(16)},
			step{name: "16 just succeeded: kept", do: doResolve, collision: "-", tried: []string{a(16)}, inNew: []string{a(18)}},
		)},
		{"eviction_works", append(refAddGood(1, 17, "-"),
			step{do: doAdd, addrs: []string{a(18)}, src: src, added: 1, size: 18},
			step{name: "18 collides with 16", do: doGood, addrs: []string{a(18)}, flag: true, collision: a(16)},
			// The reference's simulate_connection_fail: a success at
			// time 1, then a failed attempt 61 s ago.
			step{do: doGood, addrs: []string{a(16)}, flag: true, at: 1},
			step{do: doAttempt, addrs: []string{a(16)}, at: t0 - 61},
			step{name: "16 failed its test: evicted", do: doResolve, collision: "-", tried: []string{a(18)}, inNew: []string{a(16)}},
			step{do: doAdd, addrs: []string{a(18)}, src: src, added: 0},
			step{name: "18 is tried already", do: doGood, addrs: []string{a(18)}, flag: true, collision: "-"},
			step{do: doAdd, addrs: []string{a(16)}, src: src, added: 0},
			step{name: "16 collides with 18", do: doGood, addrs: []string{a(16)}, flag: true, collision: a(18)},
			step{name: "18 just succeeded: kept", do: doResolve, collision: "-", tried: []string{a(18)}, inNew: []string{a(16)}},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newTest(t, testOpts{allowPrivate: true})
			runScenario(t, m, clk, tt.steps)
		})
	}
}

// TestBookkeeping follows one address through Add, Attempt, Good and
// Connect, checking every field after each step.
func TestBookkeeping(t *testing.T) {
	const (
		a   = "1.2.3.4:8444"
		src = "5.6.7.8:8444"
	)
	// The expected entry evolves from step to step. Both helpers are
	// function calls, so the table literal evaluates them in order.
	base := Entry{Addr: pi(a), Source: pi(src), Timestamp: sec(t0 - 3600 - 7200), RefCount: 1}
	with := func(f func(e *Entry)) Entry {
		f(&base)
		return base
	}
	same := func() Entry { return base }
	steps := []step{
		{name: "gossiped with the 2 h penalty", do: doAdd, addrs: []string{a}, ts: t0 - 3600, src: src, penalty: GossipPenalty,
			added: 1, size: 1, entries: []Entry{same()}},
		{name: "first failure counts", advance: 10 * time.Second, do: doAttempt, addrs: []string{a}, flag: true,
			entries: []Entry{with(func(e *Entry) {
				e.LastTry, e.LastCountAttempt, e.Attempts = sec(t0+10), sec(t0+10), 1
			})}},
		{name: "second failure in the same epoch does not", advance: 10 * time.Second, do: doAttempt, addrs: []string{a}, flag: true,
			entries: []Entry{with(func(e *Entry) { e.LastTry = sec(t0 + 20) })}},
		{name: "a success elsewhere opens a new epoch", advance: 10 * time.Second, do: doGood, addrs: []string{"9.9.9.9:8444"}, flag: true,
			entries: []Entry{same()}},
		{name: "failure counts again", advance: 10 * time.Second, do: doAttempt, addrs: []string{a}, flag: true,
			entries: []Entry{with(func(e *Entry) {
				e.LastTry, e.LastCountAttempt, e.Attempts = sec(t0+40), sec(t0+40), 2
			})}},
		{name: "uncounted attempt", advance: 5 * time.Second, do: doAttempt, addrs: []string{a}, flag: false,
			entries: []Entry{with(func(e *Entry) { e.LastTry = sec(t0 + 45) })}},
		{name: "another port is another address", do: doAttempt, addrs: []string{"1.2.3.4:8445"}, flag: true,
			entries: []Entry{same()}, gone: []string{"1.2.3.4:8445"}},
		{name: "good: tried, attempts reset, timestamp kept", advance: 5 * time.Second, do: doGood, addrs: []string{a}, flag: true,
			tried: []string{a}, collision: "-",
			entries: []Entry{with(func(e *Entry) {
				e.LastSuccess, e.LastTry, e.Attempts, e.Tried, e.RefCount = sec(t0+50), sec(t0+50), 0, true, 0
			})}},
		{name: "connect refreshes an old timestamp", advance: 10 * time.Second, do: doConnect, addrs: []string{a},
			entries: []Entry{with(func(e *Entry) { e.Timestamp = sec(t0 + 60) })}},
		{name: "but not one under 20 min old", advance: 1140 * time.Second, do: doConnect, addrs: []string{a},
			entries: []Entry{same()}},
		{name: "and again past 20 min", advance: 61 * time.Second, do: doConnect, addrs: []string{a},
			entries: []Entry{with(func(e *Entry) { e.Timestamp = sec(t0 + 1261) })}},
		{name: "explicit times are used", do: doAttempt, addrs: []string{a}, flag: true, at: t0 + 5000,
			entries: []Entry{with(func(e *Entry) {
				e.LastTry, e.LastCountAttempt, e.Attempts = sec(t0+5000), sec(t0+5000), 1
			})}},
	}
	m, clk := newTest(t, testOpts{})
	runScenario(t, m, clk, steps)
}

// TestAddTimestamps covers the timestamp an Add stores: the penalty, the
// self-announcement exemption, refreshes of known addresses and what does
// not refresh them.
func TestAddTimestamps(t *testing.T) {
	const (
		a   = "1.2.3.4:8444"
		src = "5.6.7.8:8444"
	)
	ts := func(s int64) []Entry {
		e := Entry{Addr: pi(a), Source: pi(src), RefCount: 1, Timestamp: sec(s)}
		return []Entry{e}
	}
	const h = 3600
	tests := []struct {
		name  string
		steps []step
	}{
		{"penalty", []step{{do: doAdd, addrs: []string{a}, ts: t0 - h, src: src, penalty: GossipPenalty, added: 1, entries: ts(t0 - 3*h)}}},
		{"penalty clamps at zero", []step{{do: doAdd, addrs: []string{a}, ts: 100, src: src, penalty: GossipPenalty, added: 1, entries: ts(0)}}},
		{"self-announcement has no penalty", []step{{do: doAdd, addrs: []string{a}, ts: t0 - h, src: a, penalty: GossipPenalty, added: 1,
			entries: []Entry{{Addr: pi(a), Source: pi(a), RefCount: 1, Timestamp: sec(t0 - h)}}}}},
		{"no source: bucketed as itself", []step{{do: doAdd, addrs: []string{a}, ts: 0, added: 1,
			entries: []Entry{{Addr: pi(a), Source: pi(a), RefCount: 1}}}}},
		{"newer by more than the interval refreshes", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 - 5*h, src: src, added: 1, entries: ts(t0 - 5*h)},
			{do: doAdd, addrs: []string{a}, ts: t0 - h, src: src, entries: ts(t0 - h)},
		}},
		{"newer within the 1 h interval does not", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 - 2*h, src: src, added: 1, entries: ts(t0 - 2*h)},
			{do: doAdd, addrs: []string{a}, ts: t0 - h - 1800, src: src, entries: ts(t0 - 2*h)},
		}},
		{"offline: the interval is 24 h", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 - 50*h, src: src, added: 1, entries: ts(t0 - 50*h)},
			{do: doAdd, addrs: []string{a}, ts: t0 - 30*h, src: src, entries: ts(t0 - 50*h)},
			{do: doAdd, addrs: []string{a}, ts: t0 - 25*h - 1, src: src, entries: ts(t0 - 25*h - 1)},
		}},
		{"the penalty widens the interval and applies to the refresh", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 - 5*h, src: src, added: 1, entries: ts(t0 - 5*h)},
			{do: doAdd, addrs: []string{a}, ts: t0 - 2*h, src: src, penalty: GossipPenalty, entries: ts(t0 - 5*h)},
			{do: doAdd, addrs: []string{a}, ts: t0 - h, src: src, penalty: GossipPenalty, entries: ts(t0 - 3*h)},
		}},
		{"older never replaces newer (unlike the reference)", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 - h, src: src, added: 1, entries: ts(t0 - h)},
			{do: doAdd, addrs: []string{a}, ts: t0 - 10*h, src: src, entries: ts(t0 - h)},
		}},
		{"zero never replaces anything", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 - h, src: src, added: 1, entries: ts(t0 - h)},
			{do: doAdd, addrs: []string{a}, ts: 0, entries: ts(t0 - h)},
		}},
		{"a DNS entry (zero) takes gossip's timestamp", []step{
			{do: doAdd, addrs: []string{a}, ts: 0, src: src, added: 1, entries: ts(0)},
			{do: doAdd, addrs: []string{a}, ts: t0 - h, src: src, penalty: GossipPenalty, entries: ts(t0 - 3*h)},
		}},
		{"future timestamps are kept as given", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 + 10*h, src: src, added: 1, entries: ts(t0 + 10*h)},
		}},
		{"a tried address keeps its timestamp fresh but gains no reference", []step{
			{do: doAdd, addrs: []string{a}, ts: t0 - 5*h, src: src, added: 1},
			{do: doGood, addrs: []string{a}, flag: true, tried: []string{a}},
			{do: doAdd, addrs: []string{a}, ts: t0, src: "9.8.7.6:8444", tried: []string{a},
				entries: []Entry{{Addr: pi(a), Source: pi(src), Tried: true, Timestamp: sec(t0), LastSuccess: sec(t0), LastTry: sec(t0)}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newTest(t, testOpts{})
			runScenario(t, m, clk, tt.steps)
		})
	}
}

// TestRefCountGrowth: a known address re-advertised by many source groups
// gains new-table references, ever less likely, never more than
// NewBucketsPerAddress. (The reference never adds any, see doc.go.)
func TestRefCountGrowth(t *testing.T) {
	m, clk := newTest(t, testOpts{seed: 7})
	a := "1.2.3.4:8444"
	addOne(m, a, t0-3600, "5.6.7.8:8444", GossipPenalty)
	refs := []int{}
	for i := range 400 {
		clk.Advance(time.Hour)
		addOne(m, a, uint64(clk.Now().Unix()), fmt.Sprintf("%d.%d.1.1:8444", 11+i/200, i%200), GossipPenalty)
		e, _ := m.Lookup(pi(a))
		refs = append(refs, e.RefCount)
	}
	checkInvariants(t, m)
	if !slices.IsSorted(refs) {
		t.Fatalf("ref count went down: %v", refs)
	}
	final := refs[len(refs)-1]
	if final < 3 || final > NewBucketsPerAddress {
		t.Fatalf("ref count %d after 400 re-adds, want 3..%d", final, NewBucketsPerAddress)
	}
	// Every reference is a distinct new slot; Good takes them all out.
	m.Good(pi(a), false, time.Time{})
	if n, tr := m.Counts(); n != 0 || tr != 1 || len(m.newTbl.used) != 0 {
		t.Fatalf("after Good: new %d tried %d, %d new slots used", n, tr, len(m.newTbl.used))
	}
	checkInvariants(t, m)
}

func TestTerrible(t *testing.T) {
	const now = t0
	tests := []struct {
		name string
		e    entry
		want bool
	}{
		{"fresh", entry{timestamp: now - 3600}, false},
		{"never seen", entry{timestamp: 0}, true},
		{"never seen but tried 60 s ago", entry{timestamp: 0, lastTry: now - 60}, false},
		{"never seen, tried 61 s ago", entry{timestamp: 0, lastTry: now - 61}, true},
		{"10 min in the future", entry{timestamp: now + 600}, false},
		{"just over 10 min in the future", entry{timestamp: now + 601}, true},
		{"30 days old", entry{timestamp: now - 30*day}, false},
		{"just over 30 days old", entry{timestamp: now - 30*day - 1}, true},
		{"2 failures, never a success", entry{timestamp: now, attempts: 2}, false},
		{"3 failures, never a success", entry{timestamp: now, attempts: 3}, true},
		{"3 failures, a success yesterday", entry{timestamp: now, attempts: 3, lastSuccess: now - day}, false},
		{"9 failures, success 8 days ago", entry{timestamp: now, attempts: 9, lastSuccess: now - 8*day}, false},
		{"10 failures, success 8 days ago", entry{timestamp: now, attempts: 10, lastSuccess: now - 8*day}, true},
		{"10 failures, success 7 days ago", entry{timestamp: now, attempts: 10, lastSuccess: now - 7*day}, false},
		{"10 failures but tried just now", entry{timestamp: now, attempts: 10, lastSuccess: now - 8*day, lastTry: now}, false},
	}
	for _, tt := range tests {
		if got := tt.e.isTerrible(now); got != tt.want {
			t.Errorf("%s: terrible %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSelectionChance(t *testing.T) {
	const now = t0
	tests := []struct {
		e    entry
		want float64
	}{
		{entry{}, 1},
		{entry{lastTry: now - 599}, 0.01},
		{entry{lastTry: now - 600}, 1},
		{entry{lastTry: now + 100}, 0.01}, // a future try counts as just now
		{entry{attempts: 1}, 0.66},
		{entry{attempts: 8}, math.Pow(0.66, 8)},
		{entry{attempts: 50}, math.Pow(0.66, 8)},
		{entry{attempts: 2, lastTry: now}, 0.01 * 0.66 * 0.66},
	}
	for _, tt := range tests {
		if got := tt.e.selectionChance(now); got-tt.want > 1e-12 || tt.want-got > 1e-12 {
			t.Errorf("%+v: chance %v, want %v", tt.e, got, tt.want)
		}
	}
}

// TestAddRejects checks what Add refuses and how it counts.
func TestAddRejects(t *testing.T) {
	in := []protocol.TimestampedPeerInfo{
		{Host: "1.2.3.4", Port: 8444, Timestamp: t0},
		{Host: "10.0.0.1", Port: 8444, Timestamp: t0},
		{Host: "127.0.0.1", Port: 8444, Timestamp: t0},
		{Host: "0.0.0.0", Port: 8444, Timestamp: t0},
		{Host: "::", Port: 8444, Timestamp: t0},
		{Host: "224.0.0.1", Port: 8444, Timestamp: t0},
		{Host: "ff02::1", Port: 8444, Timestamp: t0},
		{Host: "fe80::1%eth0", Port: 8444, Timestamp: t0},
		{Host: "node.chia.net", Port: 8444, Timestamp: t0},
		{Host: "", Port: 8444, Timestamp: t0},
		{Host: "2001:4860:4860::8888", Port: 8444, Timestamp: t0},
		{Host: "::ffff:1.2.3.4", Port: 8444, Timestamp: t0}, // the same as the first
	}
	m, _ := newTest(t, testOpts{})
	added, rejected := m.Add(in, PeerInfo{Host: "not an ip", Port: 1}, 0)
	if added != 2 || rejected != 9 || m.Size() != 2 {
		t.Fatalf("default: added %d rejected %d size %d; want 2, 9, 2", added, rejected, m.Size())
	}
	if e, _ := m.Lookup(PeerInfo{"1.2.3.4", 8444}); e.Source != (PeerInfo{"1.2.3.4", 8444}) {
		t.Fatalf("an unusable source should bucket by the address itself: %+v", e)
	}
	m.Good(PeerInfo{"10.0.0.1", 8444}, false, time.Time{})
	checkInvariants(t, m)

	m, _ = newTest(t, testOpts{allowPrivate: true})
	added, rejected = m.Add(in, PeerInfo{}, 0)
	if added != 8 || rejected != 3 {
		t.Fatalf("AllowPrivate: added %d rejected %d; want 8, 3", added, rejected)
	}
	// Loopback addresses 127.N.0.1 are in distinct /16 groups.
	groups := map[Group]bool{}
	for n := 1; n <= 20; n++ {
		a := fmt.Sprintf("127.%d.0.1:8444", n)
		if !addOne(m, a, t0, "", 0) {
			t.Fatalf("%s not added", a)
		}
		ap, _ := pi(a).AddrPort()
		groups[GroupOf(ap.Addr())] = true
	}
	if len(groups) != 20 {
		t.Fatalf("20 loopback addresses in %d groups", len(groups))
	}
	checkInvariants(t, m)
}
