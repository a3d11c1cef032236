//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNodePeersFileFIFO: a peers-file path that is a named pipe makes
// `chianet node` fail within a second with a one-line error saying so,
// instead of hanging at start.
func TestNodePeersFileFIFO(t *testing.T) {
	root := t.TempDir()
	fifo := filepath.Join(root, "db", "chianet-peers-devnet.dat")
	if err := os.MkdirAll(filepath.Dir(fifo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		errOut string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, errOut, code := chianet(t, "", "node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0", "--rpc-port", "-1", "--daemon-port", "-1", "--root", root)
		done <- result{errOut, code}
	}()
	select {
	case r := <-done:
		if r.code == 0 {
			t.Fatal("exit 0")
		}
		var last string
		for line := range strings.Lines(r.errOut) {
			last = line
		}
		if !strings.HasPrefix(last, "chianet: ") || !strings.Contains(last, fifo) || !strings.Contains(last, "named pipe") {
			t.Fatalf("stderr %q, want a last line naming %s as a named pipe", r.errOut, fifo)
		}
	case <-time.After(time.Second):
		// Let a blocked open of the FIFO return; the node, should it then
		// start, ends with the test binary.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = w.Close()
		}
		t.Fatal("chianet node did not fail within a second")
	}
}
