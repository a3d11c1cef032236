package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/streamable"
)

// rpcNode is an in-process devnet node with its RPC and daemon on
// loopback.
type rpcNode struct {
	*node.Node
	root string
	done chan error
}

func startRPCNode(t *testing.T, rpcOn bool) *rpcNode {
	t.Helper()
	cfg := node.Config{Network: "devnet", Private: true, Root: t.TempDir(), ListenAddr: "127.0.0.1:0",
		TargetOutbound: -1, Logger: slog.New(slog.DiscardHandler)}
	if rpcOn {
		cfg.RPCAddr, cfg.DaemonAddr = "127.0.0.1:0", "127.0.0.1:0"
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rpcNode{Node: n, root: cfg.Root, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	select {
	case <-n.Ready():
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	}
	return r
}

func (r *rpcNode) rpcPort() string {
	i := strings.LastIndexByte(r.RPCAddr(), ':')
	return r.RPCAddr()[i+1:]
}

// chianetOut runs the tool in-process and returns its output and exit
// code.
func chianetOut(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestShowPeerStop(t *testing.T) {
	a := startRPCNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The daemon's get_connections notifications say when a peer's peak
	// has arrived.
	tc, err := rpc.ClientTLS(chiatls.Tree{Root: a.root}, chiatls.Daemon)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rpc.DialDaemon(ctx, "wss://"+a.DaemonAddr(), tc, "test_ui")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Register(ctx, rpc.WalletUI); err != nil {
		t.Fatal(err)
	}

	// Three peers, each announcing a peak of its own.
	var peers []*peer.Peer
	var ids []protocol.Bytes32
	for i := range 3 {
		tree := chiatls.Tree{Root: certRoot(t, chiatls.FullNode)}
		conf, err := tree.ClientConfig(chiatls.FullNode)
		if err != nil {
			t.Fatal(err)
		}
		id, err := tree.NodeID(chiatls.FullNode)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		p, err := peer.Dial(ctx, a.Addr().String(), peer.Config{NetworkID: "devnet", TLS: conf, Handlers: quietHandlers()})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			p.Close(nil)
			<-p.Done()
		}()
		peers = append(peers, p)
		np := &protocol.NewPeak{HeaderHash: protocol.Bytes32{byte(0xa0 + i), 1}, Height: uint32(100 + i),
			Weight: streamable.U128From64(uint64(1000 + i))}
		if err := p.Send(ctx, protocol.MsgNewPeak, np); err != nil {
			t.Fatal(err)
		}
	}
	c := rpc.NewClient("https://"+a.RPCAddr(), tc)
	defer c.Close()
	for {
		conns, err := c.Connections(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		peaks := 0
		for _, c := range conns {
			if c.Peak != nil {
				peaks++
			}
		}
		if peaks == 3 {
			break
		}
		select {
		case <-d.Notifications():
		case <-ctx.Done():
			t.Fatalf("the node has %d of the 3 peaks", peaks)
		}
	}

	out, errOut, code := chianetOut(t, "show", "--root", a.root, "--rpc-port", a.rpcPort())
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Network: devnet\n", "Node ID: " + a.NodeID().String() + "\n",
		"Peak: height 102, weight 1002, hash 0xa201", "Sync: not synced", "Connections: 3\n",
		"NODE ID   UP    DOWN   SINCE                PEAK HEIGHT  PEAK HASH\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("show prints no %q:\n%s", want, out)
		}
	}
	for i := range peers {
		id := ids[i].String()
		line := ""
		for l := range strings.Lines(out) {
			if strings.Contains(l, " "+id[2:10]+" ") {
				line = l
			}
		}
		hash := protocol.Bytes32{byte(0xa0 + i), 1}
		if !strings.HasPrefix(line, "FULL_NODE  127.0.0.1") || !strings.Contains(line, " "+strconv.Itoa(100+i)+" ") ||
			!strings.HasSuffix(line, hash.String()+"\n") {
			t.Errorf("peer %d (%s): line %q in\n%s", i, id[:10], line, out)
		}
	}

	// peer add: the node dials another.
	b := startRPCNode(t, false)
	out, errOut, code = chianetOut(t, "peer", "add", b.Addr().String(), "--root", a.root, "--rpc-port", a.rpcPort())
	if code != 0 || out != "connected to "+b.Addr().String()+"\n" {
		t.Fatalf("peer add: exit %d: %q %s", code, out, errOut)
	}
	if conns, err := c.Connections(ctx, 0); err != nil || len(conns) != 4 {
		t.Fatalf("after peer add: %d connections, %v", len(conns), err)
	}

	// peer remove: the node closes the connection with the peer of that
	// node id prefix.
	gone := ids[1].String()
	out, errOut, code = chianetOut(t, "peer", "remove", gone[:12], "--root", a.root, "--rpc-port", a.rpcPort())
	if code != 0 || !strings.HasPrefix(out, "closed the connection to "+gone+" (127.0.0.1:") {
		t.Fatalf("peer remove: exit %d: %q %s", code, out, errOut)
	}
	select {
	case <-peers[1].Done():
	case <-ctx.Done():
		t.Fatal("the removed peer's connection is still open")
	}
	if _, errOut, code = chianetOut(t, "peer", "remove", gone[:12], "--root", a.root, "--rpc-port", a.rpcPort()); code == 0 ||
		!strings.Contains(errOut, "no connection with a node id starting with "+gone[2:12]) {
		t.Errorf("peer remove of a closed connection: exit %d: %s", code, errOut)
	}

	// stop: the node shuts down.
	out, errOut, code = chianetOut(t, "stop", "--root", a.root, "--rpc-port", a.rpcPort())
	if code != 0 || out != "the node is stopping\n" {
		t.Fatalf("stop: exit %d: %q %s", code, out, errOut)
	}
	select {
	case err := <-a.done:
		a.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("Run after stop: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the node still runs after chianet stop")
	}
	if _, errOut, code = chianetOut(t, "show", "--root", a.root, "--rpc-port", a.rpcPort()); code == 0 ||
		!strings.Contains(errOut, "is chianet node running") {
		t.Errorf("show of a stopped node: exit %d: %s", code, errOut)
	}
}

// show's peak line is the heaviest peak in get_connections: by weight,
// then height; a connection without a peak does not count.
func TestHeaviestPeak(t *testing.T) {
	peak := func(h uint32, w uint64) *rpc.Peak {
		return &rpc.Peak{Height: h, Weight: streamable.U128From64(w), HeaderHash: protocol.Bytes32{byte(h)}}
	}
	for _, tc := range []struct {
		conns []rpc.Connection
		want  *rpc.Peak
	}{
		{nil, nil},
		{[]rpc.Connection{{}}, nil},
		{[]rpc.Connection{{Peak: peak(9, 10)}, {}, {Peak: peak(7, 20)}, {Peak: peak(8, 15)}}, peak(7, 20)},
		{[]rpc.Connection{{Peak: peak(5, 20)}, {Peak: peak(6, 20)}, {Peak: peak(4, 20)}}, peak(6, 20)},
	} {
		got := heaviestPeak(tc.conns)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("heaviestPeak(%d connections) = %+v, want %+v", len(tc.conns), got, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := chianetOut(t, args...)
		if code != 0 || !strings.HasPrefix(out, "chianet ") || !strings.Contains(out, "2.7.3") || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

// show, stop and peer add/remove on a root that does not exist say so,
// rather than naming a certificate of a config.yaml that is not there.
func TestRPCCommandsMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "no-such-root")
	for _, args := range [][]string{{"show"}, {"stop"}, {"peer", "add", "127.0.0.1:8444"}, {"peer", "remove", "ab"}} {
		_, stderr, code := chianet(t, "", append(args, "--root", root)...)
		want := "chianet: the root " + root + " does not exist: name the running node's root with --root"
		if code != 1 || !strings.HasPrefix(stderr, want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q...", args, code, stderr, want)
		}
		if _, err := os.Stat(root); err == nil {
			t.Fatalf("%v created the root", args)
		}
	}
}

// show pointed at a node's peer port, or at a node of another root, says
// which mistake it most likely is, besides the TLS error.
func TestShowWrongPortOrRoot(t *testing.T) {
	a := startRPCNode(t, true)
	peerPort := strconv.Itoa(int(a.Addr().Port()))
	_, stderr, code := chianetOut(t, "show", "--root", a.root, "--rpc-port", peerPort, "--timeout", "30s")
	if want := "(that port serves the peer protocol, not the RPC: --rpc-port is the node's RPC port"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("peer port: exit %d, %q; want 1 and %q", code, stderr, want)
	}

	other := t.TempDir()
	if _, errOut, code := chianet(t, "", "certs", "init", "--root", other); code != 0 {
		t.Fatalf("certs init: exit %d: %s", code, errOut)
	}
	_, stderr, code = chianetOut(t, "show", "--root", other, "--rpc-port", a.rpcPort(), "--timeout", "30s")
	if want := "(the server there has another private CA than " + other + ": --root must be the running node's root)"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("another root: exit %d, %q; want 1 and %q", code, stderr, want)
	}
}

// peer ping pointed at a node's RPC port says it is most likely not a
// peer port: the certificate there is of a private CA.
func TestPeerPingRPCPort(t *testing.T) {
	a := startRPCNode(t, true)
	_, stderr, code := chianetOut(t, "peer", "ping", "127.0.0.1:"+a.rpcPort(), "--network", "devnet", "--root", t.TempDir(), "--timeout", "30s")
	if want := "it is not of the public chia CA that peer ports use: is this a node's RPC or daemon port?"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, %q; want 1 and %q", code, stderr, want)
	}
}
