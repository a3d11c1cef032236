package server

import (
	"sync"

	"github.com/chianet/chianet/peer"
)

// EventType says what happened to a connection.
type EventType uint8

const (
	// Connected: a connection completed its handshake, passed the
	// inbound limits and joined the registry.
	Connected EventType = iota + 1
	// Disconnected: a connection that had joined the registry has closed
	// and all of its goroutines have stopped.
	Disconnected
)

// String returns "connected" or "disconnected".
func (t EventType) String() string {
	switch t {
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	default:
		return "EventType(?)"
	}
}

// Event reports a connection joining or leaving the registry. Peers that
// fail their handshake or are refused by the inbound limits produce no
// event.
type Event struct {
	// Type says what happened.
	Type EventType
	// Peer is the connection. Events of one connection are told apart
	// from another's by this pointer: a replacement (same node id) is
	// Connected before the connection it replaces is Disconnected.
	Peer *peer.Peer
	// Info is Peer.Info(): node id, node type, direction (Outbound),
	// addresses, versions.
	Info peer.Info
	// Reason is why the connection closed; set for Disconnected only.
	// Its Err wraps ErrReplaced for a connection replaced by a newer one
	// with the same node id, and ErrServerClosed for one closed by
	// Server.Close.
	Reason *peer.CloseReason
}

// Subscribe calls fn for every later Event, in the order the events
// happened, from a goroutine of the Server's: fn may block (events queue
// up meanwhile) but should not for long, and it may call any method of
// the Server except Close. Events of every connection are delivered
// before Close returns; after that fn is never called again.
//
// The returned function cancels the subscription: fn is not called for
// events not yet delivered (a call under way finishes). It may be called
// from fn and more than once. Subscribe is safe for concurrent use; after
// Close it does nothing.
func (s *Server) Subscribe(fn func(Event)) (cancel func()) {
	sub := &subscriber{fn: fn, wake: make(chan struct{}, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return func() {}
	}
	s.subs[sub] = struct{}{}
	s.subWG.Add(1)
	s.mu.Unlock()
	go sub.run(&s.subWG)
	return func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
		sub.stop(true)
	}
}

// emit queues e for every subscriber; s.mu must be held, which orders the
// events of all connections.
func (s *Server) emit(e Event) {
	for sub := range s.subs {
		sub.push(e)
	}
}

// subscriber is one Subscribe: an unbounded queue drained by its own
// goroutine.
type subscriber struct {
	fn   func(Event)
	wake chan struct{} // capacity 1: something changed

	mu        sync.Mutex
	queue     []Event
	finished  bool // no more events will be queued
	cancelled bool // drop whatever is queued
}

// push queues e.
func (sub *subscriber) push(e Event) {
	sub.mu.Lock()
	if !sub.finished {
		sub.queue = append(sub.queue, e)
	}
	sub.mu.Unlock()
	sub.signal()
}

// stop ends the subscription once the queue is delivered or, if cancel
// is set, at once.
func (sub *subscriber) stop(cancel bool) {
	sub.mu.Lock()
	sub.finished = true
	if cancel {
		sub.cancelled = true
		sub.queue = nil
	}
	sub.mu.Unlock()
	sub.signal()
}

func (sub *subscriber) signal() {
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// next returns the next event to deliver, or false once the subscription
// is over.
func (sub *subscriber) next() (Event, bool) {
	for {
		sub.mu.Lock()
		if sub.cancelled {
			sub.mu.Unlock()
			return Event{}, false
		}
		if len(sub.queue) > 0 {
			e := sub.queue[0]
			sub.queue[0] = Event{}
			sub.queue = sub.queue[1:]
			sub.mu.Unlock()
			return e, true
		}
		finished := sub.finished
		sub.mu.Unlock()
		if finished {
			return Event{}, false
		}
		<-sub.wake
	}
}

// run delivers events until the subscription is over.
func (sub *subscriber) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		e, ok := sub.next()
		if !ok {
			return
		}
		sub.fn(e)
	}
}
