//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/protocol"
)

// The README's examples, run against the built binary.
//
// In README.md, a code block (indented by four spaces, or fenced) holds
// examples in one of two forms:
//
//   - "$ chianet ARGS" or "$ echo TEXT | chianet ARGS", followed by the
//     output it prints ("..." stands for any number of lines). It must
//     exit 0 and print that output. Paths under /tmp/NAME are moved into
//     a temporary directory, in the command and in the output.
//   - "go run ./cmd/chianet node ARGS" or "chianet node ARGS" lines,
//     which need a marker comment on the line before the block:
//     <!-- readme-test: node --> (one node, started and stopped),
//     <!-- readme-test: nodes --> (every line a node of one network, all
//     running at once, each --peer connected), or
//     <!-- readme-test: skip: REASON --> for examples that would join
//     the public networks, or that another test runs in full (the
//     seeder's). <!-- readme-test: introducer --> runs an
//     introducer line and node lines that name it (readme_introducer_unix_test.go);
//     <!-- readme-test: devnet --> runs `chianet devnet` lines to the end
//     (readme_devnet_unix_test.go).
//
// <!-- readme-test: peer --> before a "$" block runs it against a local
// peer on loopback answering as the README's 203.0.113.7:8444 does, with
// node ids and durations compared by form only.
//
// <!-- readme-test: rpc --> before a "$" block runs it against two nodes
// on loopback: the README's node a (root /tmp/chianet-a, RPC port 58511)
// and node b (127.0.0.1:58502, node id starting with c0d8a1b2), not
// connected; node ids are compared by form only.

// readmeBlock is a code block of README.md.
type readmeBlock struct {
	line   int      // of its first line, 1-based
	marker string   // the readme-test marker before it, "" if none
	lines  []string // without the indentation
}

var markerRE = regexp.MustCompile(`^<!-- readme-test: ([a-z]+)(:.*)? -->$`)

// readmeBlocks returns the code blocks of the README.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var blocks []readmeBlock
	marker := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "```"):
			b := readmeBlock{line: i + 2, marker: marker}
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				b.lines = append(b.lines, lines[i])
			}
			blocks = append(blocks, b)
			marker = ""
		case strings.HasPrefix(l, "    ") && (i == 0 || strings.TrimSpace(lines[i-1]) == ""):
			b := readmeBlock{line: i + 1, marker: marker}
			for ; i < len(lines) && strings.HasPrefix(lines[i], "    "); i++ {
				b.lines = append(b.lines, lines[i][4:])
			}
			blocks = append(blocks, b)
			marker = ""
		case markerRE.MatchString(l):
			marker = markerRE.FindStringSubmatch(l)[1]
		case strings.TrimSpace(l) != "":
			marker = ""
		}
	}
	return blocks
}

// readmeExample is one "$" command and the output shown for it.
type readmeExample struct {
	line  int
	stdin string
	args  []string
	want  []string
}

// nodeLine reports whether a code line (comments dropped) runs `chianet
// node`, and returns its arguments after "chianet".
func nodeLine(l string) ([]string, bool) {
	if i := strings.Index(l, "#"); i >= 0 {
		l = l[:i]
	}
	fields := strings.Fields(l)
	switch {
	case len(fields) >= 3 && fields[0] == "go" && fields[1] == "run" && fields[2] == "./cmd/chianet":
		return fields[3:], true
	case len(fields) >= 1 && fields[0] == "chianet":
		return fields[1:], true
	}
	return nil, false
}

// TestReadme runs every example of README.md.
func TestReadme(t *testing.T) {
	bin := buildChianet(t)
	var ran int
	for _, b := range readmeBlocks(t) {
		name := fmt.Sprintf("README.md:%d", b.line)
		// Join continued lines.
		var code []string
		for _, l := range b.lines {
			if n := len(code); n > 0 && strings.HasSuffix(code[n-1], "\\") {
				code[n-1] = strings.TrimSuffix(code[n-1], "\\") + " " + strings.TrimSpace(l)
				continue
			}
			code = append(code, l)
		}
		examples := dollarExamples(t, name, b.line, code)
		var nodes [][]string
		for _, l := range code {
			if strings.HasPrefix(l, "$ ") {
				continue
			}
			if args, ok := nodeLine(l); ok {
				nodes = append(nodes, args)
			}
		}
		switch {
		case len(examples) > 0 && len(nodes) > 0:
			t.Errorf("%s: mixes $ examples and node commands", name)
		case len(examples) > 0:
			ran += len(examples)
			t.Run(name, func(t *testing.T) { runDollarExamples(t, bin, b.marker, examples) })
		case len(nodes) > 0:
			switch b.marker {
			case "node", "nodes":
				ran += len(nodes)
				t.Run(name, func(t *testing.T) { runReadmeNodes(t, bin, nodes) })
			case "introducer":
				ran += len(nodes)
				t.Run(name, func(t *testing.T) { runReadmeIntroducer(t, bin, nodes) })
			case "devnet":
				ran += len(nodes)
				t.Run(name, func(t *testing.T) { runReadmeDevnet(t, bin, nodes) })
			case "skip":
			default:
				t.Errorf("%s: chianet node example with no readme-test marker: %q", name, code)
			}
		}
	}
	if ran < 12 {
		t.Errorf("ran %d README examples; the parser missed some", ran)
	}
}

// dollarExamples parses the "$" examples of a block.
func dollarExamples(t *testing.T, name string, line int, code []string) []readmeExample {
	var out []readmeExample
	for i, l := range code {
		if !strings.HasPrefix(l, "$ ") {
			if len(out) > 0 {
				out[len(out)-1].want = append(out[len(out)-1].want, l)
			}
			continue
		}
		cmd := strings.TrimPrefix(l, "$ ")
		ex := readmeExample{line: line + i}
		if before, after, ok := strings.Cut(cmd, " | "); ok {
			words, err := shellWords(before)
			if err != nil || len(words) != 2 || words[0] != "echo" {
				t.Errorf("%s: %q: only `echo TEXT | chianet ...` pipes are run", name, cmd)
				continue
			}
			ex.stdin = words[1] + "\n"
			cmd = after
		}
		words, err := shellWords(cmd)
		if err != nil || len(words) == 0 || words[0] != "chianet" {
			t.Errorf("%s: %q is not a chianet command (%v)", name, cmd, err)
			continue
		}
		ex.args = words[1:]
		out = append(out, ex)
	}
	return out
}

// shellWords splits s into words as sh does for plain, single- and
// double-quoted words (no escapes, variables or globs).
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, errors.New("unterminated quote")
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case '\\', '$', '*', '?', '`', ';', '&', '<', '>', '|':
			return nil, fmt.Errorf("%q is not supported", c)
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}

// tmpPathRE matches a path under /tmp named in an example.
var tmpPathRE = regexp.MustCompile(`/tmp/[A-Za-z0-9._-]+`)

// The README's names of the nodes of an rpc block.
const (
	readmeRPCPort = "58511"
	readmeNodeB   = "127.0.0.1:58502"
	readmeNodeBID = "c0d8a1b2"
)

// readmeRPCNodes are the nodes an rpc block runs against.
type readmeRPCNodes struct {
	rpcPort string // node a's
	b       string // node b's address
	bID     string // the start of node b's node id
}

// startReadmeRPCNodes runs nodes a (with its RPC) and b in-process, with
// their roots in tmp/chianet-a and tmp/chianet-b, until the test ends.
func startReadmeRPCNodes(t *testing.T, tmp string) *readmeRPCNodes {
	t.Helper()
	start := func(name, rpcAddr string) *node.Node {
		n, err := node.New(node.Config{Network: "devnet", Private: true, Root: filepath.Join(tmp, "chianet-"+name),
			ListenAddr: "127.0.0.1:0", RPCAddr: rpcAddr, TargetOutbound: -1, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node %s: %v", name, err)
			}
		})
		select {
		case <-n.Ready():
		case err := <-done:
			t.Fatalf("node %s: %v", name, err)
		}
		return n
	}
	a := start("a", "127.0.0.1:0")
	b := start("b", "")
	_, port, _ := net.SplitHostPort(a.RPCAddr())
	return &readmeRPCNodes{rpcPort: port, b: b.Addr().String(), bID: b.NodeID().String()[2:10]}
}

// mapArg replaces the README's ports, address and node id prefix in an
// argument with the running nodes'.
func (n *readmeRPCNodes) mapArg(a string) string {
	switch a {
	case readmeRPCPort:
		return n.rpcPort
	case readmeNodeBID:
		return n.bID
	}
	return strings.ReplaceAll(a, readmeNodeB, n.b)
}

// readmePeers are the peers the README shows 203.0.113.7:8444 knowing.
var readmePeers = []protocol.TimestampedPeerInfo{
	{Host: "198.51.100.4", Port: 8444, Timestamp: 1700000000},
	{Host: "2001:db8::1", Port: 58444, Timestamp: 1699999082},
}

const readmePeerAddr = "203.0.113.7:8444"

// runDollarExamples runs a block's "$" examples in order, sharing one
// temporary directory for the /tmp paths.
func runDollarExamples(t *testing.T, bin, marker string, examples []readmeExample) {
	tmp := t.TempDir()
	local := ""
	if marker == "peer" {
		local = startPeerListenerOn(t, "mainnet", readmePeers).addr
	}
	var nodes *readmeRPCNodes
	if marker == "rpc" {
		nodes = startReadmeRPCNodes(t, tmp)
	}
	home := t.TempDir() // nothing may be written outside the example's paths
	for _, ex := range examples {
		args := make([]string, len(ex.args))
		for i, a := range ex.args {
			a = tmpPathRE.ReplaceAllStringFunc(a, func(p string) string { return filepath.Join(tmp, p[len("/tmp/"):]) })
			if local != "" {
				a = strings.ReplaceAll(a, readmePeerAddr, local)
			}
			if nodes != nil {
				a = nodes.mapArg(a)
			}
			args[i] = a
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(ex.stdin)
		cmd.Env = append(os.Environ(), "HOME="+home, "CHIA_ROOT=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("line %d: chianet %s: %v\n%s", ex.line, strings.Join(ex.args, " "), err, stderr.String())
			continue
		}
		got := stdout.String()
		got = strings.ReplaceAll(got, tmp+string(filepath.Separator), "/tmp/")
		if local != "" {
			got = strings.ReplaceAll(got, local, readmePeerAddr)
		}
		if nodes != nil {
			got = strings.ReplaceAll(got, nodes.b, readmeNodeB)
		}
		gotLines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if got == "" {
			gotLines = nil
		}
		if len(ex.want) == 0 {
			continue // the README shows no output: running it is the test
		}
		norm := func(l string) string { return l }
		if marker == "peer" || marker == "rpc" {
			norm = normalizePeerOutput
		}
		if !linesMatch(mapLines(ex.want, norm), mapLines(gotLines, norm)) {
			t.Errorf("line %d: chianet %s printed\n%s\nwant (README)\n%s", ex.line, strings.Join(ex.args, " "),
				strings.Join(gotLines, "\n"), strings.Join(ex.want, "\n"))
		}
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("the examples wrote %d entries into the home directory", len(entries))
	}
}

var (
	nodeIDRE   = regexp.MustCompile(`0x[0-9a-f]{64}`)
	durationRE = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?(ns|µs|ms|s|m)\b`)
)

// normalizePeerOutput replaces what differs between peers and runs (the
// node id, measured durations) with placeholders.
func normalizePeerOutput(l string) string {
	l = nodeIDRE.ReplaceAllString(l, "0x<node id>")
	return durationRE.ReplaceAllString(l, "<duration>")
}

func mapLines(lines []string, f func(string) string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = f(l)
	}
	return out
}

// linesMatch reports whether got matches want, in which a line "..."
// matches any number of lines.
func linesMatch(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if linesMatch(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && want[0] == got[0] && linesMatch(want[1:], got[1:])
}

// runReadmeNodes starts every node command of a block at once (roots
// under /tmp moved to a temporary directory, fixed ports replaced by
// free ones), waits until each has started and is connected to every
// other (outbound to each of its --peer), then interrupts each, as
// Ctrl-C does, and expects the peers saved and exit 0.
func runReadmeNodes(t *testing.T, bin string, nodes [][]string) {
	tmp := t.TempDir()
	ports := map[string]string{}
	for _, args := range nodes {
		for i, a := range args {
			if i > 0 && isPortFlag(args[i-1]) && a != "-1" && a != "0" {
				ports[a] = strconv.Itoa(int(freeLoopbackPort(t)))
			}
		}
	}
	type started struct {
		c     *child
		peers int
	}
	var all []started
	for _, args := range nodes {
		if len(args) == 0 || args[0] != "node" {
			t.Fatalf("not a node command: %q", args)
		}
		var mapped []string
		peers := 0
		for i, a := range args {
			a = tmpPathRE.ReplaceAllStringFunc(a, func(p string) string { return filepath.Join(tmp, p[len("/tmp/"):]) })
			if i > 0 && isPortFlag(args[i-1]) && ports[a] != "" {
				a = ports[a]
			}
			if i > 0 && args[i-1] == "--peer" {
				host, port, err := net.SplitHostPort(a)
				if err != nil || ports[port] == "" {
					t.Fatalf("--peer %s names no node of the example", a)
				}
				a = net.JoinHostPort(host, ports[port])
				peers++
			}
			mapped = append(mapped, a)
		}
		c := startChild(t, bin, append(mapped, "--log-format", "json")...)
		c.logs.waitFor(t, `"msg":"node started"`, c.exited)
		all = append(all, started{c, peers})
	}
	for _, s := range all {
		waitLog(t, s.c, func(logs string) bool {
			return countLines(logs, `"msg":"peer connected"`) >= len(all)-1 &&
				countLines(logs, `"msg":"peer connected"`, `"outbound":true`) >= s.peers
		})
	}
	for _, s := range all {
		if err := s.c.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range all {
		select {
		case code := <-s.c.exited:
			if code != 0 {
				t.Errorf("exit %d after Ctrl-C:\n%s", code, s.c.logs)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("still running 10 s after Ctrl-C:\n%s", s.c.logs)
		}
		if countLines(s.c.logs.String(), `"msg":"peers saved"`) != 1 {
			t.Errorf("peers not saved:\n%s", s.c.logs)
		}
	}
}

// isPortFlag reports whether a node flag takes a port, which the README
// tests replace with a free one.
func isPortFlag(flag string) bool {
	return flag == "--port" || flag == "--rpc-port" || flag == "--daemon-port"
}

// waitLog waits up to 30 s for cond to hold on c's log.
func waitLog(t *testing.T, c *child, cond func(string) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond(c.logs.String()) {
		select {
		case <-c.logs.written:
		case code := <-c.exited:
			t.Fatalf("exited with %d:\n%s", code, c.logs)
		case <-deadline:
			t.Fatalf("not after 30 s:\n%s", c.logs)
		}
	}
}

// countLines counts the lines of s that contain every one of subs.
func countLines(s string, subs ...string) int {
	n := 0
	for line := range strings.Lines(s) {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(line, sub)
		}
		if all {
			n++
		}
	}
	return n
}

// freeLoopbackPort returns a port nothing listens on at 127.0.0.1.
func freeLoopbackPort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}
