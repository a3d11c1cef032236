package addrman

import (
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

// benchAddrs is the number of addresses a benchmark manager is offered
// before the timed operations.
const benchAddrs = 100_000

// gossip is one respond_peers worth of addresses and its sender.
type gossip struct {
	src   PeerInfo
	addrs []protocol.TimestampedPeerInfo
}

// benchGossip returns n random public addresses in batches of 10, each
// from a random source, timestamped within the last 3 days of t0.
func benchGossip(n int, seed uint64) []gossip {
	r := rand.New(rand.NewPCG(seed, 77))
	var out []gossip
	for i := 0; i < n; i += 10 {
		g := gossip{src: PeerInfo{randomPublic(r), 8444}}
		for range min(10, n-i) {
			g.addrs = append(g.addrs, protocol.TimestampedPeerInfo{Host: randomPublic(r), Port: 8444, Timestamp: uint64(t0 - r.Int64N(3*day))})
		}
		out = append(out, g)
	}
	return out
}

func benchManager(b *testing.B) (*Manager, *fakeClock) {
	m, clk := newTest(b, testOpts{seed: 1, key: seqKey})
	for _, g := range benchGossip(benchAddrs, 2) {
		m.Add(g.addrs, g.src, GossipPenalty)
	}
	return m, clk
}

// clone deep-copies a manager, with a fresh generator.
func (m *Manager) clone(seed uint64) *Manager {
	c := &Manager{
		key: m.key, allowPrivate: m.allowPrivate, now: m.now, log: m.log,
		rand:       rand.New(rand.NewPCG(seed, 3)),
		entries:    slices.Clone(m.entries),
		free:       slices.Clone(m.free),
		byAddr:     maps.Clone(m.byAddr),
		order:      slices.Clone(m.order),
		nNew:       m.nNew,
		nTried:     m.nTried,
		lastGood:   m.lastGood,
		collisions: slices.Clone(m.collisions),
		syncFile:   m.syncFile,
	}
	for _, p := range [][2]*table{{&c.newTbl, &m.newTbl}, {&c.triedTbl, &m.triedTbl}} {
		dst, src := p[0], p[1]
		dst.slots, dst.used = maps.Clone(src.slots), slices.Clone(src.used)
	}
	return c
}

// BenchmarkAdd: one gossiped address per op into a manager that was
// offered 100,000 (goal ≤ 2 µs).
func BenchmarkAdd(b *testing.B) {
	m, _ := benchManager(b)
	in := benchGossip(b.N, 3)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := &in[i/10]
		m.Add(g.addrs[i%10:i%10+1], g.src, GossipPenalty)
	}
}

// BenchmarkSelect: Select(false) with 100,000 addresses offered and 10,000
// of them marked good (goal ≤ 5 µs).
func BenchmarkSelect(b *testing.B) {
	m, clk := benchManager(b)
	for i, id := range m.order {
		if i%5 == 0 {
			m.Good(PeerInfoFrom(m.entries[id].addr), false, time.Time{})
		}
	}
	clk.Advance(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := m.Select(false); !ok {
			b.Fatal("nothing selected")
		}
	}
}

// BenchmarkGood: Good on a different new-table address each op, with
// 100,000 addresses offered (goal ≤ 2 µs). "promote" moves every one to
// the tried table, evicting occupants; "test-before-evict" queues a
// collision instead when the tried slot is taken.
func BenchmarkGood(b *testing.B) {
	for _, tt := range []struct {
		name string
		test bool
	}{{"promote", false}, {"test-before-evict", true}} {
		b.Run(tt.name, func(b *testing.B) {
			base, _ := benchManager(b)
			var fresh []PeerInfo
			for _, id := range base.order {
				if !base.entries[id].tried {
					fresh = append(fresh, PeerInfoFrom(base.entries[id].addr))
				}
			}
			m := base.clone(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % len(fresh)
				if j == 0 && i > 0 {
					b.StopTimer()
					m = base.clone(uint64(i))
					b.StartTimer()
				}
				m.Good(fresh[j], tt.test, time.Time{})
			}
		})
	}
}

// BenchmarkMemoryPerAddress reports the heap a manager holds after being
// offered 100,000 addresses, per address kept (goal ≤ 400 B) and per
// address offered. The fixed tables (about 1.2 MiB) are included.
func BenchmarkMemoryPerAddress(b *testing.B) {
	in := benchGossip(benchAddrs, 4)
	clk := newFakeClock()
	var perKept, perOffered float64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := New(Config{Key: seqKey, Now: clk.Now, Rand: rand.New(rand.NewPCG(1, 2))})
		for _, g := range in {
			m.Add(g.addrs, g.src, GossipPenalty)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		delta := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		perKept, perOffered = delta/float64(m.Size()), delta/benchAddrs
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perKept, "B/addr")
	b.ReportMetric(perOffered, "B/offered")
}

// BenchmarkSave and BenchmarkLoad time the peers file of a full manager.
func BenchmarkSave(b *testing.B) {
	m, _ := benchManager(b)
	path := b.TempDir() + "/peers.dat"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Save(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	m, clk := benchManager(b)
	path := b.TempDir() + "/peers.dat"
	if err := m.Save(path); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Load(path, Config{Now: clk.Now}); err != nil {
			b.Fatal(err)
		}
	}
}
