package ratelimit

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

const (
	kib = 1024
	mib = 1024 * 1024
)

// step is one round of a limiter scenario: after moving the clock by
// advance, n messages (1 if n is 0) of type t and size bytes are checked
// and each must get the outcome want ("" = allowed, else a Reason). When
// limit or observed is set, the last violation of the step must carry
// those numbers.
type step struct {
	advance         time.Duration
	t               protocol.MessageType
	size            int
	n               int
	want            string
	limit, observed int64
}

// scenario is a named sequence of steps run against one fresh Limiter.
type scenario struct {
	name  string
	cfg   Config
	steps []step
}

// inbound and outbound are the reference's two limiter configurations.
var (
	inbound  = Config{Percent: protocol.InboundRateLimitPercent, CountRejected: true}
	outbound = Config{Percent: protocol.OutboundRateLimitPercent}
	// full is outbound's counting at inbound's percentage, for scenarios
	// that compare the two counting rules on the same limits.
	full = Config{Percent: 100}
)

func with(c Config, f func(*Config)) Config { f(&c); return c }

var scenarios = []scenario{
	// Frequency.
	{"frequency 100%", inbound, []step{
		{t: protocol.MsgRequestPeers, size: 100, n: 10},
		{t: protocol.MsgRequestPeers, size: 1, want: ReasonFrequency, limit: 10, observed: 11},
	}},
	{"percent 0 means 100", Config{}, []step{
		{t: protocol.MsgRequestPeers, size: 100, n: 10},
		{t: protocol.MsgRequestPeers, size: 1, want: ReasonFrequency, limit: 10, observed: 11},
	}},
	{"frequency 30%", outbound, []step{
		{t: protocol.MsgRequestPeers, size: 100, n: 3},
		{t: protocol.MsgRequestPeers, size: 1, n: 5, want: ReasonFrequency, limit: 3, observed: 4},
	}},
	{"frequency 30% rounds down (5 x 0.3 = 1.5)", outbound, []step{
		{t: protocol.MsgHandshake, size: 100},
		{t: protocol.MsgHandshake, size: 100, want: ReasonFrequency, limit: 1, observed: 2},
	}},
	{"frequency 60% (wallet outbound)", Config{Percent: protocol.WalletOutboundRateLimitPercent}, []step{
		{t: protocol.MsgRequestPeers, size: 100, n: 6},
		{t: protocol.MsgRequestPeers, size: 100, want: ReasonFrequency, limit: 6, observed: 7},
	}},
	// The reference scales in float64: 100 x 0.29 = 28.999999999999996.
	{"percent scaled in float64 like the reference", Config{Percent: 29}, []step{
		{t: protocol.MsgNewProofOfSpace, size: 100, n: 28},
		{t: protocol.MsgNewProofOfSpace, size: 100, want: ReasonFrequency, limit: 28, observed: 29},
	}},

	// Per-message size.
	{"max size is not scaled", outbound, []step{
		{t: protocol.MsgRequestPeers, size: 100},
		{t: protocol.MsgRequestPeers, size: 101, want: ReasonMaxSize, limit: 100, observed: 101},
	}},
	{"inbound oversized messages still count", inbound, []step{
		{t: protocol.MsgRequestPeers, size: 101, n: 10, want: ReasonMaxSize, limit: 100, observed: 101},
		{t: protocol.MsgRequestPeers, size: 1, want: ReasonFrequency, limit: 10, observed: 11},
	}},
	{"outbound oversized messages do not count", full, []step{
		{t: protocol.MsgRequestPeers, size: 101, n: 10, want: ReasonMaxSize},
		{t: protocol.MsgRequestPeers, size: 1, n: 10},
	}},

	// Total size per type.
	{"total size: exactly the limit passes", inbound, []step{
		{t: protocol.MsgRespondTransaction, size: 1 * mib, n: 20},
		{t: protocol.MsgRespondTransaction, size: 1, want: ReasonTotalSize, limit: 20 * mib, observed: 20*mib + 1},
	}},
	{"total size 30%", outbound, []step{
		{t: protocol.MsgRespondTransaction, size: 1 * mib, n: 6},
		{t: protocol.MsgRespondTransaction, size: 1 * mib, want: ReasonTotalSize, limit: 6 * mib, observed: 7 * mib},
	}},
	{"explicit total below frequency x max size", inbound, []step{
		{t: protocol.MsgRespondUnfinishedBlock, size: 2 * mib, n: 10},
		{t: protocol.MsgRespondUnfinishedBlock, size: 2 * mib, want: ReasonTotalSize, limit: 20 * mib, observed: 22 * mib},
	}},

	// Aggregate.
	{"aggregate count across types", inbound, []step{
		{t: protocol.MsgCoinStateUpdate, size: 32, n: 500},
		{t: protocol.MsgRequestBlocks, size: 64, n: 500},
		{t: protocol.MsgPlotSyncStart, size: 64, want: ReasonAggregateCount, limit: 1000, observed: 1001},
	}},
	{"aggregate count 40%", Config{Percent: 40, CountRejected: true}, []step{
		{t: protocol.MsgCoinStateUpdate, size: 5, n: 180},
		{t: protocol.MsgRequestBlocks, size: 32, n: 180},
		{t: protocol.MsgPlotSyncStart, size: 32, n: 40},
		{t: protocol.MsgPlotSyncStart, size: 32, want: ReasonAggregateCount, limit: 400, observed: 401},
	}},
	{"aggregate size is checked before the type's own limits (inbound)", inbound, []step{
		{t: protocol.MsgRespondProofOfWeight, size: 49 * mib, n: 2},
		// request_blocks allows 100 bytes, but the aggregate fails first.
		{t: protocol.MsgRequestBlocks, size: 49 * mib, want: ReasonAggregateSize, limit: 100 * mib, observed: 147 * mib},
		// Counted although rejected, so the aggregate stays full.
		{t: protocol.MsgRespondSignatures, size: 1 * kib, want: ReasonAggregateSize, limit: 100 * mib, observed: 147*mib + 1*kib},
	}},
	{"aggregate size, rejected not counted (outbound)", full, []step{
		{t: protocol.MsgRespondProofOfWeight, size: 49 * mib, n: 2},
		{t: protocol.MsgRequestBlocks, size: 49 * mib, want: ReasonAggregateSize, limit: 100 * mib, observed: 147 * mib},
		{t: protocol.MsgRespondSignatures, size: 1 * kib},
	}},
	{"non-aggregate types do not use the aggregate", inbound, []step{
		{t: protocol.MsgCoinStateUpdate, size: 10, n: 1000},
		{t: protocol.MsgNewTransaction, size: 100, n: 5000},
		{t: protocol.MsgNewTransaction, size: 100, want: ReasonFrequency, limit: 5000, observed: 5001},
		{t: protocol.MsgCoinStateUpdate, size: 10, want: ReasonAggregateCount, limit: 1000, observed: 1001},
	}},

	// Unlimited(max_size) types.
	{"unlimited types: size only, not in the aggregate", inbound, []step{
		{t: protocol.MsgRespondBlock, size: 2 * mib, n: 1500},
		{t: protocol.MsgRespondBlocks, size: 50 * mib, n: 3},
		{t: protocol.MsgRespondBlocks, size: 50*mib + 1, want: ReasonMaxSize, limit: 50 * mib, observed: 50*mib + 1},
		{t: protocol.MsgRejectBlock, size: 101, want: ReasonMaxSize, limit: 100, observed: 101},
		{t: protocol.MsgCoinStateUpdate, size: 1, n: 1000},
		{t: protocol.MsgRejectBlocks, size: 100, n: 2000},
	}},

	// Buckets.
	{"bucket rollover resets the type's counters", inbound, []step{
		{t: protocol.MsgRequestPeers, size: 100, n: 10},
		{t: protocol.MsgRequestPeers, size: 100, want: ReasonFrequency, observed: 11},
		{advance: 59*time.Second + 999*time.Millisecond, t: protocol.MsgRequestPeers, size: 100, want: ReasonFrequency, observed: 12},
		{advance: time.Millisecond, t: protocol.MsgRequestPeers, size: 100, n: 10},
		{t: protocol.MsgRequestPeers, size: 100, want: ReasonFrequency, limit: 10, observed: 11},
	}},
	{"bucket rollover resets the aggregate", inbound, []step{
		{t: protocol.MsgCoinStateUpdate, size: 1, n: 1000},
		{t: protocol.MsgPlotSyncStart, size: 1, want: ReasonAggregateCount},
		{advance: time.Minute, t: protocol.MsgPlotSyncStart, size: 1},
		{t: protocol.MsgCoinStateUpdate, size: 1, n: 999},
		{t: protocol.MsgCoinStateUpdate, size: 1, want: ReasonAggregateCount, limit: 1000, observed: 1001},
	}},
	{"buckets are fixed, not sliding", inbound, []step{
		{advance: 59 * time.Second, t: protocol.MsgRequestPeers, size: 1, n: 10},
		// Two seconds later a new bucket has begun: 10 more pass.
		{advance: 2 * time.Second, t: protocol.MsgRequestPeers, size: 1, n: 10},
		{t: protocol.MsgRequestPeers, size: 1, want: ReasonFrequency},
	}},
	{"a clock that steps back changes bucket too", inbound, []step{
		{t: protocol.MsgRequestPeers, size: 1, n: 10},
		{advance: -time.Second, t: protocol.MsgRequestPeers, size: 1, n: 10},
		{t: protocol.MsgRequestPeers, size: 1, want: ReasonFrequency},
	}},

	// v2 overrides.
	{"v1 request_removals: 500 per minute", inbound, []step{
		{t: protocol.MsgRequestRemovals, size: 100, n: 500},
		{t: protocol.MsgRequestRemovals, size: 100, want: ReasonFrequency, limit: 500, observed: 501},
	}},
	{"v2 request_removals: 5000 per minute", with(inbound, func(c *Config) { c.V2 = true }), []step{
		{t: protocol.MsgRequestRemovals, size: 100, n: 5000},
		{t: protocol.MsgRequestRemovals, size: 100, want: ReasonFrequency, limit: 5000, observed: 5001},
	}},
	{"v1 request_header_blocks: 500 per minute", inbound, []step{
		{t: protocol.MsgRequestHeaderBlocks, size: 100, n: 500},
		{t: protocol.MsgRequestHeaderBlocks, size: 100, want: ReasonFrequency, limit: 500},
	}},
	{"v2 request_header_blocks: 5000 but still aggregate", with(inbound, func(c *Config) { c.V2 = true }), []step{
		{t: protocol.MsgRequestHeaderBlocks, size: 100, n: 1000},
		{t: protocol.MsgRequestHeaderBlocks, size: 100, want: ReasonAggregateCount, limit: 1000},
	}},
	{"v1 request_block_header counts in the aggregate", inbound, []step{
		{t: protocol.MsgRequestBlockHeader, size: 100, n: 500},
		{t: protocol.MsgCoinStateUpdate, size: 1, n: 500},
		{t: protocol.MsgCoinStateUpdate, size: 1, want: ReasonAggregateCount},
	}},
	{"v2 request_block_header leaves the aggregate", with(inbound, func(c *Config) { c.V2 = true }), []step{
		{t: protocol.MsgRequestBlockHeader, size: 100, n: 500},
		{t: protocol.MsgCoinStateUpdate, size: 1, n: 1000},
	}},

	// v3.
	{"v3 types bypass the limiter", with(inbound, func(c *Config) { c.V3 = true }), []step{
		{t: protocol.MsgRequestBlocks, size: 100, n: 2000},
		// Not even the size is checked: only the frame limit bounds them.
		{t: protocol.MsgRespondBlocks, size: 60 * mib},
		{t: protocol.MsgRequestBlock, size: 1 * mib},
		// Other types are still limited.
		{t: protocol.MsgRequestPeers, size: 100, n: 10},
		{t: protocol.MsgRequestPeers, size: 100, want: ReasonFrequency, limit: 10},
		// None of the v3 messages reached the aggregate: it holds the 11
		// request_peers only.
		{t: protocol.MsgCoinStateUpdate, size: 1, n: 989},
		{t: protocol.MsgCoinStateUpdate, size: 1, want: ReasonAggregateCount, limit: 1000, observed: 1001},
	}},
	{"v3 off: the same types are limited", inbound, []step{
		{t: protocol.MsgRequestBlocks, size: 100, n: 500},
		{t: protocol.MsgRequestBlocks, size: 100, want: ReasonFrequency, limit: 500},
		{t: protocol.MsgRespondBlocks, size: 60 * mib, want: ReasonMaxSize},
	}},

	// Counting of rejected messages (the reference's
	// test_too_many_incoming_messages / test_too_many_outgoing_messages).
	{"inbound counts rejected messages", inbound, []step{
		{t: protocol.MsgRespondPeers, size: 1, n: 10},
		{t: protocol.MsgRespondPeers, size: 1, n: 990, want: ReasonFrequency, limit: 10, observed: 1000},
		{t: protocol.MsgRespondSignatures, size: 1, want: ReasonAggregateCount, limit: 1000, observed: 1001},
	}},
	{"outbound does not count rejected messages", full, []step{
		{t: protocol.MsgRespondPeers, size: 1, n: 10},
		{t: protocol.MsgRespondPeers, size: 1, n: 990, want: ReasonFrequency, limit: 10, observed: 11},
		{t: protocol.MsgRespondSignatures, size: 1},
	}},

	// Unknown types.
	{"unknown types are rejected and not counted", inbound, []step{
		{t: 2, size: 1, n: 5, want: ReasonUnknownType},
		{t: 200, size: 1, want: ReasonUnknownType},
		{t: protocol.MsgCoinStateUpdate, size: 1, n: 1000},
		{t: protocol.MsgCoinStateUpdate, size: 1, want: ReasonAggregateCount, observed: 1001},
	}},
	{"unknown types with v3", with(inbound, func(c *Config) { c.V2, c.V3 = true, true }), []step{
		{t: 4, size: 0, want: ReasonUnknownType},
	}},
}

func TestLimiterScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			clock := newFakeClock()
			cfg := sc.cfg
			cfg.Now = clock.Now
			l := New(cfg)
			for i, st := range sc.steps {
				clock.Advance(st.advance)
				n := max(st.n, 1)
				var last *Violation
				for j := range n {
					err := l.Check(st.t, st.size)
					got := ""
					if err != nil {
						var v *Violation
						if !errors.As(err, &v) {
							t.Fatalf("step %d msg %d: error %T %v, want *Violation", i, j, err, err)
						}
						if v.Type != st.t {
							t.Fatalf("step %d msg %d: Violation.Type = %v, want %v", i, j, v.Type, st.t)
						}
						got, last = v.Reason, v
					}
					if got != st.want {
						t.Fatalf("step %d (%v, %d bytes) msg %d of %d: got %q (%v), want %q", i, st.t, st.size, j+1, n, got, err, st.want)
					}
				}
				if st.want == "" || (st.limit == 0 && st.observed == 0) {
					continue
				}
				if st.limit != 0 && last.Limit != st.limit {
					t.Errorf("step %d: Limit = %d, want %d", i, last.Limit, st.limit)
				}
				if st.observed != 0 && last.Observed != st.observed {
					t.Errorf("step %d: Observed = %d, want %d", i, last.Observed, st.observed)
				}
			}
		})
	}
}

// TestLimiterMaxSizeEveryType walks the whole table: on a fresh limiter a
// message of exactly MaxSize passes and one byte more fails, on the
// type's size limit or, for the 100 MiB types, first on the aggregate
// size, which is checked before it.
func TestLimiterMaxSizeEveryType(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		for _, mt := range protocol.AllMessageTypes() {
			lim, ok := protocol.RateLimitFor(mt, v2)
			if !ok {
				t.Fatalf("%v: no limit", mt)
			}
			l := New(Config{V2: v2, Now: newFakeClock().Now})
			if err := l.Check(mt, lim.MaxSize); err != nil {
				t.Errorf("v2=%v %v: %d bytes: %v", v2, mt, lim.MaxSize, err)
			}
			l = New(Config{V2: v2, Now: newFakeClock().Now})
			err := l.Check(mt, lim.MaxSize+1)
			var v *Violation
			if !errors.As(err, &v) || (v.Reason != ReasonMaxSize && v.Reason != ReasonAggregateSize) {
				t.Errorf("v2=%v %v: %d bytes: got %v, want a size violation", v2, mt, lim.MaxSize+1, err)
			}
		}
	}
}

func TestLimiterNegativeSize(t *testing.T) {
	l := New(Config{Now: newFakeClock().Now})
	for range 10 {
		if err := l.Check(protocol.MsgRequestPeers, -1000); err != nil {
			t.Fatal(err)
		}
	}
	// Counted as empty messages: the count still binds.
	if err := l.Check(protocol.MsgRequestPeers, 0); err == nil {
		t.Fatal("11th request_peers passed")
	}
}

func TestLimiterDefaultClock(t *testing.T) {
	// Nil Now means time.Now; just make sure it works.
	l := New(Config{CountRejected: true})
	if err := l.Check(protocol.MsgRequestPeers, 10); err != nil {
		t.Fatal(err)
	}
}

func TestViolationError(t *testing.T) {
	tests := []struct {
		v    Violation
		want string
	}{
		{Violation{Type: protocol.MsgRequestPeers, Reason: ReasonFrequency, Limit: 10, Observed: 11},
			"ratelimit: request_peers: frequency 11 > 10"},
		{Violation{Type: protocol.MsgCoinStateUpdate, Reason: ReasonAggregateSize, Limit: 100 * mib, Observed: 100*mib + 1},
			"ratelimit: coin_state_update: aggregate size 104857601 > 104857600"},
		{Violation{Type: 2, Reason: ReasonUnknownType},
			"ratelimit: unknown(2): unknown type"},
	}
	for _, tt := range tests {
		if got := tt.v.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestLimiterConcurrent hammers one limiter from several goroutines (run
// it with -race). Whatever the interleaving, exactly the frequency of a
// type passes in one bucket.
func TestLimiterConcurrent(t *testing.T) {
	const goroutines, perG = 8, 200
	l := New(Config{CountRejected: true, Now: newFakeClock().Now})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed = map[protocol.MessageType]int{}
	)
	types := []protocol.MessageType{protocol.MsgRequestPeers, protocol.MsgNewTransaction, protocol.MsgRespondBlock}
	for g := range goroutines {
		wg.Go(func() {
			local := map[protocol.MessageType]int{}
			for i := range perG {
				mt := types[(g+i)%len(types)]
				if l.Check(mt, 10) == nil {
					local[mt]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for mt, n := range local {
				allowed[mt] += n
			}
		})
	}
	wg.Wait()
	sent := map[protocol.MessageType]int{}
	for g := range goroutines {
		for i := range perG {
			sent[types[(g+i)%len(types)]]++
		}
	}
	want := map[protocol.MessageType]int{
		protocol.MsgRequestPeers:   10,                               // its frequency
		protocol.MsgNewTransaction: sent[protocol.MsgNewTransaction], // far under 5000: all
		protocol.MsgRespondBlock:   sent[protocol.MsgRespondBlock],   // unlimited: all
	}
	for mt, w := range want {
		if allowed[mt] != w {
			t.Errorf("%v: %d allowed, want %d", mt, allowed[mt], w)
		}
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{V2: true, CountRejected: true, Now: clock.Now})
	types := []protocol.MessageType{protocol.MsgNewTransaction, protocol.MsgRespondBlock, protocol.MsgCoinStateUpdate}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		if err := l.Check(types[i%len(types)], 50); err != nil {
			panic(fmt.Sprint(err))
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("Check allocates %v times per call", allocs)
	}
}
