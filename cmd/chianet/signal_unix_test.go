//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/node"
)

// child is a `chianet node` process under test.
type child struct {
	cmd    *exec.Cmd
	logs   *logWatch
	exited chan int // its exit code, once
}

// startChild runs bin with args, its standard error into a logWatch.
func startChild(t *testing.T, bin string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(bin, args...), logs: newLogWatch(), exited: make(chan int, 1)}
	c.cmd.Stderr = c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := c.cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode() // -1 when a signal killed it
		} else if err != nil {
			code = -2
		}
		c.exited <- code
	}()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
		}
	})
	return c
}

// record returns the first JSON log record with message msg.
func (c *child) record(t *testing.T, msg string) map[string]any {
	t.Helper()
	for line := range strings.Lines(c.logs.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			return rec
		}
	}
	t.Fatalf("no %q record:\n%s", msg, c.logs)
	return nil
}

// SIGTERM and SIGHUP each stop the built binary gracefully: the peers
// file is saved with what the node learned, every connection is closed
// with a reason, and the process exits 0 within 5 s.
func TestNodeSignals(t *testing.T) {
	bin := buildChianet(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			root := t.TempDir()
			c := startChild(t, bin, "node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1",
				"--port", "0", "--rpc-port", "-1", "--daemon-port", "-1", "--root", root, "--log-format", "json")
			c.logs.waitFor(t, `"msg":"node started"`, c.exited)
			listen, _ := c.record(t, "node started")["listen"].(string)

			// A peer in this process dials the child, which records the
			// peer's address.
			peerNode, err := node.New(node.Config{Network: "devnet", Private: true, Root: t.TempDir(),
				ListenAddr: "127.0.0.1:0", StaticPeers: []string{listen}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- peerNode.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("peer node: %v", err)
				}
			}()
			c.logs.waitFor(t, `"msg":"peer connected"`, c.exited)

			if err := c.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case code := <-c.exited:
				if code != 0 {
					t.Fatalf("exit %d after %v:\n%s", code, sig, c.logs)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("still running 5 s after %v:\n%s", sig, c.logs)
			}
			for _, msg := range []string{"shutting down", "peers saved", "node stopped"} {
				c.record(t, msg)
			}
			if reason, _ := c.record(t, "peer disconnected")["reason"].(string); reason == "" {
				t.Errorf("disconnected without a reason:\n%s", c.logs)
			}
			m, err := addrman.Load(filepath.Join(root, "db", "chianet-peers-devnet.dat"), addrman.Config{AllowPrivate: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := m.Lookup(addrman.PeerInfo{Host: "127.0.0.1", Port: peerNode.Addr().Port()}); !ok {
				t.Errorf("the saved peers file lacks the peer (%d addresses)", m.Size())
			}
			if _, err := os.Stat(filepath.Join(root, "db", node.LockFileName)); err != nil {
				t.Error(err)
			}
		})
	}
}

// A second process on the same root stops at once with one line saying
// which process holds it.
func TestNodeRootInUse(t *testing.T) {
	bin := buildChianet(t)
	root := t.TempDir()
	c := startChild(t, bin, "node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1",
		"--port", "0", "--rpc-port", "-1", "--daemon-port", "-1", "--root", root, "--log-format", "json")
	c.logs.waitFor(t, `"msg":"node started"`, c.exited)

	out, err := exec.Command(bin, "node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1",
		"--port", "0", "--rpc-port", "-1", "--daemon-port", "-1", "--root", root, "--log-level", "error").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("second node: %v\n%s", err, out)
	}
	want := "chianet: node: the root is in use by another chianet node (process " + strconv.Itoa(c.cmd.Process.Pid) + "): " +
		filepath.Join(root, "db", node.LockFileName) + " is locked"
	if !strings.HasPrefix(string(out), want) || strings.Count(string(out), "\n") != 1 {
		t.Errorf("second node said %q, want %q", out, want)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := <-c.exited; code != 0 {
		t.Errorf("first node: exit %d", code)
	}
}
