package ratelimit

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/chianet/chianet/protocol"
)

// Config configures a Limiter. The zero value is a v1 limiter at 100 %
// that does not count rejected messages, on real time; the reference's
// inbound limiter also sets CountRejected.
type Config struct {
	// Percent scales the per-type counts and total sizes and both
	// aggregate limits (never a per-message MaxSize): 100 inbound
	// (protocol.InboundRateLimitPercent), 30 outbound
	// (protocol.OutboundRateLimitPercent), 60 for the wallet's outbound
	// (protocol.WalletOutboundRateLimitPercent). Zero or negative means
	// 100.
	Percent int
	// V2 selects the v1 table with the v2 overrides (protocol.RateLimitV2).
	// Set it when both peers advertise RATE_LIMITS_V2 (capability 3).
	V2 bool
	// V3 makes Check pass the types of the v3 table (see V3Handled)
	// without counting them: they are limited by Windows instead. Set it
	// when both peers advertise RATE_LIMITS_V3 (capability 7).
	V3 bool
	// CountRejected makes a rejected message still count toward every
	// counter it was checked against. The reference does this inbound (the
	// message was received, so it used the quota) and not outbound (a
	// message we do not send uses nothing).
	CountRejected bool
	// Now returns the current time; nil means time.Now. It is called with
	// the Limiter's lock held, so it must not call back into the Limiter.
	// Only differences between its values matter, and time.Now's carry a
	// monotonic reading, so wall-clock steps do not move the buckets.
	Now func() time.Time
}

// The values of Violation.Reason.
const (
	// ReasonFrequency: more messages of the type in this bucket than its
	// scaled frequency.
	ReasonFrequency = "frequency"
	// ReasonMaxSize: one message larger than the type's MaxSize.
	ReasonMaxSize = "max size"
	// ReasonTotalSize: more bytes of the type in this bucket than its
	// scaled total size.
	ReasonTotalSize = "total size"
	// ReasonAggregateCount: more aggregate-type messages in this bucket
	// than the scaled protocol.AggregateMaxMessages.
	ReasonAggregateCount = "aggregate count"
	// ReasonAggregateSize: more aggregate-type bytes in this bucket than
	// the scaled protocol.AggregateMaxTotalSize.
	ReasonAggregateSize = "aggregate size"
	// ReasonUnknownType: the type has no limits because it is not a
	// reference message type. The peer layer should have rejected it
	// before (10 s ban, not 300 s); see the package documentation.
	ReasonUnknownType = "unknown type"
)

// Violation is the error Check returns for a message that must not pass.
type Violation struct {
	// Type is the message type checked.
	Type protocol.MessageType
	// Reason says which limit was hit; it is one of the Reason constants.
	Reason string
	// Limit is the limit after scaling by Config.Percent (messages or
	// bytes); the check failed because Observed > Limit. Both are 0 for
	// ReasonUnknownType.
	Limit int64
	// Observed is the count or size that exceeded Limit, this message
	// included.
	Observed int64
}

// Error describes the violation, e.g.
// "ratelimit: request_peers: frequency 11 > 10".
func (v *Violation) Error() string {
	s := "ratelimit: " + v.Type.String() + ": " + v.Reason
	if v.Reason == ReasonUnknownType {
		return s
	}
	return s + " " + strconv.FormatInt(v.Observed, 10) + " > " + strconv.FormatInt(v.Limit, 10)
}

// Limiter applies the v1/v2 per-type and aggregate limits to one direction
// of one connection (the reference RateLimiter). It is safe for
// concurrent use.
type Limiter struct {
	v2, v3        bool
	countRejected bool
	now           func() time.Time
	// scale is Percent/100 as a float64, as the reference computes its
	// proportion_of_limit; see scaled.
	scale float64
	// Scaled aggregate limits, computed once.
	aggCountLimit, aggSizeLimit int64

	mu sync.Mutex
	// origin is the time New was called; buckets are counted from it.
	origin time.Time
	// bucket is the index of the current 60 s bucket since origin.
	bucket int64
	// Counters of the current bucket: slot[t]-1 indexes the counters of
	// type t in seen, 0 meaning none yet. Only the types seen get
	// counters (two [256]int64 arrays would take 4 KiB per limiter), and
	// seen keeps its capacity across buckets, so Check does not allocate
	// once every type in use has been seen.
	slot     [256]uint8
	seen     []typeCount
	aggCount int64
	aggSize  int64
}

// typeCount is the count and total size of one type in the current bucket.
type typeCount struct {
	t     protocol.MessageType
	count int64
	size  int64
}

// New returns a Limiter with empty counters; its first bucket starts now.
func New(cfg Config) *Limiter {
	pct := cfg.Percent
	if pct <= 0 {
		pct = 100
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	l := &Limiter{
		v2:            cfg.V2,
		v3:            cfg.V3,
		countRejected: cfg.CountRejected,
		now:           now,
		scale:         float64(pct) / 100,
	}
	l.aggCountLimit = l.scaled(protocol.AggregateMaxMessages)
	l.aggSizeLimit = l.scaled(protocol.AggregateMaxTotalSize)
	l.origin = now()
	return l
}

// scaled returns the largest count or size that passes a limit of x at
// the configured percentage.
//
// The reference compares `new > x * (percent / 100)` in float64 (an int
// times a float is an IEEE double product, and Python compares an int
// with a float exactly). For an integer n, n > f exactly when
// n > floor(f), so the floor of the same double product reproduces its
// decisions bit for bit, including where the double is below the exact
// value (29 % of 100 is 28.999999999999996, so 28 messages pass, not 29).
// At 30, 40, 60 and 100 % the two never differ for the table's numbers.
func (l *Limiter) scaled(x int64) int64 {
	f := math.Floor(float64(x) * l.scale)
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(f)
}

// rollLocked starts a new bucket, with every counter at zero, when now is
// not in the current one. Like the reference (int(time.monotonic() //
// 60)), buckets are fixed 60 s intervals, not a sliding window, and any
// change of bucket resets everything, even a step back from a clock that
// went backwards. Buckets count from the Limiter's creation rather than
// from an absolute epoch: the phase is as arbitrary as the reference's
// (its monotonic clock starts at boot) and no peer can observe it.
func (l *Limiter) rollLocked(now time.Time) {
	d := now.Sub(l.origin)
	b := int64(d / protocol.RateLimitInterval)
	if d < 0 && d%protocol.RateLimitInterval != 0 {
		b-- // floor, not truncation, for a clock behind origin
	}
	if b == l.bucket {
		return
	}
	l.bucket = b
	for _, c := range l.seen {
		l.slot[c.t] = 0
	}
	l.seen = l.seen[:0]
	l.aggCount, l.aggSize = 0, 0
}

// Check decides whether a message of type t whose Message.data is size
// bytes long may pass now, and counts it. It returns nil when it may and
// a *Violation when it may not. It is safe for concurrent use.
//
// The order of the checks and the counting follow the reference
// (rate_limits.py process_msg_and_check):
//
//  1. With Config.V3, a type of the v3 table passes uncounted: the
//     reference does not call its limiter for those.
//  2. A type without limits (not a reference type) fails with
//     ReasonUnknownType, uncounted.
//  3. An Unlimited type (respond_block, respond_blocks, reject_block,
//     reject_blocks) is only checked against MaxSize and never counts
//     toward the aggregate.
//  4. For an aggregate type, the aggregate count, then the aggregate size,
//     this message included, are checked before anything of the type's
//     own: a message can fail on the aggregate even when its own limits
//     would let it through.
//  5. Then the type's count against Frequency, the message's size against
//     MaxSize (never scaled), and the type's total size against
//     TotalSize().
//
// Every check fails only when the new value is strictly greater than the
// scaled limit, so exactly Frequency messages (or TotalSize bytes) pass.
// The new counts are kept when the message passes or, with
// CountRejected, always; all four counters move together, as the
// reference commits them in one finally block.
func (l *Limiter) Check(t protocol.MessageType, size int) error {
	if l.v3 && V3Handled(t) {
		return nil
	}
	lim, ok := protocol.RateLimitFor(t, l.v2)
	if !ok {
		return &Violation{Type: t, Reason: ReasonUnknownType}
	}
	// A negative size cannot come from len(data); treat it as empty so the
	// counters never go down.
	n := int64(max(size, 0))

	if lim.Unlimited {
		// The reference also bumps the per-type counters of these types,
		// but nothing ever reads them, so they are left alone here. No
		// shared state is read, so no lock either.
		if n > int64(lim.MaxSize) {
			return &Violation{Type: t, Reason: ReasonMaxSize, Limit: int64(lim.MaxSize), Observed: n}
		}
		return nil
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.rollLocked(l.now())

	var count, total int64
	if i := l.slot[t]; i != 0 {
		count, total = l.seen[i-1].count, l.seen[i-1].size
	}
	count++
	total += n
	aggCount, aggSize := l.aggCount, l.aggSize

	var v *Violation
	if lim.Aggregate {
		aggCount++
		aggSize += n
		switch {
		case aggCount > l.aggCountLimit:
			v = &Violation{Type: t, Reason: ReasonAggregateCount, Limit: l.aggCountLimit, Observed: aggCount}
		case aggSize > l.aggSizeLimit:
			v = &Violation{Type: t, Reason: ReasonAggregateSize, Limit: l.aggSizeLimit, Observed: aggSize}
		}
	}
	if v == nil {
		switch freq, totalLimit := l.scaled(int64(lim.Frequency)), l.scaled(lim.TotalSize()); {
		case count > freq:
			v = &Violation{Type: t, Reason: ReasonFrequency, Limit: freq, Observed: count}
		case n > int64(lim.MaxSize):
			v = &Violation{Type: t, Reason: ReasonMaxSize, Limit: int64(lim.MaxSize), Observed: n}
		case total > totalLimit:
			v = &Violation{Type: t, Reason: ReasonTotalSize, Limit: totalLimit, Observed: total}
		}
	}

	if v == nil || l.countRejected {
		i := l.slot[t]
		if i == 0 {
			// At most 255 types have limits (MsgError's included), so
			// the index fits.
			l.seen = append(l.seen, typeCount{t: t})
			i = uint8(len(l.seen))
			l.slot[t] = i
		}
		l.seen[i-1].count, l.seen[i-1].size = count, total
		l.aggCount, l.aggSize = aggCount, aggSize
	}
	if v != nil {
		return v
	}
	return nil
}
