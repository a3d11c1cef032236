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
}

// outQueue is the FIFO between senders and the write loop. It never
// blocks a sender: a handler that replies must not wait on the socket, or
// two peers whose handler slots are all busy replying could stop reading
// each other's replies. What bounds it is the in-flight cap on our
// requests and the inbound limits on what the peer makes us answer.
type outQueue struct {
	mu     sync.Mutex
	items  []outItem
	notify chan struct{} // holds a token while items is not empty
}

func (q *outQueue) init() { q.notify = make(chan struct{}, 1) }

// push appends it and wakes the write loop.
func (q *outQueue) push(it outItem) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// pop returns the oldest item, waiting for one; ok is false once stop is
// closed.
func (q *outQueue) pop(stop <-chan struct{}) (outItem, bool) {
	for {
		select {
		case <-stop:
			return outItem{}, false
		default:
		}
		q.mu.Lock()
		if len(q.items) > 0 {
			it := q.items[0]
			q.items[0] = outItem{}
			q.items = q.items[1:]
			if len(q.items) == 0 {
				q.items = nil
			} else {
				// More remain: keep the token so the next pop does not
				// wait.
				select {
				case q.notify <- struct{}{}:
				default:
				}
			}
			q.mu.Unlock()
			return it, true
		}
		q.mu.Unlock()
		select {
		case <-stop:
			return outItem{}, false
		case <-q.notify:
		}
	}
}

// checkSendable reports a message we must not send: an unknown type, or
// one over protocol.MaxMessageSize.
func checkSendable(m *protocol.Message) error {
	if !m.Type.Known() {
		return errUnknownType(m.Type)
	}
	if m.EncodedLen() > protocol.MaxMessageSize {
		return fmt.Errorf("%w: %v of %d bytes", ErrTooLarge, m.Type, m.EncodedLen())
	}
	return nil
}

// encode checks and encodes m for sending.
func encode(m *protocol.Message) ([]byte, error) {
	if err := checkSendable(m); err != nil {
		return nil, err
	}
	return m.MarshalBinary()
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
// It returns early with ctx's error or the close reason.
func (p *Peer) gateOutbound(ctx context.Context, t protocol.MessageType, size int, tracked, hasID bool) (release func(), err error) {
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
			return p.acquireWindow(ctx, t)
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
			timer = time.NewTimer(p.cfg.retryInterval)
			defer timer.Stop()
		} else {
			timer.Reset(p.cfg.retryInterval)
		}
		select {
		case <-timer.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-p.closing:
			return nil, p.closedErr()
		}
	}
}

// acquireWindow waits for a slot in the peer's v3 window for t.
func (p *Peer) acquireWindow(ctx context.Context, t protocol.MessageType) (func(), error) {
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
	data, err := encode(&m)
	if err != nil {
		return err
	}
	if err := p.checkOpen(); err != nil {
		return err
	}
	if _, err := p.gateOutbound(ctx, m.Type, len(m.Data), false, m.HasID); err != nil {
		return err
	}
	p.out.push(outItem{data: data})
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
