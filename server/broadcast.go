package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// Filter selects the connections a Broadcast reaches. A nil Filter
// selects every registered connection.
type Filter func(p *peer.Peer) bool

// OfNodeType selects the peers of node type t (the reference's send_to_all
// takes one node type).
func OfNodeType(t protocol.NodeType) Filter {
	return func(p *peer.Peer) bool { return p.Info().NodeType == t }
}

// Except selects every peer but the one with node id id (the reference's
// exclude argument, used to relay to all but the sender).
func Except(id protocol.Bytes32) Filter {
	return func(p *peer.Peer) bool { return p.Info().NodeID != id }
}

// And selects the peers every one of fs selects; nil entries select all.
func And(fs ...Filter) Filter {
	return func(p *peer.Peer) bool {
		for _, f := range fs {
			if f != nil && !f(p) {
				return false
			}
		}
		return true
	}
}

// Broadcast sends payload as a message of type t, without an id, to every
// registered connection that filter selects (nil: all). A type that
// expects a reply (protocol.BroadcastAllowed is false) is refused with
// ErrNotBroadcastable and nothing is sent; the reference also closes its
// connections when that happens, chianet only reports the bug.
//
// The message is encoded once and queued on the connections in parallel;
// Broadcast returns when it is queued on all of them, which takes long
// only when our outbound rate limit holds it back on some connection
// (ctx bounds that wait). It returns how many connections it was queued
// on, and the errors of the others, leaving out connections that were
// closing.
func (s *Server) Broadcast(ctx context.Context, t protocol.MessageType, payload protocol.Value, filter Filter) (int, error) {
	if !protocol.BroadcastAllowed(t) {
		s.log.Error("attempt to broadcast a message that expects a reply", "type", t)
		return 0, fmt.Errorf("%w: %v", ErrNotBroadcastable, t)
	}
	m, err := protocol.MakeMessage(t, payload)
	if err != nil {
		return 0, fmt.Errorf("server: broadcast %v: %w", t, err)
	}
	var targets []*peer.Peer
	for _, p := range s.Peers() {
		if filter == nil || filter(p) {
			targets = append(targets, p)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent int
		errs []error
	)
	for _, p := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.SendMessage(ctx, m)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				sent++
			case errors.Is(err, peer.ErrClosed):
				// Closing anyway: not a failure of the broadcast.
			default:
				errs = append(errs, fmt.Errorf("%v: %w", p, err))
			}
		}()
	}
	wg.Wait()
	return sent, errors.Join(errs...)
}
