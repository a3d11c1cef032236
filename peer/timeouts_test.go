package peer

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/protocol"
)

// TestDeadlines checks that deadlines added in any order expire exactly
// when due, that a removed one never expires, that the timer is re-armed
// only for an earlier deadline, and that close stops everything.
func TestDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var q deadlines
		start := time.Now()
		mk := func(after time.Duration) *expiry {
			return &expiry{at: start.Add(after), done: make(chan struct{})}
		}
		late, early, removed, mid := mk(30*time.Second), mk(10*time.Second), mk(5*time.Second), mk(20*time.Second)
		q.add(late)
		if !q.armed.Equal(late.at) {
			t.Fatalf("armed for %v, want the only deadline", q.armed.Sub(start))
		}
		q.add(early)
		q.add(mid) // later than the armed time: the timer is not touched
		if !q.armed.Equal(early.at) {
			t.Fatalf("armed for %v, want the earliest deadline", q.armed.Sub(start))
		}
		q.add(removed)
		q.remove(removed)
		for _, d := range []*expiry{early, mid, late} {
			<-d.done
			if got := time.Since(start); !start.Add(got).Equal(d.at) {
				t.Fatalf("expired after %v, want %v", got, d.at.Sub(start))
			}
		}
		select {
		case <-removed.done:
			t.Fatal("a removed deadline expired")
		default:
		}
		if !q.armed.IsZero() {
			t.Fatalf("timer still armed for %v with nothing pending", q.armed.Sub(start))
		}

		after := mk(time.Hour)
		q.add(after)
		q.close()
		closedAdd := mk(time.Minute)
		q.add(closedAdd) // ignored once closed
		time.Sleep(2 * time.Hour)
		for _, d := range []*expiry{after, closedAdd} {
			select {
			case <-d.done:
				t.Fatal("a deadline expired after close")
			default:
			}
		}
	})
}

// TestHandlerTimeout checks a handler's context: it carries the
// handler's deadline, reports context.DeadlineExceeded exactly
// HandlerTimeout after the call arrived, and its late reply is not sent
// (the reference only logs the timeout). A handler of a closing
// connection sees context.Canceled instead.
func TestHandlerTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type seen struct {
			deadline     time.Time
			hasDeadline  bool
			err, cause   error
			derived      [2]error // of WithCancel and WithTimeout(1 h) children
			started, end time.Time
		}
		got := make(chan seen, 1)
		cfg := listenerConfig()
		cfg.HandlerTimeout = 90 * time.Second
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *Peer, m protocol.Message) (*protocol.Message, error) {
			s := seen{started: time.Now()}
			s.deadline, s.hasDeadline = ctx.Deadline()
			c1, cancel1 := context.WithCancel(ctx)
			defer cancel1()
			c2, cancel2 := context.WithTimeout(ctx, time.Hour)
			defer cancel2()
			<-ctx.Done()
			s.end, s.err, s.cause = time.Now(), ctx.Err(), context.Cause(ctx)
			<-c1.Done()
			<-c2.Done()
			s.derived = [2]error{c1.Err(), c2.Err()}
			got <- s
			return echoBlock(ctx, p, m)
		}
		e := startMem(t, &Handler{Config: cfg})
		ccfg := e.clientConfig()
		ccfg.RequestTimeout = 5 * time.Minute
		dialer := e.dial(t, ccfg)
		listener := e.nextAccepted(t)

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, err := dialer.RequestBlock(ctx, 7, false)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrRequestTimeout) {
			t.Fatalf("RequestBlock: %v, want our own 2 min deadline (no late reply)", err)
		}
		s := <-got
		if !s.hasDeadline || !s.deadline.Equal(s.started.Add(cfg.HandlerTimeout)) {
			t.Errorf("handler deadline %v (%v), want %v after its start", s.deadline.Sub(s.started), s.hasDeadline, cfg.HandlerTimeout)
		}
		if d := s.end.Sub(s.started); d != cfg.HandlerTimeout {
			t.Errorf("handler context done after %v, want %v", d, cfg.HandlerTimeout)
		}
		if s.err != context.DeadlineExceeded || s.cause != context.DeadlineExceeded {
			t.Errorf("handler context: Err %v, Cause %v, want DeadlineExceeded", s.err, s.cause)
		}
		for i, err := range s.derived {
			if err != context.DeadlineExceeded {
				t.Errorf("derived context %d: Err %v, want DeadlineExceeded", i, err)
			}
		}

		// A handler running when the connection closes is cancelled.
		cfgDone := make(chan error, 1)
		cfg2 := listenerConfig()
		cfg2.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, _ *Peer, _ protocol.Message) (*protocol.Message, error) {
			<-ctx.Done()
			cfgDone <- ctx.Err()
			return nil, nil
		}
		e2 := startMem(t, &Handler{Config: cfg2})
		d2 := e2.dial(t, e2.clientConfig())
		l2 := e2.nextAccepted(t)
		go func() { _, _ = d2.RequestBlock(context.Background(), 1, false) }()
		synctest.Wait()
		l2.Close(nil)
		if err := <-cfgDone; err != context.Canceled {
			t.Errorf("handler of a closed connection: Err %v, want context.Canceled", err)
		}
		<-d2.Done()
		dialer.Close(nil)
		<-listener.Done()
	})
}

// TestHandlerContext checks the context.Context contract of a handler's
// context beyond its deadline: the connection's values, cancellation at
// shutdown, and AfterFunc registrations run once done or stopped before.
func TestHandlerContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		var q deadlines
		c := newHandlerContext(context.WithValue(context.Background(), key{}, "v"), &q, time.Minute)
		if c.Value(key{}) != "v" || c.Err() != nil || context.Cause(c) != nil {
			t.Fatalf("before done: Value %v, Err %v, Cause %v", c.Value(key{}), c.Err(), context.Cause(c))
		}
		ran := make(chan struct{})
		stopRan := c.AfterFunc(func() { close(ran) })
		stopped := c.AfterFunc(func() { t.Error("a stopped AfterFunc ran") })
		if !stopped() {
			t.Error("stop before done reported false")
		}
		q.close() // the connection's shutdown
		<-c.Done()
		<-ran
		if c.Err() != context.Canceled || context.Cause(c) != context.Canceled {
			t.Errorf("after shutdown: Err %v, Cause %v", c.Err(), context.Cause(c))
		}
		if stopRan() {
			t.Error("stop after the function started reported true")
		}
		late := make(chan struct{})
		c.AfterFunc(func() { close(late) })
		<-late
		time.Sleep(2 * time.Minute) // the deadline passes: nothing changes
		if c.Err() != context.Canceled {
			t.Errorf("Err changed to %v", c.Err())
		}
		c.finish(&q)

		// A handler that starts after shutdown gets a cancelled context.
		if c2 := newHandlerContext(context.Background(), &q, time.Minute); c2.Err() != context.Canceled {
			t.Errorf("context made after close: Err %v", c2.Err())
		}
		synctest.Wait()
	})
}
