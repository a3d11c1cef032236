package server

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

var (
	loopback4 = netip.MustParseAddr("127.0.0.1")
	loopback6 = netip.IPv6Loopback()
)

// isLocalhost is the reference's is_localhost: exactly 127.0.0.1 and ::1,
// not the rest of 127.0.0.0/8. Localhost peers are exempt from bans and
// rate limits (but not from the inbound limits, except a timelord, nor
// from the handshake timeout).
func isLocalhost(ip netip.Addr) bool {
	ip = normalizeAddr(ip)
	return ip == loopback4 || ip == loopback6
}

// normalizeAddr unmaps an IPv4-mapped IPv6 address and drops any zone, so
// that one host has one key in the ban list and one form in comparisons.
func normalizeAddr(ip netip.Addr) netip.Addr {
	return ip.Unmap().WithZone("")
}

// inNetworks reports whether ip is inside one of nets.
func inNetworks(ip netip.Addr, nets []netip.Prefix) bool {
	ip = normalizeAddr(ip)
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// parseRemote returns the IP of a "host:port" remote address, or the zero
// Addr when it is not an IP address.
func parseRemote(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return normalizeAddr(ap.Addr())
}

// trackingListener remembers the raw connections it accepted until they
// are closed, so that Close can drop those the HTTP server no longer
// tracks (hijacked for WebSocket, possibly still in their handshake).
type trackingListener struct {
	net.Listener
	accepted atomic.Int64 // connections accepted so far, for tests

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newTrackingListener(ln net.Listener) *trackingListener {
	return &trackingListener{Listener: ln, conns: make(map[*trackedConn]struct{})}
}

// Accept accepts a connection and tracks it.
func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// closeAll closes every tracked connection.
func (l *trackingListener) closeAll() {
	l.mu.Lock()
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// trackedConn removes itself from its listener when closed.
type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
