package devnet

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"go.uber.org/goleak"
)

// enteredCtx tells when a lookup first reads a value from it, which the
// resolver does on entry, before it joins or starts a query.
type enteredCtx struct {
	context.Context
	entered chan struct{}
	once    chan struct{}
}

func (c enteredCtx) Value(k any) any {
	select {
	case c.once <- struct{}{}:
		close(c.entered)
	default:
	}
	return c.Context.Value(k)
}

// TestResolverCancel: lookups of one name by several nodes, all
// cancelled (as Close cancels the nodes) while a DNS server never
// answers, leave no query running behind them.
func TestResolverCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	queries := make(chan struct{}, 16)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			select {
			case queries <- struct{}{}:
			default:
			}
		}
	}()
	addr := netip.MustParseAddrPort(pc.LocalAddr().String())
	r := newCountingResolver(addr, addr)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 2)
	go func() { _, err := r.LookupNetIP(ctx, "ip4", DNSName); done <- err }()
	<-queries // the first lookup is in flight
	second := enteredCtx{Context: ctx, entered: make(chan struct{}), once: make(chan struct{}, 1)}
	go func() { _, err := r.LookupNetIP(second, "ip4", DNSName); done <- err }()
	<-second.entered
	cancel()
	for range 2 {
		if err := <-done; err == nil {
			t.Error("a cancelled lookup succeeded")
		}
	}
}
