package addrman

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// seqKey is bytes 0..31.
var seqKey = func() (k [32]byte) {
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

// TestPlacementGolden pins bucket and slot numbers computed outside Go,
// with Python's hashlib and ipaddress following the reference's
// get_key/get_group/get_*_bucket/get_bucket_position formulas (CPython
// 3.11.7). Equal numbers mean an address lands where chia-blockchain
// would put it under the same key.
func TestPlacementGolden(t *testing.T) {
	tests := []struct {
		key              [32]byte
		addr, src        string
		newB, newPos     int
		triedB, triedPos int
	}{
		{refKey, "250.1.1.1:8444", "252.2.2.2:8444", 544, 29, 0, 24},
		{refKey, "1.2.3.4:8444", "1.2.3.4:8444", 322, 40, 149, 28},
		{refKey, "[2001:4860:4860::8888]:8444", "8.8.8.8:8444", 771, 45, 87, 62},
		{refKey, "[1050::5:600:300c:326b]:9999", "252.5.1.1:8444", 810, 5, 190, 16},
		{refKey, "127.3.0.1:8444", "127.9.0.1:8444", 812, 58, 209, 2},
		{seqKey, "250.1.1.1:8444", "252.2.2.2:8444", 172, 43, 164, 13},
		{seqKey, "1.2.3.4:8444", "1.2.3.4:8444", 411, 1, 100, 1},
		{seqKey, "[2001:4860:4860::8888]:8444", "8.8.8.8:8444", 351, 51, 3, 44},
		{seqKey, "[1050::5:600:300c:326b]:9999", "252.5.1.1:8444", 786, 9, 165, 9},
		{seqKey, "127.3.0.1:8444", "127.9.0.1:8444", 58, 63, 64, 36},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ap, src := netip.MustParseAddrPort(tt.addr), netip.MustParseAddrPort(tt.src)
			if b := newBucket(&tt.key, ap.Addr(), src.Addr()); b != tt.newB {
				t.Errorf("new bucket %d, want %d", b, tt.newB)
			}
			if p := bucketPosition(&tt.key, true, tt.newB, ap); p != tt.newPos {
				t.Errorf("new position %d, want %d", p, tt.newPos)
			}
			if b := triedBucket(&tt.key, ap); b != tt.triedB {
				t.Errorf("tried bucket %d, want %d", b, tt.triedB)
			}
			if p := bucketPosition(&tt.key, false, tt.triedB, ap); p != tt.triedPos {
				t.Errorf("tried position %d, want %d", p, tt.triedPos)
			}
		})
	}
}

// h computes the reference's H(x): SHA-256, first 8 bytes as a big-endian
// integer, reduced mod n, with math/big as the reference does with
// Python ints.
func h(n int64, parts ...[]byte) int {
	sum := sha256.Sum256(bytes.Join(parts, nil))
	v := new(big.Int).SetBytes(sum[:8])
	return int(v.Mod(v, big.NewInt(n)).Int64())
}

// TestPlacementFormula recomputes placement for random addresses straight
// from the formulas, written out here a second way (string-built keys and
// groups, math/big), and compares.
func TestPlacementFormula(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	hexKey := func(a netip.AddrPort) []byte {
		var k []byte
		if a.Addr().Is4() {
			v := a.Addr().As4()
			k = append([]byte{0x20, 0x02}, v[:]...)
			k = append(k, make([]byte, 10)...)
		} else {
			v := a.Addr().As16()
			k = v[:]
		}
		return append(k, byte(a.Port()>>8), byte(a.Port()))
	}
	group := func(a netip.Addr) []byte {
		if a.Is4() {
			v := a.As4()
			return []byte{1, v[0], v[1]}
		}
		v := a.As16()
		return []byte{0, v[0], v[1], v[2], v[3]}
	}
	randAddr := func() netip.AddrPort {
		if r.IntN(2) == 0 {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}), uint16(r.Uint32()))
		}
		var v [16]byte
		for i := range v {
			v[i] = byte(r.Uint32())
		}
		v[0] = 0x20 // keep clear of the IPv4-mapped range
		return netip.AddrPortFrom(netip.AddrFrom16(v), uint16(r.Uint32()))
	}
	for range 500 {
		key := randomKey(r)
		a, s := randAddr(), randAddr()
		K := key[:]
		tb := h(TriedBucketCount, K, group(a.Addr()), []byte{byte(h(TriedBucketsPerGroup, K, hexKey(a)))})
		nb := h(NewBucketCount, K, group(s.Addr()), []byte{byte(h(NewBucketsPerSourceGroup, K, group(a.Addr()), group(s.Addr())))})
		tp := h(BucketSize, K, []byte("K"), []byte{0, 0, byte(tb)}, hexKey(a))
		np := h(BucketSize, K, []byte("N"), []byte{0, byte(nb >> 8), byte(nb)}, hexKey(a))
		if got := triedSlot(&key, a); got != tb*BucketSize+tp {
			t.Fatalf("%v: tried slot %d, want %d", a, got, tb*BucketSize+tp)
		}
		if got := newBucket(&key, a.Addr(), s.Addr()); got != nb {
			t.Fatalf("%v from %v: new bucket %d, want %d", a, s, got, nb)
		}
		if got := newSlot(&key, nb, a); got != nb*BucketSize+np {
			t.Fatalf("%v: new slot %d, want %d", a, got, nb*BucketSize+np)
		}
	}
}

func TestAddrKeyAndGroup(t *testing.T) {
	tests := []struct {
		addr  string
		key   string // hex
		group string // hex
		str   string
	}{
		{"1.2.3.4:8444", "20020102030400000000000000000000" + "20fc", "010102", "1.2.0.0/16"},
		{"[::ffff:1.2.3.4]:1", "20020102030400000000000000000000" + "0001", "010102", "1.2.0.0/16"},
		{"[2001:db8:1:2::1]:258", "20010db8000100020000000000000001" + "0102", "0020010db8", "2001:db8::/32"},
		{"127.1.0.1:8444", "20027f01000100000000000000000000" + "20fc", "017f01", "127.1.0.0/16"},
		{"127.2.0.1:8444", "20027f02000100000000000000000000" + "20fc", "017f02", "127.2.0.0/16"},
	}
	for _, tt := range tests {
		ap, err := pi(tt.addr).AddrPort()
		if err != nil {
			t.Fatal(err)
		}
		k := keyOf(ap)
		if got := fmt.Sprintf("%x", k[:]); got != tt.key {
			t.Errorf("%s: key %s, want %s", tt.addr, got, tt.key)
		}
		g := GroupOf(ap.Addr())
		if got := fmt.Sprintf("%x", g.Bytes()); got != tt.group {
			t.Errorf("%s: group %s, want %s", tt.addr, got, tt.group)
		}
		if g.String() != tt.str {
			t.Errorf("%s: group %s, want %s", tt.addr, g, tt.str)
		}
	}
	if GroupOf(netip.MustParseAddr("127.1.0.1")) == GroupOf(netip.MustParseAddr("127.2.0.1")) {
		t.Error("127.1.0.1 and 127.2.0.1 share a group")
	}
}

// TestPlacementSpread checks the spreading properties the reference's
// tests check: the key matters, one group reaches exactly
// TriedBucketsPerGroup tried buckets, one (group, source group) pair one
// new bucket, one source group at most NewBucketsPerSourceGroup.
func TestPlacementSpread(t *testing.T) {
	a := netip.MustParseAddrPort("250.1.1.1:8444")
	if triedBucket(&refKey, a) == triedBucket(&seqKey, a) {
		t.Error("tried bucket does not depend on the key")
	}
	if newBucket(&refKey, a.Addr(), a.Addr()) == newBucket(&seqKey, a.Addr(), a.Addr()) {
		t.Error("new bucket does not depend on the key")
	}
	b := netip.MustParseAddrPort("250.1.1.1:9999")
	if triedBucket(&refKey, a) == triedBucket(&refKey, b) {
		t.Error("port does not move the tried bucket")
	}
	if newBucket(&refKey, a.Addr(), a.Addr()) != newBucket(&refKey, b.Addr(), b.Addr()) {
		t.Error("port moves the new bucket")
	}
	count := func(f func(i int) int, n int) int {
		seen := map[int]bool{}
		for i := range n {
			seen[f(i)] = true
		}
		return len(seen)
	}
	ip := func(s string, args ...any) netip.Addr { return netip.MustParseAddr(fmt.Sprintf(s, args...)) }
	if n := count(func(i int) int {
		return triedBucket(&refKey, netip.AddrPortFrom(ip("250.1.1.%d", i), 8444))
	}, 255); n != TriedBucketsPerGroup {
		t.Errorf("one group: %d tried buckets, want %d", n, TriedBucketsPerGroup)
	}
	if n := count(func(i int) int {
		return triedBucket(&refKey, netip.AddrPortFrom(ip("250.%d.1.1", i), 8444))
	}, 255); n <= TriedBucketsPerGroup {
		t.Errorf("255 groups: only %d tried buckets", n)
	}
	if n := count(func(i int) int {
		return newBucket(&refKey, ip("250.1.1.%d", i), ip("250.1.1.%d", i))
	}, 255); n != 1 {
		t.Errorf("one group as its own source: %d new buckets, want 1", n)
	}
	if n := count(func(i int) int {
		return newBucket(&refKey, ip("%d.%d.1.1", 250+i/255, i%256), ip("251.4.1.1"))
	}, 4*255); n > NewBucketsPerSourceGroup {
		t.Errorf("one source group: %d new buckets, want at most %d", n, NewBucketsPerSourceGroup)
	}
	if n := count(func(i int) int {
		return newBucket(&refKey, ip("250.1.1.1"), ip("250.%d.1.1", i))
	}, 255); n <= NewBucketsPerSourceGroup {
		t.Errorf("255 source groups: only %d new buckets", n)
	}
}

func TestIsPrivate(t *testing.T) {
	// Verdicts of Python 3.11.7's ipaddress is_private (the reference's
	// test), plus multicast, which Python does not call private.
	tests := []struct {
		addr    string
		private bool
	}{
		{"0.1.2.3", true}, {"10.0.0.1", true}, {"127.0.0.1", true}, {"169.254.1.1", true},
		{"172.16.0.1", true}, {"172.32.0.1", false}, {"192.0.0.7", true}, {"192.0.0.8", false},
		{"192.0.0.170", true}, {"192.0.0.171", true}, {"192.0.0.172", false}, {"192.0.2.1", true},
		{"192.168.1.1", true}, {"198.18.0.1", true}, {"198.20.0.1", false}, {"198.51.100.1", true},
		{"203.0.113.9", true}, {"240.0.0.1", true}, {"250.1.1.1", true}, {"255.255.255.255", true},
		{"100.64.0.1", false}, {"8.8.8.8", false}, {"1.2.3.4", false}, {"224.0.0.1", true},
		{"239.255.255.255", true}, {"::1", true}, {"::", true}, {"::ffff:1.2.3.4", false},
		{"::ffff:10.0.0.1", true}, {"100::1", true}, {"2001::1", true}, {"2001:1ff::1", true},
		{"2001:200::1", false}, {"2001:db8::1", true}, {"fc00::1", true}, {"fd12::1", true},
		{"fe80::1", true}, {"ff02::1", true}, {"2001:4860::1", false}, {"2002::1", false},
		{"64:ff9b::1", false},
	}
	for _, tt := range tests {
		if got := IsPrivate(netip.MustParseAddr(tt.addr)); got != tt.private {
			t.Errorf("IsPrivate(%s) = %v, want %v", tt.addr, got, tt.private)
		}
	}
}

func TestPeerInfo(t *testing.T) {
	for _, tt := range []struct {
		in   PeerInfo
		want string // "" = error
		str  string
	}{
		{PeerInfo{"1.2.3.4", 8444}, "1.2.3.4:8444", "1.2.3.4:8444"},
		{PeerInfo{"::ffff:1.2.3.4", 1}, "1.2.3.4:1", "[::ffff:1.2.3.4]:1"},
		{PeerInfo{"2001:DB8::1", 2}, "[2001:db8::1]:2", "[2001:DB8::1]:2"},
		{PeerInfo{"node.chia.net", 8444}, "", "node.chia.net:8444"},
		{PeerInfo{"fe80::1%eth0", 8444}, "", "[fe80::1%eth0]:8444"},
		{PeerInfo{"", 8444}, "", ":8444"},
		{PeerInfo{"1.2.3.4.5", 8444}, "", "1.2.3.4.5:8444"},
	} {
		ap, err := tt.in.AddrPort()
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%+v: no error", tt.in)
		case tt.want != "" && (err != nil || ap.String() != tt.want):
			t.Errorf("%+v: %v, %v; want %s", tt.in, ap, err, tt.want)
		}
		if tt.in.String() != tt.str {
			t.Errorf("%+v: String %q, want %q", tt.in, tt.in.String(), tt.str)
		}
	}
	if p := PeerInfoFrom(netip.MustParseAddrPort("[2001:db8::1]:8444")); p != (PeerInfo{"2001:db8::1", 8444}) {
		t.Errorf("PeerInfoFrom: %+v", p)
	}
}
