package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/spf13/cobra"
)

func TestIntroducerFlags(t *testing.T) {
	cmd := &cobra.Command{}
	f := &introducerFlags{}
	f.register(cmd)
	if err := cmd.ParseFlags([]string{"--root", "/r"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.config(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Network != "mainnet" || cfg.Root != "/r" || cfg.ListenAddr != ":8445" || cfg.DialFrom.IsValid() ||
		cfg.MaxPeersToSend != 20 || cfg.RecentPeerThreshold != 6000*time.Second || cfg.AllowPrivate {
		t.Errorf("defaults: %+v", cfg)
	}

	cmd = &cobra.Command{}
	f = &introducerFlags{}
	f.register(cmd)
	args := []string{"--root", "/r", "--network", "devnet", "--private", "--listen-host", "127.3.0.1", "--port", "0",
		"--dial-from", "127.4.0.1", "--allow-private", "--max-peers-to-send", "5", "--recent-peer-threshold", "1h"}
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	cfg, err = f.config(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Network != "devnet" || !cfg.Private || cfg.ListenAddr != "127.3.0.1:0" || cfg.DialFrom.String() != "127.4.0.1" ||
		!cfg.AllowPrivate || cfg.MaxPeersToSend != 5 || cfg.RecentPeerThreshold != time.Hour {
		t.Errorf("%v: %+v", args, cfg)
	}
}

func TestIntroducerBadFlags(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--dial-from", "example.org"}, "--dial-from"},
		{[]string{"--max-peers-to-send", "0"}, "--max-peers-to-send"},
		{[]string{"--recent-peer-threshold", "-1s"}, "--recent-peer-threshold"},
		{[]string{"--network", ""}, "--network"},
		{[]string{"--network", "devnet"}, "--private"},
		{[]string{"--network", "testnet11", "--private"}, "public network"},
		{[]string{"--root", ""}, "--root"},
		{[]string{"extra"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			args := append([]string{"introducer", "--root", root}, c.args...)
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

// logField returns field of the first JSON log record whose msg is msg.
func logField(t *testing.T, logs, msg, field string) string {
	t.Helper()
	for line := range strings.Lines(logs) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if rec["msg"] == msg {
			v, _ := rec[field].(string)
			return v
		}
	}
	t.Fatalf("no %q record in the log:\n%s", msg, logs)
	return ""
}

// `chianet introducer` with two `chianet node`s on loopback, as the
// README shows: the first node is recorded and vetted, the second gets
// it from the introducer and connects to it; all three stop cleanly.
func TestIntroducerWithTwoNodes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type proc struct {
		logs   *logWatch
		exited chan int
	}
	start := func(args ...string) proc {
		p := proc{logs: newLogWatch(), exited: make(chan int, 1)}
		go func() {
			p.exited <- runContext(ctx, append(args, "--log-format", "json"), strings.NewReader(""), io.Discard, p.logs)
		}()
		return p
	}
	intro := start("introducer", "--network", "devnet", "--private", "--listen-host", "127.3.0.1", "--port", "0", "--root", t.TempDir())
	intro.logs.waitFor(t, `"msg":"introducer started"`, intro.exited)
	introAddr := logField(t, intro.logs.String(), "introducer started", "listen")

	a := start("node", "--network", "devnet", "--private", "--listen-host", "127.1.0.1", "--port", "0", "--root", t.TempDir(),
		"--rpc-port", "-1", "--daemon-port", "-1",
		"--introducer", introAddr)
	a.logs.waitFor(t, `"msg":"node started"`, a.exited)
	aAddr := logField(t, a.logs.String(), "node started", "listen")
	intro.logs.waitFor(t, `"msg":"peer vetted","peer":"`+aAddr+`"`, intro.exited)

	b := start("node", "--network", "devnet", "--private", "--listen-host", "127.2.0.1", "--port", "0", "--root", t.TempDir(),
		"--rpc-port", "-1", "--daemon-port", "-1",
		"--introducer", introAddr)
	b.logs.waitFor(t, `"msg":"peer connected","peer":"`+aAddr+`"`, b.exited)
	a.logs.waitFor(t, `"msg":"peer connected","peer":"127.2.0.1:`, a.exited)

	cancel()
	for name, p := range map[string]proc{"introducer": intro, "a": a, "b": b} {
		select {
		case code := <-p.exited:
			if code != 0 {
				t.Errorf("%s: exit %d:\n%s", name, code, p.logs)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop 30s after cancel:\n%s", name, p.logs)
		}
	}
	if !strings.Contains(intro.logs.String(), `"msg":"introducer stopped"`) {
		t.Errorf("no \"introducer stopped\" in the log:\n%s", intro.logs)
	}
}
