package introducer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// errVetted is the cause of the normal close that ends a successful
// vetting connection.
var errVetted = errors.New("introducer: vetting done")

// ErrNotFullNode is the vetting failure of a peer that completed the
// handshake as another node type than FULL_NODE.
var ErrNotFullNode = errors.New("introducer: peer is not a full node")

// vetter runs the vetting loop: it connects to every recorded peer when
// its vetting is due, at most slots at a time, and records the results.
type vetter struct {
	table *table
	clock Clock
	vet   func(ctx context.Context, ap netip.AddrPort) error
	slots int
	log   *slog.Logger
	onVet func(netip.AddrPort, error)
	// wake is signalled (capacity 1) when a peer was added.
	wake chan struct{}

	vets, failures, forgotten atomic.Uint64
}

// poke wakes the loop up.
func (v *vetter) poke() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// run vets due peers until ctx ends, then waits for the vetting
// connections under way (cancelled by ctx) to return.
func (v *vetter) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	finished := make(chan struct{}, v.slots) // one per vetting connection done
	inFlight := 0
	for {
		now := v.clock.Now()
		for _, ap := range v.table.expire(now) {
			v.log.Debug("peer forgotten: not seen within the recent window", "peer", ap)
		}
		for _, ap := range v.table.due(now, v.slots-inFlight) {
			inFlight++
			wg.Go(func() {
				err := v.vet(ctx, ap)
				v.record(ctx, ap, err)
				finished <- struct{}{}
			})
		}
		sleep := sweepInterval
		if inFlight < v.slots {
			if at, ok := v.table.next(); ok {
				sleep = min(sleep, max(at.Sub(now), 0))
			}
		}
		timer := v.clock.After(sleep)
		select {
		case <-ctx.Done():
			return
		case <-finished:
			inFlight--
		case <-v.wake:
		case <-timer:
		}
	}
}

// record stores the result of vetting ap and logs what changed. A
// vetting connection cut short by shutdown counts for nothing.
func (v *vetter) record(ctx context.Context, ap netip.AddrPort, err error) {
	if ctx.Err() != nil {
		v.table.abandon(ap)
		return
	}
	v.vets.Add(1)
	if err != nil {
		v.failures.Add(1)
	}
	switch v.table.vetted(ap, err == nil, v.clock.Now()) {
	case vetNewlyGood:
		v.log.Info("peer vetted", "peer", ap)
	case vetStillGood:
		v.log.Debug("peer vetted again", "peer", ap)
	case vetNewlyBad:
		v.log.Info("peer failed vetting; no longer handed out", "peer", ap, "err", err)
	case vetStillBad:
		v.log.Debug("peer failed vetting", "peer", ap, "err", err)
	case vetForgotten:
		v.forgotten.Add(1)
		v.log.Info("peer forgotten: failed vetting too many times in a row", "peer", ap, "failures", v.table.cfg.maxFailures, "err", err)
	}
	if v.onVet != nil {
		v.onVet(ap, err)
	}
}

// vetConn is the vetting connection: a connection to ap that must
// complete the Chia handshake (TLS with a chia-CA certificate, WebSocket,
// our network id, a FULL_NODE node type) within timeout; it is then
// closed normally (1000).
func vetConn(ctx context.Context, ap netip.AddrPort, cfg peer.Config, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := peer.Dial(ctx, ap.String(), cfg)
	if err != nil {
		return err
	}
	info := p.Info()
	p.Close(peer.NormalClose(errVetted))
	<-p.Done()
	if info.NodeType != protocol.NodeFullNode {
		return fmt.Errorf("%w: %v", ErrNotFullNode, info.NodeType)
	}
	return nil
}
