package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestSeederFlagErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.sqlite")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"seeder", "dns", "--db", db}, "--domain and --nameserver are required"},
		{[]string{"seeder", "run", "--db", db, "--domain", "s.example.com."}, "--domain and --nameserver are required"},
		{[]string{"seeder", "dns", "--db", db, "--domain", "s.example.com.", "--nameserver", "ns.example.com.",
			"--dns-listen", "127.0.0.1:0", "--static-peer", "node.example.com"}, "--static-peer"},
		{[]string{"seeder", "crawl", "--db", db, "--network", ""}, "--network must not be empty"},
		{[]string{"seeder", "crawl", "--db", db, "--log-level", "loud"}, "--log-level"},
		{[]string{"seeder", "crawl", "--db", db, "--root", dir, "--network", "devnet", "--bootstrap-peer", "no-port", "--once"}, "bootstrap peer"},
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
	out, errOut, code := chianet(t, "", "seeder", "crawl", "--once", "--network", "devnet", "--root", root,
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
		exited <- runContext(ctx, []string{"seeder", "run", "--network", "devnet", "--root", t.TempDir(),
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
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("seeder run did not stop 30s after cancel:\n%s", logs)
	}
}
