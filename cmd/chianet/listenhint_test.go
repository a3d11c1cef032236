package main

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// takenPort holds a loopback port for the test's life and returns it.
func takenPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// A node whose RPC port is taken says which flag chose it and how to turn
// the RPC off, besides the system's "address already in use".
func TestNodeRPCPortTaken(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	port := takenPort(t)
	_, stderr, code := chianet(t, "", "node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
		"--rpc-port", port, "--daemon-port", "-1", "--root", t.TempDir())
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	for _, want := range []string{"address already in use", "port " + port, "give --rpc-port another port (-1 for none)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in the error:\n%s", want, stderr)
		}
	}
}

// The same for the introducer's peer port, which cannot be turned off.
func TestIntroducerPortTaken(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	port := takenPort(t)
	_, stderr, code := chianet(t, "", "introducer", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", port,
		"--root", t.TempDir())
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	if want := "give --port another port\n"; !strings.HasSuffix(stderr, want) {
		t.Errorf("the error does not end in %q:\n%s", want, stderr)
	}
}

func TestExplainAddrInUse(t *testing.T) {
	port := takenPort(t)
	_, inUse := net.Listen("tcp4", "127.0.0.1:"+port)
	if inUse == nil {
		t.Fatal("a second listen on a taken port succeeded")
	}
	addr := "127.0.0.1:" + port
	for _, c := range []struct {
		name  string
		err   error
		flags []listenFlag
		want  string // suffix after the error itself, "" for none
	}{
		{"another program", inUse, []listenFlag{{"--port", "127.0.0.1:1", ""}},
			"; another program listens on port " + port},
		{"two flags", inUse, []listenFlag{{"--rpc-port", "localhost:" + port, "-1"}, {"--daemon-port", "localhost:" + port, "-1"}},
			"; port " + port + " is given to --rpc-port and --daemon-port at once: give each its own port"},
		{"listener off", inUse, []listenFlag{{"--rpc-port", "", "-1"}, {"--port", addr, ""}},
			"; another program listens on port " + port + ", perhaps another chianet or chia service: stop it, or give --port another port"},
		{"other error", errors.New("no such host"), []listenFlag{{"--port", addr, ""}}, ""},
	} {
		got := explainAddrInUse(c.err, c.flags...)
		if !errors.Is(got, c.err) {
			t.Errorf("%s: %v does not wrap %v", c.name, got, c.err)
		}
		if want := c.err.Error() + c.want; got.Error() != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}
}
