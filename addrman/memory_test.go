package addrman

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestSmallManagerMemory holds the heap of managers that know a few
// addresses, as every node of a thousand-node devnet does, to a small
// bound: the tables' slot arrays once cost 640 KiB per manager whatever
// it held.
func TestSmallManagerMemory(t *testing.T) {
	const managers, addrs = 50, 100
	in := benchGossip(managers*addrs, 4)
	clk := newFakeClock()
	ms := make([]*Manager, managers)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range ms {
		ms[i] = New(Config{Key: seqKey, Now: clk.Now, Rand: rand.New(rand.NewPCG(uint64(i), 2))})
		for _, g := range in[i*addrs/10 : (i+1)*addrs/10] {
			ms[i].Add(g.addrs, g.src, GossipPenalty)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / managers
	kept := 0
	for _, m := range ms {
		kept += m.Size()
	}
	runtime.KeepAlive(ms)
	t.Logf("%d bytes per manager holding %d addresses on average", per, kept/managers)
	// About 100 addresses at ~200 B each, with room for the maps' growth
	// and other tests' garbage; the slot arrays alone were 655,360 B.
	if per > 64<<10 {
		t.Errorf("%d bytes per manager holding %d addresses on average; want at most 64 KiB", per, kept/managers)
	}
}
