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
// request) or ctx is cancelled with context.DeadlineExceeded (a handler).
type expiry struct {
	at   time.Time
	done chan struct{}
	ctx  *handlerContext
}

// expire carries out d.
func (d *expiry) expire() {
	if d.done != nil {
		close(d.done)
	}
	if d.ctx != nil {
		d.ctx.cancel(context.DeadlineExceeded)
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

// add schedules d and reports whether it did: once the set is closed d
// never expires (the connection is closing, and its callers end on that).
func (q *deadlines) add(d *expiry) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	if q.set == nil {
		q.set = make(map[*expiry]struct{})
	}
	q.set[d] = struct{}{}
	if q.armed.IsZero() || d.at.Before(q.armed) {
		q.arm(d.at)
	}
	return true
}

// remove unschedules d. It reports whether d was still scheduled: if
// not, it has expired or is expiring (or was never added).
func (q *deadlines) remove(d *expiry) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.set[d]
	delete(q.set, d)
	return ok
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

// close stops the timer for good and cancels the handler contexts in the
// set with context.Canceled, as their parent is at shutdown.
func (q *deadlines) close() {
	q.mu.Lock()
	q.closed = true
	set := q.set
	q.set = nil
	if q.timer != nil {
		q.timer.Stop()
	}
	q.mu.Unlock()
	for d := range set {
		if d.ctx != nil {
			d.ctx.cancel(context.Canceled)
		}
	}
}

// handlerContext is a handler's context: done when the handler's
// deadline passes (Err is context.DeadlineExceeded), when the connection
// closes (context.Canceled, from deadlines.close) or when the handler
// returned. It behaves as a context of context.WithDeadline, derived
// contexts included, but its deadline is one entry of the connection's
// deadlines instead of a timer of its own, and the connection's shutdown
// reaches it through the same set instead of a registration with a
// parent context.
type handlerContext struct {
	values context.Context // the connection's values, without cancellation
	d      expiry

	mu    sync.Mutex
	done  chan struct{} // made lazily by Done
	err   error
	funcs map[*afterFunc]struct{}
}

// afterFunc is one function registered by AfterFunc.
type afterFunc struct{ f func() }

// newHandlerContext returns the context of a handler that may run for
// timeout, with the values of values, scheduled in q: cancelled when its
// deadline passes or q is closed. The caller must call finish when the
// handler returned.
func newHandlerContext(values context.Context, q *deadlines, timeout time.Duration) *handlerContext {
	c := &handlerContext{values: values}
	c.d = expiry{at: time.Now().Add(timeout), ctx: c}
	if !q.add(&c.d) {
		c.cancel(context.Canceled) // the connection is closing
	}
	return c
}

// finish unschedules c's deadline and cancels c.
func (c *handlerContext) finish(q *deadlines) {
	q.remove(&c.d)
	c.cancel(context.Canceled)
}

// cancel makes c done with err, unless it is done already, and starts the
// functions registered with AfterFunc.
func (c *handlerContext) cancel(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	if c.done == nil {
		c.done = closedChan
	} else {
		close(c.done)
	}
	funcs := c.funcs
	c.funcs = nil
	c.mu.Unlock()
	for a := range funcs {
		go a.f()
	}
}

// Deadline returns the handler's deadline.
func (c *handlerContext) Deadline() (time.Time, bool) { return c.d.at, true }

// Done is closed when c is done. It is made on first use, as most
// handlers never ask for it.
func (c *handlerContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}

// closedChan is the Done channel of a context that ended before anyone
// asked for it.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Err returns nil before c is done, then why it is.
func (c *handlerContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value returns the parent's value for key.
func (c *handlerContext) Value(key any) any { return c.values.Value(key) }

// AfterFunc calls f in its own goroutine once c is done; stop unregisters
// f and reports whether it did so before f was started. Contexts derived
// from c use it (through the context package), so they learn c's own
// error without a goroutine each.
func (c *handlerContext) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	if c.funcs == nil {
		c.funcs = make(map[*afterFunc]struct{})
	}
	c.funcs[a] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.funcs[a]
		delete(c.funcs, a)
		return ok
	}
}
