//go:build unix

package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// devnetTotalsRE matches the summary's line of connection totals.
var devnetTotalsRE = regexp.MustCompile(`connections between nodes: (\d+) outbound, (\d+) inbound`)

// runReadmeDevnet runs a block marked <!-- readme-test: devnet -->: each
// line a `chianet devnet` command, run as it is with its temporary root
// in a directory of the test's. It must exit 0 with every node at its
// outbound target, as many outbound connections as inbound ones, and
// nothing left in that directory.
func runReadmeDevnet(t *testing.T, bin string, lines [][]string) {
	for _, args := range lines {
		if len(args) == 0 || args[0] != "devnet" {
			t.Fatalf("not a devnet command: %q", args)
		}
		dir := t.TempDir()
		cmd := exec.Command(bin, append(args, "--dir", dir)...)
		out, err := cmd.Output()
		s := string(out)
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("%q: %v\n%s\n%s", args, err, stderr, tail(s, 40))
		}
		if !strings.Contains(s, "every node reached its outbound target") {
			t.Errorf("%q: not every node reached its target:\n%s", args, tail(s, 40))
		}
		if m := devnetTotalsRE.FindStringSubmatch(s); m == nil || m[1] != m[2] || m[1] == "0" {
			t.Errorf("%q: connection totals %q", args, m)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("%q left behind %v", args, left)
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
