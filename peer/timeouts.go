package peer

import (
	"context"
	"sync"
	"time"
)

// Request and handler timeouts share one timer per connection instead of
// a runtime timer each. A runtime timer that becomes the earliest of its
// heap wakes the network poller or another OS thread when it is added,
// and a request's 60 s timeout and a handler's 600 s timeout were such a
// timer on every call: with two vCPUs that cost 1.5-2 µs of a 22 µs
// round trip (BENCHMARKS.md). Here a call's deadline is added to a set,
// and the connection's timer is armed only for a deadline earlier than
// the one it waits for; a deadline that was removed is not disarmed, so
// back-to-back calls touch no timer until the earliest deadline passes,
// when the set is swept and the timer armed for the next one. A deadline
// still fires exactly when it is due.

// expiry is one call's timeout: when at passes, done is closed (a
// request) or cancel is called with context.DeadlineExceeded (a handler).
type expiry struct {
	at     time.Time
	done   chan struct{}
	cancel context.CancelCauseFunc
}

// expire carries out d.
func (d *expiry) expire() {
	if d.done != nil {
		close(d.done)
	}
	if d.cancel != nil {
		d.cancel(context.DeadlineExceeded)
	}
}

// deadlines is the set of a connection's pending deadlines.
type deadlines struct {
	mu     sync.Mutex
	set    map[*expiry]struct{}
	timer  *time.Timer
	armed  time.Time // the time the timer fires; zero when it is not armed
	closed bool
}

// add schedules d. It does nothing once the set is closed (d then never
// expires: the connection is closing, and its callers end on that).
func (q *deadlines) add(d *expiry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if q.set == nil {
		q.set = make(map[*expiry]struct{})
	}
	q.set[d] = struct{}{}
	if q.armed.IsZero() || d.at.Before(q.armed) {
		q.arm(d.at)
	}
}

// remove unschedules d, which has not expired or has.
func (q *deadlines) remove(d *expiry) {
	q.mu.Lock()
	delete(q.set, d)
	q.mu.Unlock()
}

// arm sets the timer to fire at at; q.mu is held.
func (q *deadlines) arm(at time.Time) {
	q.armed = at
	if q.timer == nil {
		q.timer = time.AfterFunc(time.Until(at), q.sweep)
		return
	}
	q.timer.Reset(time.Until(at))
}

// sweep expires the deadlines that are due and arms the timer for the
// earliest of the others.
func (q *deadlines) sweep() {
	q.mu.Lock()
	q.armed = time.Time{}
	if q.closed {
		q.mu.Unlock()
		return
	}
	now := time.Now()
	var due []*expiry
	var next time.Time
	for d := range q.set {
		switch {
		case !now.Before(d.at):
			due = append(due, d)
			delete(q.set, d)
		case next.IsZero() || d.at.Before(next):
			next = d.at
		}
	}
	if !next.IsZero() {
		q.arm(next)
	}
	q.mu.Unlock()
	for _, d := range due {
		d.expire()
	}
}

// close stops the timer for good.
func (q *deadlines) close() {
	q.mu.Lock()
	q.closed = true
	q.set = nil
	if q.timer != nil {
		q.timer.Stop()
	}
	q.mu.Unlock()
}

// handlerContext is a handler's context: the connection's handler
// context with the handler's deadline, cancelled by the connection's
// deadlines rather than by a timer of its own. Err reports
// context.DeadlineExceeded once the deadline passed, as a context of
// context.WithDeadline does; contexts derived from it see
// context.Canceled, with context.DeadlineExceeded as their cause.
type handlerContext struct {
	context.Context
	d expiry
}

// Deadline returns the handler's deadline.
func (c *handlerContext) Deadline() (time.Time, bool) { return c.d.at, true }

// Err returns context.DeadlineExceeded after the deadline, the parent's
// error after the connection closed, and nil before.
func (c *handlerContext) Err() error {
	err := c.Context.Err()
	if err != nil && context.Cause(c.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

// newHandlerContext returns the context of a handler that may run for
// timeout, scheduled in q; the caller must call finish when the handler
// returned.
func newHandlerContext(parent context.Context, q *deadlines, timeout time.Duration) *handlerContext {
	inner, cancel := context.WithCancelCause(parent)
	c := &handlerContext{Context: inner, d: expiry{at: time.Now().Add(timeout), cancel: cancel}}
	q.add(&c.d)
	return c
}

// finish unschedules c's deadline and releases c.
func (c *handlerContext) finish(q *deadlines) {
	q.remove(&c.d)
	c.d.cancel(context.Canceled)
}
