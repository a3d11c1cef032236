package rpc

import (
	"context"
	"sync"
)

// NotifyFullNode sends fn's state changes through d as the reference's
// full node sends them (spec §2.5), to the sockets registered as their
// channel:
//
//	change                    command                 to
//	ConnectionsChanged,       get_connections         wallet_ui
//	PeerPeakChanged           {connections: [...]}
//	PeakChanged,              get_blockchain_state    wallet_ui, metrics
//	ConnectionsChanged        {blockchain_state: ...}
//
// (the reference also emits sync_mode, hence get_blockchain_state, when a
// connection opens or closes). The data is what the routes of the same
// name answer, from origin FullNodeService. Changes that arrive while
// notifications are being sent are merged into one round, so a burst of
// new_peak announcements costs one get_connections; nothing is computed
// for a channel without listeners. It returns stop, which ends the
// subscription and waits for a round under way.
func NotifyFullNode(d *Daemon, fn FullNode) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	n := &notifier{d: d, fn: fn, wake: make(chan struct{}, 1)}
	unsubscribe := fn.Subscribe(n.changed)
	var wg sync.WaitGroup
	wg.Go(func() { n.run(ctx) })
	var once sync.Once
	return func() {
		once.Do(func() {
			unsubscribe()
			cancel()
			wg.Wait()
		})
	}
}

type notifier struct {
	d    *Daemon
	fn   FullNode
	wake chan struct{}

	mu      sync.Mutex
	pending map[Change]bool
}

// changed records c; it never blocks.
func (n *notifier) changed(c Change) {
	n.mu.Lock()
	if n.pending == nil {
		n.pending = make(map[Change]bool)
	}
	n.pending[c] = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		}
		n.mu.Lock()
		p := n.pending
		n.pending = nil
		n.mu.Unlock()
		n.send(ctx, p)
	}
}

func (n *notifier) send(ctx context.Context, p map[Change]bool) {
	log := n.d.log
	if (p[ConnectionsChanged] || p[PeerPeakChanged]) && n.d.Listeners(WalletUI) > 0 {
		conns := n.fn.Connections()
		if conns == nil {
			conns = []Connection{}
		}
		if _, err := n.d.Notify(FullNodeService, WalletUI, "get_connections",
			map[string]any{"connections": conns}); err != nil {
			log.Warn("get_connections notification failed", "err", err)
		}
	}
	if (p[PeakChanged] || p[ConnectionsChanged]) && (n.d.Listeners(WalletUI) > 0 || n.d.Listeners(Metrics) > 0) {
		s, err := n.fn.BlockchainState(ctx)
		if err != nil {
			log.Warn("get_blockchain_state notification failed", "err", err)
			return
		}
		data := map[string]any{"blockchain_state": s}
		for _, ch := range []string{WalletUI, Metrics} {
			if _, err := n.d.Notify(FullNodeService, ch, "get_blockchain_state", data); err != nil {
				log.Warn("get_blockchain_state notification failed", "err", err)
			}
		}
	}
}
