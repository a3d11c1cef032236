package peer

import (
	"context"
	"time"

	"github.com/chianet/chianet/protocol"
)

// Who reads the socket. One goroutine at a time holds the read role
// (Peer.reading, under Peer.mu). An idle connection's role is held by a
// reader goroutine (readLoop). On a dialled connection a Request caller
// that finds the role free takes it and reads until its own reply
// arrives, so the reply needs no hand-off from another goroutine: with
// two CPUs such a hand-off wakes a second OS thread and cost a third of
// a round trip (BENCHMARKS.md). It waits for each message to be buffered
// whole before reading it (frameConn), so it can stop waiting when its
// context ends without disturbing the WebSocket library. A reader
// goroutine that delivers the last awaited reply leaves the role free
// for the next caller, and one that runs a handler itself (rather than
// starting a goroutine for it) gives the role up while the handler runs.
//
// A free role is taken back within 2×readHandoff by a new reader goroutine
// (the watchdog), so inbound messages, pings and close frames are read
// even when no caller comes and a handler runs long; a role given up
// while requests still wait for replies goes to a new reader goroutine at
// once.

// readHandoff bounds how long the socket stays unread while the role is
// free.
const readHandoff = time.Millisecond

// callerWaitLimit is the largest message a Request caller buffers
// before reading it; a longer one is left to a reader goroutine.
const callerWaitLimit = 256 << 10

// handOffLocked gives the role, which the caller holds, to a new reader
// goroutine, which routes first (if not nil) before it reads; p.mu is
// held. Once shutdown has begun the role is just dropped (and first with
// it: the connection is closing).
func (p *Peer) handOffLocked(first *protocol.Message) {
	if p.readersDone {
		p.reading = false
		return
	}
	if fc := p.ws.waiter(); fc != nil {
		// Only now, with a reader to come, may close stop counting on
		// the caller to let go of the read lock.
		fc.callerReads.Store(false)
	}
	p.wg.Add(1) // under p.mu, before readersDone: never races wg.Wait
	go p.readLoop(first)
}

// releaseLocked gives up the role, which the caller holds; p.mu is held.
// With requests waiting for replies a reader goroutine takes it at once;
// otherwise the watchdog does within 2×readHandoff, unless a caller or the
// goroutine that released it takes it first.
func (p *Peer) releaseLocked() {
	if len(p.pending) > 0 {
		p.handOffLocked(nil)
		return
	}
	p.reading = false
	p.releases++
	if p.watchArmed || p.readersDone {
		return
	}
	p.watchArmed = true
	p.watchSeen = p.releases
	if p.watch == nil {
		p.watch = time.AfterFunc(readHandoff, p.watchdog)
	} else {
		p.watch.Reset(readHandoff)
	}
}

// watchdog starts a reader goroutine when the role is free and was not
// given up again since the watchdog last ran, so it has been free for
// readHandoff at least (and at most twice that). A count of releases
// rather than their times keeps a clock read off every release.
func (p *Peer) watchdog() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watchArmed = false
	if p.reading || p.readersDone {
		return
	}
	if p.releases != p.watchSeen {
		p.watchSeen = p.releases
		p.watchArmed = true
		p.watch.Reset(readHandoff)
		return
	}
	p.reading = true
	p.handOffLocked(nil)
}

// takeRole takes the role if it is free.
func (p *Peer) takeRole() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.takeRoleLocked()
}

// takeRoleLocked is takeRole with p.mu held.
func (p *Peer) takeRoleLocked() bool {
	if p.reading || p.readersDone {
		return false
	}
	p.reading = true
	return true
}

// takeRoleFor takes the role for the caller waiting for the reply to id,
// if the role is free and the reply was not delivered already.
func (p *Peer) takeRoleFor(id uint16) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, waiting := p.pending[id]; !waiting {
		return false
	}
	return p.takeRoleLocked()
}

// stopReaders keeps new reader goroutines from starting; shutdown calls
// it before waiting for the peer's goroutines.
func (p *Peer) stopReaders() {
	p.mu.Lock()
	p.readersDone = true
	if p.watch != nil {
		p.watch.Stop()
	}
	p.mu.Unlock()
	if fc := p.ws.waiter(); fc != nil {
		fc.interrupt()
	}
}

// readOwnReply is RequestMessage's wait for the reply to id when the
// caller may read the socket itself. ok is false when it did not get the
// reply: the role was taken, the next message was too long to wait for or
// came after a ping or pong (which the WebSocket library must handle), an
// inbound call came first, the wait was given up, or the connection
// failed. The caller then waits for the reply to be delivered, as any
// other, and a reader goroutine has the role.
func (p *Peer) readOwnReply(ctx context.Context, exp *expiry, id uint16) (rep protocol.Message, ok bool) {
	fc := p.ws.waiter()
	if fc == nil || !p.takeRoleFor(id) {
		return rep, false
	}
	// Set while this caller holds the role, for gorillaConn.close; a
	// hand-off clears it when it starts a reader goroutine.
	fc.callerReads.Store(true)
	fc.resetInterrupt()
	if ctx.Done() != nil {
		defer context.AfterFunc(ctx, fc.interrupt)()
	}
	if exp != nil {
		exp.wake.Store(fc)
		defer exp.wake.Store(nil)
	}
	// An interrupt that came before the reset or the registrations
	// above is lost; what it was for is not.
	if p.givenUp(ctx, exp) {
		p.handOff(nil)
		return rep, false
	}
	for {
		err := p.ws.wait(callerWaitLimit)
		if err == errInterrupted {
			// Cleared before the check, so an interrupt meant for us
			// that lands in between is not wiped out with a late one
			// meant for an earlier caller.
			fc.resetInterrupt()
			if !p.givenUp(ctx, exp) {
				continue
			}
		}
		if err != nil {
			p.handOff(nil)
			return rep, false
		}
		m, r := p.readMessage() // buffered whole: does not block
		if r != nil {
			p.fail(r) // the connection is closing: no reader needed
			return rep, false
		}
		if m.HasID && m.ID == id {
			fc.callerReads.Store(false)
			p.mu.Lock()
			delete(p.pending, id)
			p.releaseLocked()
			p.mu.Unlock()
			return m, true
		}
		if handled, _ := p.deliver(m, false); !handled {
			// An inbound call: a reader goroutine dispatches it (it may
			// wait for a handler slot, which a caller must not) and
			// reads on.
			p.handOff(&m)
			return rep, false
		}
	}
}

// handOff is handOffLocked for a caller that does not hold p.mu.
func (p *Peer) handOff(first *protocol.Message) {
	p.mu.Lock()
	p.handOffLocked(first)
	p.mu.Unlock()
}

// givenUp reports whether a request is over: its context or its timeout
// ended, or the connection is closing.
func (p *Peer) givenUp(ctx context.Context, exp *expiry) bool {
	if ctx.Err() != nil {
		return true
	}
	if exp != nil {
		select {
		case <-exp.done:
			return true
		default:
		}
	}
	select {
	case <-p.closing:
		return true
	default:
		return false
	}
}
