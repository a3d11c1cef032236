package peer

// The white-box tests of the package: the deadline set, handler contexts
// and the send-buffer pool, which no public call shows whole; and the
// seam that lets the external tests and benchmarks run the peer on
// another WebSocket library.

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/internal/ws"
	"github.com/chianet/chianet/protocol"
)

// SetLibrary makes connections of c use the WebSocket library lib.
func SetLibrary(c *Config, lib ws.Library) { c.lib = lib }

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

// TestSendBuffers checks the size classes of the pool of large outgoing
// messages and that encode uses it only from pooledMin on.
func TestSendBuffers(t *testing.T) {
	for _, n := range []int{pooledMin, pooledMin + 1, 1 << 20, 1<<20 + 7, pooledMax} {
		b := getSendBuffer(n)
		if len(b) != 0 || cap(b) < n || cap(b) >= 2*n || cap(b)&(cap(b)-1) != 0 {
			t.Errorf("getSendBuffer(%d): len %d cap %d", n, len(b), cap(b))
		}
		putSendBuffer(b)
	}
	// Buffers that are not ours are not taken.
	putSendBuffer(nil)
	putSendBuffer(make([]byte, 0, pooledMin/2))
	putSendBuffer(make([]byte, 0, 3*pooledMin))
	putSendBuffer(make([]byte, 0, 2*pooledMax))
	if b := getSendBuffer(3 * pooledMin); cap(b) == 3*pooledMin {
		t.Error("the pool kept a foreign buffer")
	}

	for _, c := range []struct {
		size   int
		pooled bool
	}{{0, false}, {pooledMin - 8, false}, {pooledMin, true}, {5 << 20, true}, {pooledMax, false}} {
		m := protocol.Message{Type: protocol.MsgRespondBlocks, Data: bytes.Repeat([]byte{9}, c.size)}
		data, pooled, err := encode(&m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.MarshalBinary()
		if pooled != c.pooled || !bytes.Equal(data, want) {
			t.Errorf("encode of %d bytes: pooled %v, equal %v", c.size, pooled, bytes.Equal(data, want))
		}
		if pooled {
			putSendBuffer(data)
		}
	}
	big := protocol.Message{Type: protocol.MsgRespondBlocks, Data: make([]byte, protocol.MaxMessageSize)}
	if _, _, err := encode(&big); err == nil {
		t.Error("encode accepted a message over MaxMessageSize")
	}
	// The reference's aiohttp refuses a whole message of max_message_size
	// bytes (and bans its sender), so the largest one sent is a byte less.
	for _, c := range []struct {
		encoded int
		ok      bool
	}{{protocol.MaxMessageSize, false}, {protocol.MaxMessageSize - 1, true}} {
		m := protocol.Message{Type: protocol.MsgRespondBlocks, Data: make([]byte, c.encoded-6)}
		if _, _, err := encode(&m); (err == nil) != c.ok {
			t.Errorf("encode of a %d-byte message: %v", c.encoded, err)
		}
	}
}

// TestTimedOutIDs checks the request-id allocator: an id whose request
// timed out is not handed out again until its late reply arrives, and
// that reply is dropped rather than delivered.
func TestTimedOutIDs(t *testing.T) {
	p := newPeer(Config{}.withDefaults(true), true, false)
	ch := make(chan protocol.Message, 1)
	late, ok := p.register(ch)
	if !ok {
		t.Fatal("register failed")
	}
	if _, got := p.abandon(late, ch); got {
		t.Fatal("abandon found a reply")
	}
	p.nextID = late // make the allocator try the timed-out id next
	id, ok := p.register(ch)
	if !ok || id == late {
		t.Fatalf("register gave id %d (ok %v) while %d is timed out", id, ok, late)
	}
	if !p.deliver(protocol.Message{Type: protocol.MsgRespondPeers, HasID: true, ID: late}) {
		t.Fatal("the late reply was not recognised")
	}
	if len(ch) != 0 {
		t.Fatal("the late reply was delivered")
	}
	p.mu.Lock()
	delete(p.pending, id)
	p.nextID = late
	p.mu.Unlock()
	if again, _ := p.register(ch); again != late {
		t.Fatalf("register gave %d after the late reply, want the freed %d", again, late)
	}
	if p.deliver(protocol.Message{Type: protocol.MsgRespondPeers, HasID: true, ID: late + 100}) {
		t.Fatal("a reply nobody waits for was taken as one")
	}
}
