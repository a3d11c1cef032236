package server

import "net/netip"

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

// parseRemoteAddrPort returns the normalized address of a "host:port"
// remote address, or the zero AddrPort when it is not an IP address.
func parseRemoteAddrPort(remote string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(normalizeAddr(ap.Addr()), ap.Port())
}
