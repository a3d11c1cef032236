package introducer

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/protocol"
)

// runningNode is a node.Node run by a test.
type runningNode struct {
	*node.Node
	ip   string
	stop context.CancelFunc
	done chan error
}

// newNode makes a node of testNetwork on ip (any port, dialling from ip)
// that knows only the introducer at intro.
func newNode(t *testing.T, ip, intro string, target int) *runningNode {
	t.Helper()
	n, err := node.New(node.Config{
		Network:        testNetwork,
		Private:        true,
		Root:           t.TempDir(),
		ListenAddr:     ip + ":0",
		Introducer:     intro,
		TargetOutbound: target,
		Logger:         testLogger(t, ip),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &runningNode{Node: n, ip: ip, done: make(chan error, 1)}
}

// run starts the node; wait waits until it listens.
func (r *runningNode) run() {
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- r.Run(ctx) }()
}

func (r *runningNode) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.Ready():
	case err := <-r.done:
		t.Fatalf("%s: Run: %v", r.ip, err)
	case <-time.After(failsafe):
		t.Fatalf("%s: not listening after %v", r.ip, failsafe)
	}
	t.Cleanup(func() { r.shutdown(t) })
}

// unlucky reports whether the node's ephemeral port is another network's
// default port (58444, 58445 beside our default, 8444): discovery drops
// such addresses, so nobody would dial it.
func (r *runningNode) unlucky() bool {
	p := r.Addr().Port()
	return p == config.Testnet11Port || p == 58445
}

// shutdown stops the node; later calls do nothing.
func (r *runningNode) shutdown(t *testing.T) {
	r.stop()
	select {
	case err, ok := <-r.done:
		if !ok {
			return
		}
		close(r.done)
		if err != nil {
			t.Errorf("node %v: Run: %v", r.Addr(), err)
		}
	case <-time.After(failsafe):
		t.Fatalf("node %v: Run did not return %v after cancel", r.Addr(), failsafe)
	}
}

// outbound returns how many outbound full-node connections n has.
func (r *runningNode) outbound() int {
	k := 0
	for _, c := range r.Connections() {
		if c.Outbound && c.NodeType == protocol.NodeFullNode {
			k++
		}
	}
	return k
}

// TestNodesBootstrapFromIntroducer: eight new nodes, each on its own
// 127.N.0.1 (its own /16 group, dialling from it) and knowing only the
// introducer, start at once and join a network of four full nodes that
// the introducer has recorded and vetted; every new node reaches its
// outbound target of three. The introducer records each new node as it
// asks, vets it and hands it to the others.
//
// The four are listening servers that dial nobody. A handful of nodes
// that all start together cannot all be sure of their target: the first
// ones vetted are handed to every later one and can end up connected to
// everybody, mostly inbound, with no one left to dial (a connection
// counts towards the target of its dialler only).
func TestNodesBootstrapFromIntroducer(t *testing.T) {
	const nodes, target = 8, 3
	in := startIntroducer(t, "127.120.0.1", nil)
	k := newPKI(t)
	for i := range 4 {
		srv := startServer(t, k, fmt.Sprintf("127.%d.0.1", 121+i), testNetwork, protocol.NodeFullNode)
		p := connect(t, srv, in)
		if errs := in.vets.waitFor(t, srv.Addr(), 1); errs[0] != nil {
			t.Fatalf("vetting %v: %v", srv.Addr(), errs[0])
		}
		p.Close(nil)
	}
	var ns []*runningNode
	for i := range nodes {
		ns = append(ns, newNode(t, fmt.Sprintf("127.%d.0.1", 131+i), in.Addr().String(), target))
	}
	for _, n := range ns {
		n.run()
	}
	for i, n := range ns {
		n.wait(t)
		for ns[i].unlucky() {
			ns[i].shutdown(t)
			ns[i] = newNode(t, n.ip, in.Addr().String(), target)
			ns[i].run()
			ns[i].wait(t)
		}
	}
	deadline := time.After(failsafe)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var short []string
		for _, n := range ns {
			if k := n.outbound(); k < target {
				short = append(short, fmt.Sprintf("%v: %d outbound of %d connections", n.Addr(), k, len(n.Connections())))
			}
		}
		if len(short) == 0 {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("not at the outbound target of %d after %v: %s; introducer: %+v",
				target, failsafe, strings.Join(short, ", "), in.Stats())
		}
	}
	for _, n := range ns {
		s, ok := in.state(n.Addr())
		if !ok || !s.Vetted {
			t.Errorf("introducer: %v: %+v (known %v)", n.Addr(), s, ok)
		}
		// Every outbound peer is at its own address, not 127.0.0.1.
		for _, c := range n.Connections() {
			if c.PeerHost == netip.MustParseAddr("127.0.0.1") || slices.Contains([]string{"0.0.0.0", "::"}, c.PeerHost.String()) {
				t.Errorf("%v: connection with %v", n.Addr(), c.PeerHost)
			}
		}
	}
	t.Logf("introducer: %+v", in.Stats())
}
