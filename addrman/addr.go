package addrman

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PeerInfo is a peer's address: an IP literal (never a hostname) and a
// port. The zero PeerInfo means "no peer", which is how callers say that an
// address has no source (DNS and introducer results).
type PeerInfo struct {
	Host string
	Port uint16
}

// PeerInfoFrom returns the PeerInfo of ap, with the host in its canonical
// text form.
func PeerInfoFrom(ap netip.AddrPort) PeerInfo {
	return PeerInfo{Host: ap.Addr().String(), Port: ap.Port()}
}

// String returns host:port, with IPv6 hosts in brackets.
func (p PeerInfo) String() string {
	if strings.IndexByte(p.Host, ':') >= 0 {
		return "[" + p.Host + "]:" + strconv.Itoa(int(p.Port))
	}
	return p.Host + ":" + strconv.Itoa(int(p.Port))
}

// AddrPort parses p into the form the manager keys its entries by. An
// IPv4-mapped IPv6 host is unmapped to its IPv4 address, so "::ffff:1.2.3.4"
// and "1.2.3.4" are the same peer and fall in the same /16 group. Hostnames,
// zoned IPv6 addresses and empty hosts are errors.
func (p PeerInfo) AddrPort() (netip.AddrPort, error) {
	a, err := netip.ParseAddr(p.Host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("addrman: host %q is not an IP address", p.Host)
	}
	if a.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("addrman: host %q has a zone", p.Host)
	}
	return netip.AddrPortFrom(a.Unmap(), p.Port), nil
}

// parseHost is AddrPort for a host and port given apart, without building
// an error (Add rejects and counts instead).
func parseHost(host string, port uint16) (netip.AddrPort, bool) {
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), port), true
}

// Group is the network group of an address, the unit of diversity in the
// tables and in outbound connections: the /16 of an IPv4 address, the /32 of
// an IPv6 address. It is comparable and can key a map. Its bytes are those
// the reference hashes (chia/types/peer_info.py get_group): 0x01 and the
// first two octets for IPv4, 0x00 and the first four bytes for IPv6.
type Group struct {
	n uint8
	b [5]byte
}

// GroupOf returns the group of a. An IPv4-mapped IPv6 address is grouped as
// the IPv4 address it carries.
func GroupOf(a netip.Addr) Group {
	a = a.Unmap()
	var g Group
	if a.Is4() {
		v := a.As4()
		g.n, g.b[0], g.b[1], g.b[2] = 3, 1, v[0], v[1]
		return g
	}
	v := a.As16()
	g.n, g.b[0] = 5, 0
	copy(g.b[1:5], v[:4])
	return g
}

// Bytes returns the group's bytes as the reference hashes them.
func (g Group) Bytes() []byte { return append([]byte(nil), g.b[:g.n]...) }

// String returns the group as a prefix, such as 1.2.0.0/16 or 2001:db8::/32.
func (g Group) String() string {
	switch g.n {
	case 3:
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{g.b[1], g.b[2]}), 16).String()
	case 5:
		var v [16]byte
		copy(v[:4], g.b[1:5])
		return netip.PrefixFrom(netip.AddrFrom16(v), 32).String()
	}
	return "invalid"
}

// addrKey is the 18-byte key the reference hashes for an address
// (get_key): a 16-byte address and the port big-endian. An IPv4 address
// a.b.c.d takes the 6to4 form 2002:aabb:ccdd:: .
type addrKey [18]byte

func keyOf(ap netip.AddrPort) addrKey { return AddressKey(ap) }

// AddressKey returns the reference's 18-byte key of an address (its
// get_key): the 16-byte address, an IPv4 address a.b.c.d in the 6to4 form
// 2002:aabb:ccdd::, then the port big-endian. Bucket placement and the
// relay order of gossip both hash it. An IPv4-mapped address is unmapped.
func AddressKey(ap netip.AddrPort) [18]byte {
	var k [18]byte
	a := ap.Addr().Unmap()
	if a.Is4() {
		v := a.As4()
		k[0], k[1] = 0x20, 0x02
		copy(k[2:6], v[:])
	} else {
		v := a.As16()
		copy(k[:16], v[:])
	}
	binary.BigEndian.PutUint16(k[16:], ap.Port())
	return k
}

// privateNets is the list of networks refused unless Config.AllowPrivate is
// set. It pins the networks Python's ipaddress calls private in CPython
// 3.11.7, the reference's is_private (chia/util/ip_address.py), and adds
// the multicast ranges. IPv4-mapped IPv6 addresses never reach it: they are
// unmapped first and judged as IPv4, which is also what CPython 3.11.7 does.
var privateNets = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/29"),
	netip.MustParsePrefix("192.0.0.170/31"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/4"), // multicast: not in Python's list
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"), // holds Python's 2001:2::/48 and 2001:10::/28
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"), // multicast: not in Python's list
}

// IsPrivate reports whether a is refused by default: private, loopback,
// link-local, unspecified, documentation, reserved, broadcast or multicast,
// as listed above. An IPv4-mapped address is judged by its IPv4 address.
func IsPrivate(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range privateNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
