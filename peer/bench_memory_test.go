package peer_test

// The memory cost of an idle connection, both ends counted: see
// TestIdleConnectionMemory. It opens thousands of sockets, so it runs only
// when asked:
//
//	go test ./peer -run TestIdleConnectionMemory -rss -v
//
// -rss.conns changes the number of connections (2,000) and -rss.profile
// names a directory for heap and goroutine profiles of every variant,
// taken while its connections are open.

import (
	"context"
	"crypto/tls"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/coder/websocket"
	gws "github.com/gorilla/websocket"

	"github.com/chianet/chianet/peer"
)

var (
	rssFlag    = flag.Bool("rss", false, "run TestIdleConnectionMemory (opens thousands of loopback connections)")
	rssConns   = flag.Int("rss.conns", 2000, "connections per variant in TestIdleConnectionMemory")
	rssProfile = flag.String("rss.profile", "", "directory for heap and goroutine profiles taken while the connections of TestIdleConnectionMemory are open")
)

// memSample is the process's memory after a forced collection.
type memSample struct {
	rss        uint64 // resident set, from /proc/self/statm
	heap       uint64 // runtime.MemStats HeapInuse
	stack      uint64 // runtime.MemStats StackInuse
	goroutines int
}

func sampleMemory(t *testing.T) memSample {
	t.Helper()
	// Collect until the stacks stop shrinking: each collection runs the
	// finalizers of unreachable connections and halves the stacks that
	// use under a quarter of their size, as the collections of a long
	// idle period would.
	var ms runtime.MemStats
	for prev, i := uint64(0), 0; i < 20; i++ {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.StackInuse == prev {
			break
		}
		prev = ms.StackInuse
	}
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	return memSample{
		rss:        pages * uint64(os.Getpagesize()),
		heap:       ms.HeapInuse,
		stack:      ms.StackInuse,
		goroutines: runtime.NumGoroutine(),
	}
}

// idleConns opens n connections of one kind, both ends in this process,
// and returns once every end is established and idle; close closes them
// all and waits for their goroutines.
type idleConns func(t *testing.T, n int) (close func())

// TestIdleConnectionMemory measures what one idle connection costs, both
// ends counted, for a chianet connection on either WebSocket library and
// for raw WebSocket and bare TLS connections that keep one reading
// goroutine per end. Each variant opens -rss.conns connections over
// loopback after a collection, collects again, and reports the growth of
// the resident set and of the Go heap and stacks divided by the number of
// connections.
func TestIdleConnectionMemory(t *testing.T) {
	if !*rssFlag {
		t.Skip("opt-in: go test ./peer -run TestIdleConnectionMemory -rss -v")
	}
	n := *rssConns
	raiseFileLimit(t, uint64(4*n+1024))
	variants := []struct {
		name string
		open idleConns
	}{
		{"peer", idlePeers(peerLibs[0])},
		{"peer-coder", idlePeers(peerLibs[1])},
		{"rawws-coder", idleCoder},
		{"rawws-gorilla", idleGorilla},
		{"tls", idleTLS},
	}
	// A first round grows the heap and its metadata to their peak, so
	// that the variant measured first does not pay for that alone.
	t.Run("warmup", func(t *testing.T) { variants[0].open(t, n)() })
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			before := sampleMemory(t)
			closeAll := v.open(t, n)
			after := sampleMemory(t)
			if *rssProfile != "" {
				writeProfiles(t, *rssProfile, v.name)
			}
			closeAll()
			perConn := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) / 1024 }
			t.Logf("%s: %d connections: RSS %.1f KiB/conn; heap+stack %.1f KiB/conn (heap %.1f, stacks %.1f); %.2f goroutines/conn",
				v.name, n, perConn(after.rss, before.rss), perConn(after.heap+after.stack, before.heap+before.stack),
				perConn(after.heap, before.heap), perConn(after.stack, before.stack),
				float64(after.goroutines-before.goroutines)/float64(n))
		})
	}
}

// raiseFileLimit lifts the soft limit on open files to at least want.
func raiseFileLimit(t *testing.T, want uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= want {
		return
	}
	if lim.Max < want {
		t.Skipf("RLIMIT_NOFILE hard limit %d is under the %d files needed", lim.Max, want)
	}
	lim.Cur = want
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
}

func writeProfiles(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		profile string
		debug   int
		file    string
	}{{"heap", 0, name + ".heap.pprof"}, {"goroutine", 1, name + ".goroutines.txt"}} {
		f, err := os.Create(filepath.Join(dir, p.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup(p.profile).WriteTo(f, p.debug); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// openParallel runs open(i) for i in [0, n) on a few goroutines and
// fails the test on the first error.
func openParallel(t *testing.T, n int, open func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				if err := open(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// idlePeers opens chianet connections with the default configuration of
// two full nodes (heartbeat on the dialer, idle timeout on both).
func idlePeers(lib peerLib) idleConns {
	return func(t *testing.T, n int) func() {
		k := realPKI(t)
		listeners := make(chan *peer.Peer, n)
		h := &peer.Handler{Config: listenerConfig(), Accept: func(p *peer.Peer) error {
			listeners <- p
			return nil
		}}
		addr := serveBench(t, lib.handler(h), k.serverTLS(k.listener))
		cfg := peer.Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), Handlers: listenerConfig().Handlers}
		dialers := make([]*peer.Peer, n)
		openParallel(t, n, func(i int) error {
			p, err := lib.dial(context.Background(), addr, cfg)
			dialers[i] = p
			return err
		})
		// The listener's Accept may run just after Dial returns.
		accepted := make([]*peer.Peer, n)
		for i := range accepted {
			accepted[i] = <-listeners
		}
		return func() {
			for _, p := range dialers {
				p.Close(nil)
			}
			for _, p := range dialers {
				<-p.Done()
			}
			for _, p := range accepted {
				<-p.Done()
			}
		}
	}
}

// readUntilError keeps one goroutine reading a connection, as a live
// connection needs; wg tracks it.
func readUntilError(wg *sync.WaitGroup, read func() error) {
	wg.Go(func() {
		for read() == nil {
		}
	})
}

// idleRaw opens n raw connections through dial, with accepted counting
// the server ends, and keeps a reader on every client end.
func idleRaw[C any](t *testing.T, n int, accepted *sync.WaitGroup, dial func() (C, error), read func(C) error, closeConn func(C)) func() {
	t.Helper()
	accepted.Add(n)
	conns := make([]C, n)
	var readers sync.WaitGroup
	var mu sync.Mutex
	openParallel(t, n, func(i int) error {
		c, err := dial()
		if err != nil {
			return err
		}
		mu.Lock()
		conns[i] = c
		mu.Unlock()
		readUntilError(&readers, func() error { return read(c) })
		return nil
	})
	accepted.Wait()
	return func() {
		for _, c := range conns {
			closeConn(c)
		}
		readers.Wait()
	}
}

func idleCoder(t *testing.T, n int) func() {
	k := realPKI(t)
	var accepted sync.WaitGroup
	addr := serveBench(t, coderServer(func(c *websocket.Conn) {
		accepted.Done()
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				return
			}
		}
	}), k.serverTLS(k.listener))
	conf := k.clientTLS(k.client)
	return idleRaw(t, n, &accepted,
		func() (*websocket.Conn, error) { return dialCoder(context.Background(), addr, conf) },
		func(c *websocket.Conn) error { _, _, err := c.Read(context.Background()); return err },
		func(c *websocket.Conn) { _ = c.CloseNow() })
}

func idleGorilla(t *testing.T, n int) func() {
	k := realPKI(t)
	var accepted sync.WaitGroup
	addr := serveBench(t, gorillaServer(func(c *gws.Conn) {
		accepted.Done()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}), k.serverTLS(k.listener))
	conf := k.clientTLS(k.client)
	return idleRaw(t, n, &accepted,
		func() (*gws.Conn, error) { return dialGorillaRaw(context.Background(), addr, conf) },
		func(c *gws.Conn) error { _, _, err := c.ReadMessage(); return err },
		func(c *gws.Conn) { _ = c.Close() })
}

func idleTLS(t *testing.T, n int) func() {
	k := realPKI(t)
	var accepted sync.WaitGroup
	addr := serveTLS(t, k.serverTLS(k.listener), func(c *tls.Conn) {
		accepted.Done()
		var b [64]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	})
	conf := k.clientTLS(k.client)
	return idleRaw(t, n, &accepted,
		func() (*tls.Conn, error) { return dialTLS(context.Background(), addr, conf) },
		func(c *tls.Conn) error { var b [64]byte; _, err := c.Read(b[:]); return err },
		func(c *tls.Conn) { _ = c.Close() })
}
