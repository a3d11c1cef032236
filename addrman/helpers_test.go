package addrman

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

// t0 is the fake clock's start, in Unix seconds.
const t0 = 1_760_000_000

// refKey is the key the reference's tests use (2**256 - 1).
var refKey = [32]byte{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
}

// fakeClock is a manual clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(t0, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sec returns the time of Unix second s as the manager reports it.
func sec(s int64) time.Time { return unixTime(s) }

type testOpts struct {
	key          [32]byte
	seed         uint64
	allowPrivate bool
}

// newTest returns a manager on a fake clock with a seeded generator.
func newTest(t testing.TB, o testOpts) (*Manager, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	if o.key == ([32]byte{}) {
		o.key = refKey
	}
	m := New(Config{
		Key:          o.key,
		AllowPrivate: o.allowPrivate,
		Now:          clk.Now,
		Rand:         rand.New(rand.NewPCG(o.seed, 0x5eed)),
	})
	return m, clk
}

// pi parses "host:port" or "[v6]:port".
func pi(s string) PeerInfo {
	ap := netip.MustParseAddrPort(s)
	return PeerInfo{Host: ap.Addr().String(), Port: ap.Port()}
}

// tpi is a TimestampedPeerInfo from "host:port" and a timestamp.
func tpi(s string, ts uint64) protocol.TimestampedPeerInfo {
	p := pi(s)
	return protocol.TimestampedPeerInfo{Host: p.Host, Port: p.Port, Timestamp: ts}
}

// addOne adds one address and reports whether it became a new entry.
func addOne(m *Manager, s string, ts uint64, src string, penalty time.Duration) bool {
	var source PeerInfo
	if src != "" {
		source = pi(src)
	}
	n, _ := m.Add([]protocol.TimestampedPeerInfo{tpi(s, ts)}, source, penalty)
	return n == 1
}

// checkInvariants verifies every internal cross-reference of m.
func checkInvariants(t testing.TB, m *Manager) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.invariantError(); err != nil {
		t.Fatal(err)
	}
}

func (m *Manager) invariantError() error {
	live := 0
	refs := 0
	nNew, nTried := 0, 0
	for id := 1; id < len(m.entries); id++ {
		e := &m.entries[id]
		if !e.live {
			if !slices.Contains(m.free, int32(id)) {
				return fmt.Errorf("dead id %d not free", id)
			}
			continue
		}
		live++
		if m.byAddr[e.addr] != int32(id) {
			return fmt.Errorf("%v: byAddr %d, want %d", e.addr, m.byAddr[e.addr], id)
		}
		if int(e.randomPos) >= len(m.order) || m.order[e.randomPos] != int32(id) {
			return fmt.Errorf("%v: randomPos %d wrong", e.addr, e.randomPos)
		}
		if e.tried {
			nTried++
			if e.refs != 0 {
				return fmt.Errorf("%v: tried with %d refs", e.addr, e.refs)
			}
			if got := m.triedTbl.get(triedSlot(&m.key, e.addr)); got != int32(id) {
				return fmt.Errorf("%v: tried slot holds %d", e.addr, got)
			}
			continue
		}
		nNew++
		if e.refs == 0 || e.refs > NewBucketsPerAddress {
			return fmt.Errorf("%v: new with %d refs", e.addr, e.refs)
		}
		refs += int(e.refs)
		for i, b := range e.buckets {
			if i >= int(e.refs) {
				if b != 0 {
					return fmt.Errorf("%v: stale bucket %d", e.addr, b)
				}
				continue
			}
			if slices.Contains(e.buckets[:i], b) {
				return fmt.Errorf("%v: bucket %d twice", e.addr, b)
			}
			if got := m.newTbl.get(newSlot(&m.key, int(b), e.addr)); got != int32(id) {
				return fmt.Errorf("%v: new slot in bucket %d holds %d", e.addr, b, got)
			}
		}
	}
	if live != len(m.order) || live != len(m.byAddr) {
		return fmt.Errorf("%d live entries, %d in order, %d in byAddr", live, len(m.order), len(m.byAddr))
	}
	if nNew != m.nNew || nTried != m.nTried {
		return fmt.Errorf("counts new %d tried %d, recorded %d %d", nNew, nTried, m.nNew, m.nTried)
	}
	for name, tb := range map[string]*table{"new": &m.newTbl, "tried": &m.triedTbl} {
		n := 0
		for s, sl := range tb.slots {
			if sl.id == 0 {
				return fmt.Errorf("%s slot %d occupied by id 0", name, s)
			}
			n++
			if !m.entries[sl.id].live {
				return fmt.Errorf("%s slot %d holds dead id %d", name, s, sl.id)
			}
			if int(sl.where) >= len(tb.used) || tb.used[sl.where] != s {
				return fmt.Errorf("%s slot %d: used list out of step", name, s)
			}
		}
		if n != len(tb.used) {
			return fmt.Errorf("%s: %d occupied slots, %d listed", name, n, len(tb.used))
		}
	}
	if len(m.newTbl.used) != refs || len(m.triedTbl.used) != nTried {
		return fmt.Errorf("slots new %d tried %d, want %d %d", len(m.newTbl.used), len(m.triedTbl.used), refs, nTried)
	}
	if len(m.collisions) > TriedCollisionSize {
		return fmt.Errorf("%d collisions", len(m.collisions))
	}
	for i, id := range m.collisions {
		if !m.entries[id].live || slices.Contains(m.collisions[:i], id) {
			return fmt.Errorf("collision %d: id %d dead or repeated", i, id)
		}
	}
	return nil
}
