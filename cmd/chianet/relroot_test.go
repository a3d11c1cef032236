package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestRelativeRoot: `chianet node` and `chianet peer ping` work with a
// --root relative to the working directory (on loopback: the ping goes to
// the node). The node's start removes the temporary file of a peers-file
// save that a crash interrupted.
func TestRelativeRoot(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	wd := t.TempDir()
	t.Chdir(wd)
	nodeRoot := filepath.Join("rel", "dir")
	stale := filepath.Join(nodeRoot, "db", ".chianet-peers-devnet.dat.tmp2718281828")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
			"--rpc-port", "-1", "--daemon-port", "-1", "--root", nodeRoot, "--log-format", "json"}, strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, `"msg":"node started"`, exited)
	var listen string
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Msg    string `json:"msg"`
			Listen string `json:"listen"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "node started" {
			listen = rec.Listen
		}
	}
	if !strings.HasPrefix(listen, "127.0.0.1:") {
		t.Fatalf("node listens on %q:\n%s", listen, logs)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale temporary file survived the start: %v", err)
	}

	out, errOut, code := chianet(t, "", "peer", "ping", listen, "--network", "devnet", "--root", filepath.Join("rel", "ping"), "--timeout", "20s")
	if code != 0 {
		t.Errorf("peer ping: exit %d: %s", code, errOut)
	} else if !strings.Contains(out, "ping rtt") {
		t.Errorf("peer ping printed %q", out)
	}

	cancel()
	logs.waitExit(t, "node", exited)
	for _, p := range []string{
		filepath.Join(wd, "rel", "dir", "db", "chianet-peers-devnet.dat"),
		filepath.Join(wd, "rel", "dir", "config", "ssl", "full_node", "public_full_node.crt"),
		filepath.Join(wd, "rel", "ping", "config", "ssl", "full_node", "public_full_node.crt"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%v", err)
		}
	}
	for _, p := range []string{filepath.Join(wd, "rel", "dir", "rel"), filepath.Join(wd, "rel", "ping", "rel")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the root was joined twice: %s: %v", p, err)
		}
	}
}
