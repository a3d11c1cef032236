package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/devnet"
)

// TestDevnetCommand runs a short devnet in-process: it prints its
// addresses, a line per second (standard output is no terminal), the
// summary table, exits 0 and leaves nothing in --dir. Whether the
// network forms is TestReadme's and package devnet's to check.
func TestDevnetCommand(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := runContext(t.Context(), []string{"devnet", "--nodes", "4", "--duration", "2s", "--dir", dir}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	s := out.String()
	for _, want := range []string{
		`devnet "devnet": 4 nodes on port `,
		"introducer 127.0.0.2:",
		"DNS seeder dns-introducer.devnet.test at 127.0.0.3:",
		"running for 2s",
		"  at target ",
		"summary after ",
		"node  address  joined  at target after  out  in  known",
		" 127.1.1.1:",
		" 127.4.1.1:",
		"connections between nodes: ",
		"seeder: ",
		"nodes' DNS lookups: ",
		"introducer: ",
	} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left behind in %s: %v", dir, left)
	}
}

// TestDevnetFlags: bad values are refused before anything starts.
func TestDevnetFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nodes", "2"}, "--nodes: 2; a devnet needs at least 3"},
		{[]string{"--nodes", "0"}, "--nodes: 0; a devnet needs at least 3"},
		{[]string{"--nodes", "70000"}, "--nodes: 70000; a devnet has at most 64770"},
		{[]string{"--nodes", "3", "--target-outbound", "2"}, "--target-outbound: 2; 3 nodes allow at most 1"},
		{[]string{"--duration", "-1s"}, "--duration must not be negative"},
		{[]string{"--target-outbound", "-1"}, "--target-outbound must not be negative"},
		{[]string{"--crawl-interval", "0s"}, "--crawl-interval must be positive"},
		{[]string{"--network", "mainnet", "--nodes", "3", "--dir", t.TempDir()}, "mainnet is a public network"},
	} {
		var out, errOut bytes.Buffer
		code := runContext(t.Context(), append([]string{"devnet"}, tc.args...), nil, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), tc.want) || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, %q; want a one-line error with %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// TestDevnetShow: `chianet show --root` reaches a node of a devnet that
// keeps its roots, as the devnet command tells the user.
func TestDevnetShow(t *testing.T) {
	n, err := devnet.Start(t.Context(), devnet.Config{Nodes: 3, Dir: t.TempDir(), Keep: true, RPC: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	st := n.Snapshot()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if code := runContext(ctx, []string{"show", "--root", st.Nodes[1].Root}, nil, &out, &errOut); code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "devnet") {
		t.Errorf("show output names no devnet network:\n%s", out.String())
	}
}
