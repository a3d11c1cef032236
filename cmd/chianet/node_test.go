package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/goleak"

	"github.com/chianet/chianet/node"
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
		exited <- runContext(ctx, []string{"node", "--network", "devnet", "--listen-host", "127.0.0.1", "--port", "0",
			"--root", root, "--log-format", "json"}, strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, `"msg":"node started"`, exited)
	logs.waitFor(t, "nothing to bootstrap from", exited)
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("node did not stop 30s after cancel:\n%s", logs)
	}

	var msgs []string
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Msg   string `json:"msg"`
			Level string `json:"level"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
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
	if _, err := os.Stat(filepath.Join(root, "db", "peers-devnet.dat")); err != nil {
		t.Errorf("peers file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "ssl", "full_node", "public_full_node.crt")); err != nil {
		t.Errorf("certificate: %v", err)
	}
}

func TestNodeFlags(t *testing.T) {
	cases := []struct {
		args []string
		want node.Config
	}{{
		args: []string{"--root", "/r"},
		want: node.Config{Network: "mainnet", Root: "/r", ListenAddr: ":8444"},
	}, {
		args: []string{"--root", "/r", "--network", "testnet11", "--listen-host", "::1"},
		want: node.Config{Network: "testnet11", Root: "/r", ListenAddr: "[::1]:58444"},
	}, {
		args: []string{"--root", "/r", "--network", "devnet", "--listen-host", "127.0.0.1", "--port", "58501",
			"--peer", "127.0.0.1:58502", "--peer", "127.0.0.1:58503", "--target-outbound", "-1"},
		want: node.Config{Network: "devnet", Root: "/r", ListenAddr: "127.0.0.1:58501",
			StaticPeers: []string{"127.0.0.1:58502", "127.0.0.1:58503"}, TargetOutbound: -1},
	}, {
		args: []string{"--root", "/r", "--port", "0", "--dns-introducer", "seed.example", "--introducer", "intro.example:8444",
			"--peers-file", "p.dat", "--allow-private", "--exempt-network", "10.0.0.0/8", "--exempt-network", "192.0.2.1",
			"--no-eviction", "--max-pending-inbound", "16", "--max-pending-per-ip", "-1"},
		want: node.Config{Network: "mainnet", Root: "/r", ListenAddr: ":0", DNSIntroducers: []string{"seed.example"},
			Introducer: "intro.example:8444", PeersFile: "p.dat", AllowPrivate: true,
			NoEviction: true, MaxPendingInbound: 16, MaxPendingPerIP: -1},
	}}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			cmd := &cobra.Command{}
			f := &nodeFlags{}
			f.register(cmd)
			if err := cmd.ParseFlags(c.args); err != nil {
				t.Fatal(err)
			}
			got, err := f.config(cmd)
			if err != nil {
				t.Fatal(err)
			}
			nets := got.ExemptNetworks
			got.ExemptNetworks = nil
			if got.Network != c.want.Network || got.Root != c.want.Root || got.ListenAddr != c.want.ListenAddr ||
				!slices.Equal(got.StaticPeers, c.want.StaticPeers) || !slices.Equal(got.DNSIntroducers, c.want.DNSIntroducers) ||
				got.Introducer != c.want.Introducer || got.PeersFile != c.want.PeersFile ||
				got.AllowPrivate != c.want.AllowPrivate || got.TargetOutbound != c.want.TargetOutbound ||
				got.NoEviction != c.want.NoEviction || got.MaxPendingInbound != c.want.MaxPendingInbound ||
				got.MaxPendingPerIP != c.want.MaxPendingPerIP {
				t.Errorf("config:\n got %+v\nwant %+v", got, c.want)
			}
			if slices.Contains(c.args, "--exempt-network") {
				if len(nets) != 2 || nets[0].String() != "10.0.0.0/8" || nets[1].String() != "192.0.2.1/32" {
					t.Errorf("exempt networks %v", nets)
				}
			}
		})
	}
}

func TestNodeBadFlags(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--exempt-network", "10.0.0.0/33"}, "--exempt-network"},
		{[]string{"--peer", "127.0.0.1"}, "StaticPeers"},
		{[]string{"--network", ""}, "--network"},
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
		})
	}
}
