//go:build unix

package main

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
)

// TestDevnetFileLimit: --nodes beyond what the open-file limit can hold
// is refused in one line naming the flag, before any node is made. The
// soft limit is lowered for the test (and restored), so that the test
// does not depend on the machine's.
func TestDevnetFileLimit(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := syscall.Rlimit{Cur: min(old.Cur, 4096), Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	var out, errOut bytes.Buffer
	code := runContext(t.Context(), []string{"devnet", "--nodes", "5000", "--dir", t.TempDir()}, nil, &out, &errOut)
	e := errOut.String()
	if code == 0 || !strings.HasPrefix(e, "chianet: --nodes: ") || !strings.Contains(e, "open files") || strings.Count(e, "\n") != 1 {
		t.Errorf("--nodes 5000 with %d open files allowed: exit %d, %q", low.Cur, code, e)
	}
}
