package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/rpc"
	"go.uber.org/goleak"
)

func TestSeederFlagErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.sqlite")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"seeder", "dns", "--root", dir, "--db", db}, "--domain and --nameserver are required"},
		{[]string{"seeder", "run", "--root", dir, "--db", db, "--domain", "s.example.com."}, "--domain and --nameserver are required"},
		{[]string{"seeder", "dns", "--root", dir, "--db", db, "--domain", "s.example.com.", "--nameserver", "ns.example.com.",
			"--dns-listen", "127.0.0.1:0", "--static-peer", "node.example.com"}, "--static-peer"},
		{[]string{"seeder", "crawl", "--root", dir, "--db", db, "--network", ""}, "--network must not be empty"},
		{[]string{"seeder", "crawl", "--root", dir, "--db", db, "--log-level", "loud"}, "--log-level"},
		{[]string{"seeder", "crawl", "--db", db, "--root", dir, "--network", "devnet", "--private", "--bootstrap-peer", "no-port", "--once"}, "bootstrap peer"},
		{[]string{"seeder", "crawl", "--root", dir, "--db", db, "--network", "devnet", "--once"},
			`--network: unknown network "devnet"; known networks: mainnet, testnet11 (built in); run a network of your own with --private`},
		{[]string{"seeder", "crawl", "--root", dir, "--db", db, "--network", "mainnet", "--private"}, "cannot be run as a private one"},
		{[]string{"seeder", "crawl", "--root", dir, "--db", db, "--rpc-port", "-2"}, "--rpc-port: -2 is not a port number"},
		{[]string{"seeder", "run", "--root", dir, "--db", db, "--daemon-port", "65536"}, "--daemon-port: 65536 is not a port number"},
	} {
		_, errOut, code := chianet(t, "", tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want 1 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestSeederCrawlOnceDeadPeer crawls a bootstrap peer that is not there:
// the command still succeeds and reports one unreachable peer.
func TestSeederCrawlOnceDeadPeer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	root := t.TempDir()
	out, errOut, code := chianet(t, "", "seeder", "crawl", "--once", "--network", "devnet", "--private", "--root", root,
		"--bootstrap-peer", dead, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"batch  peers  handshakes  reachable", "total      1           0          0", "known peers 1, reliable 0", "last batch saved: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// The default store is under the root.
	if _, err := os.Stat(filepath.Join(root, "db", "seeder-devnet.sqlite")); err != nil {
		t.Fatal(err)
	}
}

// TestSeederRun runs the crawler and the DNS server in one process until
// its context ends: it answers, crawls (a dead bootstrap peer), reloads
// the DNS server's peers after the batch, and stops with exit 0.
func TestSeederRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"seeder", "run", "--network", "devnet", "--private", "--rpc-port", "-1", "--root", t.TempDir(),
			"--bootstrap-peer", dead, "--dns-listen", "127.0.0.1:0", "--domain", "seeder.test.", "--nameserver", "ns.test.",
			"--log-format", "json"}, strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, `"msg":"DNS server listening"`, exited)
	logs.waitFor(t, `"msg":"batch done"`, exited)
	// The read at start, and the one that follows the batch.
	for strings.Count(logs.String(), `"msg":"DNS server: peers read"`) < 2 {
		select {
		case <-logs.written:
		case code := <-exited:
			t.Fatalf("exited with %d:\n%s", code, logs)
		case <-time.After(30 * time.Second):
			t.Fatalf("no read of the peers after the batch:\n%s", logs)
		}
	}
	cancel()
	logs.waitExit(t, "seeder run", exited)
}

// TestSeederCrawlerRPC runs `seeder crawl` with its RPC and a daemon of
// its own on loopback, as the README's example does: the routes answer
// over mutual TLS with the root's certificates, a socket registered as
// metrics receives crawl_batch_completed, and stop_node stops the
// crawler with exit 0.
func TestSeederCrawlerRPC(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	root := t.TempDir()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(context.Background(), []string{"seeder", "crawl", "--network", "devnet", "--private", "--root", root,
			"--bootstrap-peer", dead, "--recrawl-after", "1ms", "--batch-interval", "10ms", "--rpc-port", "0", "--daemon-port", "0",
			"--log-format", "json"}, strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, `"msg":"daemon listening"`, exited)
	rpcAddr := logField(t, logs.String(), "rpc server listening", "addr")
	daemonAddr := logField(t, logs.String(), "daemon listening", "addr")
	tc, err := rpc.ClientTLS(chiatls.Tree{Root: root}, chiatls.Daemon)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dc, err := rpc.DialDaemon(ctx, "wss://"+daemonAddr+"/", tc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if err := dc.Register(ctx, rpc.Metrics); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-dc.Notifications():
		var data map[string]any
		if err := json.Unmarshal(m.Data, &data); err != nil {
			t.Fatal(err)
		}
		pc, _ := data["peer_counts"].(map[string]any)
		if m.Command != rpc.CrawlBatchCompleted || m.Origin != rpc.CrawlerService || data["success"] != true ||
			pc["reliable_nodes"] != 0.0 || pc["versions"] == nil {
			t.Errorf("notification %+v %s", m, m.Data)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no notification:\n%s", logs)
	}

	c := rpc.NewClient("https://"+rpcAddr, tc)
	defer c.Close()
	pc, err := c.PeerCounts(ctx)
	if err != nil || pc.ReliableNodes != 0 || pc.Versions == nil {
		t.Errorf("get_peer_counts: %+v, %v", pc, err)
	}
	// The dead bootstrap peer was recorded when first tried, so it has no
	// sign of life to show.
	if ips, total, err := c.IPsAfterTimestamp(ctx, time.Unix(0, 0), 0, 10); err != nil || total != 0 || len(ips) != 0 {
		t.Errorf("get_ips_after_timestamp: %v %d %v", ips, total, err)
	}
	if ni, err := c.NetworkInfo(ctx); err != nil || ni.NetworkName != "devnet" {
		t.Errorf("get_network_info: %+v, %v", ni, err)
	}
	if err := c.StopNode(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 0 || !strings.Contains(logs.String(), `"cause":"stop_node or the daemon's exit"`) {
			t.Fatalf("exit %d:\n%s", code, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("seeder crawl did not stop 30s after stop_node:\n%s", logs)
	}
}

// `seeder dns` on a store with no reliable peers (a new root, say) warns
// that its answers are empty until a crawl fills the store.
func TestSeederDNSEmptyStoreWarns(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"seeder", "dns", "--network", "devnet", "--private", "--root", t.TempDir(),
			"--dns-listen", "127.0.0.1:0", "--domain", "seeder.devnet.test.", "--nameserver", "ns1.devnet.test."},
			strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, "level=WARN msg=\"the store holds no reliable peers", exited)
	cancel()
	logs.waitExit(t, "seeder dns", exited)
}
