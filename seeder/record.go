package seeder

import (
	"math"
	"net/netip"
	"time"

	"github.com/chianet/chianet/protocol"
)

// Window is one of the five decay windows of the reliability statistics.
type Window int

// The decay windows, as the reference's PeerReliability keeps them
// (spec discovery.md §4.3).
const (
	Window2h Window = iota
	Window8h
	Window1d
	Window1w
	Window1m
	numWindows
)

// windowTau is each window's time constant.
var windowTau = [numWindows]time.Duration{
	Window2h: 2 * time.Hour,
	Window8h: 8 * time.Hour,
	Window1d: 24 * time.Hour,
	Window1w: 7 * 24 * time.Hour,
	Window1m: 30 * 24 * time.Hour,
}

// String is the window's name in the store's column names: 2h, 8h, 1d, 1w
// or 1m.
func (w Window) String() string {
	switch w {
	case Window2h:
		return "2h"
	case Window8h:
		return "8h"
	case Window1d:
		return "1d"
	case Window1w:
		return "1w"
	case Window1m:
		return "1m"
	}
	return "?"
}

// Stat is the decayed statistic of one window. Each attempt decays the
// three values by f = exp(−age/τ), where age is the time since the
// previous attempt, and adds the attempt's share 1 − f (Reliability only
// when the peer was reachable; Count adds 1 instead).
type Stat struct {
	// Weight is the decayed sum of attempt weights.
	Weight float64
	// Count is the decayed number of attempts.
	Count float64
	// Reliability is the decayed weight of successful attempts.
	Reliability float64
}

// update folds one attempt, age after the previous one, into s.
func (s *Stat) update(reachable bool, age, tau time.Duration) {
	f := math.Exp(-age.Seconds() / tau.Seconds())
	s.Reliability *= f
	if reachable {
		s.Reliability += 1 - f
	}
	s.Count = s.Count*f + 1
	s.Weight = s.Weight*f + 1 - f
}

// score is the value the ban and ignore rules compare: reliability minus
// weight plus one, which is 1 for a peer that never failed and falls
// towards 0 as failures dominate.
func (s Stat) score() float64 { return s.Reliability - s.Weight + 1 }

// Reliability is a peer's attempt history: the reference's
// PeerReliability (spec discovery.md §4.3).
type Reliability struct {
	// Stats are the decayed statistics, indexed by Window.
	Stats [numWindows]Stat
	// Tries and Successes count every attempt and the successful ones.
	Tries, Successes uint32
	// IgnoreTill and BanTill are when the peer may be crawled again after
	// being ignored or banned; the zero Time if never. They only ever
	// move later.
	IgnoreTill, BanTill time.Time
}

// Reliable reports whether the peer is good enough to hand out by DNS:
// young (one to three tries, at least half of them successful), or
// reliable enough over a window with enough attempts:
//
//	window  reliability above  count above
//	2h      0.85               2
//	8h      0.70               4
//	1d      0.55               8
//	1w      0.45               16
//	1m      0.35               32
func (r *Reliability) Reliable() bool {
	if r.Tries >= 1 && r.Tries <= 3 && 2*r.Successes >= r.Tries {
		return true
	}
	for _, rule := range reliableRules {
		s := r.Stats[rule.w]
		if s.Reliability > rule.reliability && s.Count > rule.count {
			return true
		}
	}
	return false
}

var reliableRules = []struct {
	w                  Window
	reliability, count float64
}{
	{Window2h, 0.85, 2},
	{Window8h, 0.70, 4},
	{Window1d, 0.55, 8},
	{Window1w, 0.45, 16},
	{Window1m, 0.35, 32},
}

// penaltyRule gives a peer that is not reliable a ban or ignore time when
// the window's score is below the threshold with more than count
// attempts. The first matching rule wins.
type penaltyRule struct {
	w         Window
	threshold float64
	count     float64
	d         time.Duration
}

const day = 24 * time.Hour

var banRules = []penaltyRule{
	{Window1m, 0.15, 32, 30 * day},
	{Window1w, 0.10, 16, 7 * day},
	{Window1d, 0.05, 8, day},
}

var ignoreRules = []penaltyRule{
	{Window1m, 0.20, 2, 10 * day},
	{Window1w, 0.16, 2, 3 * day},
	{Window1d, 0.12, 2, 8 * time.Hour},
	{Window8h, 0.08, 2, 2 * time.Hour},
}

func (r *Reliability) penalty(rules []penaltyRule) time.Duration {
	if r.Reliable() {
		return 0
	}
	for _, rule := range rules {
		s := r.Stats[rule.w]
		if s.score() < rule.threshold && s.Count > rule.count {
			return rule.d
		}
	}
	return 0
}

// BanTime is how long the peer is banned after its latest attempt: 30
// days, 7 days or 1 day when its 1m, 1w or 1d score (reliability − weight
// + 1) is below 0.15, 0.10 or 0.05 with more than 32, 16 or 8 attempts;
// zero for a reliable peer.
func (r *Reliability) BanTime() time.Duration { return r.penalty(banRules) }

// IgnoreTime is how long the peer is ignored after its latest attempt:
// 10 days, 3 days, 8 hours or 2 hours when its 1m, 1w, 1d or 8h score is
// below 0.20, 0.16, 0.12 or 0.08 with more than 2 attempts; zero for a
// reliable peer.
func (r *Reliability) IgnoreTime() time.Duration { return r.penalty(ignoreRules) }

// Update records one attempt at now, age after the previous one, and
// extends the ignore and ban windows as the new statistics demand.
func (r *Reliability) Update(reachable bool, age time.Duration, now time.Time) {
	for w := range numWindows {
		r.Stats[w].update(reachable, age, windowTau[w])
	}
	r.Tries++
	if reachable {
		r.Successes++
	}
	// Times are kept in whole seconds, as the store keeps them.
	if d := r.IgnoreTime(); d > 0 {
		if t := now.Add(d).Truncate(time.Second); t.After(r.IgnoreTill) {
			r.IgnoreTill = t
		}
	}
	if d := r.BanTime(); d > 0 {
		if t := now.Add(d).Truncate(time.Second); t.After(r.BanTill) {
			r.BanTill = t
		}
	}
}

// firstAge is the age given to a peer's first attempt, which has no
// previous one (the reference's 1000 s).
const firstAge = 1000 * time.Second

// Record is what the seeder knows about one peer, keyed by its IP
// address. Times are whole seconds; the zero Time means never.
type Record struct {
	// Host is the peer's IP address in its canonical text form (IPv4
	// dotted quad, IPv6 per RFC 5952, no zone): the key.
	Host string
	// Port is the port the peer is crawled on: the one it was advertised
	// with, or the one it was reached on.
	Port uint16
	// NodeID is the node id of the peer's certificate at the latest
	// handshake; zero if there was none.
	NodeID protocol.Bytes32
	// SoftwareVersion is the short form of the software_version of the
	// latest handshake (e.g. "2.5.4", "2.6.0rc1"); empty if unknown.
	SoftwareVersion string
	// ProtocolVersion is the protocol_version of the latest handshake.
	ProtocolVersion string
	// TLSVersion is the TLS version of the latest handshake, as the
	// reference writes it ("TLSv1.3"); empty if unknown.
	TLSVersion string
	// Height is the height of the latest peak the peer announced to us,
	// valid when PeakTime is not zero.
	Height uint32
	// PeakTime is when that peak arrived.
	PeakTime time.Time
	// FirstSeen is when the seeder first heard of the peer.
	FirstSeen time.Time
	// LastSeen is the latest sign of life: the newest timestamp the peer
	// was advertised with (never later than when it was heard) or the
	// latest successful crawl, whichever is later.
	LastSeen time.Time
	// LastTry is the latest crawl attempt, successful or not.
	LastTry time.Time
	// LastSuccess is the latest successful crawl.
	LastSuccess time.Time
	// HandshakeTime is the latest completed handshake.
	HandshakeTime time.Time
	// Reliability is the attempt history.
	Reliability Reliability
}

// Addr returns the record's address; the zero Addr if Host is not an IP
// address.
func (r *Record) Addr() netip.Addr {
	a, _ := netip.ParseAddr(r.Host)
	return a
}

// Reliable reports Reliability.Reliable.
func (r *Record) Reliable() bool { return r.Reliability.Reliable() }

// attempt records a crawl attempt at now and its outcome.
func (r *Record) attempt(reachable bool, now time.Time) {
	age := firstAge
	last := r.LastTry
	if r.LastSuccess.After(last) {
		last = r.LastSuccess
	}
	if !last.IsZero() {
		age = max(now.Sub(last), 0)
	}
	r.Reliability.Update(reachable, age, now)
	r.LastTry = now
	if reachable {
		r.LastSuccess = now
		if now.After(r.LastSeen) {
			r.LastSeen = now
		}
	}
}

// tlsVersionName is the name the reference records for a TLS version.
func tlsVersionName(v uint16) string {
	switch v {
	case 0x0304:
		return "TLSv1.3"
	case 0x0303:
		return "TLSv1.2"
	case 0x0302:
		return "TLSv1.1"
	case 0x0301:
		return "TLSv1"
	case 0:
		return ""
	}
	return "unknown"
}
