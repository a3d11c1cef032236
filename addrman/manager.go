package addrman

import (
	"log/slog"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/chianet/chianet/protocol"
)

// Manager holds the new and tried address tables. It is safe for
// concurrent use: every method takes the one mutex of the manager, and
// none of them blocks on anything else (Save and Run do their file I/O
// outside it).
type Manager struct {
	mu sync.Mutex

	key          [32]byte
	allowPrivate bool
	now          func() time.Time
	rand         *rand.Rand
	log          *slog.Logger

	// entries is indexed by entry id; id 0 is never used, so that a table
	// slot holding 0 is empty. Ids of deleted entries are reused.
	entries []entry
	free    []int32
	byAddr  map[netip.AddrPort]int32
	// order lists every live id; Sample shuffles it in place (the
	// reference's random_pos).
	order []int32

	newTbl, triedTbl table
	nNew, nTried     int
	// lastGood is the time of the last Good call (any address), which
	// opens a new epoch in which one failure per address may be counted.
	lastGood   int64
	collisions []int32 // ids waiting for a tried-slot test, oldest first

	// saveMu orders whole saves, so that an older snapshot never replaces
	// a newer one.
	saveMu sync.Mutex
	// syncFile is (*os.File).Sync; tests replace it to make saves fail.
	syncFile func(*os.File) error
}

// New returns an empty manager.
func New(cfg Config) *Manager {
	return newManager(cfg.withDefaults())
}

func newManager(cfg Config) *Manager {
	return &Manager{
		key:          cfg.Key,
		allowPrivate: cfg.AllowPrivate,
		now:          cfg.Now,
		rand:         cfg.Rand,
		log:          cfg.Logger,
		entries:      make([]entry, 1),
		byAddr:       make(map[netip.AddrPort]int32),
		newTbl:       newTable(),
		triedTbl:     newTable(),
		lastGood:     1, // as the reference: a first failure counts before any success
		syncFile:     (*os.File).Sync,
	}
}

// stamp returns t in Unix seconds, or the current time if t is zero.
func (m *Manager) stamp(t time.Time) int64 {
	if t.IsZero() {
		t = m.now()
	}
	return t.Unix()
}

func (m *Manager) admissible(ap netip.AddrPort) bool {
	return m.allowPrivate || !IsPrivate(ap.Addr())
}

func newSlot(key *[32]byte, bucket int, ap netip.AddrPort) int {
	return bucket*BucketSize + bucketPosition(key, true, bucket, ap)
}

func triedSlot(key *[32]byte, ap netip.AddrPort) int {
	b := triedBucket(key, ap)
	return b*BucketSize + bucketPosition(key, false, b, ap)
}

// lookup returns the id of a live entry for p.
func (m *Manager) lookup(p PeerInfo) (int32, bool) {
	ap, ok := parseHost(p.Host, p.Port)
	if !ok {
		return 0, false
	}
	id, ok := m.byAddr[ap]
	return id, ok
}

// create makes a new entry, not yet in any table.
func (m *Manager) create(ap, src netip.AddrPort, ts int64) int32 {
	var id int32
	if n := len(m.free); n > 0 {
		id, m.free = m.free[n-1], m.free[:n-1]
	} else {
		id = int32(len(m.entries))
		m.entries = append(m.entries, entry{})
	}
	m.entries[id] = entry{addr: ap, src: src, timestamp: ts, randomPos: int32(len(m.order)), live: true}
	m.order = append(m.order, id)
	m.byAddr[ap] = id
	m.nNew++
	return id
}

// deleteEntry forgets a new entry that no table slot holds any more.
func (m *Manager) deleteEntry(id int32) {
	e := &m.entries[id]
	m.swapOrder(int(e.randomPos), len(m.order)-1)
	m.order = m.order[:len(m.order)-1]
	delete(m.byAddr, e.addr)
	m.dropCollision(id)
	*e = entry{}
	m.free = append(m.free, id)
	m.nNew--
}

func (m *Manager) swapOrder(i, j int) {
	if i == j {
		return
	}
	a, b := m.order[i], m.order[j]
	m.entries[a].randomPos, m.entries[b].randomPos = int32(j), int32(i)
	m.order[i], m.order[j] = b, a
}

func (m *Manager) dropCollision(id int32) {
	if i := slices.Index(m.collisions, id); i >= 0 {
		m.collisions = slices.Delete(m.collisions, i, i+1)
	}
}

// addRef puts id in the empty new-table slot s of bucket b.
func (m *Manager) addRef(id int32, b, s int) {
	e := &m.entries[id]
	e.buckets[e.refs] = uint16(b)
	e.refs++
	m.newTbl.put(s, id)
}

// clearNew empties new-table slot s, deleting its entry if that was its
// last reference.
func (m *Manager) clearNew(s int) {
	id := m.newTbl.get(s)
	if id == 0 {
		return
	}
	m.newTbl.remove(s)
	e := &m.entries[id]
	b := uint16(s / BucketSize)
	for i := range e.refs {
		if e.buckets[i] == b {
			e.refs--
			e.buckets[i] = e.buckets[e.refs]
			e.buckets[e.refs] = 0
			break
		}
	}
	if e.refs == 0 {
		m.deleteEntry(id)
	}
}

// clampTimestamp converts an advertised uint64 timestamp to the int64
// seconds the manager keeps.
func clampTimestamp(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}

type addOutcome uint8

const (
	addRejected addOutcome = iota // malformed or private
	addNew                        // a new entry now in the new table
	addKnown                      // known already (maybe one more reference)
	addDropped                    // new, but its slot held a better entry
)

// Add records addresses heard from source, the peer that sent them. The
// zero PeerInfo means no source (DNS and introducer results): each
// address is then bucketed as if it were its own source. penalty is
// subtracted from the advertised timestamps (GossipPenalty for addresses
// relayed by a full node), except for a source announcing itself.
//
// Addresses whose host is not an IP literal, has a zone, or is private
// (unless Config.AllowPrivate) are rejected. Add returns how many
// addresses became new entries and how many were rejected. A known
// address may refresh its timestamp and, with probability 1/2^refs, gain
// one more new-table reference (at most NewBucketsPerAddress).
func (m *Manager) Add(addrs []protocol.TimestampedPeerInfo, source PeerInfo, penalty time.Duration) (added, rejected int) {
	var src netip.AddrPort
	hasSrc := false
	if source != (PeerInfo{}) {
		if ap, ok := parseHost(source.Host, source.Port); ok {
			src, hasSrc = ap, true
		} else {
			m.log.Debug("addrman: unusable source, bucketing by address", "source", source.Host)
		}
	}
	pen := int64(max(penalty, 0) / time.Second)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().Unix()
	for i := range addrs {
		switch m.add(&addrs[i], src, hasSrc, pen, now) {
		case addNew:
			added++
		case addRejected:
			rejected++
		}
	}
	return added, rejected
}

func (m *Manager) add(a *protocol.TimestampedPeerInfo, src netip.AddrPort, hasSrc bool, penalty, now int64) addOutcome {
	ap, ok := parseHost(a.Host, a.Port)
	if !ok || !m.admissible(ap) {
		return addRejected
	}
	ts := clampTimestamp(a.Timestamp)
	if hasSrc && src == ap {
		penalty = 0 // a peer announcing itself
	}
	id, known := m.byAddr[ap]
	if known {
		e := &m.entries[id]
		interval := int64(offlineIntervalSeconds)
		if now-ts < onlineWindowSeconds {
			interval = onlineIntervalSeconds
		}
		if ts > 0 && e.timestamp < ts-interval-penalty {
			e.timestamp = max(0, ts-penalty)
		}
		if ts <= e.timestamp || e.tried || e.refs == NewBucketsPerAddress {
			return addKnown
		}
		if e.refs > 0 && m.rand.IntN(1<<e.refs) != 0 {
			return addKnown
		}
	} else {
		s := ap
		if hasSrc {
			s = src
		}
		id = m.create(ap, s, max(0, ts-penalty))
	}
	e := &m.entries[id]
	bsrc := e.src.Addr()
	if hasSrc {
		bsrc = src.Addr()
	}
	b := newBucket(&m.key, ap.Addr(), bsrc)
	s := newSlot(&m.key, b, ap)
	occ := m.newTbl.get(s)
	if occ == id {
		return addKnown
	}
	place := occ == 0
	if !place {
		o := &m.entries[occ]
		place = o.isTerrible(now) || (o.refs > 1 && e.refs == 0)
	}
	if place {
		m.clearNew(s)
		m.addRef(id, b, s)
		if known {
			return addKnown
		}
		return addNew
	}
	if e.refs == 0 {
		m.deleteEntry(id)
		return addDropped
	}
	return addKnown
}

// Good records a successful connection to addr at time t (zero t means
// now): its attempts are reset, and it moves to the tried table. If its
// tried slot is taken and testBeforeEvict is set, the move waits in the
// collision queue (at most TriedCollisionSize) until ResolveCollisions
// decides between the two; otherwise the occupant goes back to the new
// table. The address's timestamp is left alone, so that what we gossip
// does not reveal whom we are connected to. An unknown or private address
// changes nothing but the failure-counting epoch.
func (m *Manager) Good(addr PeerInfo, testBeforeEvict bool, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.stamp(t)
	m.lastGood = ts
	ap, ok := parseHost(addr.Host, addr.Port)
	if !ok || !m.admissible(ap) {
		return
	}
	if id, ok := m.byAddr[ap]; ok {
		m.markGood(id, testBeforeEvict, ts)
	}
}

func (m *Manager) markGood(id int32, testBeforeEvict bool, ts int64) {
	e := &m.entries[id]
	e.lastSuccess, e.lastTry, e.attempts = ts, ts, 0
	if e.tried || e.refs == 0 {
		return
	}
	s := triedSlot(&m.key, e.addr)
	if testBeforeEvict && m.triedTbl.get(s) != 0 {
		if len(m.collisions) < TriedCollisionSize && !slices.Contains(m.collisions, id) {
			m.collisions = append(m.collisions, id)
		}
		return
	}
	m.makeTried(id, s)
}

// makeTried moves a new entry to tried slot s, sending the slot's occupant
// back to the new table (into the bucket of its stored source).
func (m *Manager) makeTried(id int32, s int) {
	e := &m.entries[id]
	for _, b := range e.buckets[:e.refs] {
		ns := newSlot(&m.key, int(b), e.addr)
		if m.newTbl.get(ns) == id {
			m.newTbl.remove(ns)
		} else {
			m.log.Error("addrman: new-table reference out of place", "addr", e.addr, "bucket", b)
		}
	}
	e.buckets, e.refs = [NewBucketsPerAddress]uint16{}, 0
	m.nNew--
	if old := m.triedTbl.get(s); old != 0 {
		o := &m.entries[old]
		o.tried = false
		m.triedTbl.remove(s)
		m.nTried--
		b := newBucket(&m.key, o.addr.Addr(), o.src.Addr())
		ns := newSlot(&m.key, b, o.addr)
		m.clearNew(ns)
		m.addRef(old, b, ns)
		m.nNew++
	}
	m.triedTbl.put(s, id)
	m.nTried++
	e.tried = true
}

// Attempt records a connection attempt to addr at time t (zero t means
// now). With countFailure set, the attempt counts as a failure, but only
// one failure is counted per address between two Good calls on any
// address, so an outage of our own does not condemn every peer.
func (m *Manager) Attempt(addr PeerInfo, countFailure bool, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.lookup(addr)
	if !ok {
		return
	}
	ts := m.stamp(t)
	e := &m.entries[id]
	e.lastTry = ts
	if countFailure && e.lastCountAttempt < m.lastGood {
		e.lastCountAttempt = ts
		if e.attempts < math.MaxInt32 {
			e.attempts++
		}
	}
}

// Connect records that addr was connected at time t (zero t means now),
// refreshing its timestamp if that is more than 20 minutes old.
func (m *Manager) Connect(addr PeerInfo, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.lookup(addr)
	if !ok {
		return
	}
	ts := m.stamp(t)
	if e := &m.entries[id]; ts-e.timestamp > connectIntervalSeconds {
		e.timestamp = ts
	}
}

// Select picks an address to connect to. With newOnly set (feelers) it
// picks from the new table only; otherwise the tried and new tables are
// equally likely while both have entries. Within a table, a uniformly
// drawn occupied slot is accepted with its selection chance (lower for an
// address tried in the last 10 minutes or with counted failures), and each
// refusal raises the bar for the next draw by 1.2, so the loop ends. It
// reports false if the chosen table is empty.
func (m *Manager) Select(newOnly bool) (Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.order) == 0 || (newOnly && m.nNew == 0) {
		return Entry{}, false
	}
	t := &m.newTbl
	if !newOnly && m.nTried > 0 && (m.nNew == 0 || m.rand.IntN(2) == 0) {
		t = &m.triedTbl
	}
	if t.count() == 0 {
		m.log.Error("addrman: table empty but counted", "new", m.nNew, "tried", m.nTried)
		return Entry{}, false
	}
	now := m.now().Unix()
	chance := 1.0
	for {
		e := &m.entries[t.get(t.pick(m.rand))]
		if float64(m.rand.Uint32()>>2) < chance*e.selectionChance(now)*(1<<30) {
			return e.snapshot(), true
		}
		chance *= 1.2
	}
}

// SelectTriedCollision picks one queued tried-table collision at random
// and returns the tried entry that the queued address would evict: the
// caller tests it with a connection (Good on success, Attempt on failure)
// before ResolveCollisions decides. It reports false if no collision
// needs a test.
func (m *Manager) SelectTriedCollision() (Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.collisions) == 0 {
		return Entry{}, false
	}
	id := m.collisions[m.rand.IntN(len(m.collisions))]
	e := &m.entries[id]
	if !e.live || e.tried {
		m.dropCollision(id)
		return Entry{}, false
	}
	old := m.triedTbl.get(triedSlot(&m.key, e.addr))
	if old == 0 {
		return Entry{}, false // free now: ResolveCollisions will promote
	}
	return m.entries[old].snapshot(), true
}

// ResolveCollisions settles the queued tried-table collisions it can:
//   - the slot is free now: the queued address moves to tried;
//   - the occupant succeeded in the last 4 hours: it stays, and the queued
//     address stays in the new table;
//   - the occupant was tried in the last 4 hours without success, more
//     than a minute ago (its test failed): it is evicted;
//   - the occupant was not tried for 4 hours and the queued address's
//     success is over 40 minutes old (no test happened in time): the
//     occupant is evicted.
//
// Other collisions stay queued.
func (m *Manager) ResolveCollisions() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().Unix()
	for _, id := range slices.Clone(m.collisions) {
		resolved := false
		e := &m.entries[id]
		if !e.live || e.tried {
			resolved = true
		} else {
			s := triedSlot(&m.key, e.addr)
			old := m.triedTbl.get(s)
			evict := false
			if old == 0 {
				evict = true
			} else {
				o := &m.entries[old]
				switch {
				case now-o.lastSuccess < collisionKeepSeconds:
					resolved = true
				case now-o.lastTry < collisionKeepSeconds:
					evict = now-o.lastTry > collisionGraceSeconds
				default:
					evict = now-e.lastSuccess > collisionTestSeconds
				}
			}
			if evict {
				m.lastGood = now
				m.markGood(id, false, now)
				resolved = true
			}
		}
		if resolved {
			m.dropCollision(id)
		}
	}
}

// Sample returns up to ceil(fraction × Size()) addresses, at most limit
// (no cap if limit ≤ 0), drawn at random without repetition, skipping terrible
// ones. This is the answer to request_peers with GetPeersFraction and
// GetPeersMax. Each carries its stored timestamp.
func (m *Manager) Sample(fraction float64, limit int) []protocol.TimestampedPeerInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	total := len(m.order)
	// The small epsilon keeps 0.23 × 100 at 23, not 24.
	f := math.Ceil(fraction*float64(total) - 1e-9)
	if !(f > 0) {
		return nil
	}
	n := int(min(f, float64(total)))
	if limit > 0 {
		n = min(n, limit)
	}
	now := m.now().Unix()
	out := make([]protocol.TimestampedPeerInfo, 0, n)
	for i := 0; i < total && len(out) < n; i++ {
		m.swapOrder(i, i+m.rand.IntN(total-i))
		e := &m.entries[m.order[i]]
		if !m.admissible(e.addr) || e.isTerrible(now) {
			continue
		}
		out = append(out, protocol.TimestampedPeerInfo{
			Host:      e.addr.Addr().String(),
			Port:      e.addr.Port(),
			Timestamp: uint64(e.timestamp),
		})
	}
	return out
}

// Cleanup drops new-table references of addresses last seen more than
// maxAge ago that have at least maxFailures counted failures, and returns
// how many addresses were forgotten. (The reference's discovery calls it
// every 30 minutes with 14 days and 10 failures.)
func (m *Manager) Cleanup(maxAge time.Duration, maxFailures int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	cutoff := m.now().Unix() - int64(maxAge/time.Second)
	before := len(m.order)
	// Walk the occupied slots from the end: removing slot i moves an
	// already visited one into its place.
	for i := len(m.newTbl.used) - 1; i >= 0; i-- {
		s := int(m.newTbl.used[i])
		e := &m.entries[m.newTbl.get(s)]
		if e.timestamp < cutoff && int(e.attempts) >= maxFailures {
			m.clearNew(s)
		}
	}
	return before - len(m.order)
}

// Lookup returns what the manager knows about addr.
func (m *Manager) Lookup(addr PeerInfo) (Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.lookup(addr)
	if !ok {
		return Entry{}, false
	}
	return m.entries[id].snapshot(), true
}

// Size returns the number of known addresses.
func (m *Manager) Size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.order)
}

// Counts returns the number of addresses in the new and the tried table.
func (m *Manager) Counts() (newCount, triedCount int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nNew, m.nTried
}
