package devnet

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestScale runs a devnet of $CHIANET_SCALE nodes (e.g. 1000) until
// every node has reached its outbound target, and reports what it cost:
// setup and forming time, the distribution of the times to target,
// handshakes per second, RSS, Go heap and goroutines per node, CPU
// seconds. It fails if a node ever held more outbound connections than
// its target, or if the network has not formed within scaleLimit. It is
// skipped unless CHIANET_SCALE is set: at 1,000 nodes it holds about
// 16,000 sockets and takes minutes. With CHIANET_SCALE_PROFILES=DIR it
// writes heap and goroutine profiles there once the network has formed;
// with CHIANET_SCALE_LOG=FILE it logs the seeder from Debug on and every
// other service's warnings there.
//
//	CHIANET_SCALE=1000 go test -run TestScale -v -timeout 30m ./devnet/
func TestScale(t *testing.T) {
	nodes, _ := strconv.Atoi(os.Getenv("CHIANET_SCALE"))
	if nodes == 0 {
		t.Skip("set CHIANET_SCALE=N to run a devnet of N nodes")
	}
	// A listener and about 16 connections per node (8 dialled, 8 accepted
	// on average), the services' sockets and files besides.
	raiseFileLimit(t, uint64(17*nodes+500))

	before := sample()
	t0 := time.Now()
	cfg := Config{Nodes: nodes, Dir: t.TempDir()}
	if path := os.Getenv("CHIANET_SCALE_LOG"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cfg.Logger = slog.New(seederDebug{slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}), false})
	}
	n, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		c0 := time.Now()
		if err := n.Close(); err != nil {
			t.Error(err)
		}
		t.Logf("close: %v", time.Since(c0).Round(time.Millisecond))
	}()
	started := time.Since(t0)
	setup := n.Snapshot().Setup
	cpuSetup := cpuSeconds() - before.cpu

	// Poll once a second until every node has reached its target; the
	// exact times come from the nodes' events, not from the polling.
	deadline := time.Now().Add(scaleLimit)
	var st Status
	var lastLog time.Time
	poll := time.NewTicker(time.Second) // the snapshot is a condition to poll
	defer poll.Stop()
	for {
		st = n.Snapshot()
		if st.AllAtTarget > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not formed within %v:\n%s", scaleLimit, shortDescribe(st))
		}
		if time.Since(lastLog) >= 10*time.Second {
			lastLog = time.Now()
			t.Logf("%v: at target %d/%d (ever %d), outbound %d, inbound %d, handshakes %d, crawler %+v, DNS answers %d, goroutines %d",
				st.Elapsed.Round(time.Second), st.AtTarget, nodes, st.EverAtTarget, st.Outbound, st.Inbound,
				dialled(st), st.Crawler, st.DNS.Answers, runtime.NumGoroutine())
		}
		<-poll.C
	}
	formed := sample()

	over := 0
	reached := make([]time.Duration, 0, nodes)
	own := make([]time.Duration, 0, nodes)
	for _, ns := range st.Nodes {
		if ns.MaxOutbound > st.Target {
			over++
			t.Errorf("node %d held %d outbound connections at once; target %d", ns.Index, ns.MaxOutbound, st.Target)
		}
		reached = append(reached, ns.Joined+ns.ReachedTarget)
		own = append(own, ns.ReachedTarget)
	}
	slices.Sort(reached)
	slices.Sort(own)
	q := func(d []time.Duration, p int) time.Duration { return d[(len(d)-1)*p/100].Round(time.Millisecond) }

	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	perNode := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(nodes) / (1 << 10) }
	hs := dialled(st)
	t.Logf("%d nodes, target %d, inbound limit %d; load average %s", nodes, st.Target, st.MaxInbound, loadavg())
	t.Logf("setup (roots, %d certificates, services): %v, %.1f CPU s; Start returned after %v",
		2*nodes, setup.Round(time.Millisecond), cpuSetup, started.Round(time.Millisecond))
	t.Logf("every node at target %v after the nodes started; from the devnet's start p50 %v p90 %v p99 %v max %v; from each node's own start p50 %v p90 %v max %v",
		st.AllAtTarget.Round(time.Millisecond), q(reached, 50), q(reached, 90), q(reached, 99), q(reached, 100),
		q(own, 50), q(own, 90), q(own, 100))
	t.Logf("nodes above target ever: %d; at target now %d/%d; outbound %d, inbound %d",
		over, st.AtTarget, nodes, st.Outbound, st.Inbound)
	t.Logf("handshakes dialled by nodes: %d, %.0f/s over the forming; CPU while forming %.1f s (%.0f %% of one core)",
		hs, float64(hs)/st.AllAtTarget.Seconds(), formed.cpu-before.cpu-cpuSetup,
		100*(formed.cpu-before.cpu-cpuSetup)/st.AllAtTarget.Seconds())
	t.Logf("RSS %.0f MiB (%.0f before): %.0f KiB per node; Go heap in use %.0f MiB: %.0f KiB per node; goroutines %d: %.1f per node",
		mib(formed.rss), mib(before.rss), perNode(formed.rss, before.rss),
		mib(formed.heap), perNode(formed.heap, before.heap),
		formed.goroutines, float64(formed.goroutines-before.goroutines)/float64(nodes))
	if dir := os.Getenv("CHIANET_SCALE_PROFILES"); dir != "" {
		for _, p := range []string{"heap", "goroutine"} {
			f, err := os.Create(filepath.Join(dir, p+".pprof"))
			if err != nil {
				t.Fatal(err)
			}
			if err := pprof.Lookup(p).WriteTo(f, 0); err != nil {
				t.Error(err)
			}
			f.Close()
		}
	}
}

// scaleLimit is the bound on forming: every node at its target
// within 10 minutes.
const scaleLimit = 10 * time.Minute

// dialled sums the handshakes of the connections the nodes dialled: each
// connection between two nodes counted once, plus the nodes' requests to
// the introducer.
func dialled(st Status) int {
	s := 0
	for _, ns := range st.Nodes {
		s += ns.Dialled
	}
	return s
}

// shortDescribe is a summary of a snapshot: the totals and the nodes not
// at their target.
func shortDescribe(st Status) string {
	var b bytes.Buffer
	b.WriteString(strconv.Itoa(st.EverAtTarget) + " of " + strconv.Itoa(len(st.Nodes)) + " nodes reached the target; not yet:")
	k := 0
	for _, ns := range st.Nodes {
		if ns.ReachedTarget == 0 && k < 20 {
			k++
			b.WriteString(" " + strconv.Itoa(ns.Index) + "(out " + strconv.Itoa(ns.Outbound) + ", in " + strconv.Itoa(ns.Inbound) + ", known " + strconv.Itoa(ns.Known) + ")")
		}
	}
	return b.String()
}

// seederDebug passes the seeder's records from Debug on and the other
// services' from Warn on.
type seederDebug struct {
	slog.Handler
	seeder bool
}

func (h seederDebug) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.seeder && h.Handler.Enabled(ctx, l)
}

func (h seederDebug) WithAttrs(as []slog.Attr) slog.Handler {
	seeder := h.seeder
	for _, a := range as {
		seeder = seeder || a.Key == "service" && a.Value.String() == "seeder"
	}
	return seederDebug{h.Handler.WithAttrs(as), seeder}
}

func (h seederDebug) WithGroup(name string) slog.Handler {
	return seederDebug{h.Handler.WithGroup(name), h.seeder}
}

// usage is the process's memory, goroutines and CPU at one moment.
type usage struct {
	rss, heap  uint64 // VmRSS; Go heap in use after a collection
	goroutines int
	cpu        float64 // user + system seconds
}

func sample() usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{rss: vmRSS(), heap: ms.HeapInuse, goroutines: runtime.NumGoroutine(), cpu: cpuSeconds()}
}

// vmRSS reads the process's resident set from /proc/self/status; 0
// where there is none.
func vmRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			kb, _ := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "?"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}

// raiseFileLimit raises the open-file limit to at least want, the hard
// limit too where the process may (as root outside a container that
// forbids it); it fails the test if the limit stays below want.
func raiseFileLimit(t *testing.T, want uint64) {
	t.Helper()
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	if l.Cur >= want {
		return
	}
	nl := syscall.Rlimit{Cur: want, Max: max(l.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl); err != nil {
		nl = syscall.Rlimit{Cur: l.Max, Max: l.Max}
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl)
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur < want {
		t.Fatalf("open-file limit %d, below the %d this test needs", l.Cur, want)
	}
	t.Logf("open-file limit raised to %d", l.Cur)
}
