package rpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Loopback addresses that a host of localhost stands for.
const (
	loopbackIPv4 = "127.0.0.1"
	loopbackIPv6 = "::1"
)

// freePortTries bounds how often listen draws a new port when asked for
// port 0 and another process holds on ::1 the port 127.0.0.1 got.
const freePortTries = 8

// listenAddrs returns the addresses a Server or Daemon configured with
// addr ("host:port") listens on. A host of localhost, in any case, is not
// looked up: it stands for 127.0.0.1 and ::1 on the same port, as the
// reference's servers bound to localhost accept on every loopback
// address, so that a client resolving localhost to ::1 (Node.js before
// 20, some Python setups) reaches them too. Any other host is listened on
// as given.
func listenAddrs(addr string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !strings.EqualFold(host, "localhost") {
		return []string{addr}
	}
	return []string{net.JoinHostPort(loopbackIPv4, port), net.JoinHostPort(loopbackIPv6, port)}
}

// listen opens the listeners of listenAddrs(addr). Port 0 takes any free
// port for the first, and the others listen on the port it got. A machine
// without an IPv6 loopback (::1 not assigned, IPv6 disabled) is served on
// 127.0.0.1 alone, which is logged; any other error closes what was
// opened.
func listen(ctx context.Context, addr string, log *slog.Logger) ([]net.Listener, error) {
	addrs := listenAddrs(addr)
	var lc net.ListenConfig
	if len(addrs) == 1 {
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return []net.Listener{ln}, nil
	}
	_, port, _ := net.SplitHostPort(addr) // listenAddrs split it
	for try := 1; ; try++ {
		ln4, err := lc.Listen(ctx, "tcp4", addrs[0])
		if err != nil {
			return nil, err
		}
		got := strconv.Itoa(ln4.Addr().(*net.TCPAddr).Port)
		ln6, err := lc.Listen(ctx, "tcp6", net.JoinHostPort(loopbackIPv6, got))
		switch {
		case err == nil:
			return []net.Listener{ln4, ln6}, nil
		case noIPv6Loopback(err):
			log.Info("no IPv6 loopback: serving localhost on 127.0.0.1 only", "addr", ln4.Addr().String(), "err", err)
			return []net.Listener{ln4}, nil
		}
		_ = ln4.Close()
		if port != "0" || !errors.Is(err, syscall.EADDRINUSE) || try == freePortTries {
			return nil, fmt.Errorf("localhost stands for 127.0.0.1 and ::1: %w", err)
		}
	}
}

// noIPv6Loopback tells whether err, from listening on ::1, means that the
// machine has no IPv6 loopback rather than that the port is taken or
// forbidden.
func noIPv6Loopback(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT)
}

// serve serves srv on every listener of lns, over TLS with tc, in the
// background; the channel returned is closed once every Serve has
// returned, which srv.Shutdown or srv.Close brings about (a Serve that
// starts after them closes its listener and returns at once). An
// unexpected end is logged as msg.
func serve(srv *http.Server, lns []*limitListener, tc *tls.Config, log *slog.Logger, msg string) chan struct{} {
	served := make(chan struct{})
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Go(func() {
			err := srv.Serve(tls.NewListener(ln, tc))
			if !errors.Is(err, http.ErrServerClosed) {
				log.Error(msg, "addr", ln.Addr().String(), "err", err)
			}
		})
	}
	go func() {
		wg.Wait()
		close(served)
	}()
	return served
}

// listenerAddrs returns the addresses of lns; nil for none.
func listenerAddrs(lns []net.Listener) []net.Addr {
	if lns == nil {
		return nil
	}
	a := make([]net.Addr, len(lns))
	for i, ln := range lns {
		a[i] = ln.Addr()
	}
	return a
}

// addrStrings returns the addresses of lns.
func addrStrings(lns []net.Listener) []string {
	s := make([]string, len(lns))
	for i, ln := range lns {
		s[i] = ln.Addr().String()
	}
	return s
}
