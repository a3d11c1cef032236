package server

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

// DialerFrom returns a function for peer.Config.DialContext that opens
// TCP connections from the local address from, wherever from can reach
// the target, and lets the kernel choose the source elsewhere:
//
//   - a target of the other IP family than from;
//   - a target outside loopback when from is a loopback address (a node
//     listening on 127.0.0.1 still reaches the Internet);
//   - with a host name for target (resolved by the dialer), when from is
//     a loopback address and the name is not "localhost".
//
// An invalid or unspecified from (0.0.0.0, ::) always lets the kernel
// choose. Config.DialFrom installs this function; package introducer
// uses it for the connections it makes outside a Server.
func DialerFrom(from netip.Addr) func(ctx context.Context, network, addr string) (net.Conn, error) {
	from = from.Unmap()
	plain := &net.Dialer{}
	if !from.IsValid() || from.IsUnspecified() {
		return plain.DialContext
	}
	bound := &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0))}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if sourceReaches(from, addr) {
			return bound.DialContext(ctx, network, addr)
		}
		return plain.DialContext(ctx, network, addr)
	}
}

// sourceReaches reports whether a connection to addr ("host:port") may
// leave from the valid, specified, unmapped address from.
func sourceReaches(from netip.Addr, addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	to, err := netip.ParseAddr(host)
	if err != nil {
		// A host name: a loopback source reaches only localhost; the
		// dialer keeps to from's family among the name's addresses.
		return !from.IsLoopback() || strings.EqualFold(host, "localhost")
	}
	to = to.Unmap()
	if to.Is4() != from.Is4() {
		return false
	}
	return !from.IsLoopback() || to.IsLoopback()
}

// ListenIP returns the host of a "host:port" listen address when it is a
// single IP address (unmapped): the address outbound connections should
// leave from so that peers see us where we listen; a zone is kept. It returns the zero
// Addr for every interface (an empty host, 0.0.0.0, ::), a host name or a
// malformed address.
func ListenIP(listenAddr string) netip.Addr {
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	a = a.Unmap()
	if a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}
