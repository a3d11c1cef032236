package main

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

const peerTestNetwork = "testnet-cli"

// testPeers is what the test listener answers request_peers with.
var testPeers = []protocol.TimestampedPeerInfo{
	{Host: "203.0.113.7", Port: 8444, Timestamp: 1700000000},
	{Host: "2001:db8::1", Port: 58444, Timestamp: 0},
	{Host: "node.example", Port: 8444, Timestamp: 1 << 63},
}

// peerListener is a chianet full node on 127.0.0.1 serving the CLI
// under test.
type peerListener struct {
	addr   string
	root   string // the CHIA_ROOT of its certificates
	nodeID protocol.Bytes32
	// accepted receives each handshaken peer, closes each close reason.
	accepted chan peer.Info
	closes   chan *peer.CloseReason
	// refuse is a node type refused after the handshake, as a node
	// refuses one it does not take; set it before dialling.
	refuse protocol.NodeType
}

// certRoot returns a new CHIA_ROOT in a temporary directory holding the
// certificates of services.
func certRoot(t *testing.T, services ...chiatls.Service) string {
	t.Helper()
	tree := chiatls.Tree{Root: t.TempDir()}
	for _, s := range services {
		if err := tree.EnsureService(s); err != nil {
			t.Fatal(err)
		}
	}
	return tree.Root
}

// startPeerListener serves a peer.Handler over TLS on 127.0.0.1:0 with
// the public full_node certificate of a new CHIA_ROOT, on
// peerTestNetwork, answering request_peers with testPeers.
func startPeerListener(t *testing.T) *peerListener {
	t.Helper()
	return startPeerListenerOn(t, peerTestNetwork, testPeers)
}

// startPeerListenerOn is startPeerListener on network, answering
// request_peers with peers.
func startPeerListenerOn(t *testing.T, network string, peers []protocol.TimestampedPeerInfo) *peerListener {
	t.Helper()
	tree := chiatls.Tree{Root: certRoot(t, chiatls.FullNode)}
	conf, err := tree.ServerConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	id, err := tree.NodeID(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	l := &peerListener{root: tree.Root, nodeID: id, accepted: make(chan peer.Info, 8), closes: make(chan *peer.CloseReason, 8)}
	h := &peer.Handler{
		Config: peer.Config{
			NetworkID:  network,
			NodeType:   protocol.NodeFullNode,
			ServerPort: 8444,
			Handlers: map[protocol.MessageType]peer.HandlerFunc{
				protocol.MsgRequestPeers: func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
					return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{PeerList: peers})
				},
			},
			OnClose: func(_ *peer.Peer, r *peer.CloseReason) { l.closes <- r },
		},
		Accept: func(p *peer.Peer) error {
			if p.Info().NodeType == l.refuse {
				return errors.New("node type not accepted")
			}
			l.accepted <- p.Info()
			return nil
		},
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = conf
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	l.addr = srv.Listener.Addr().String()
	return l
}

// accept returns the listener side of the next connection.
func (l *peerListener) accept(t *testing.T) peer.Info {
	t.Helper()
	select {
	case info := <-l.accepted:
		return info
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
		return peer.Info{}
	}
}

// closed returns the listener side's close reason of the next connection.
func (l *peerListener) closed(t *testing.T) *peer.CloseReason {
	t.Helper()
	select {
	case r := <-l.closes:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("connection not closed")
		return nil
	}
}

// outputFields parses "name: value" lines.
func outputFields(out string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func TestCertsInit(t *testing.T) {
	root := filepath.Join(t.TempDir(), "chia root")
	out, errOut, code := chianet(t, "", "certs", "init", "--root", root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files := treeFiles(chiatls.Tree{Root: root})
	for _, want := range []string{
		"created " + filepath.Join("config", "ssl", "ca", "private_ca.key") + "\n",
		"created " + filepath.Join("config", "ssl", "ca", "chia_ca.crt") + "\n",
		"created " + filepath.Join("config", "ssl", "full_node", "public_full_node.crt") + "\n",
		"created " + filepath.Join("config", "ssl", "daemon", "private_daemon.key") + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if want := "created 36 of 36 files in " + filepath.Join(root, "config", "ssl") + "\n"; len(files) != 36 || !strings.HasSuffix(out, want) {
		t.Errorf("output does not end in %q:\n%s", want, out)
	}
	if errOut != "" {
		t.Errorf("stderr: %q", errOut)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}

	// A second run creates nothing and changes nothing.
	key := filepath.Join(root, "config", "ssl", "wallet", "public_wallet.key")
	before, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code = chianet(t, "", "certs", "init", "--root", root)
	if want := "all 36 files already exist in " + filepath.Join(root, "config", "ssl") + "; nothing created\n"; code != 0 || out != want {
		t.Fatalf("second run: exit %d, %q %s; want %q", code, out, errOut, want)
	}
	if after, _ := os.ReadFile(key); string(after) != string(before) {
		t.Error("second run rewrote a key")
	}

	// A lone half of a pair is refused before anything is created.
	if err := os.Remove(filepath.Join(root, "config", "ssl", "farmer", "public_farmer.crt")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = chianet(t, "", "certs", "init", "--root", root)
	if code == 0 || !strings.Contains(errOut, "public_farmer.key exists but") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("incomplete pair: exit %d, %q", code, errOut)
	}
}

func TestCertsDefaultRoot(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("CHIA_ROOT", "")
	if got, want := defaultRoot(), filepath.Join(home, ".chia", "mainnet"); got != want {
		t.Errorf("without CHIA_ROOT: %q, want %q", got, want)
	}
	t.Setenv("CHIA_ROOT", "~/testnet")
	if got, want := defaultRoot(), filepath.Join(home, "testnet"); got != want {
		t.Errorf("CHIA_ROOT=~/testnet: %q, want %q", got, want)
	}
	t.Setenv("CHIA_ROOT", "/srv/chia")
	if got := defaultRoot(); got != "/srv/chia" {
		t.Errorf("CHIA_ROOT=/srv/chia: %q", got)
	}
	// Without --root, certs init follows the environment when it runs.
	root := filepath.Join(t.TempDir(), "chia")
	t.Setenv("CHIA_ROOT", root)
	if _, errOut, code := chianet(t, "", "certs", "init"); code != 0 {
		t.Fatalf("certs init without --root: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "ssl", "ca", "private_ca.crt")); err != nil {
		t.Errorf("certs init without --root, CHIA_ROOT=%s: %v", root, err)
	}
	if _, errOut, code := chianet(t, "", "certs", "init", "--root", ""); code != 1 || !strings.Contains(errOut, "--root must not be empty") {
		t.Errorf(`--root "": exit %d, %q`, code, errOut)
	}
}

func TestPeerPing(t *testing.T) {
	l := startPeerListener(t)
	// A root without certificates: ping creates what it needs.
	root := t.TempDir()
	out, errOut, code := chianet(t, "", "peer", "ping", l.addr, "--network", peerTestNetwork, "--root", root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "note: created") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr %q, want one note about created certificates", errOut)
	}
	f := outputFields(out)
	for k, want := range map[string]string{
		"peer":             l.addr,
		"network":          peerTestNetwork,
		"protocol version": "0.0.36", // the listener answers with the dialer type's version
		"software version": peer.DefaultSoftwareVersion,
		"node type":        "FULL_NODE (1)",
		"server port":      "8444",
		"node id":          l.nodeID.String(),
		"capabilities":     "BASE (1), BLOCK_HEADERS (2), RATE_LIMITS_V2 (3), MEMPOOL_UPDATES (5)",
	} {
		if f[k] != want {
			t.Errorf("%s: %q, want %q\n%s", k, f[k], want, out)
		}
	}
	for _, k := range []string{"connect+handshake", "ping rtt"} {
		if d, err := time.ParseDuration(f[k]); err != nil || d <= 0 {
			t.Errorf("%s: %q is not a positive duration", k, f[k])
		}
	}

	info := l.accept(t)
	ownID, err := chiatls.Tree{Root: root}.NodeID(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	if info.NodeType != protocol.NodeFullNode || info.NodeID != ownID || info.ServerPort != 0 {
		t.Errorf("listener saw %+v", info)
	}
	// Closed politely: a normal close frame, no ban.
	if r := l.closed(t); r.Code != peer.StatusNormal || !r.Remote || r.Ban != 0 {
		t.Errorf("listener's close reason: %v", r)
	}

	// As a wallet: its certificate is created too, and the listener
	// answers with the wallet's protocol version.
	out, errOut, code = chianet(t, "", "peer", "ping", l.addr, "--network", peerTestNetwork, "--root", root, "--node-type", "WALLET")
	if code != 0 {
		t.Fatalf("wallet: exit %d: %s", code, errOut)
	}
	if f := outputFields(out); f["protocol version"] != "0.0.38" || f["node type"] != "FULL_NODE (1)" {
		t.Errorf("wallet: %s", out)
	}
	if info := l.accept(t); info.NodeType != protocol.NodeWallet {
		t.Errorf("listener saw node type %v, want WALLET", info.NodeType)
	}
	l.closed(t)
}

func TestPeerPeers(t *testing.T) {
	l := startPeerListener(t)
	root := certRoot(t, chiatls.FullNode, chiatls.Harvester)
	out, errOut, code := chianet(t, "", "peer", "peers", l.addr, "--network", peerTestNetwork, "--root", root, "--timeout", "30s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr: %q", errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^HOST +PORT +LAST SEEN +UNIX$`),
		regexp.MustCompile(`^203\.0\.113\.7 +8444 +2023-11-14T22:13:20Z +1700000000$`),
		regexp.MustCompile(`^2001:db8::1 +58444 +1970-01-01T00:00:00Z +0$`),
		regexp.MustCompile(`^node\.example +8444 +- +9223372036854775808$`),
		regexp.MustCompile(`^3 peers$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i, lines[i], re)
		}
	}
	// The columns line up.
	if col := strings.Index(lines[0], "PORT"); strings.Index(lines[2], "58444") != col {
		t.Errorf("PORT column at %d, 58444 at %d:\n%s", col, strings.Index(lines[2], "58444"), out)
	}
	l.accept(t)
	l.closed(t)
}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentServer accepts TCP connections and never says anything.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Bad input and unreachable peers exit non-zero with one line, quickly.
func TestPeerErrors(t *testing.T) {
	root := certRoot(t, chiatls.FullNode, chiatls.Harvester)
	l := startPeerListener(t)
	refused := freePort(t)
	silent := silentServer(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no port", []string{"peer", "ping", "127.0.0.1"}, `invalid address "127.0.0.1": want HOST:PORT`},
		{"bad port", []string{"peer", "peers", "127.0.0.1:70000"}, `port "70000" is not a number from 1 to 65535`},
		{"bare ipv6", []string{"peer", "ping", "::1:8444"}, `invalid address "::1:8444"`},
		{"unknown node type", []string{"peer", "ping", l.addr, "--node-type", "miner"}, `unknown node type "miner" (one of full_node, harvester,`},
		{"no argument", []string{"peer", "ping"}, "accepts 1 arg(s), received 0"},
		{"empty root", []string{"peer", "ping", l.addr, "--root", ""}, "--root must not be empty"},
		{"bad timeout", []string{"peer", "ping", l.addr, "--timeout", "0s"}, "--timeout must be positive"},
		{"unreachable", []string{"peer", "ping", refused}, "connecting to " + refused + ": dial tcp " + refused + ": connect: connection refused"},
		{"timeout", []string{"peer", "peers", silent, "--timeout", "300ms"}, "connecting to " + silent + ": timed out after 300ms"},
		{"private CA", []string{"peer", "ping", l.addr, "--network", peerTestNetwork, "--node-type", "harvester"}, "the peer's certificate is not signed by the CA we dial with (x509: certificate signed by unknown authority"},
		{"self", []string{"peer", "ping", l.addr, "--network", peerTestNetwork, "--root", l.root}, "the peer has our own node id"},
		{"wrong network", []string{"peer", "ping", l.addr, "--network", "mainnet"}, `the peer closed the connection (code 1002, reason 110 INCOMPATIBLE_NETWORK_ID) (--network is "mainnet")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			args := c.args
			if !slices.Contains(args, "--root") {
				args = append(args, "--root", root)
			}
			out, errOut, code := chianet(t, "", args...)
			if code == 0 {
				t.Fatalf("exit 0, printed %q", out)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "chianet: ") {
				t.Fatalf("error is not one line: %q", errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Fatalf("error %q does not contain %q", errOut, c.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// Without --root, ping uses the certificate of $CHIA_ROOT (else
// ~/.chia/mainnet) if there is one, and otherwise a temporary one: it
// never writes there.
func TestPeerPingWithoutRoot(t *testing.T) {
	l := startPeerListener(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("CHIA_ROOT", "")
	out, errOut, code := chianet(t, "", "peer", "ping", l.addr, "--network", peerTestNetwork)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "chianet: note: no public full_node certificate in " + filepath.Join(home, ".chia", "mainnet", "config", "ssl") +
		"; using a temporary one made for this run, nothing written"
	if !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr %q, want one note starting %q", errOut, want)
	}
	if f := outputFields(out); f["node id"] != l.nodeID.String() {
		t.Errorf("output:\n%s", out)
	}
	if info := l.accept(t); info.NodeType != protocol.NodeFullNode {
		t.Errorf("listener saw %v", info.NodeType)
	}
	l.closed(t)
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("ping wrote %d entries into the home directory", len(entries))
	}

	// An existing tree in $CHIA_ROOT is used as it is, and not changed.
	root := certRoot(t, chiatls.FullNode)
	t.Setenv("CHIA_ROOT", root)
	before := snapshot(t, root)
	_, errOut, code = chianet(t, "", "peer", "ping", l.addr, "--network", peerTestNetwork)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	id, err := chiatls.Tree{Root: root}.NodeID(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	if info := l.accept(t); info.NodeID != id {
		t.Errorf("listener saw node id %x, want the tree's %x", info.NodeID, id)
	}
	l.closed(t)
	if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
		t.Error("ping changed the tree in $CHIA_ROOT")
	}
	// A wallet certificate it lacks is made up, not written.
	_, errOut, code = chianet(t, "", "peer", "ping", l.addr, "--network", peerTestNetwork, "--node-type", "wallet")
	if code != 0 || !strings.Contains(errOut, "no public wallet certificate") {
		t.Fatalf("wallet: exit %d, stderr %q", code, errOut)
	}
	l.accept(t)
	l.closed(t)
	if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
		t.Error("ping wrote a wallet certificate into $CHIA_ROOT")
	}
}

// A peer that closes the connection right after the handshake, as a node
// does with a node type it does not take, is reported as such.
func TestPeerRefusesNodeType(t *testing.T) {
	l := startPeerListener(t)
	l.refuse = protocol.NodeIntroducer
	root := certRoot(t, chiatls.Introducer)
	_, errOut, code := chianet(t, "", "peer", "ping", l.addr, "--network", peerTestNetwork, "--node-type", "introducer", "--root", root)
	want := "chianet: ping " + l.addr + ": the peer closed the connection right after the handshake without a reason (code 1000): " +
		"it takes no introducer connections from us, or has no free slot for one\n"
	if code == 0 || errOut != want {
		t.Fatalf("exit %d, stderr %q\nwant %q", code, errOut, want)
	}
}
