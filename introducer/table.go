package introducer

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/chianet/chianet/protocol"
)

// PeerState is what the introducer knows about one recorded full node.
type PeerState struct {
	// Addr is the peer's TCP address (unmapped) with the server_port of
	// its handshake.
	Addr netip.AddrPort
	// FirstSeen and LastSeen are the first and the latest inbound
	// handshake of the peer.
	FirstSeen, LastSeen time.Time
	// Vetted is set when the latest vetting connection succeeded: only
	// vetted peers are handed out.
	Vetted bool
	// Failures counts the vetting failures since the last success.
	Failures int
	// LastTry is when the latest vetting connection started; the zero
	// Time means never.
	LastTry time.Time
	// LastGood is when a vetting connection last succeeded; the zero Time
	// means never.
	LastGood time.Time
	// Vetting is set while a vetting connection is under way.
	Vetting bool
}

// vetOutcome is what a vetting result changed, for the log.
type vetOutcome uint8

const (
	vetIgnored   vetOutcome = iota // the peer is gone, or was replaced meanwhile
	vetNewlyGood                   // first success, or success after failures
	vetStillGood                   // success after success
	vetNewlyBad                    // first failure after a success
	vetStillBad                    // failure after failure, or before any success
	vetForgotten                   // MaxFailures failures in a row: forgotten
)

// tableConfig holds the table's rules; see Config for their meaning.
type tableConfig struct {
	maxPeersToSend int
	recent         time.Duration
	revet          time.Duration
	maxFailures    int
	maxPeers       int
}

// entry is one recorded peer.
type entry struct {
	PeerState
	pos int // index in table.order
}

// table is the introducer's memory: the full nodes recorded at their
// inbound handshakes, their vetting state, and the answers made from
// them. It is pure state: the time of every call is passed in, and its
// random choices come from one *rand.Rand. It is safe for concurrent use.
type table struct {
	cfg tableConfig

	mu     sync.Mutex
	rng    *rand.Rand // guarded by mu
	byAddr map[netip.AddrPort]*entry
	// order holds every entry; removal moves the last entry into the
	// hole, so iteration order depends only on the calls made.
	order []*entry
}

func newTable(cfg tableConfig, rng *rand.Rand) *table {
	return &table{cfg: cfg, rng: rng, byAddr: make(map[netip.AddrPort]*entry)}
}

// seen records an inbound handshake of the full node at ap: a new peer is
// added (and due for vetting at once); a known one gets LastSeen = now.
// When the table is full, the peer seen longest ago makes room. It
// reports whether ap was new, and the address it evicted, if any.
func (t *table) seen(ap netip.AddrPort, now time.Time) (added bool, evicted netip.AddrPort) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.byAddr[ap]; ok {
		if now.After(e.LastSeen) {
			e.LastSeen = now
		}
		return false, netip.AddrPort{}
	}
	if len(t.order) >= t.cfg.maxPeers && len(t.order) > 0 {
		oldest := t.order[0]
		for _, e := range t.order[1:] {
			if e.LastSeen.Before(oldest.LastSeen) {
				oldest = e
			}
		}
		evicted = oldest.Addr
		t.removeLocked(oldest)
	}
	e := &entry{PeerState: PeerState{Addr: ap, FirstSeen: now, LastSeen: now}, pos: len(t.order)}
	t.byAddr[ap] = e
	t.order = append(t.order, e)
	return true, evicted
}

// removeLocked deletes e. t.mu is held.
func (t *table) removeLocked(e *entry) {
	last := t.order[len(t.order)-1]
	t.order[e.pos] = last
	last.pos = e.pos
	t.order[len(t.order)-1] = nil
	t.order = t.order[:len(t.order)-1]
	delete(t.byAddr, e.Addr)
}

// forgetHost deletes every peer at IP ip (a banned host) and returns how
// many there were.
func (t *table) forgetHost(ip netip.Addr) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []*entry
	for _, e := range t.order {
		if e.Addr.Addr() == ip {
			gone = append(gone, e)
		}
	}
	for _, e := range gone {
		t.removeLocked(e)
	}
	return len(gone)
}

// expire deletes the peers not seen for longer than the recent window:
// they can no longer be handed out. It returns their addresses.
func (t *table) expire(now time.Time) []netip.AddrPort {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []*entry
	for _, e := range t.order {
		if now.Sub(e.LastSeen) > t.cfg.recent {
			gone = append(gone, e)
		}
	}
	out := make([]netip.AddrPort, len(gone))
	for i, e := range gone {
		out[i] = e.Addr
		t.removeLocked(e)
	}
	return out
}

// dueAt is when e may next be vetted: at once if it never was, else the
// revet interval after its last try.
func (t *table) dueAt(e *entry) time.Time {
	if e.LastTry.IsZero() {
		return time.Time{}
	}
	return e.LastTry.Add(t.cfg.revet)
}

// due returns up to n peers whose vetting is due at now, never vetted
// first, then by the time of their last try (ties by address), and marks
// them as being vetted from now on.
func (t *table) due(now time.Time, n int) []netip.AddrPort {
	if n <= 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var ready []*entry
	for _, e := range t.order {
		if !e.Vetting && !t.dueAt(e).After(now) {
			ready = append(ready, e)
		}
	}
	slices.SortFunc(ready, func(a, b *entry) int {
		if c := a.LastTry.Compare(b.LastTry); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	ready = ready[:min(n, len(ready))]
	out := make([]netip.AddrPort, len(ready))
	for i, e := range ready {
		e.Vetting = true
		e.LastTry = now
		out[i] = e.Addr
	}
	return out
}

// next returns the earliest time a peer not being vetted becomes due,
// and false when there is none.
func (t *table) next() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var at time.Time
	found := false
	for _, e := range t.order {
		if e.Vetting {
			continue
		}
		if d := t.dueAt(e); !found || d.Before(at) {
			at, found = d, true
		}
	}
	return at, found
}

// vetted records the result of the vetting connection to ap that due
// handed out: success makes the peer eligible and clears its failures;
// failure makes it ineligible, and the MaxFailures-th failure in a row
// forgets it.
func (t *table) vetted(ap netip.AddrPort, ok bool, now time.Time) vetOutcome {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, found := t.byAddr[ap]
	if !found || !e.Vetting {
		return vetIgnored
	}
	e.Vetting = false
	if ok {
		was := e.Vetted
		e.Vetted, e.Failures, e.LastGood = true, 0, now
		if was {
			return vetStillGood
		}
		return vetNewlyGood
	}
	was := e.Vetted
	e.Vetted = false
	e.Failures++
	if e.Failures >= t.cfg.maxFailures {
		t.removeLocked(e)
		return vetForgotten
	}
	if was {
		return vetNewlyBad
	}
	return vetStillBad
}

// abandon undoes due for ap, whose vetting was cancelled without a
// result (shutdown): it counts as neither success nor failure, and is due
// again at once.
func (t *table) abandon(ap netip.AddrPort) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.byAddr[ap]; ok && e.Vetting {
		e.Vetting = false
		e.LastTry = time.Time{}
	}
}

// pick returns the answer to a request_peers_introducer from requester
// (the zero AddrPort if it accepts no connections): up to maxPeersToSend
// vetted peers seen within the recent window, chosen at random, never
// requester itself. Timestamps are 0, as the reference sends them.
func (t *table) pick(requester netip.AddrPort, now time.Time) []protocol.TimestampedPeerInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	var eligible []*entry
	for _, e := range t.order {
		if e.Vetted && now.Sub(e.LastSeen) <= t.cfg.recent && e.Addr != requester {
			eligible = append(eligible, e)
		}
	}
	n := min(t.cfg.maxPeersToSend, len(eligible))
	out := make([]protocol.TimestampedPeerInfo, n)
	for i := range n {
		j := i + t.rng.IntN(len(eligible)-i)
		eligible[i], eligible[j] = eligible[j], eligible[i]
		out[i] = protocol.TimestampedPeerInfo{Host: eligible[i].Addr.Addr().String(), Port: eligible[i].Addr.Port()}
	}
	return out
}

// snapshot returns the state of every peer, sorted by address.
func (t *table) snapshot() []PeerState {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]PeerState, len(t.order))
	for i, e := range t.order {
		out[i] = e.PeerState
	}
	slices.SortFunc(out, func(a, b PeerState) int { return a.Addr.Compare(b.Addr) })
	return out
}

// counts returns how many peers are recorded and how many of them are
// vetted.
func (t *table) counts() (peers, vetted int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range t.order {
		if e.Vetted {
			vetted++
		}
	}
	return len(t.order), vetted
}
