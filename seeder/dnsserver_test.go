package seeder

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const zone = "seeder.example.com."

// memSource is a PeerSource over a list the test sets.
type memSource struct {
	mu    sync.Mutex
	peers []netip.Addr
	err   error
	reads chan struct{} // a token per read, if set
}

func (m *memSource) ReliablePeers(context.Context) ([]netip.Addr, error) {
	m.mu.Lock()
	peers, err := slices.Clone(m.peers), m.err
	m.mu.Unlock()
	if m.reads != nil {
		m.reads <- struct{}{}
	}
	return peers, err
}

func (m *memSource) set(peers []netip.Addr, err error) {
	m.mu.Lock()
	m.peers, m.err = peers, err
	m.mu.Unlock()
}

// v4Peers returns n documentation-range IPv4 addresses.
func v4Peers(n int) []netip.Addr {
	var out []netip.Addr
	for i := range n {
		out = append(out, netip.AddrFrom4([4]byte{203, 0, byte(113 + i/250), byte(i%250 + 1)}))
	}
	return out
}

func v6Peers(n int) []netip.Addr {
	var out []netip.Addr
	for i := range n {
		out = append(out, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i + 1)}))
	}
	return out
}

// startDNS starts a server on 127.0.0.1, port 0, over src.
func startDNS(t *testing.T, src PeerSource, edit func(*DNSConfig)) *DNSServer {
	t.Helper()
	cfg := DNSConfig{
		Domain:     zone,
		Nameserver: "ns1.example.com.",
		Peers:      src,
		Listen:     []string{"127.0.0.1:0"},
		Rand:       rand.New(rand.NewPCG(9, 9)),
		Clock:      newManualClock(),
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewDNSServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// query asks the server over net ("udp" or "tcp") for name and qtype,
// with an EDNS0 OPT of ednsSize if not zero.
func query(t *testing.T, s *DNSServer, netw, name string, qtype uint16, ednsSize uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	if ednsSize > 0 {
		m.SetEdns0(ednsSize, false)
	}
	return exchange(t, s, netw, m)
}

func exchange(t *testing.T, s *DNSServer, netw string, m *dns.Msg) *dns.Msg {
	t.Helper()
	addr := s.UDPAddrs()[0].String()
	if netw == "tcp" {
		addr = s.TCPAddrs()[0].String()
	}
	c := &dns.Client{Net: netw, Timeout: 10 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s query %s: %v", netw, m.Question[0].String(), err)
	}
	return r
}

// addrs returns the A and AAAA addresses of an answer.
func addrs(t *testing.T, r *dns.Msg) []netip.Addr {
	t.Helper()
	var out []netip.Addr
	for _, rr := range r.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			a, _ := netip.AddrFromSlice(rr.A)
			out = append(out, a.Unmap())
		case *dns.AAAA:
			a, _ := netip.AddrFromSlice(rr.AAAA)
			out = append(out, a)
		}
	}
	return out
}

// wantAuthority checks the NS and SOA of the authority section.
func wantAuthority(t *testing.T, r *dns.Msg, ttl uint32) {
	t.Helper()
	var ns, soa bool
	for _, rr := range r.Ns {
		switch rr := rr.(type) {
		case *dns.NS:
			ns = rr.Ns == "ns1.example.com." && rr.Hdr.Name == zone && rr.Hdr.Ttl == ttl
		case *dns.SOA:
			soa = rr.Ns == "ns1.example.com." && rr.Mbox == "hostmaster."+zone && rr.Serial == DefaultSOASerial &&
				rr.Refresh == 10800 && rr.Retry == 10800 && rr.Expire == 604800 && rr.Minttl == 1800 && rr.Hdr.Ttl == ttl
		}
	}
	if !ns || !soa || len(r.Ns) != 2 {
		t.Errorf("authority section %v, want our NS and SOA with TTL %d", r.Ns, ttl)
	}
}

func TestDNSAnswers(t *testing.T) {
	src := &memSource{peers: append(v4Peers(40), v6Peers(20)...)}
	s := startDNS(t, src, nil)
	all := map[netip.Addr]bool{}
	for _, a := range src.peers {
		all[a] = true
	}

	t.Run("A over TCP", func(t *testing.T) {
		r := query(t, s, "tcp", zone, dns.TypeA, 0)
		got := addrs(t, r)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || r.RecursionAvailable || r.Truncated || len(got) != 32 {
			t.Fatalf("rcode %d aa %v ra %v tc %v, %d addresses", r.Rcode, r.Authoritative, r.RecursionAvailable, r.Truncated, len(got))
		}
		for _, a := range got {
			if !a.Is4() || !all[a] {
				t.Errorf("answer %v is not one of the IPv4 peers", a)
			}
		}
		for _, rr := range r.Answer {
			if rr.Header().Ttl != DefaultTTL || rr.Header().Name != zone {
				t.Errorf("record %v", rr)
			}
		}
		wantAuthority(t, r, DefaultTTL)
	})
	t.Run("A over UDP without EDNS is truncated", func(t *testing.T) {
		r := query(t, s, "udp", zone, dns.TypeA, 0)
		r.Compress = true
		packed, err := r.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if !r.Truncated || len(packed) > 512 || len(addrs(t, r)) >= 32 || r.Rcode != dns.RcodeSuccess {
			t.Fatalf("tc %v, %d bytes, %d addresses", r.Truncated, len(packed), len(addrs(t, r)))
		}
	})
	t.Run("A over UDP with EDNS 4096", func(t *testing.T) {
		r := query(t, s, "udp", zone, dns.TypeA, 4096)
		opt := r.IsEdns0()
		if r.Truncated || len(addrs(t, r)) != 32 || opt == nil || opt.UDPSize() != 4096 {
			t.Fatalf("tc %v, %d addresses, opt %v", r.Truncated, len(addrs(t, r)), opt)
		}
		wantAuthority(t, r, DefaultTTL)
	})
	t.Run("EDNS size above 4096 is capped, below 512 raised", func(t *testing.T) {
		if opt := query(t, s, "udp", zone, dns.TypeA, 65000).IsEdns0(); opt == nil || opt.UDPSize() != 4096 {
			t.Errorf("opt %v, want 4096", opt)
		}
		r := query(t, s, "udp", zone, dns.TypeA, 100)
		if opt := r.IsEdns0(); opt == nil || opt.UDPSize() != 512 || !r.Truncated {
			t.Errorf("opt %v tc %v, want 512 and truncated", opt, r.Truncated)
		}
	})
	t.Run("EDNS version 1", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion(zone, dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().SetVersion(1)
		r := exchange(t, s, "udp", m)
		if r.Rcode != dns.RcodeBadVers || len(r.Answer) != 0 {
			t.Errorf("rcode %s, %d answers; want BADVERS", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	})
	t.Run("round robin", func(t *testing.T) {
		seen := map[netip.Addr]int{}
		for range 5 {
			for _, a := range addrs(t, query(t, s, "tcp", zone, dns.TypeA, 0)) {
				seen[a]++
			}
		}
		// 5 × 32 = 160 answers over 40 peers: each exactly 4 times.
		if len(seen) != 40 {
			t.Fatalf("%d distinct peers in 5 answers, want all 40", len(seen))
		}
		for a, n := range seen {
			if n != 4 {
				t.Errorf("%v handed out %d times, want 4", a, n)
			}
		}
	})
	t.Run("AAAA", func(t *testing.T) {
		r := query(t, s, "udp", zone, dns.TypeAAAA, 4096)
		got := addrs(t, r)
		if len(got) != 20 || r.Truncated {
			t.Fatalf("%d AAAA (all 20 wanted), tc %v", len(got), r.Truncated)
		}
		for _, a := range got {
			if !a.Is6() || !all[a] {
				t.Errorf("AAAA %v", a)
			}
		}
	})
	t.Run("ANY", func(t *testing.T) {
		r := query(t, s, "tcp", zone, dns.TypeANY, 0)
		var a, aaaa, soa, ns int
		for _, rr := range r.Answer {
			switch rr.(type) {
			case *dns.A:
				a++
			case *dns.AAAA:
				aaaa++
			case *dns.SOA:
				soa++
			case *dns.NS:
				ns++
			}
		}
		if a != 16 || aaaa != 16 || soa != 1 || ns != 1 {
			t.Fatalf("ANY: %d A, %d AAAA, %d SOA, %d NS", a, aaaa, soa, ns)
		}
		wantAuthority(t, r, DefaultTTL)
	})
	t.Run("SOA and NS", func(t *testing.T) {
		for _, qt := range []uint16{dns.TypeSOA, dns.TypeNS} {
			r := query(t, s, "udp", zone, qt, 0)
			if len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != qt || r.Rcode != dns.RcodeSuccess {
				t.Errorf("%s: %v", dns.TypeToString[qt], r.Answer)
			}
			wantAuthority(t, r, DefaultTTL)
		}
	})
	t.Run("other types have no data", func(t *testing.T) {
		r := query(t, s, "udp", zone, dns.TypeMX, 0)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || !r.Authoritative {
			t.Errorf("MX: rcode %d, %v", r.Rcode, r.Answer)
		}
		wantAuthority(t, r, DefaultTTL)
	})
	t.Run("names are compared without case", func(t *testing.T) {
		name := "SeEdEr.ExAmPlE.cOm."
		r := query(t, s, "tcp", name, dns.TypeA, 0)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 32 || r.Question[0].Name != name || r.Answer[0].Header().Name != name {
			t.Errorf("rcode %d, %d answers, question %v", r.Rcode, len(r.Answer), r.Question)
		}
	})
	t.Run("a name under the zone does not exist", func(t *testing.T) {
		r := query(t, s, "udp", "www."+zone, dns.TypeA, 0)
		if r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 || !r.Authoritative {
			t.Errorf("rcode %s, %d answers, aa %v", dns.RcodeToString[r.Rcode], len(r.Answer), r.Authoritative)
		}
		wantAuthority(t, r, DefaultTTL)
	})
	t.Run("names outside the zone are refused", func(t *testing.T) {
		for _, name := range []string{"example.com.", "chia.net.", "xseeder.example.com.", "."} {
			r := query(t, s, "udp", name, dns.TypeA, 0)
			if r.Rcode != dns.RcodeRefused || len(r.Answer)+len(r.Ns) != 0 || r.Authoritative {
				t.Errorf("%s: rcode %s, %d records, aa %v", name, dns.RcodeToString[r.Rcode], len(r.Answer)+len(r.Ns), r.Authoritative)
			}
		}
		m := new(dns.Msg)
		m.SetQuestion(zone, dns.TypeTXT)
		m.Question[0].Qclass = dns.ClassCHAOS
		if r := exchange(t, s, "udp", m); r.Rcode != dns.RcodeRefused {
			t.Errorf("CHAOS class: rcode %s", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("not a query", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetNotify(zone)
		if r := exchange(t, s, "udp", m); r.Rcode != dns.RcodeNotImplemented {
			t.Errorf("NOTIFY: rcode %s", dns.RcodeToString[r.Rcode])
		}
	})
}

// TestDNSEmptyAndStatic checks the short TTL with no peers, and that
// static peers are handed out after the reliable ones.
func TestDNSEmptyAndStatic(t *testing.T) {
	src := &memSource{}
	s := startDNS(t, src, nil)
	r := query(t, s, "udp", zone, dns.TypeA, 0)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("no peers: rcode %d, %v", r.Rcode, r.Answer)
	}
	wantAuthority(t, r, DefaultEmptyTTL)

	static := []netip.Addr{netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("::ffff:203.0.113.1")}
	src.set(v4Peers(3), nil)
	s2 := startDNS(t, src, func(c *DNSConfig) { c.StaticPeers = static })
	got := addrs(t, query(t, s2, "udp", zone, dns.TypeA, 0))
	// 203.0.113.1 is both reliable and static (mapped): once.
	if len(got) != 4 || !slices.Contains(got, netip.MustParseAddr("192.0.2.7")) {
		t.Fatalf("A with static peers: %v", got)
	}
	got = addrs(t, query(t, s2, "udp", zone, dns.TypeAAAA, 0))
	if len(got) != 1 || got[0] != netip.MustParseAddr("2001:db8::7") {
		t.Fatalf("AAAA with static peers: %v", got)
	}
}

// TestDNSReload checks the reload schedule: every RefreshInterval, sooner
// while reads fail or find nobody, keeping the old peers on failure.
func TestDNSReload(t *testing.T) {
	src := &memSource{reads: make(chan struct{}, 10)}
	clock := newManualClock()
	s := startDNS(t, src, func(c *DNSConfig) { c.Clock = clock })
	<-src.reads // the read of Start
	if d := clock.nextWait(t); d != DefaultRetryInterval {
		t.Fatalf("with no peers the next read is in %v, want %v", d, DefaultRetryInterval)
	}
	src.set(v4Peers(2), nil)
	clock.fire()
	<-src.reads
	if d := clock.nextWait(t); d != DefaultRefreshInterval {
		t.Fatalf("with peers the next read is in %v, want %v", d, DefaultRefreshInterval)
	}
	if got := addrs(t, query(t, s, "udp", zone, dns.TypeA, 0)); len(got) != 2 {
		t.Fatalf("after the reload: %v", got)
	}
	src.set(nil, errors.New("database gone"))
	clock.fire()
	<-src.reads
	if d := clock.nextWait(t); d != DefaultRefreshInterval {
		t.Fatalf("after a failed read with peers kept the next read is in %v", d)
	}
	r := query(t, s, "udp", zone, dns.TypeA, 0)
	if got := addrs(t, r); len(got) != 2 || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("after a failed reload the previous peers should stay: %v rcode %d", got, r.Rcode)
	}
}

// TestDNSServfail checks that a failure while answering gives SERVFAIL
// and nothing else.
func TestDNSServfail(t *testing.T) {
	s := startDNS(t, &memSource{peers: v4Peers(3)}, func(c *DNSConfig) {
		c.beforeAnswer = func(m *dns.Msg) {
			if strings.HasPrefix(m.Question[0].Name, "boom.") {
				panic("secret internal state: /var/lib/db password=hunter2")
			}
		}
	})
	r := query(t, s, "tcp", "boom."+zone, dns.TypeA, 0)
	if r.Rcode != dns.RcodeServerFailure || len(r.Answer)+len(r.Ns)+len(r.Extra) != 0 {
		t.Fatalf("rcode %s, records %v %v %v", dns.RcodeToString[r.Rcode], r.Answer, r.Ns, r.Extra)
	}
	if q, f := s.Stats(); f != 1 || q < 1 {
		t.Errorf("stats: %d queries, %d failures", q, f)
	}
	// The server still answers.
	if got := addrs(t, query(t, s, "udp", zone, dns.TypeA, 0)); len(got) != 3 {
		t.Fatalf("after a SERVFAIL: %v", got)
	}
}

// TestDNSListenFamilies checks IPv4 and IPv6 loopback listeners, and that
// a taken port fails Start.
func TestDNSListenFamilies(t *testing.T) {
	listen := []string{"127.0.0.1:0"}
	v6 := false
	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		l.Close()
		listen, v6 = append(listen, "[::1]:0"), true
	}
	s := startDNS(t, &memSource{peers: v4Peers(1)}, func(c *DNSConfig) { c.Listen = listen })
	if len(s.UDPAddrs()) != len(listen) || len(s.TCPAddrs()) != len(listen) {
		t.Fatalf("udp %v tcp %v", s.UDPAddrs(), s.TCPAddrs())
	}
	if v6 {
		for _, netw := range []string{"udp", "tcp"} {
			addr := s.UDPAddrs()[1].String()
			if netw == "tcp" {
				addr = s.TCPAddrs()[1].String()
			}
			m := new(dns.Msg)
			m.SetQuestion(zone, dns.TypeA)
			r, _, err := (&dns.Client{Net: netw, Timeout: 10 * time.Second}).Exchange(m, addr)
			if err != nil || len(r.Answer) != 1 {
				t.Errorf("%s over IPv6: %v %v", netw, r, err)
			}
		}
	} else {
		t.Log("no IPv6 loopback: IPv4 only")
	}

	taken := s.UDPAddrs()[0].String()
	s2, err := NewDNSServer(DNSConfig{Domain: zone, Nameserver: "ns1.example.com.", Peers: &memSource{}, Listen: []string{taken}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(context.Background()); err == nil {
		s2.Close(context.Background())
		t.Fatalf("Start on a taken port %s succeeded", taken)
	}
}

// TestDNSDig asks the server with dig, when dig is installed (Debian's
// dnsutils; CI installs it).
func TestDNSDig(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig is not installed (Debian package dnsutils)")
	}
	s := startDNS(t, &memSource{peers: v4Peers(40)}, nil)
	addr := s.UDPAddrs()[0]
	run := func(args ...string) string {
		t.Helper()
		args = append([]string{"@" + addr.Addr().String(), "-p", fmt.Sprint(addr.Port()), "+norecurse", "+time=5", "+tries=1"}, args...)
		out, err := exec.Command(dig, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Over UDP without EDNS, 32 A records do not fit: dig sees TC and
	// retries over TCP, where all 32 come.
	out := run("+noedns", zone, "A")
	if !strings.Contains(out, "status: NOERROR") || !strings.Contains(out, "ANSWER: 32") || !strings.Contains(out, "flags: qr aa") {
		t.Errorf("dig A:\n%s", out)
	}
	out = run("+noedns", "+ignore", zone, "A")
	if !strings.Contains(out, " tc") {
		t.Errorf("dig A +ignore without EDNS should show the truncated UDP answer:\n%s", out)
	}
	out = run("+tcp", zone, "A")
	if !strings.Contains(out, "ANSWER: 32") || !strings.Contains(out, "AUTHORITY: 2") {
		t.Errorf("dig +tcp A:\n%s", out)
	}
	if out = run("chia.net.", "A"); !strings.Contains(out, "status: REFUSED") {
		t.Errorf("dig outside the zone:\n%s", out)
	}
	if out = run("nope."+zone, "A"); !strings.Contains(out, "status: NXDOMAIN") {
		t.Errorf("dig under the zone:\n%s", out)
	}
}

// manualClock is a Clock whose After channels fire when the test says.
type manualClock struct {
	mu      sync.Mutex
	waits   chan time.Duration
	pending []chan time.Time
}

func newManualClock() *manualClock { return &manualClock{waits: make(chan time.Duration, 16)} }

func (c *manualClock) Now() time.Time { return t0 }

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.pending = append(c.pending, ch)
	c.mu.Unlock()
	select {
	case c.waits <- d:
	default:
	}
	return ch
}

// nextWait returns the duration of the next After call.
func (c *manualClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no wait started")
		return 0
	}
}

// fire fires every pending After.
func (c *manualClock) fire() {
	c.mu.Lock()
	p := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, ch := range p {
		ch <- t0
	}
}

// gatedSource answers its first read with old once release is closed, and
// every later read with new at once.
type gatedSource struct {
	old, new []netip.Addr
	entered  chan struct{}
	release  chan struct{}
	calls    atomic.Int32
}

func (g *gatedSource) ReliablePeers(context.Context) ([]netip.Addr, error) {
	if g.calls.Add(1) == 1 {
		close(g.entered)
		<-g.release
		return g.old, nil
	}
	return g.new, nil
}

// TestRefreshOverlap: of two overlapping Refreshes, the one that read
// later wins, whichever finishes last; an earlier read finishing late used
// to put its older peers back.
func TestRefreshOverlap(t *testing.T) {
	src := &gatedSource{
		old:     []netip.Addr{netip.MustParseAddr("192.0.2.1")},
		new:     []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")},
		entered: make(chan struct{}),
		release: make(chan struct{}),
	}
	s, err := NewDNSServer(DNSConfig{Domain: zone, Nameserver: "ns1.example.com.", Peers: src})
	if err != nil {
		t.Fatal(err)
	}
	early := make(chan error)
	go func() { early <- s.Refresh(context.Background()) }()
	<-src.entered
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(src.release)
	if err := <-early; err != nil {
		t.Fatal(err)
	}
	if got := s.set.Load().v4; len(got) != len(src.new) {
		t.Fatalf("after both refreshes the server hands out %v, want the later read %v", got, src.new)
	}
}
