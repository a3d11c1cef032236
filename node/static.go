package node

import (
	"context"
	"errors"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/server"
)

// StaticRetryInterval is how long the node waits before dialling a static
// peer again after a failed dial or a lost connection (the reference's
// reconnect_retry_seconds).
const StaticRetryInterval = 3 * time.Second

// keepStatic keeps a connection to the static peer at addr until ctx
// ends, as the reference's Service does for full_node_peers: it dials the
// peer, waits while the connection lasts, and dials again
// StaticRetryInterval after a failure or a drop. A peer that is already
// connected (it dialled us, or a dial to it is under way) is checked again
// after the same interval. Static connections are outside discovery's
// rules: they count towards the outbound target but are never closed for
// sharing a group with another outbound connection, so that nodes on one
// host or one LAN can all be connected to each other.
//
// Only the first failure in a row is logged at warn; the retries are
// logged at debug.
func (n *Node) keepStatic(ctx context.Context, addr string) {
	log := n.log.With("static_peer", addr)
	failures := 0
	for {
		p, err := n.srv.Dial(ctx, addr)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			failures = 0
			log.Debug("connected to static peer", "node_id", p.Info().NodeID)
			select {
			case <-p.Done():
			case <-ctx.Done():
				return
			}
		case errors.Is(err, server.ErrDuplicate):
			failures = 0
		case errors.Is(err, peer.ErrSelfConnection):
			log.Warn("static peer is this node; not dialling it again", "err", err)
			return
		default:
			failures++
			if failures == 1 {
				log.Warn("static peer unreachable; retrying", "every", n.cfg.staticRetry, "err", err)
			} else {
				log.Debug("static peer still unreachable", "failures", failures, "err", err)
			}
		}
		t := time.NewTimer(n.cfg.staticRetry)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}
