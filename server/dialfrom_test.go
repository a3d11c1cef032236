package server

import (
	"context"
	"net"
	"net/netip"
	"testing"
)

func TestSourceReaches(t *testing.T) {
	cases := []struct {
		from, addr string
		want       bool
	}{
		{"127.2.0.1", "127.3.0.1:8444", true},
		{"127.2.0.1", "203.0.113.7:8444", false},    // loopback source, remote target
		{"127.2.0.1", "[::1]:8444", false},          // other family
		{"127.2.0.1", "[::ffff:127.3.0.1]:1", true}, // mapped: IPv4
		{"192.0.2.10", "203.0.113.7:8444", true},
		{"192.0.2.10", "127.0.0.1:8444", true},
		{"192.0.2.10", "[2001:db8::1]:8444", false},
		{"2001:db8::10", "[2001:db8::1]:8444", true},
		{"2001:db8::10", "203.0.113.7:8444", false},
		{"::1", "[::1]:8444", true},
		{"::1", "[2001:db8::1]:8444", false},
		{"127.2.0.1", "localhost:8444", true},
		{"127.2.0.1", "introducer.example:8444", false},
		{"192.0.2.10", "introducer.example:8444", true},
		{"192.0.2.10", "no-port", false},
	}
	for _, c := range cases {
		if got := sourceReaches(netip.MustParseAddr(c.from), c.addr); got != c.want {
			t.Errorf("sourceReaches(%s, %s) = %v, want %v", c.from, c.addr, got, c.want)
		}
	}
}

// TestDialerFromSource checks the source address of connections made by
// DialerFrom on loopback: the given address when it can reach the target.
func TestDialerFromSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.3.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan netip.Addr, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr()
			c.Close()
		}
	}()
	for _, from := range []string{"127.4.0.1", "::ffff:127.5.0.1"} {
		c, err := DialerFrom(netip.MustParseAddr(from))(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("from %s: %v", from, err)
		}
		c.Close()
		if got, want := <-accepted, netip.MustParseAddr(from).Unmap(); got.Unmap() != want {
			t.Errorf("from %s: the listener saw %v", from, got)
		}
	}
	// Unspecified: the kernel chooses; the dial works.
	c, err := DialerFrom(netip.IPv4Unspecified())(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	<-accepted
}

func TestListenIP(t *testing.T) {
	cases := map[string]string{
		"127.2.0.1:8444":        "127.2.0.1",
		"[::1]:8444":            "::1",
		"[::ffff:10.0.0.1]:0":   "10.0.0.1",
		"[fe80::1%eth0]:8444":   "fe80::1%eth0",
		":8444":                 "invalid IP",
		"0.0.0.0:8444":          "invalid IP",
		"[::]:8444":             "invalid IP",
		"[::ffff:0.0.0.0]:8444": "invalid IP",
		"localhost:8444":        "invalid IP",
		"8444":                  "invalid IP",
	}
	for in, want := range cases {
		if got := ListenIP(in).String(); got != want {
			t.Errorf("ListenIP(%q) = %s, want %s", in, got, want)
		}
	}
}
