package node

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/internal/testlog"
	"github.com/chianet/chianet/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// failsafe bounds every wait of a test, so that a bug fails the test
// instead of hanging it; nothing waits for it to pass.
const failsafe = 30 * time.Second

// testLogger logs to the test's output at debug level when -v is set.
func testLogger(t testing.TB, name string) *slog.Logger {
	return testlog.New(t).With("node", name)
}

// running is a Node under test, run in a goroutine, with a record of its
// connection events and recorded peaks.
type running struct {
	*Node
	t    testing.TB
	stop context.CancelFunc
	done chan error // Run's result

	mu      sync.Mutex
	events  []server.Event
	changed chan struct{} // signalled on every event and recorded peak
}

// startNode runs a devnet node listening on 127.0.0.1, any port, with
// its own root under t.TempDir; edit may change the Config first. It
// returns once the node listens. The node is stopped when the test ends.
func startNode(t testing.TB, name string, edit func(*Config)) *running {
	t.Helper()
	r := &running{t: t, done: make(chan error, 1), changed: make(chan struct{}, 1)}
	cfg := Config{
		Network:    "devnet",
		Private:    true,
		Root:       t.TempDir(),
		ListenAddr: "127.0.0.1:0",
		Logger:     testLogger(t, name),
		onPeak:     func(PeerPeak) { r.signal() },
	}
	if edit != nil {
		edit(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Node = n
	n.srv.Subscribe(func(e server.Event) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
		r.signal()
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- n.Run(ctx) }()
	select {
	case <-n.Ready():
	case err := <-r.done:
		t.Fatalf("%s: Run: %v", name, err)
	case <-time.After(failsafe):
		t.Fatalf("%s: not listening after %v", name, failsafe)
	}
	t.Cleanup(func() { r.shutdown() })
	return r
}

func (r *running) signal() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// addr is the node's listening address as "host:port".
func (r *running) addr() string {
	a := r.Addr()
	return netip.AddrPortFrom(a.Addr(), a.Port()).String()
}

// shutdown stops the node and returns Run's error; later calls return
// nil.
func (r *running) shutdown() error {
	r.t.Helper()
	r.stop()
	select {
	case err, ok := <-r.done:
		if !ok {
			return nil
		}
		close(r.done)
		return err
	case <-time.After(failsafe):
		r.t.Fatalf("Run did not return %v after cancel", failsafe)
		return nil
	}
}

// waitFor waits until cond holds, checking it after every connection
// event and recorded peak.
func (r *running) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.After(failsafe)
	for !cond() {
		select {
		case <-r.changed:
		case <-deadline:
			r.t.Fatalf("%s: not after %v", what, failsafe)
		}
	}
}

// eventually waits until cond holds, checking it every few milliseconds:
// for state that changes without an event to wait on (discovery records
// peers from its own subscription to the server).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(failsafe)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not after %v", what, failsafe)
		}
	}
}

// connectedTo reports whether the node has a connection to each of ns.
func (r *running) connectedTo(ns ...*running) bool {
	have := make(map[[32]byte]bool)
	for _, c := range r.Connections() {
		have[c.NodeID] = true
	}
	for _, o := range ns {
		if !have[o.NodeID()] {
			return false
		}
	}
	return true
}

// eventsOf returns the events recorded about the connection to o.
func (r *running) eventsOf(o *running) []server.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []server.Event
	for _, e := range r.events {
		if e.Info.NodeID == o.NodeID() {
			out = append(out, e)
		}
	}
	return out
}
