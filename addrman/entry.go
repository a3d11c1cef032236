package addrman

import (
	"math"
	"net/netip"
	"time"
)

// entry is one known address (the reference's ExtendedPeerInfo). Times are
// Unix seconds; 0 means never.
type entry struct {
	addr netip.AddrPort
	// src is the peer that first told us about addr; addr itself when no
	// source was given.
	src netip.AddrPort
	// timestamp is when addr was last seen, as advertised (less any
	// penalty) or as refreshed by Connect.
	timestamp        int64
	lastSuccess      int64
	lastTry          int64
	lastCountAttempt int64
	attempts         int32
	// randomPos is the index of the entry in Manager.order.
	randomPos int32
	// buckets[:refs] are the new buckets that hold the entry; refs is the
	// reference's ref_count. A tried entry has refs == 0.
	buckets [NewBucketsPerAddress]uint16
	refs    uint8
	tried   bool
	live    bool
}

// isTerrible reports whether the entry is not worth keeping or gossiping,
// by the reference's rules, checked in this order:
//   - tried in the last minute: never terrible;
//   - a timestamp more than 10 minutes in the future;
//   - never seen (timestamp 0) or not seen for HorizonDays;
//   - MaxRetries counted failures and no success ever;
//   - MaxFailures counted failures and no success for MinFailDays.
func (e *entry) isTerrible(now int64) bool {
	if e.lastTry > 0 && e.lastTry >= now-terribleGraceSeconds {
		return false
	}
	if e.timestamp > now+futureSlackSeconds {
		return true
	}
	if e.timestamp == 0 || now-e.timestamp > HorizonDays*day {
		return true
	}
	if e.lastSuccess == 0 && e.attempts >= MaxRetries {
		return true
	}
	if now-e.lastSuccess > MinFailDays*day && e.attempts >= MaxFailures {
		return true
	}
	return false
}

// failurePenalty[n] is failureFactor^n.
var failurePenalty = func() (p [maxFailurePenalize + 1]float64) {
	for i := range p {
		p[i] = math.Pow(failureFactor, float64(i))
	}
	return p
}()

// selectionChance returns the relative chance of picking the entry: 1,
// divided by 100 if it was tried in the last 10 minutes, times 0.66 per
// counted failure (at most 8).
func (e *entry) selectionChance(now int64) float64 {
	chance := 1.0
	if max(now-e.lastTry, 0) < recentTrySeconds {
		chance *= recentTryFactor
	}
	return chance * failurePenalty[min(max(e.attempts, 0), maxFailurePenalize)]
}

// Entry is a copy of what the manager knows about one address.
type Entry struct {
	Addr PeerInfo
	// Source is the peer that first told us about Addr; Addr itself when
	// the address came without a source (DNS, introducer).
	Source PeerInfo
	// Timestamp is when the address was last seen. The zero Time means
	// never (as for DNS and introducer results until a first connection).
	Timestamp time.Time
	// LastSuccess and LastTry are the last successful connection and the
	// last attempt; the zero Time means never.
	LastSuccess time.Time
	LastTry     time.Time
	// LastCountAttempt is the last attempt counted as a failure.
	LastCountAttempt time.Time
	// Attempts is the number of failures counted since the last success.
	Attempts int
	// Tried reports whether the address is in the tried table.
	Tried bool
	// RefCount is the number of new-table slots holding the address (0
	// for a tried address).
	RefCount int
}

func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func (e *entry) snapshot() Entry {
	return Entry{
		Addr:             PeerInfoFrom(e.addr),
		Source:           PeerInfoFrom(e.src),
		Timestamp:        unixTime(e.timestamp),
		LastSuccess:      unixTime(e.lastSuccess),
		LastTry:          unixTime(e.lastTry),
		LastCountAttempt: unixTime(e.lastCountAttempt),
		Attempts:         int(e.attempts),
		Tried:            e.tried,
		RefCount:         int(e.refs),
	}
}
