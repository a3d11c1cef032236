package ratelimit

import (
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

// BenchmarkCheck measures the allowed path of Check, which runs for every
// message in both directions. The clock moves to a new bucket every 1000
// calls so that no limit is ever reached. It must not allocate.
func BenchmarkCheck(b *testing.B) {
	cases := []struct {
		name string
		cfg  Config
		t    protocol.MessageType
	}{
		{"aggregate", Config{CountRejected: true}, protocol.MsgCoinStateUpdate},
		{"non-aggregate", Config{CountRejected: true}, protocol.MsgNewTransaction},
		{"unlimited", Config{CountRejected: true}, protocol.MsgRespondBlock},
		{"v3-bypass", Config{V2: true, V3: true}, protocol.MsgRequestBlocks},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			clock := newFakeClock()
			cfg := c.cfg
			cfg.Now = clock.Now
			l := New(cfg)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i++; i%1000 == 0 {
					clock.Advance(time.Minute)
				}
				if err := l.Check(c.t, 64); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckParallel measures contention on one limiter.
func BenchmarkCheckParallel(b *testing.B) {
	l := New(Config{Percent: 1 << 20}) // high enough never to trip
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Check(protocol.MsgNewTransaction, 64); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWindows measures one acquire/release pair.
func BenchmarkWindows(b *testing.B) {
	w := NewWindows(map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 2})
	b.ReportAllocs()
	for b.Loop() {
		if !w.TryAcquireOutbound(protocol.MsgRequestBlocks) {
			b.Fatal("window full")
		}
		w.ReleaseOutbound(protocol.MsgRequestBlocks)
	}
}
