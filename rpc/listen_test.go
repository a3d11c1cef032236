package rpc

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// needIPv6Loopback skips the test when the machine cannot listen on ::1.
func needIPv6Loopback(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("this machine has no IPv6 loopback (listening on [::1]:0: %v)", err)
	}
	ln.Close()
}

// loopbackPorts checks that addrs are 127.0.0.1 and ::1 on one port, and
// returns the two "host:port" addresses.
func loopbackPorts(t *testing.T, addrs []net.Addr) (v4, v6 string) {
	t.Helper()
	if len(addrs) != 2 {
		t.Fatalf("listening on %v, want 127.0.0.1 and ::1", addrs)
	}
	a4, a6 := addrs[0].(*net.TCPAddr), addrs[1].(*net.TCPAddr)
	if a4.IP.String() != "127.0.0.1" || a6.IP.String() != "::1" || a4.Port != a6.Port || a4.Port == 0 {
		t.Fatalf("listening on %v, want 127.0.0.1 and ::1 on one port", addrs)
	}
	return a4.String(), a6.String()
}

// checkReleased checks that addrs can be listened on again.
func checkReleased(t *testing.T, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Errorf("after Close: %v", err)
			continue
		}
		ln.Close()
	}
}

// A server on localhost answers over 127.0.0.1 and ::1, on the port
// that port 0 gave, and releases both when closed.
func TestServerLocalhost(t *testing.T) {
	needIPv6Loopback(t)
	s := startServer(t, func(c *Config) { c.ListenAddr = "localhost:0" })
	v4, v6 := loopbackPorts(t, s.Addrs())
	if got := s.Addr().String(); got != v4 {
		t.Errorf("Addr %s, want %s", got, v4)
	}
	for _, a := range []string{v4, v6} {
		ts := *s
		ts.url = "https://" + a
		if got := ts.call(t, "get_network_info", "{}"); got["network_name"] != s.node.info.NetworkName {
			t.Errorf("%s: get_network_info %v", a, got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s.hc.CloseIdleConnections()
	checkReleased(t, v4, v6)
}

// A daemon on localhost answers over 127.0.0.1 and ::1, and releases
// both when closed.
func TestDaemonLocalhost(t *testing.T) {
	needIPv6Loopback(t)
	d := startDaemon(t, func(c *DaemonConfig) { c.ListenAddr = "LocalHost:0" })
	v4, v6 := loopbackPorts(t, d.Addrs())
	for _, a := range []string{v4, v6} {
		d.url = "wss://" + a + "/"
		c := d.dialRaw(t)
		if got := c.call("test_ui", FullNodeService, "get_network_info", map[string]any{}); got["network_name"] != d.node.info.NetworkName {
			t.Errorf("%s: get_network_info %v", a, got)
		}
		c.ws.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	checkReleased(t, v4, v6)
}

// The connection cap holds across the addresses of localhost.
func TestConnectionCapLocalhost(t *testing.T) {
	needIPv6Loopback(t)
	s := startServer(t, func(c *Config) { c.ListenAddr = "localhost:0"; c.MaxConnections = 1 })
	v4, v6 := loopbackPorts(t, s.Addrs())
	held, err := net.Dial("tcp", v4)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	extra, err := net.Dial("tcp", v6)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetReadDeadline(time.Now().Add(failsafe))
	if _, err := extra.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("connection over the cap on ::1: read %v, want it closed", err)
	}
}

// An explicit address keeps its one listener.
func TestListenExplicitAddress(t *testing.T) {
	s := startServer(t, nil)
	if a := s.Addrs(); len(a) != 1 || a[0].String() != s.Addr().String() {
		t.Errorf("Addrs %v for 127.0.0.1:0, want only %v", a, s.Addr())
	}
	if got := listenAddrs("[::1]:8555"); len(got) != 1 || got[0] != "[::1]:8555" {
		t.Errorf("listenAddrs([::1]:8555) = %v", got)
	}
}

// When ::1 cannot be listened on for another reason than its absence,
// Start fails and leaves 127.0.0.1 free.
func TestListenLocalhostIPv6Taken(t *testing.T) {
	needIPv6Loopback(t)
	// A port taken on ::1 and free on 127.0.0.1: another process may hold
	// the latter, so a few ports are tried.
	var port, v4 string
	for try := 0; port == "" && try < 20; try++ {
		taken, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		p := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
		if probe, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", p)); err == nil {
			probe.Close()
			port, v4 = p, net.JoinHostPort("127.0.0.1", p)
		}
	}
	if port == "" {
		t.Fatal("20 ports taken on [::1] were all taken on 127.0.0.1 too")
	}
	s, err := NewServer(Config{Routes: []Route{{"a", func(context.Context, Params) (any, error) { return nil, nil }}},
		ListenAddr: "localhost:" + port, TLS: serverTLSConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Start with [::1]:%s taken: %v, want EADDRINUSE", port, err)
		_ = s.Close(context.Background())
	}
	checkReleased(t, v4)
}

func TestNoIPv6Loopback(t *testing.T) {
	wrap := func(errno syscall.Errno) error {
		return &net.OpError{Op: "listen", Net: "tcp6", Err: os.NewSyscallError("bind", errno)}
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{wrap(syscall.EADDRNOTAVAIL), true},
		{wrap(syscall.EAFNOSUPPORT), true},
		{wrap(syscall.EADDRINUSE), false},
		{wrap(syscall.EACCES), false},
	} {
		if got := noIPv6Loopback(c.err); got != c.want {
			t.Errorf("noIPv6Loopback(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
