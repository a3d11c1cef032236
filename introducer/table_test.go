package introducer

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

// t0 is the start of every table scenario.
var t0 = time.Unix(1_700_000_000, 0)

// at is t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// addr is peer n of a scenario: 198.51.n/256.n%256:8444 style, distinct
// for every n < 65536.
func addr(n int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(n >> 8), byte(n)}), 8444)
}

// newTestTable is a table with the default rules, changed by edit, and a
// generator seeded with seed.
func newTestTable(seed uint64, edit func(*tableConfig)) *table {
	c := Config{Root: "x"}.withDefaults()
	cfg := c.tableConfig()
	if edit != nil {
		edit(&cfg)
	}
	return newTable(cfg, rand.New(rand.NewPCG(seed, 0x1111)))
}

// vetNow runs one vetting round at now: every peer in good and bad must
// be due, and gets its result; peers due but not named are left as if
// their vetting was cancelled. It returns the outcomes, good ones first.
func vetNow(t *testing.T, tb *table, now time.Time, good, bad []netip.AddrPort) []vetOutcome {
	t.Helper()
	due := tb.due(now, 1<<20)
	var out []vetOutcome
	for i, list := range [][]netip.AddrPort{good, bad} {
		for _, ap := range list {
			if !slices.Contains(due, ap) {
				t.Fatalf("at %v: %v not due (due: %v)", now.Sub(t0), ap, due)
			}
			out = append(out, tb.vetted(ap, i == 0, now))
		}
	}
	for _, ap := range due {
		if !slices.Contains(good, ap) && !slices.Contains(bad, ap) {
			tb.abandon(ap)
		}
	}
	return out
}

// vetOne runs vetNow for one peer and returns its outcome.
func vetOne(t *testing.T, tb *table, ap netip.AddrPort, ok bool, now time.Time) vetOutcome {
	t.Helper()
	if ok {
		return vetNow(t, tb, now, []netip.AddrPort{ap}, nil)[0]
	}
	return vetNow(t, tb, now, nil, []netip.AddrPort{ap})[0]
}

// hosts returns the addresses of an answer.
func hosts(list []protocol.TimestampedPeerInfo) []netip.AddrPort {
	out := make([]netip.AddrPort, len(list))
	for i, p := range list {
		out[i] = netip.AddrPortFrom(netip.MustParseAddr(p.Host), p.Port)
	}
	return out
}

// TestTableVettingSchedule walks one table through rounds, each at its
// own time: a peer is due at once when new, then again no sooner than
// 500 s after its last try, whatever the result; never twice at once.
func TestTableVettingSchedule(t *testing.T) {
	a, b, c := addr(1), addr(2), addr(3)
	type op struct {
		name  string
		now   float64 // seconds after t0
		seen  []netip.AddrPort
		limit int              // due(now, limit); 0 means 100
		due   []netip.AddrPort // expected, in order
		good  []netip.AddrPort // results recorded after due
		bad   []netip.AddrPort
		next  float64 // expected next due time (seconds after t0); -1 for none
	}
	rounds := []op{
		{name: "new peers are due at once", now: 0, seen: []netip.AddrPort{a, b}, limit: 1,
			due: []netip.AddrPort{a}, next: 0},
		{name: "the rest next", now: 0, due: []netip.AddrPort{b}, next: -1},
		{name: "nothing twice while vetting", now: 1, due: nil, good: []netip.AddrPort{a}, bad: []netip.AddrPort{b}, next: 500},
		{name: "a newcomer goes first", now: 10, seen: []netip.AddrPort{c}, due: []netip.AddrPort{c}, good: []netip.AddrPort{c}, next: 500},
		{name: "a reconnect does not make a peer due", now: 20, seen: []netip.AddrPort{a, b}, due: nil, next: 500},
		{name: "not before 500 s", now: 499.999, due: nil, next: 500},
		{name: "at 500 s, oldest try first (ties by address)", now: 500, due: []netip.AddrPort{a, b},
			good: []netip.AddrPort{a, b}, next: 510},
		{name: "c at 510 s", now: 510, due: []netip.AddrPort{c}, bad: []netip.AddrPort{c}, next: 1000},
		{name: "a and b at 1,000 s", now: 1009, due: []netip.AddrPort{a, b}, next: 1010},
		{name: "a failure waits 500 s too: c at 1,010 s", now: 1010, due: []netip.AddrPort{c}, next: -1},
	}
	tb := newTestTable(1, nil)
	for _, r := range rounds {
		now := at(r.now)
		for _, ap := range r.seen {
			tb.seen(ap, now)
		}
		limit := r.limit
		if limit == 0 {
			limit = 100
		}
		if got := tb.due(now, limit); !slices.Equal(got, r.due) {
			t.Fatalf("%s: due %v, want %v", r.name, got, r.due)
		}
		for _, ap := range r.good {
			tb.vetted(ap, true, now)
		}
		for _, ap := range r.bad {
			tb.vetted(ap, false, now)
		}
		next, ok := tb.next()
		switch {
		case r.next < 0 && ok:
			t.Fatalf("%s: next %v, want none", r.name, next.Sub(t0))
		case r.next >= 0 && (!ok || !next.Equal(at(r.next)) && !(r.next == 0 && next.IsZero())):
			t.Fatalf("%s: next %v (%v), want %vs", r.name, next.Sub(t0), ok, r.next)
		}
	}
}

// TestTableAbandon: a vetting cancelled by shutdown counts for nothing
// and leaves the peer due at once.
func TestTableAbandon(t *testing.T) {
	tb := newTestTable(1, nil)
	tb.seen(addr(1), at(0))
	tb.due(at(0), 10)
	tb.abandon(addr(1))
	if got := tb.due(at(1), 10); !slices.Equal(got, []netip.AddrPort{addr(1)}) {
		t.Fatalf("due after abandon: %v", got)
	}
	if s := tb.snapshot()[0]; s.Failures != 0 || s.Vetted {
		t.Fatalf("state after abandon: %+v", s)
	}
}

// TestTableForgetsAfterMaxFailures: failures count in a row; a success
// clears them; the 7th in a row forgets the peer.
func TestTableForgetsAfterMaxFailures(t *testing.T) {
	tb := newTestTable(1, nil)
	a := addr(1)
	now := 0.0
	step := func(ok bool) vetOutcome {
		t.Helper()
		tb.seen(a, at(now)) // it keeps coming back: inside the recent window
		out := vetOne(t, tb, a, ok, at(now))
		now += 500
		return out
	}
	var got []vetOutcome
	for range 6 {
		got = append(got, step(false))
	}
	if s := tb.snapshot(); len(s) != 1 || s[0].Failures != 6 || s[0].Vetted {
		t.Fatalf("after 6 failures: %+v", s)
	}
	got = append(got, step(true))
	if s := tb.snapshot(); len(s) != 1 || s[0].Failures != 0 || !s[0].Vetted || !s[0].LastGood.Equal(at(3000)) {
		t.Fatalf("after a success: %+v", s)
	}
	for range 7 {
		got = append(got, step(false))
	}
	want := []vetOutcome{
		vetStillBad, vetStillBad, vetStillBad, vetStillBad, vetStillBad, vetStillBad,
		vetNewlyGood,
		vetNewlyBad, vetStillBad, vetStillBad, vetStillBad, vetStillBad, vetStillBad, vetForgotten,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if n, _ := tb.counts(); n != 0 {
		t.Fatalf("%d peers left after 7 failures in a row", n)
	}
	// A result for a forgotten or replaced peer changes nothing.
	if out := tb.vetted(a, true, at(now)); out != vetIgnored {
		t.Fatalf("result for a forgotten peer: %v", out)
	}
	tb.seen(a, at(now))
	if out := tb.vetted(a, true, at(now)); out != vetIgnored {
		t.Fatalf("result for a peer not being vetted: %v", out)
	}
}

// TestTableRecentWindow: only peers seen within 6,000 s are handed out,
// older ones are forgotten, and a reconnect refreshes the last-seen time
// (★ the reference keeps the first-seen time).
func TestTableRecentWindow(t *testing.T) {
	tb := newTestTable(1, nil)
	a, b := addr(1), addr(2)
	tb.seen(a, at(0))
	tb.seen(b, at(0))
	vetNow(t, tb, at(1), []netip.AddrPort{a, b}, nil)
	tb.seen(b, at(5000)) // b reconnects
	tb.seen(b, at(10))   // an older time never moves it back

	if got := hosts(tb.pick(netip.AddrPort{}, at(6000))); len(got) != 2 {
		t.Fatalf("at 6,000 s: %v, want both", got)
	}
	if got := hosts(tb.pick(netip.AddrPort{}, at(6000.001))); !slices.Equal(got, []netip.AddrPort{b}) {
		t.Fatalf("just after 6,000 s: %v, want only b", got)
	}
	if gone := tb.expire(at(6000)); len(gone) != 0 {
		t.Fatalf("expired at 6,000 s: %v", gone)
	}
	if gone := tb.expire(at(6000.001)); !slices.Equal(gone, []netip.AddrPort{a}) {
		t.Fatalf("expired just after 6,000 s: %v, want a", gone)
	}
	if got := hosts(tb.pick(netip.AddrPort{}, at(11000))); !slices.Equal(got, []netip.AddrPort{b}) {
		t.Fatalf("at 11,000 s: %v, want b (seen at 5,000 s)", got)
	}
	s := tb.snapshot()
	if len(s) != 1 || !s[0].FirstSeen.Equal(at(0)) || !s[0].LastSeen.Equal(at(5000)) {
		t.Fatalf("b: %+v", s)
	}
	if gone := tb.expire(at(11000.001)); !slices.Equal(gone, []netip.AddrPort{b}) {
		t.Fatalf("expired after 11,000 s: %v, want b", gone)
	}
}

// TestTablePick: at most 20, distinct, vetted only, random (every vetted
// peer turns up), the same for the same seed, timestamps 0.
func TestTablePick(t *testing.T) {
	build := func(seed uint64) *table {
		tb := newTestTable(seed, nil)
		for i := range 60 {
			tb.seen(addr(i), at(0))
		}
		// 50 vetted, 8 failed, 2 never vetted.
		var good, bad []netip.AddrPort
		for i := range 60 {
			switch {
			case i < 50:
				good = append(good, addr(i))
			case i != 56 && i != 58:
				bad = append(bad, addr(i))
			}
		}
		vetNow(t, tb, at(1), good, bad)
		return tb
	}
	tb, twin := build(7), build(7)
	seenIn := make(map[netip.AddrPort]bool)
	for round := range 50 {
		list := tb.pick(netip.AddrPort{}, at(2))
		if got := twin.pick(netip.AddrPort{}, at(2)); !slices.Equal(got, list) {
			t.Fatalf("round %d: same seed, different answers:\n%v\n%v", round, list, got)
		}
		if len(list) != 20 {
			t.Fatalf("round %d: %d peers, want 20", round, len(list))
		}
		got := hosts(list)
		uniq := slices.Clone(got)
		slices.SortFunc(uniq, netip.AddrPort.Compare)
		if len(slices.Compact(uniq)) != 20 {
			t.Fatalf("round %d: duplicates in %v", round, got)
		}
		for i, ap := range got {
			if ap.Addr().As4()[3] >= 50 {
				t.Fatalf("round %d: unvetted %v handed out", round, ap)
			}
			if list[i].Timestamp != 0 {
				t.Fatalf("round %d: timestamp %d, want 0", round, list[i].Timestamp)
			}
			seenIn[ap] = true
		}
	}
	if len(seenIn) != 50 {
		t.Fatalf("%d of the 50 vetted peers handed out over 50 answers", len(seenIn))
	}
	if other := build(8).pick(netip.AddrPort{}, at(2)); slices.Equal(other, tb.pick(netip.AddrPort{}, at(2))) {
		t.Fatal("different seeds, same answer")
	}

	small := newTestTable(1, func(c *tableConfig) { c.maxPeersToSend = 3 })
	small.seen(addr(0), at(0))
	small.seen(addr(1), at(0))
	vetNow(t, small, at(0), []netip.AddrPort{addr(0), addr(1)}, nil)
	if got := small.pick(netip.AddrPort{}, at(0)); len(got) != 2 {
		t.Fatalf("two vetted peers: %d handed out", len(got))
	}
}

// TestTablePickNeverRequester: the requester's own address (IP and
// server_port) is never in its answer; another port of its IP may be.
func TestTablePickNeverRequester(t *testing.T) {
	tb := newTestTable(3, nil)
	me := addr(5)
	sibling := netip.AddrPortFrom(me.Addr(), 8445)
	all := []netip.AddrPort{sibling}
	for i := range 21 {
		all = append(all, addr(i))
	}
	for _, ap := range all {
		tb.seen(ap, at(0))
	}
	vetNow(t, tb, at(0), all, nil)
	sawSibling := false
	for round := range 200 {
		got := hosts(tb.pick(me, at(1)))
		if len(got) != 20 || slices.Contains(got, me) {
			t.Fatalf("round %d: %v (%d) for requester %v", round, got, len(got), me)
		}
		sawSibling = sawSibling || slices.Contains(got, sibling)
	}
	if !sawSibling {
		t.Error("another port of the requester's IP was never handed out")
	}

	alone := newTestTable(3, nil)
	alone.seen(me, at(0))
	vetOne(t, alone, me, true, at(0))
	if got := alone.pick(me, at(1)); len(got) != 0 {
		t.Fatalf("the only peer handed out to itself: %v", got)
	}
}

// TestTableMaxPeers: a full table makes room by forgetting the peer seen
// longest ago.
func TestTableMaxPeers(t *testing.T) {
	tb := newTestTable(1, func(c *tableConfig) { c.maxPeers = 3 })
	for i := range 3 {
		if added, ev := tb.seen(addr(i), at(float64(i))); !added || ev.IsValid() {
			t.Fatalf("peer %d: added %v, evicted %v", i, added, ev)
		}
	}
	tb.seen(addr(0), at(3)) // refreshed: addr(1) is now the oldest
	added, ev := tb.seen(addr(3), at(4))
	if !added || ev != addr(1) {
		t.Fatalf("added %v, evicted %v, want %v", added, ev, addr(1))
	}
	var got []netip.AddrPort
	for _, s := range tb.snapshot() {
		got = append(got, s.Addr)
	}
	if want := []netip.AddrPort{addr(0), addr(2), addr(3)}; !slices.Equal(got, want) {
		t.Fatalf("peers %v, want %v", got, want)
	}
}

// TestTableForgetHost: every port of a banned IP goes.
func TestTableForgetHost(t *testing.T) {
	tb := newTestTable(1, nil)
	a := addr(1)
	tb.seen(a, at(0))
	tb.seen(netip.AddrPortFrom(a.Addr(), 9000), at(0))
	tb.seen(addr(2), at(0))
	if n := tb.forgetHost(a.Addr()); n != 2 {
		t.Fatalf("forgot %d, want 2", n)
	}
	if s := tb.snapshot(); len(s) != 1 || s[0].Addr != addr(2) {
		t.Fatalf("left %+v", s)
	}
}
