package devnet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// failsafe bounds every wait, so that a bug fails a test instead of
// hanging it; nothing waits for it to pass. A 12-node devnet forms in
// about 15 s on an idle machine.
const failsafe = 3 * time.Minute

// waitFor polls the devnet's snapshot until ok accepts it, and fails the
// test with a short summary of the last snapshot after failsafe.
func waitFor(t *testing.T, n *Net, what string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(failsafe)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st := n.Snapshot()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v:\n%s", what, failsafe, describe(st))
		}
		<-tick.C
	}
}

// describe summarises a snapshot in a few lines.
func describe(st Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "elapsed %v, at target %d/%d (ever %d), outbound %d, inbound %d, crawler %+v, DNS %+v, introducer %+v\n",
		st.Elapsed.Round(time.Millisecond), st.AtTarget, len(st.Nodes), st.EverAtTarget, st.Outbound, st.Inbound,
		st.Crawler, st.DNS, st.Introducer)
	for _, ns := range st.Nodes {
		fmt.Fprintf(&b, "  node %d %v: out %d (most %d) in %d known %d joined %v reached %v\n", ns.Index, ns.Addr,
			ns.Outbound, ns.MaxOutbound, ns.Inbound, ns.Known, ns.Joined.Round(time.Millisecond), ns.ReachedTarget.Round(time.Millisecond))
	}
	return b.String()
}

// TestDevnet runs a 12-node devnet to the end: every node reaches its
// outbound target and none ever holds more, each outbound connection is
// an inbound one at the other end, the seeder crawled the nodes and its
// DNS server answered the nodes' lookups with node addresses only, and
// Close leaves nothing behind.
func TestDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("12 nodes")
	}
	dir := t.TempDir()
	const nodes = 12
	n, err := Start(t.Context(), Config{Nodes: nodes, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if c := n.Config(); c.TargetOutbound != 3 || c.MaxInbound != 8 {
		t.Errorf("12 nodes: target %d, inbound %d; want 3 and 8", c.TargetOutbound, c.MaxInbound)
	}
	ips := map[netip.Addr]int{}
	for i := range nodes {
		ips[NodeIP(i)] = i
	}

	st := waitFor(t, n, "every node at its target, seen from both ends", func(st Status) bool {
		return st.AllAtTarget > 0 && st.AtTarget == nodes && st.Outbound == st.Inbound && st.Crawler.Reliable > 0
	})
	for _, ns := range st.Nodes {
		if ns.MaxOutbound > st.Target || ns.Outbound != st.Target || ns.ReachedTarget <= 0 || ns.Known == 0 {
			t.Errorf("node %d: out %d (most %d), reached %v, known %d; target %d", ns.Index, ns.Outbound, ns.MaxOutbound, ns.ReachedTarget, ns.Known, st.Target)
		}
		if ns.Inbound > n.Config().MaxInbound {
			t.Errorf("node %d: %d inbound, limit %d", ns.Index, ns.Inbound, n.Config().MaxInbound)
		}
		if ns.Addr != netip.AddrPortFrom(NodeIP(ns.Index), n.Port()) {
			t.Errorf("node %d at %v", ns.Index, ns.Addr)
		}
	}
	if st.Crawler.Reached == 0 || st.Crawler.Reliable == 0 || st.Crawler.Batches == 0 {
		t.Errorf("crawler: %+v", st.Crawler)
	}
	// The second wave starts once the DNS server hands out a node: its
	// first lookups are answered.
	if st.DNS.Answers == 0 || st.DNS.Addresses == 0 || st.DNS.Queries == 0 {
		t.Errorf("DNS: %+v", st.DNS)
	}
	if st.Introducer.Vetted == 0 || st.Introducer.Requests == 0 {
		t.Errorf("introducer: %+v", st.Introducer)
	}

	// Connections, from the nodes themselves: each outbound one is
	// inbound at the other end, nobody is connected to itself, and the
	// peers are seen at their own addresses (the source address is the
	// listening one). Connections can change meanwhile: retried.
	waitFor(t, n, "connections consistent", func(Status) bool {
		out := map[[2]int]bool{}
		in := map[[2]int]bool{}
		for i, nd := range n.Nodes() {
			for _, c := range nd.Connections() {
				j, ok := ips[c.PeerHost]
				if c.NodeType != protocol.NodeFullNode || !ok {
					continue
				}
				if j == i {
					t.Fatalf("node %d connected to itself", i)
				}
				if c.Outbound {
					out[[2]int{i, j}] = true
				} else {
					in[[2]int{j, i}] = true
				}
			}
		}
		if len(out) != len(in) {
			return false
		}
		for k := range out {
			if !in[k] {
				return false
			}
		}
		return len(out) == nodes*n.Config().TargetOutbound
	})

	// The DNS server hands out nodes only, on the nodes' port.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	addrs, err := n.resolver.LookupNetIP(ctx, "ip4", DNSName)
	if err != nil || len(addrs) == 0 {
		t.Fatalf("looking up %s: %v, %v", DNSName, addrs, err)
	}
	for _, a := range addrs {
		if _, ok := ips[a]; !ok {
			t.Errorf("DNS answered %v, which is no node", a)
		}
	}

	root := n.Root()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("root %s after Close: %v", root, err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left behind in %s: %v", dir, left)
	}
	t.Logf("%d nodes at target %d after %v (setup %v); crawler %+v; DNS %+v; introducer %+v",
		nodes, st.Target, st.AllAtTarget.Round(time.Millisecond), st.Setup.Round(time.Millisecond), st.Crawler, st.DNS, st.Introducer)
}

// TestKeep: with Keep and RPC the roots stay after Close, each with a
// config.yaml naming the node's own RPC address, which the node served.
func TestKeep(t *testing.T) {
	dir := t.TempDir()
	n, err := Start(t.Context(), Config{Nodes: 3, Dir: dir, Keep: true, RPC: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	st := n.Snapshot()
	for i, ns := range st.Nodes {
		if got := n.Nodes()[i].RPCAddr(); got != ns.RPCAddr || !strings.HasPrefix(got, NodeIP(i).String()+":") {
			t.Errorf("node %d: RPC at %q, status says %q", i, got, ns.RPCAddr)
		}
		c, err := config.Load(ns.Root)
		if err != nil {
			t.Fatal(err)
		}
		if c.SelfHostname != NodeIP(i).String() || ns.RPCAddr != netip.AddrPortFrom(NodeIP(i), uint16(c.FullNode.RPCPort)).String() {
			t.Errorf("node %d: config.yaml self_hostname %q rpc_port %d; RPC at %s", i, c.SelfHostname, c.FullNode.RPCPort, ns.RPCAddr)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ns := range st.Nodes {
		if _, err := os.Stat(ns.Root); err != nil {
			t.Errorf("node %d: root after Close: %v", ns.Index, err)
		}
	}
}

// TestConfig: defaults for small and large devnets, and refusals.
func TestConfig(t *testing.T) {
	for _, tc := range []struct{ nodes, target, inbound int }{
		{3, 1, 1}, {12, 3, 8}, {24, 7, 16}, {25, 8, 16}, {1000, 8, 32},
	} {
		c := Config{Nodes: tc.nodes}.withDefaults()
		err := c.validate()
		if err != nil || c.TargetOutbound != tc.target || c.MaxInbound != tc.inbound {
			t.Errorf("%d nodes: target %d inbound %d (%v); want %d and %d", tc.nodes, c.TargetOutbound, c.MaxInbound, err, tc.target, tc.inbound)
		}
	}
	if c := (Config{Nodes: 5, Network: "mainnet"}).withDefaults(); c.validate() == nil {
		t.Error("mainnet accepted")
	}
	if _, err := Start(t.Context(), Config{Nodes: 2}); err == nil {
		t.Error("2 nodes accepted")
	}
	// A target that leaves a node no inbound slot is refused as the
	// target, not as the inbound limit derived from it.
	if c := (Config{Nodes: 3, TargetOutbound: 2}).withDefaults(); c.validate() == nil || !strings.Contains(c.validate().Error(), "outbound target 2") {
		t.Errorf("3 nodes, target 2: %v", c.validate())
	}
	if a, b := NodeIP(0), NodeIP(254); a.String() != "127.1.1.1" || b.String() != "127.1.2.1" {
		t.Errorf("NodeIP: %v, %v", a, b)
	}
}

// TestFileLimit: a devnet that needs more open files than the process
// may have is refused before anything starts, one that fits is not.
func TestFileLimit(t *testing.T) {
	defer func(f func() (uint64, bool)) { openFileLimit = f }(openFileLimit)
	openFileLimit = func() (uint64, bool) { return 20000, true }
	big, small := Config{Nodes: 5000}.withDefaults(), Config{Nodes: 1000}.withDefaults()
	var fl *FileLimitError
	if err := big.validate(); !errors.As(err, &fl) || fl.Need <= fl.Limit {
		t.Errorf("5000 nodes under a limit of 20000 files: %v", err)
	}
	if err := small.validate(); err != nil {
		t.Errorf("1000 nodes under a limit of 20000 files: %v", err)
	}
	openFileLimit = func() (uint64, bool) { return 0, false }
	if err := big.validate(); err != nil {
		t.Errorf("5000 nodes, no limit: %v", err)
	}
}

// cancelOn is a slog handler that calls cancel at the first record with
// message msg: it interrupts Start at a chosen step, as Ctrl-C would.
type cancelOn struct {
	msg    string
	cancel context.CancelFunc
}

func (h cancelOn) Enabled(context.Context, slog.Level) bool { return true }
func (h cancelOn) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h cancelOn) WithGroup(string) slog.Handler            { return h }
func (h cancelOn) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.cancel()
	}
	return nil
}

// TestStartCancelledMaking: a start interrupted while the nodes' roots
// are made returns the context's error once, in one line (not once per
// node not made yet), and leaves nothing behind.
//
// It also interrupts later steps: the introducer's start, and the first
// wave running while the second waits for the DNS seeder.
func TestStartCancelledMaking(t *testing.T) {
	for _, msg := range []string{
		"no peers file yet; starting with empty address tables", // node.New
		"introducer started",
		"node started",
	} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(t.Context())
		log := slog.New(cancelOn{msg, cancel})
		n, err := Start(ctx, Config{Nodes: 12, Dir: dir, Logger: log})
		cancel()
		if err == nil {
			n.Close()
			t.Fatalf("cancelled at %q: Start succeeded", msg)
		}
		if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "\n") {
			t.Errorf("cancelled at %q: error %q; want context.Canceled, in one line", msg, err)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("cancelled at %q: left behind in %s: %v", msg, dir, left)
		}
	}
}

// TestRPCPortReused: the kernel may hand out the peer port again when
// the RPC port is chosen (its listeners are closed by then); the devnet
// then chooses another rather than start nodes on one port twice.
func TestRPCPortReused(t *testing.T) {
	defer func(f func(string, string) (net.Listener, error)) { listen = f }(listen)
	var (
		mu     sync.Mutex
		first  uint16 // the first port handed out for port 0
		reused bool
	)
	listen = func(network, addr string) (net.Listener, error) {
		mu.Lock()
		defer mu.Unlock()
		ap := netip.MustParseAddrPort(addr)
		if ap.Port() == 0 && first != 0 && !reused {
			reused = true
			return net.Listen(network, netip.AddrPortFrom(ap.Addr(), first).String())
		}
		l, err := net.Listen(network, addr)
		if err == nil && ap.Port() == 0 && first == 0 {
			first = uint16(l.Addr().(*net.TCPAddr).Port)
		}
		return l, err
	}
	n, err := Start(t.Context(), Config{Nodes: 3, Dir: t.TempDir(), RPC: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !reused || n.rpcPort == n.port {
		t.Fatalf("port %d handed out again: %v; RPC on %d, peers on %d", first, reused, n.rpcPort, n.port)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStartCancelled: a start cut short stops whatever it started and
// leaves no file behind (goleak checks the goroutines at the end).
func TestStartCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// With Keep too: the root of a start that failed is named nowhere.
	for _, keep := range []bool{false, true} {
		if n, err := Start(ctx, Config{Nodes: 4, Dir: dir, Keep: keep, RPC: keep}); err == nil {
			n.Close()
			t.Fatal("Start succeeded with a cancelled context")
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("keep %v: left behind in %s: %v", keep, dir, left)
		}
	}
}
