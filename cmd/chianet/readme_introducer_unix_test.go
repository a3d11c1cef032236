//go:build unix

package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// runReadmeIntroducer runs a block marked <!-- readme-test: introducer
// -->: its first line starts an introducer, every other line a node
// whose --introducer names it (roots under /tmp moved to a temporary
// directory, fixed ports replaced by free ones). It waits until the
// introducer has vetted every node and every node is connected to every
// other, then interrupts each, as Ctrl-C does, and expects exit 0.
func runReadmeIntroducer(t *testing.T, bin string, lines [][]string) {
	if len(lines) < 2 || len(lines[0]) == 0 || lines[0][0] != "introducer" {
		t.Fatalf("an introducer block starts with an introducer and has nodes: %q", lines)
	}
	tmp := t.TempDir()
	ports := map[string]string{}
	for _, args := range lines {
		for i, a := range args {
			if i > 0 && args[i-1] == "--port" {
				ports[a] = strconv.Itoa(int(freeLoopbackPort(t)))
			}
		}
	}
	mapArgs := func(args []string) []string {
		var out []string
		for i, a := range args {
			a = tmpPathRE.ReplaceAllStringFunc(a, func(p string) string { return filepath.Join(tmp, p[len("/tmp/"):]) })
			if i > 0 && args[i-1] == "--port" {
				a = ports[a]
			}
			if i > 0 && args[i-1] == "--introducer" {
				host, port, err := net.SplitHostPort(a)
				if err != nil || ports[port] == "" {
					t.Fatalf("--introducer %s is not the example's introducer", a)
				}
				a = net.JoinHostPort(host, ports[port])
			}
			out = append(out, a)
		}
		return append(out, "--log-format", "json")
	}

	intro := startChild(t, bin, mapArgs(lines[0])...)
	intro.logs.waitFor(t, `"msg":"introducer started"`, intro.exited)
	all := []*child{intro}
	var nodes []*child
	for _, args := range lines[1:] {
		if args[0] != "node" {
			t.Fatalf("not a node command: %q", args)
		}
		c := startChild(t, bin, mapArgs(args)...)
		c.logs.waitFor(t, `"msg":"node started"`, c.exited)
		nodes = append(nodes, c)
		all = append(all, c)
	}
	waitLog(t, intro, func(logs string) bool { return countLines(logs, `"msg":"peer vetted"`) >= len(nodes) })
	for _, c := range nodes {
		waitLog(t, c, func(logs string) bool {
			return countLines(logs, `"msg":"peer connected"`, `"node_type":"FULL_NODE"`) >= len(nodes)-1
		})
	}
	for _, c := range all {
		if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range all {
		select {
		case code := <-c.exited:
			if code != 0 {
				t.Errorf("exit %d after Ctrl-C:\n%s", code, c.logs)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("still running 10 s after Ctrl-C:\n%s", c.logs)
		}
	}
	if countLines(intro.logs.String(), `"msg":"introducer stopped"`) != 1 {
		t.Errorf("introducer did not stop cleanly:\n%s", intro.logs)
	}
}
