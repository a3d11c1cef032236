package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/goleak"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
)

// logWatch is a concurrency-safe stderr that tells waiters about every
// write.
type logWatch struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func newLogWatch() *logWatch { return &logWatch{written: make(chan struct{}, 1)} }

func (w *logWatch) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(b)
	select {
	case w.written <- struct{}{}:
	default:
	}
	return n, err
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until the log contains s.
func (w *logWatch) waitFor(t *testing.T, s string, exited <-chan int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(w.String(), s) {
		select {
		case <-w.written:
		case code := <-exited:
			t.Fatalf("exited with %d before logging %q:\n%s", code, s, w.String())
		case <-deadline:
			t.Fatalf("no %q in the log after 30s:\n%s", s, w.String())
		}
	}
}

// waitExit waits for a command whose context was cancelled to exit, and
// fails unless it exits 0 within 30 s (what names it in the failure).
func (w *logWatch) waitExit(t *testing.T, what string, exited <-chan int) {
	t.Helper()
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("%s: exit %d:\n%s", what, code, w)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop 30s after cancel:\n%s", what, w)
	}
}

// `chianet node` on a private network starts, listens, and stops cleanly
// (exit 0, peers saved) when its context is cancelled, as on SIGINT.
func TestNodeStartStop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
			"--rpc-port", "0", "--daemon-port", "0", "--root", root, "--log-format", "json"}, strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, `"msg":"node started"`, exited)
	logs.waitFor(t, "nothing to bootstrap from", exited)
	cancel()
	logs.waitExit(t, "node", exited)

	var msgs []string
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Msg    string `json:"msg"`
			Level  string `json:"level"`
			NodeID any    `json:"node_id"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if rec.Msg == "node started" {
			// As the text format prints it, not an array of 32 numbers.
			if id, ok := rec.NodeID.(string); !ok || len(id) != 66 || !strings.HasPrefix(id, "0x") {
				t.Errorf("node_id logged as %#v", rec.NodeID)
			}
		}
		if rec.Level == "ERROR" {
			t.Errorf("error logged: %s", line)
		}
		msgs = append(msgs, rec.Msg)
	}
	for _, want := range []string{"node started", "shutting down", "peers saved", "node stopped"} {
		if !slices.Contains(msgs, want) {
			t.Errorf("no %q in the log:\n%s", want, logs)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "db", "chianet-peers-devnet.dat")); err != nil {
		t.Errorf("peers file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "ssl", "full_node", "public_full_node.crt")); err != nil {
		t.Errorf("certificate: %v", err)
	}
}

// nodeSettingsFor parses args as `chianet node` does and returns the
// settings they give, without those of the RPC (see TestNodeRPCFlags).
func nodeSettingsFor(t *testing.T, args ...string) (nodeSettings, error) {
	t.Helper()
	s, err := allNodeSettingsFor(t, args...)
	s.node.RPCAddr, s.node.DaemonAddr, s.node.NetworkInfo, s.node.ResetLogLevel = "", "", rpc.NetworkInfo{}, ""
	return s, err
}

// allNodeSettingsFor parses args as `chianet node` does and returns the
// settings they give.
func allNodeSettingsFor(t *testing.T, args ...string) (nodeSettings, error) {
	t.Helper()
	cmd := &cobra.Command{}
	f := &nodeFlags{}
	f.register(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return f.settings(cmd)
}

func TestNodeRPCFlags(t *testing.T) {
	root := t.TempDir()
	s, err := allNodeSettingsFor(t, "--root", root, "--network", "testnet11")
	if err != nil {
		t.Fatal(err)
	}
	want := rpc.NetworkInfo{NetworkName: "testnet11", NetworkPrefix: "txch",
		GenesisChallenge:       "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615",
		AggSigMeAdditionalData: "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615"}
	if s.node.RPCAddr != "localhost:8555" || s.node.DaemonAddr != "localhost:55400" || s.node.NetworkInfo != want ||
		s.node.ResetLogLevel != "INFO" || s.node.MetricsAddr != "" {
		t.Errorf("defaults: %+v", s.node)
	}
	s, err = allNodeSettingsFor(t, "--root", root, "--rpc-port", "0", "--daemon-port", "-1", "--metrics-addr", "127.0.0.1:9914")
	if err != nil {
		t.Fatal(err)
	}
	if s.node.RPCAddr != "localhost:0" || s.node.DaemonAddr != "" || s.node.MetricsAddr != "127.0.0.1:9914" {
		t.Errorf("flags: %+v", s.node)
	}

	writeConfig(t, root, `self_hostname: 127.0.0.5
daemon_port: 1234
logging:
  log_level: WARNING
full_node:
  rpc_port: 4321
`)
	s, err = allNodeSettingsFor(t, "--root", root)
	if err != nil {
		t.Fatal(err)
	}
	if s.node.RPCAddr != "127.0.0.5:4321" || s.node.DaemonAddr != "127.0.0.5:1234" || s.node.ResetLogLevel != "WARNING" {
		t.Errorf("from config.yaml: %+v", s.node)
	}
	writeConfig(t, root, `full_node:
  start_rpc_server: false
`)
	if s, err = allNodeSettingsFor(t, "--root", root); err != nil || s.node.RPCAddr != "" {
		t.Errorf("start_rpc_server false: RPCAddr %q, %v", s.node.RPCAddr, err)
	}

	for _, args := range [][]string{{"--rpc-port", "-2"}, {"--daemon-port", "65536"}, {"--metrics-addr", "9914"}} {
		if _, err := allNodeSettingsFor(t, append([]string{"--root", root}, args...)...); err == nil ||
			!strings.Contains(err.Error(), args[0]) {
			t.Errorf("%q: %v", args, err)
		}
	}
}

var mainnetDNS = []string{"dns-introducer.chia.net", "chia.ctrlaltdel.ch", "seeder.dexie.space",
	"chia.hoffmang.com", "seeder.xchpool.org", "seeder.xchseeder.com"}

// Without a config.yaml the flags apply over the reference's defaults.
func TestNodeFlags(t *testing.T) {
	root := t.TempDir()
	def := node.Config{Root: root, CertFiles: defaultCertFiles(t, root), NoDefaultBootstrap: true, TargetOutbound: 8, TargetPeerCount: 40,
		MaxInboundWallet: 20, MaxInboundFarmer: 10, PeerConnectTimeout: 30 * time.Second, InboundRateLimitPercent: 100, OutboundRateLimitPercent: 30,
		DaemonMaxMessageBytes: 50_000_000, DaemonHeartbeat: 300 * time.Second}
	cases := []struct {
		args []string
		edit func(*node.Config)
	}{{
		args: nil,
		edit: func(c *node.Config) {
			c.Network, c.DefaultPort, c.ListenAddr = "mainnet", 8444, ":8444"
			c.DNSIntroducers, c.Introducer = mainnetDNS, "introducer.chia.net:8444"
			c.ImportPeersFile = "db/peers.dat" // the reference node's, on its own network
		},
	}, {
		args: []string{"--network", "testnet11", "--listen-host", "::1"},
		edit: func(c *node.Config) {
			c.Network, c.DefaultPort, c.ListenAddr = "testnet11", 58444, "[::1]:58444"
			c.DNSIntroducers, c.Introducer = []string{"dns-introducer-testnet11.chia.net"}, "introducer-testnet11.chia.net:58444"
		},
	}, {
		args: []string{"--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "58501",
			"--peer", "127.0.0.1:58502", "--peer", "127.0.0.1:58503", "--target-outbound", "0", "--max-inbound-wallet", "0"},
		edit: func(c *node.Config) {
			c.Network, c.Private, c.AllowPrivate, c.ListenAddr = "devnet", true, true, "127.0.0.1:58501"
			c.DNSIntroducers = []string{}
			c.StaticPeers = []string{"127.0.0.1:58502", "127.0.0.1:58503"}
			c.TargetOutbound, c.MaxInboundWallet = -1, -1
		},
	}, {
		args: []string{"--port", "0", "--dns-introducer", "seed.example", "--introducer", "intro.example:8444",
			"--peers-file", "p.dat", "--allow-private", "--exempt-network", "10.0.0.0/8", "--exempt-network", "192.0.2.1",
			"--target-peer-count", "12", "--target-outbound", "12"},
		edit: func(c *node.Config) {
			c.Network, c.DefaultPort, c.ListenAddr, c.AllowPrivate = "mainnet", 8444, ":0", true
			c.DNSIntroducers, c.Introducer = []string{"seed.example"}, "intro.example:8444"
			c.PeersFile, c.ImportPeersFile = "p.dat", "db/peers.dat"
			c.ExemptNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")}
			c.TargetPeerCount, c.TargetOutbound = 12, 12
		},
	}, {
		args: []string{"--no-eviction", "--max-pending-inbound", "16", "--max-pending-per-ip", "-1"},
		edit: func(c *node.Config) {
			c.Network, c.DefaultPort, c.ListenAddr = "mainnet", 8444, ":8444"
			c.DNSIntroducers, c.Introducer = mainnetDNS, "introducer.chia.net:8444"
			c.ImportPeersFile = "db/peers.dat"
			c.NoEviction, c.MaxPendingInbound, c.MaxPendingPerIP = true, 16, -1
		},
	}, {
		args: []string{"--no-default-bootstrap", "--network", "testnet11"},
		edit: func(c *node.Config) {
			c.Network, c.DefaultPort, c.ListenAddr = "testnet11", 58444, ":58444"
			c.DNSIntroducers = []string{}
		},
	}}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			s, err := nodeSettingsFor(t, append([]string{"--root", root}, c.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			want := def
			c.edit(&want)
			if !reflect.DeepEqual(s.node, want) {
				t.Errorf("config:\n got %+v\nwant %+v", s.node, want)
			}
			if s.level != slog.LevelInfo || s.file != "" {
				t.Errorf("level %v, file %q", s.level, s.file)
			}
		})
	}
}

// config.yaml's keys apply, and flags override them.
func TestNodeConfigFile(t *testing.T) {
	root := t.TempDir()
	writeConfig(t, root, `selected_network: devnet1
network_overrides:
  config:
    devnet1:
      address_prefix: txch
      default_full_node_port: 9444
logging:
  log_level: DEBUG
full_node:
  port: 9446
  full_node_peers:
    - host: 127.0.0.1
      port: 9445
  target_peer_count: 20
  target_outbound_peer_count: 4
  max_inbound_wallet: 0
  max_inbound_farmer: 3
  exempt_peer_networks: ["10.0.0.0/8"]
  dns_servers: []
  introducer_peer:
    host: 127.0.0.2
    port: 9444
    enable_private_networks: true
  peer_connect_timeout: 5
  peers_file_path: db/peers_devnet1.dat
outbound_rate_limit_percent: 10
daemon_max_message_size: 1000
daemon_allow_tls_1_2: True
`)
	s, err := nodeSettingsFor(t, "--root", root)
	if err != nil {
		t.Fatal(err)
	}
	want := node.Config{Root: root, CertFiles: defaultCertFiles(t, root), NoDefaultBootstrap: true, Network: "devnet1", Private: true, DefaultPort: 9444,
		ListenAddr: ":9446", ImportPeersFile: "db/peers_devnet1.dat", Introducer: "127.0.0.2:9444", DNSIntroducers: []string{},
		StaticPeers: []string{"127.0.0.1:9445"}, TargetOutbound: 4, TargetPeerCount: 20, MaxInboundWallet: -1, MaxInboundFarmer: 3,
		ExemptNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, AllowPrivate: true, PeerConnectTimeout: 5 * time.Second,
		InboundRateLimitPercent: 100, OutboundRateLimitPercent: 10, DaemonMaxMessageBytes: 1000, DaemonHeartbeat: 300 * time.Second,
		DaemonAllowTLS12: true}
	if !reflect.DeepEqual(s.node, want) {
		t.Errorf("from the file:\n got %+v\nwant %+v", s.node, want)
	}
	if s.level != slog.LevelDebug || s.file != filepath.Join(root, "config", "config.yaml") {
		t.Errorf("level %v, file %q", s.level, s.file)
	}

	s, err = nodeSettingsFor(t, "--root", root, "--port", "1234", "--target-outbound", "2", "--log-level", "warn",
		"--peer", "127.0.0.1:1", "--exempt-network", "192.0.2.0/24", "--introducer", "127.0.0.3:1")
	if err != nil {
		t.Fatal(err)
	}
	want.ListenAddr, want.TargetOutbound, want.StaticPeers = ":1234", 2, []string{"127.0.0.1:1"}
	want.ExemptNetworks, want.Introducer = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, "127.0.0.3:1"
	if !reflect.DeepEqual(s.node, want) {
		t.Errorf("with flags:\n got %+v\nwant %+v", s.node, want)
	}
	if s.level != slog.LevelWarn {
		t.Errorf("level %v", s.level)
	}
	if _, err := nodeSettingsFor(t, "--root", root, "--target-outbound", "21"); err == nil ||
		err.Error() != "--target-outbound 21 is more than full_node.target_peer_count in config.yaml 20: no inbound full node would ever be accepted" {
		t.Errorf("outbound over the file's target: %v", err)
	}

	// The file's port is its selected network's: another network gets
	// its own default port, its own bootstrap, and no import.
	s, err = nodeSettingsFor(t, "--root", root, "--network", "testnet11")
	if err != nil {
		t.Fatal(err)
	}
	if n := s.node; n.ListenAddr != ":58444" || n.ImportPeersFile != "" || n.Introducer != "introducer-testnet11.chia.net:58444" || n.Private {
		t.Errorf("testnet11 on a devnet1 root: %+v", n)
	}
	// A network declared in the file needs no --private.
	if _, err := nodeSettingsFor(t, "--root", root, "--network", "devnet1"); err != nil {
		t.Error(err)
	}

	// The root comes from $CHIA_ROOT without --root.
	t.Setenv("CHIA_ROOT", root)
	if s, err := nodeSettingsFor(t); err != nil || s.node.Network != "devnet1" {
		t.Errorf("CHIA_ROOT: %v %+v", err, s.node)
	}
}

// writeConfig writes root/config/config.yaml.
func writeConfig(t *testing.T, root, text string) {
	t.Helper()
	p := filepath.Join(root, "config", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Each bad value exits 1 at once with one line naming the flag (or the
// config.yaml key) and what is wrong with it.
func TestNodeBadFlags(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--log-format", "xml"}, `--log-format: "xml" is not text or json`},
		{[]string{"--log-level", "loud"}, `--log-level: "loud" is not debug, info, warn or error`},
		{[]string{"--exempt-network", "10.0.0.0/33"}, `--exempt-network: "10.0.0.0/33" is not an IP address or CIDR block`},
		{[]string{"--peer", "127.0.0.1"}, `--peer: "127.0.0.1" is not HOST:PORT`},
		{[]string{"--peer", "127.0.0.1:0"}, `--peer: "127.0.0.1:0": port "0" is not a number from 1 to 65535`},
		{[]string{"--introducer", "intro.example"}, `--introducer: "intro.example" is not HOST:PORT`},
		{[]string{"--network", ""}, "--network must not be empty"},
		{[]string{"--root", ""}, "--root must not be empty"},
		{[]string{"--port", "70000"}, "--port: 70000 is not a port number (0 to 65535)"},
		{[]string{"--port", "-1"}, "--port: -1 is not a port number (0 to 65535)"},
		{[]string{"--port", "x"}, `invalid argument "x" for "--port" flag: invalid syntax`},
		{[]string{"--target-outbound", "-5"}, "--target-outbound: -5 is negative"},
		{[]string{"--max-inbound-wallet", "-1"}, "--max-inbound-wallet: -1 is negative"},
		{[]string{"--target-peer-count", "2", "--target-outbound", "8"}, "--target-outbound 8 is more than --target-peer-count 2"},
		{[]string{"--target-outbound", "41"}, "--target-outbound 41 is more than the default --target-peer-count 40"},
		{[]string{"--network", "mainet"}, `--network: unknown network "mainet"; known networks: mainnet, testnet11 (built in); run a network of your own with --private`},
		{[]string{"--network", "Mainnet"}, `unknown network "Mainnet"`},
		{[]string{"--network", "testnet10"}, `unknown network "testnet10"`},
		{[]string{"--network", "mainnet", "--private"}, `--private: network "mainnet" is a public network`},
		{[]string{"--network", "dev net", "--private"}, `"dev net" is not a usable network name`},
		{[]string{"extra"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			args := append([]string{"node", "--root", root}, c.args...)
			_, errOut, code := chianet(t, "", args...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			if strings.Count(strings.TrimRight(errOut, "\n"), "\n") != 0 || !strings.Contains(errOut, c.want) {
				t.Fatalf("error %q, want one line containing %q", errOut, c.want)
			}
			if strings.Contains(errOut, "Config.") || strings.Contains(errOut, "strconv") {
				t.Errorf("error %q names an internal", errOut)
			}
		})
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a refused command left %d entries in the root", len(entries))
	}
}

// On a root with a reference node's config.yaml and db/peers.dat, the
// node keeps its own peers file and only reads the reference's, whose
// addresses it imports the first time.
func TestNodeKeepsReferencePeersFile(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	root := t.TempDir()
	writeConfig(t, root, `selected_network: devnet1
network_overrides:
  config:
    devnet1:
      default_full_node_port: 9444
full_node:
  port: 0
  rpc_port: 0
`)
	// The reference's binary layout: key, count, no (index, bucket)
	// pairs, then one IPv4 record with its timestamp and source.
	ref := make([]byte, 32)
	ref = binary.BigEndian.AppendUint64(ref, 1)
	ref = binary.BigEndian.AppendUint32(ref, 0)
	ref = append(ref, 0, 127, 0, 0, 9)
	ref = binary.BigEndian.AppendUint16(ref, 9)
	ref = binary.BigEndian.AppendUint64(ref, 1_700_000_000)
	ref = append(ref, 0, 127, 0, 0, 10)
	ref = binary.BigEndian.AppendUint16(ref, 9)
	refPath := filepath.Join(root, "db", "peers.dat")
	if err := os.MkdirAll(filepath.Dir(refPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(refPath, ref, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(refPath, old, old); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHIA_ROOT", root)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"node", "--listen-host", "127.0.0.1", "--daemon-port", "-1", "--log-format", "json", "--log-level", "info"},
			strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, `"msg":"node started"`, exited)
	if !strings.Contains(logs.String(), `imported the addresses of another peers file`) {
		t.Errorf("no import logged:\n%s", logs)
	}
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("exit %d:\n%s", code, logs)
	}
	if got, _ := os.ReadFile(refPath); !bytes.Equal(got, ref) {
		t.Error("the reference node's peers file was rewritten")
	}
	if fi, err := os.Stat(refPath); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("the reference node's peers file was touched: %v", err)
	}
	m, err := addrman.Load(filepath.Join(root, "db", "chianet-peers-devnet1.dat"), addrman.Config{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Lookup(addrman.PeerInfo{Host: "127.0.0.9", Port: 9}); !ok {
		t.Errorf("chianet's peers file lacks the imported address (%d addresses)", m.Size())
	}
}

// TestNodeTrusted runs `chianet node` with a config.yaml whose
// full_node.trusted_peers names a peer's node id: the peer misbehaves
// from a non-localhost loopback address and is not banned. The entries
// that are not node ids or networks are logged and skipped, the
// reference template's placeholder silently.
func TestNodeTrusted(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	client := chiatls.Tree{Root: t.TempDir()}
	if err := client.EnsureService(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	id, err := client.NodeID(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeConfig(t, root, `full_node:
  trusted_peers:
    0ThisisanexampleNodeID7ff9d60f1c3fa270c213c0ad0cb89c01274634a7c3cb7: Does_not_matter
    `+hex.EncodeToString(id[:])+`: x
    not-a-node-id: x
  trusted_cidrs: ["192.0.2.0/24", "fe80::/10", "nope", "127.0.0.9/30"]
`)
	s, err := nodeSettingsFor(t, "--root", root, "--network", "devnet", "--private")
	if err != nil {
		t.Fatal(err)
	}
	// 127.0.0.9/30 has host bits set: its network, 127.0.0.8/30, applies.
	wantNets := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("127.0.0.8/30")}
	if !slices.Equal(s.node.TrustedNodeIDs, []protocol.Bytes32{id}) || !slices.Equal(s.node.TrustedNetworks, wantNets) {
		t.Errorf("trusted node ids %x, networks %v", s.node.TrustedNodeIDs, s.node.TrustedNetworks)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
			"--rpc-port", "-1", "--daemon-port", "-1", "--root", root, "--log-format", "json", "--log-level", "info"}, strings.NewReader(""), io.Discard, logs)
	}()
	defer func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("node did not stop 30s after cancel")
		}
	}()
	logs.waitFor(t, `"msg":"node started"`, exited)
	var addr string
	var warned []string
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Msg     string `json:"msg"`
			Level   string `json:"level"`
			Listen  string `json:"listen"`
			Entry   string `json:"entry"`
			Network string `json:"network"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if rec.Msg == "node started" {
			addr = rec.Listen
		}
		if rec.Level == "WARN" && rec.Entry != "" {
			warned = append(warned, rec.Entry)
		}
		if rec.Entry == "127.0.0.9/30" && (rec.Network != "127.0.0.8/30" || !strings.HasPrefix(rec.Msg, "full_node.trusted_cidrs in config.yaml: ")) {
			t.Errorf("host bits warning: %s", line)
		}
	}
	if want := []string{"127.0.0.9/30", "not-a-node-id", "nope"}; !slices.Equal(warned, want) {
		t.Errorf("warned of entries %q, want %q:\n%s", warned, want, logs)
	}

	// A request_peers over its size limit closes the connection with a
	// ban, which a node id in trusted_peers is spared.
	tlsConf, err := client.ClientConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.3:0"))}
	bad, err := peer.Dial(ctx, addr, peer.Config{NetworkID: "devnet", TLS: tlsConf, DialContext: d.DialContext, Exempt: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.SendMessage(ctx, protocol.Message{Type: protocol.MsgRequestPeers, Data: make([]byte, 200)})
	<-bad.Done()
	logs.waitFor(t, `banning`, exited)
	if out := logs.String(); !strings.Contains(out, `"msg":"not banning trusted peer"`) || strings.Contains(out, `"msg":"banning peer"`) {
		t.Errorf("trusted peer banned:\n%s", out)
	}

	// So is a peer of another node id from 127.0.0.10, which is in the
	// masked network 127.0.0.8/30 and not the address 127.0.0.9.
	other := chiatls.Tree{Root: t.TempDir()}
	if err := other.EnsureService(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	if tlsConf, err = other.ClientConfig(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	d = &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.10:0"))}
	bad, err = peer.Dial(ctx, addr, peer.Config{NetworkID: "devnet", TLS: tlsConf, DialContext: d.DialContext, Exempt: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.SendMessage(ctx, protocol.Message{Type: protocol.MsgRequestPeers, Data: make([]byte, 200)})
	<-bad.Done()
	logs.waitFor(t, `"ip":"127.0.0.10"`, exited)
	spared := false
	for line := range strings.Lines(logs.String()) {
		var rec struct{ Msg, IP string }
		_ = json.Unmarshal([]byte(line), &rec)
		spared = spared || rec.Msg == "not banning localhost, trusted or exempt peer" && rec.IP == "127.0.0.10"
	}
	if out := logs.String(); !spared || strings.Contains(out, `"msg":"banning peer"`) {
		t.Errorf("peer in a trusted_cidrs network banned:\n%s", out)
	}
}

// Networks with host bits set (10.1.2.3/24) in exempt_peer_networks,
// trusted_cidrs and --exempt-network apply as their network, each with
// one warning naming where it came from, the entry and the network.
func TestNodeHostBits(t *testing.T) {
	root := t.TempDir()
	writeConfig(t, root, `full_node:
  exempt_peer_networks: ["10.1.2.3/24", "192.0.2.7", "2001:db8::1/32"]
  trusted_cidrs: ["198.51.100.0/24", "198.51.100.200/25"]
`)
	type warning struct{ msg, entry, network string }
	warnings := func(s nodeSettings) []warning {
		var out []warning
		for _, w := range s.warnings {
			var x warning
			x.msg = w.msg
			for i := 0; i+1 < len(w.args); i += 2 {
				switch w.args[i] {
				case "entry":
					x.entry = w.args[i+1].(string)
				case "network":
					x.network = w.args[i+1].(string)
				}
			}
			out = append(out, x)
		}
		return out
	}
	const hostBits = " in config.yaml: entry has host bits set; using its network"
	s, err := nodeSettingsFor(t, "--root", root, "--network", "devnet", "--private")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := warnings(s), []warning{
		{"full_node.exempt_peer_networks" + hostBits, "10.1.2.3/24", "10.1.2.0/24"},
		{"full_node.exempt_peer_networks" + hostBits, "2001:db8::1/32", "2001:db8::/32"},
		{"full_node.trusted_cidrs" + hostBits, "198.51.100.200/25", "198.51.100.128/25"},
	}; !slices.Equal(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
	wantExempt := []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}
	wantTrusted := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("198.51.100.128/25")}
	if !slices.Equal(s.node.ExemptNetworks, wantExempt) || !slices.Equal(s.node.TrustedNetworks, wantTrusted) {
		t.Errorf("exempt %v, trusted %v", s.node.ExemptNetworks, s.node.TrustedNetworks)
	}

	// --exempt-network replaces the file's list, whose entries are then
	// not warned of.
	s, err = nodeSettingsFor(t, "--root", root, "--network", "devnet", "--private", "--exempt-network", "172.16.5.5/12", "--exempt-network", "172.16.0.0/12")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := warnings(s), []warning{
		{"full_node.trusted_cidrs" + hostBits, "198.51.100.200/25", "198.51.100.128/25"},
		{"--exempt-network: entry has host bits set; using its network", "172.16.5.5/12", "172.16.0.0/12"},
	}; !slices.Equal(got, want) {
		t.Errorf("warnings with --exempt-network:\n got %q\nwant %q", got, want)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("172.16.0.0/12")}; !slices.Equal(s.node.ExemptNetworks, want) {
		t.Errorf("exempt with --exempt-network: %v", s.node.ExemptNetworks)
	}
}

// A config.yaml key that looks like a typo of one the node reads is
// warned of, with its line, instead of being ignored without a word.
func TestNodeWarnsOfMisspeltKey(t *testing.T) {
	root := t.TempDir()
	writeConfig(t, root, "full_node:\n  target_peer_count: 40\n  target_outbond_peer_count: 3\n")
	s, err := nodeSettingsFor(t, "--root", root, "--network", "devnet", "--private")
	if err != nil {
		t.Fatal(err)
	}
	want := logLine{misspeltKeyMsg,
		[]any{"key", "full_node.target_outbond_peer_count", "did_you_mean", "full_node.target_outbound_peer_count", "line", 3}}
	if !slices.ContainsFunc(s.warnings, func(l logLine) bool { return reflect.DeepEqual(l, want) }) {
		t.Errorf("warnings %+v lack %+v", s.warnings, want)
	}
	if s.node.TargetOutbound == 3 {
		t.Error("the misspelt key was read")
	}
}

// A private key others may read is warned of at start, as the
// reference's start does, with the chmod that fixes it.
func TestNodeWarnsOfLooseKey(t *testing.T) {
	root := t.TempDir()
	if _, errOut, code := chianet(t, "", "certs", "init", "--root", root); code != 0 {
		t.Fatalf("certs init: exit %d: %s", code, errOut)
	}
	key := filepath.Join(root, "config", "ssl", "full_node", "private_full_node.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := nodeSettingsFor(t, "--root", root, "--network", "devnet", "--private")
	if err != nil {
		t.Fatal(err)
	}
	var found []logLine
	for _, w := range s.warnings {
		if w.msg == "certificate file permissions too loose" {
			found = append(found, w)
		}
	}
	if len(found) != 1 || found[0].args[1] != key || !strings.Contains(found[0].args[3].(string), "chmod 600 "+key) {
		t.Errorf("warnings %+v: want one of %s with its chmod", s.warnings, key)
	}
}
