package addrman

import (
	"encoding/binary"
	"net/netip"

	"github.com/chianet/chianet/protocol"
)

// importReference fills the empty manager m from the reference's binary
// peers.dat (AddressManager.serialize_bytes in
// chia/server/address_manager.py):
//
//	[32]byte key
//	uint64   N, the number of records said to be new
//	uint32   M, then M × (uint64 record index, uint64 bucket)
//	records until the end: type byte (0 IPv4, 1 IPv6), 4 or 16 address
//	bytes, uint16 port, uint64 timestamp, then the source the same way
//	(type, address, port)
//
// The reference writes new and tried records interleaved while its reader
// takes the first N as new, so the split and the (index, bucket) pairs
// cannot be trusted; every record goes to the new table, bucketed by its
// source under the file's key, as a fresh Add would place it. The whole
// file must parse, else nothing is imported and ok is false.
func (m *Manager) importReference(data []byte) (n int, ok bool) {
	if len(data) < 32+8+4 {
		return 0, false
	}
	var key [32]byte
	copy(key[:], data[:32])
	pairs := uint64(binary.BigEndian.Uint32(data[40:44]))
	rest := data[44:]
	if pairs > uint64(len(rest))/16 {
		return 0, false
	}
	rest = rest[pairs*16:]
	type refRecord struct {
		addr, src netip.AddrPort
		ts        uint64
	}
	var recs []refRecord
	for len(rest) > 0 {
		addr, r, ok := refAddr(rest)
		if !ok || len(r) < 8 {
			return 0, false
		}
		ts := binary.BigEndian.Uint64(r)
		src, r, ok := refAddr(r[8:])
		if !ok {
			return 0, false
		}
		recs = append(recs, refRecord{addr, src, ts})
		rest = r
		if len(recs) > maxRecords {
			return 0, false
		}
	}
	m.key = key
	now := m.now().Unix()
	for _, x := range recs {
		if !m.admissible(x.addr) {
			continue
		}
		p := protocol.TimestampedPeerInfo{Host: x.addr.Addr().String(), Port: x.addr.Port(), Timestamp: x.ts}
		if m.add(&p, x.src, true, 0, now) == addNew {
			n++
		}
	}
	return n, true
}

// refAddr reads a type byte, an address and a port.
func refAddr(b []byte) (netip.AddrPort, []byte, bool) {
	if len(b) < 1 {
		return netip.AddrPort{}, nil, false
	}
	var a netip.Addr
	switch b[0] {
	case 0:
		if len(b) < 1+4+2 {
			return netip.AddrPort{}, nil, false
		}
		a = netip.AddrFrom4([4]byte(b[1:5]))
		b = b[5:]
	case 1:
		if len(b) < 1+16+2 {
			return netip.AddrPort{}, nil, false
		}
		a = netip.AddrFrom16([16]byte(b[1:17])).Unmap()
		b = b[17:]
	default:
		return netip.AddrPort{}, nil, false
	}
	return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b)), b[2:], true
}
