package peer

import (
	"context"
	"fmt"
	"time"
)

// Ping sends a WebSocket ping and waits for the peer's pong, returning the
// round-trip time: from just before the ping frame is written until the
// read loop has seen the pong. Chia has no ping message of its own; this
// is the control frame the reference's heartbeat uses, which every peer
// answers without involving its protocol layer.
//
// It waits until the pong arrives, ctx is done (the error wraps ctx's
// error) or the connection closes (the *CloseReason, which wraps
// ErrClosed). A missing pong does not close the connection: that is left
// to the heartbeat (Config.PingInterval, PongTimeout). The pong is read by
// the connection's read loop, which pauses while Config.MaxHandlers
// handlers are running, and which has not started yet inside
// Handler.Accept: Ping called there waits for ctx.
//
// Ping is safe for concurrent use, with other Pings and with the
// heartbeat: each ping carries its own payload and waits for its own pong.
// Like any frame received, the pong also counts as a sign of life for the
// heartbeat.
func (p *Peer) Ping(ctx context.Context) (time.Duration, error) {
	if err := p.checkOpen(); err != nil {
		return 0, err
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// hctx is cancelled as the connection starts closing.
	stop := context.AfterFunc(p.hctx, cancel)
	defer stop()

	start := time.Now()
	err := p.ws.Ping(pctx)
	rtt := time.Since(start)
	if err == nil {
		return rtt, nil
	}
	select {
	case <-p.closing:
		return 0, p.closedErr()
	default:
	}
	if ctx.Err() != nil {
		return 0, fmt.Errorf("peer: ping: %w", ctx.Err())
	}
	return 0, fmt.Errorf("peer: ping: %w", joinErr(ErrConnection, err))
}
