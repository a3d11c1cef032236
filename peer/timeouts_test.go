package peer_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

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
		cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
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
		e := startMem(t, &peer.Handler{Config: cfg})
		ccfg := e.clientConfig()
		ccfg.RequestTimeout = 5 * time.Minute
		dialer := e.dial(t, ccfg)
		listener := e.nextAccepted(t)

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, err := dialer.RequestBlock(ctx, 7, false)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, peer.ErrRequestTimeout) {
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
		cfg2.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, _ *peer.Peer, _ protocol.Message) (*protocol.Message, error) {
			<-ctx.Done()
			cfgDone <- ctx.Err()
			return nil, nil
		}
		e2 := startMem(t, &peer.Handler{Config: cfg2})
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
