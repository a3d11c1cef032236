package peer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chianet/chianet/protocol"
)

// outItem is one encoded message waiting for the write loop.
type outItem struct {
	data []byte
	// request marks a request sent by Request, whose id is id: if it
	// times out before it is written, it is dropped.
	request bool
	id      uint16
	// pooled marks data as lent by getSendBuffer: it goes back once
	// written.
	pooled bool
}

// outQueue is the FIFO between senders and the socket. It never blocks
// a sender that may not wait (a handler that replies must not wait on the
// socket, or two peers whose handler slots are all busy replying could
// stop reading each other's replies). What bounds it is the in-flight cap
// on our requests and the inbound limits on what the peer makes us
// answer.
//
// Nothing writes while it is empty: the first push starts a write
// goroutine, which drains it and exits, so an idle connection has none.
// A request caller, which waits for its reply anyway, writes its request
// itself when the queue is empty and nothing is being written (one
// goroutine hand-off less per round trip). At most one writer exists at a
// time, which keeps the order of the queue.
type outQueue struct {
	mu sync.Mutex
	// items[head:] wait; the array is reused once drained, so a queue
	// that never holds more than a few items stops allocating.
	items   []outItem
	head    int
	writing bool // a writer (goroutine or direct caller) is active
	closed  bool // set at shutdown, before the peer's wg.Wait
}

// push queues it and starts a write goroutine if none is active.
func (p *Peer) push(it outItem) {
	if p.claim(it) {
		go p.writeLoop()
	}
}

// claim queues it. When no writer is active it returns true and the
// caller must run writeLoop (counted in wg already): a handler's
// goroutine does so itself once it has given back its handler slot,
// which saves starting another goroutine.
func (p *Peer) claim(it outItem) bool {
	q := &p.out
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.add(it)
	if q.writing {
		return false
	}
	q.writing = true
	p.wg.Add(1) // under mu, before closed is set: never races wg.Wait
	return true
}

// pushDirect sends it from the calling goroutine when the queue is idle,
// and queues it otherwise. It blocks while the write runs.
func (p *Peer) pushDirect(it outItem) {
	q := &p.out
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if q.writing || q.head < len(q.items) {
		q.add(it)
		q.mu.Unlock()
		return
	}
	q.writing = true
	p.wg.Add(1)
	q.mu.Unlock()
	if !p.writeItem(it) {
		p.closeQueue()
	}
	q.mu.Lock()
	if q.head < len(q.items) && !q.closed {
		// Others queued behind us: a goroutine takes over.
		q.mu.Unlock()
		go p.writeLoop() // inherits our wg count
		return
	}
	q.writing = false
	q.mu.Unlock()
	p.wg.Done()
}

// closeQueue stops the queue for shutdown: nothing more is written.
func (p *Peer) closeQueue() {
	p.out.mu.Lock()
	p.out.closed = true
	p.out.items, p.out.head = nil, 0
	p.out.mu.Unlock()
}

// add appends it; q.mu is held. Once the written items fill half the
// array the waiting ones move to its front, so a queue that is never
// drained does not grow with everything it ever held.
func (q *outQueue) add(it outItem) {
	if q.head > 0 && q.head >= len(q.items)/2 && len(q.items) == cap(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	q.items = append(q.items, it)
}

// maxIdleQueue is the largest queue array kept while the queue is empty.
const maxIdleQueue = 16

// next returns the oldest queued item, or ok false (and marks the queue
// idle) when there is none or the queue is closed.
func (q *outQueue) next() (it outItem, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.head == len(q.items) {
		q.writing = false
		if cap(q.items) > maxIdleQueue {
			q.items = nil // a burst's array is not kept while idle
		} else {
			q.items = q.items[:0]
		}
		q.head = 0
		return outItem{}, false
	}
	it = q.items[q.head]
	q.items[q.head] = outItem{}
	q.head++
	return it, true
}

// checkSendable reports a message we must not send: an unknown type, or
// one longer than protocol.MaxMessageLen, which the peer would refuse
// and ban us for.
func checkSendable(m *protocol.Message) error {
	if !m.Type.Known() {
		return errUnknownType(m.Type)
	}
	if m.EncodedLen() > protocol.MaxMessageLen {
		return fmt.Errorf("%w: %v of %d bytes", ErrTooLarge, m.Type, m.EncodedLen())
	}
	return nil
}

// checkSender refuses a message type our node type may not send: the
// peer would close the connection and ban us for it.
func (p *Peer) checkSender(t protocol.MessageType) error {
	if !protocol.SenderAllowed(t, p.cfg.NodeType) {
		return &NotAllowedSenderError{Type: t, NodeType: p.cfg.NodeType}
	}
	return nil
}

// gateOutbound holds back a message of type t with size bytes of data
// until our own limits let it go, as the reference's _send_message does:
//
//   - exempt peers are never held back;
//   - with v3 active, a request sent by Request (tracked) of a type the
//     peer gave a window waits for a free slot in that window (release
//     must then be called when its reply arrives or it times out), and a
//     reply with an id of a type the peer listed with window 0 passes;
//   - everything else goes through the outbound v1/v2 limiter; over the
//     limit it is checked again every retry interval, except respond_peers,
//     which is dropped (ErrDropped).
//
// It returns early with ctx's error, errExpired once expired is closed
// (a request's timeout; nil for none), or the close reason.
func (p *Peer) gateOutbound(ctx context.Context, expired <-chan struct{}, t protocol.MessageType, size int, tracked, hasID bool) (release func(), err error) {
	noop := func() {}
	if p.info.Exempt {
		return noop, nil
	}
	if p.v3 {
		window, listed := p.windows.PeerWindow(t)
		if listed && tracked {
			if window == 0 {
				return noop, nil
			}
			return p.acquireWindow(ctx, expired, t)
		}
		if listed && hasID && window == 0 {
			return noop, nil
		}
	}
	var timer *time.Timer
	for {
		verr := p.outLimit.Check(t, size)
		if verr == nil {
			return noop, nil
		}
		if t == protocol.MsgRespondPeers {
			p.log.Debug("rate limiting ourselves: dropping respond_peers", "err", verr)
			return nil, joinErr(ErrDropped, verr)
		}
		p.log.Debug("rate limiting ourselves: holding message back", "type", t, "err", verr)
		if timer == nil {
			timer = time.NewTimer(outboundRetryInterval)
			defer timer.Stop()
		} else {
			timer.Reset(outboundRetryInterval)
		}
		select {
		case <-timer.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-expired:
			return nil, errExpired
		case <-p.closing:
			return nil, p.closedErr()
		}
	}
}

// errExpired is gateOutbound's error when the request's own timeout
// passed.
var errExpired = errors.New("peer: request timeout")

// acquireWindow waits for a slot in the peer's v3 window for t.
func (p *Peer) acquireWindow(ctx context.Context, expired <-chan struct{}, t protocol.MessageType) (func(), error) {
	for {
		p.windowMu.Lock()
		freed := p.windowFreed
		p.windowMu.Unlock()
		if p.windows.TryAcquireOutbound(t) {
			var once sync.Once
			return func() {
				once.Do(func() {
					p.windows.ReleaseOutbound(t)
					p.windowMu.Lock()
					close(p.windowFreed)
					p.windowFreed = make(chan struct{})
					p.windowMu.Unlock()
				})
			}, nil
		}
		p.log.Debug("rate limiting ourselves (v3): waiting for a window slot", "type", t)
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-expired:
			return nil, errExpired
		case <-p.closing:
			return nil, p.closedErr()
		}
	}
}

// SendMessage sends m as it is, id included (a request sent this way gets
// its reply through the handler of the reply type, as id-less requests
// such as request_peers do in the reference). It returns once the message
// is queued for writing; it blocks only while our outbound rate limit
// holds the message back, until ctx is done.
func (p *Peer) SendMessage(ctx context.Context, m protocol.Message) error {
	if err := checkSendable(&m); err != nil {
		return err
	}
	if err := p.checkSender(m.Type); err != nil {
		return err
	}
	if err := p.checkOpen(); err != nil {
		return err
	}
	if _, err := p.gateOutbound(ctx, nil, m.Type, len(m.Data), false, m.HasID); err != nil {
		return err
	}
	// Encoded only now, so no buffer is held while the limit waits.
	data, pooled, err := encode(&m)
	if err != nil {
		return err
	}
	p.push(outItem{data: data, pooled: pooled})
	return nil
}

// Send sends payload as a message of type t without an id; see
// SendMessage.
func (p *Peer) Send(ctx context.Context, t protocol.MessageType, payload protocol.Value) error {
	m, err := protocol.MakeMessage(t, payload)
	if err != nil {
		return err
	}
	return p.SendMessage(ctx, m)
}

// checkOpen returns the close reason once the connection is closing.
func (p *Peer) checkOpen() error {
	select {
	case <-p.closing:
		return p.closedErr()
	default:
		return nil
	}
}

// errUnknownType reports a message type the reference does not know.
func errUnknownType(t protocol.MessageType) error {
	return fmt.Errorf("%w %d", ErrUnknownType, uint8(t))
}

// joinErr wraps both a and b.
func joinErr(a, b error) error { return fmt.Errorf("%w: %w", a, b) }

// asErr is errors.As.
func asErr[T any](err error, target *T) bool { return errors.As(err, target) }
