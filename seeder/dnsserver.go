package seeder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Defaults of the zero DNSConfig fields: the reference seeder's (spec
// discovery.md §4.5), unless marked as chianet's own.
const (
	// DefaultTTL is the TTL of every record while there are peers.
	DefaultTTL = 300
	// DefaultEmptyTTL is the TTL while there are none.
	DefaultEmptyTTL = 60
	// DefaultMaxAnswers is the most A (or AAAA) records in an answer; an
	// ANY answer has half as many of each.
	DefaultMaxAnswers = 32
	// DefaultRefreshInterval is how often the peers are read again.
	DefaultRefreshInterval = 15 * time.Minute
	// DefaultRetryInterval is how soon they are read again after a read
	// failed or found no reliable peer. chianet's own (the reference
	// retries an empty read every 2 s).
	DefaultRetryInterval = 10 * time.Second
	// DefaultDNSListen is where the server listens: port 53 of every
	// interface, IPv4 and IPv6.
	DefaultDNSListen = ":53"
	// The SOA defaults.
	DefaultSOASerial  = 1619105223
	DefaultSOARefresh = 10800
	DefaultSOARetry   = 10800
	DefaultSOAExpire  = 604800
	DefaultSOAMinimum = 1800
	// maxEDNSSize caps the UDP payload size we answer with.
	maxEDNSSize = 4096
)

// PeerSource gives the DNS server its peers; every Store is one.
type PeerSource interface {
	// ReliablePeers returns the addresses to hand out.
	ReliablePeers(ctx context.Context) ([]netip.Addr, error)
}

// DNSConfig configures a DNSServer. Domain, Nameserver and Peers are
// required; every other zero field has a documented default.
type DNSConfig struct {
	// Domain is the zone served, e.g. "seeder.example.com." (the
	// reference's domain_name). Names are compared without regard to
	// case; a missing final dot is added.
	Domain string
	// Nameserver is the zone's name server, the target of its NS record
	// and the SOA's primary, e.g. "ns1.example.com.".
	Nameserver string
	// Mbox is the SOA's responsible mailbox as a name. Empty means
	// "hostmaster." + Domain.
	Mbox string
	// Serial, Refresh, Retry, Expire and Minimum are the SOA's other
	// fields. Zero means DefaultSOASerial, DefaultSOARefresh, … (the
	// reference's).
	Serial, Refresh, Retry, Expire, Minimum uint32
	// TTL is the TTL of every record in an answer while there are peers
	// to hand out; EmptyTTL while there are none. Zero means DefaultTTL
	// and DefaultEmptyTTL.
	TTL, EmptyTTL uint32
	// MaxAnswers is the most A or AAAA records per answer. Zero means
	// DefaultMaxAnswers.
	MaxAnswers int

	// Listen are "host:port" addresses, each served over UDP and TCP. An
	// empty host means every interface, IPv4 (0.0.0.0) and IPv6 (::) on
	// separate sockets; the server starts as long as one of the two can
	// be bound. Port 0 takes a free port (see UDPAddrs, TCPAddrs). Nil
	// means DefaultDNSListen.
	Listen []string

	// Peers gives the reliable peers (a Store).
	Peers PeerSource
	// StaticPeers are always handed out, after the reliable peers.
	StaticPeers []netip.Addr
	// RefreshInterval is how often the peers are read again;
	// RetryInterval how soon after a failed or empty read. Zero means
	// DefaultRefreshInterval and DefaultRetryInterval.
	RefreshInterval, RetryInterval time.Duration

	// Logger receives the server's log records: reloads at info, failed
	// reads at warn, each query at debug. Nil discards.
	Logger *slog.Logger
	// Clock times the reloads. Nil means real time.
	Clock Clock
	// Rand shuffles the peers at each reload. Nil means a generator
	// seeded at random.
	Rand *rand.Rand

	// For tests.

	// beforeAnswer, if set, is called with each query before it is
	// answered.
	beforeAnswer func(*dns.Msg)
}

func (c DNSConfig) withDefaults() DNSConfig {
	c.Domain = dns.CanonicalName(c.Domain)
	c.Nameserver = dns.CanonicalName(c.Nameserver)
	if c.Mbox == "" {
		c.Mbox = "hostmaster." + c.Domain
	}
	c.Mbox = dns.CanonicalName(c.Mbox)
	orDefault(&c.Serial, DefaultSOASerial)
	orDefault(&c.Refresh, DefaultSOARefresh)
	orDefault(&c.Retry, DefaultSOARetry)
	orDefault(&c.Expire, DefaultSOAExpire)
	orDefault(&c.Minimum, DefaultSOAMinimum)
	orDefault(&c.TTL, DefaultTTL)
	orDefault(&c.EmptyTTL, DefaultEmptyTTL)
	if c.MaxAnswers <= 0 {
		c.MaxAnswers = DefaultMaxAnswers
	}
	if c.Listen == nil {
		c.Listen = []string{DefaultDNSListen}
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = DefaultRetryInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return c
}

func (c *DNSConfig) validate() error {
	switch {
	case c.Domain == "." || c.Domain == "":
		return errors.New("seeder: DNSConfig.Domain is required")
	case c.Nameserver == "." || c.Nameserver == "":
		return errors.New("seeder: DNSConfig.Nameserver is required")
	case c.Peers == nil:
		return errors.New("seeder: DNSConfig.Peers is required")
	}
	for _, n := range []string{c.Domain, c.Nameserver, c.Mbox} {
		if _, ok := dns.IsDomainName(n); !ok {
			return fmt.Errorf("seeder: %q is not a domain name", n)
		}
	}
	for _, l := range c.Listen {
		if _, _, err := net.SplitHostPort(l); err != nil {
			return fmt.Errorf("seeder: DNS listen address %q: %w", l, err)
		}
	}
	return nil
}

// DNSServer answers DNS queries for a seeder's zone with reliable peers,
// as the reference's chia_seeder does (see the package documentation for
// the answers). All methods are safe for concurrent use.
type DNSServer struct {
	cfg DNSConfig
	log *slog.Logger

	set   atomic.Pointer[peerSet]
	reads atomic.Uint64 // numbers each Refresh's read, in the order they start
	randM sync.Mutex    // guards cfg.Rand

	mu       sync.Mutex
	servers  []*dns.Server
	udpAddrs []netip.AddrPort
	tcpAddrs []netip.AddrPort
	started  bool
	stop     chan struct{}
	wg       sync.WaitGroup

	queries, failures atomic.Uint64
}

// peerSet is the addresses handed out between two reloads, with the
// round-robin positions.
type peerSet struct {
	// read is the number of the Refresh that read it, 0 for the first
	// empty set.
	read   uint64
	v4, v6 []netip.Addr
	// rr4 and rr6 are their A and AAAA records, owned by the zone's name
	// as configured, shared by every answer that asks for it so spelled.
	rr4, rr6   []dns.RR
	next4      atomic.Uint64
	next6      atomic.Uint64
	fromSource int // how many came from the source (not static)
}

// span returns where the next n entries of a list of length l start and
// how many there are, advancing the position *next; the whole list if it
// has no more than n.
func span(l int, next *atomic.Uint64, n int) (start, count int) {
	if l <= n {
		return 0, l
	}
	return int((next.Add(uint64(n)) - uint64(n)) % uint64(l)), n
}

// NewDNSServer checks cfg and returns a server that is not listening yet.
func NewDNSServer(cfg DNSConfig) (*DNSServer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &DNSServer{cfg: cfg, log: cfg.Logger, stop: make(chan struct{})}
	s.set.Store(s.makeSet(nil))
	return s, nil
}

// Start binds every listener, reads the peers once (a failure is logged:
// the server answers with the static peers meanwhile), starts answering
// and starts the reloads. It fails if a listener cannot be bound, except
// one of the two families of an address with an empty host.
func (s *DNSServer) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("seeder: DNS server already started")
	}
	var (
		pcs []net.PacketConn
		lns []net.Listener
	)
	fail := func(err error) error {
		for _, pc := range pcs {
			pc.Close()
		}
		for _, l := range lns {
			l.Close()
		}
		return err
	}
	for _, addr := range s.cfg.Listen {
		host, port, _ := net.SplitHostPort(addr)
		type bind struct{ udp, tcp, host string }
		binds := []bind{{"udp", "tcp", host}}
		if host == "" {
			binds = []bind{{"udp4", "tcp4", "0.0.0.0"}, {"udp6", "tcp6", "::"}}
		}
		bound := 0
		var lastErr error
		for _, b := range binds {
			pc, l, err := listenPair(b.udp, b.tcp, b.host, port)
			if err != nil {
				lastErr = err
				continue
			}
			pcs, lns = append(pcs, pc), append(lns, l)
			bound++
		}
		if bound == 0 {
			return fail(fmt.Errorf("seeder: DNS listen %s: %w", addr, lastErr))
		}
		if bound < len(binds) {
			s.log.Warn("DNS server: one address family could not be bound", "listen", addr, "err", lastErr)
		}
	}

	if err := s.Refresh(ctx); err != nil {
		s.log.Warn("DNS server: first read of the peers failed; answering with the static peers", "err", err)
	}

	h := dns.HandlerFunc(s.serveDNS)
	started := make(chan struct{}, len(pcs)+len(lns))
	add := func(srv *dns.Server) {
		srv.NotifyStartedFunc = func() { started <- struct{}{} }
		s.servers = append(s.servers, srv)
		s.wg.Go(func() {
			if err := srv.ActivateAndServe(); err != nil {
				s.log.Error("DNS server stopped", "err", err)
			}
		})
	}
	for _, pc := range pcs {
		s.udpAddrs = append(s.udpAddrs, addrPortOf(pc.LocalAddr()))
		add(&dns.Server{PacketConn: pc, Handler: h, UDPSize: dns.MaxMsgSize})
	}
	for _, l := range lns {
		s.tcpAddrs = append(s.tcpAddrs, addrPortOf(l.Addr()))
		add(&dns.Server{Listener: l, Handler: h})
	}
	for range len(pcs) + len(lns) {
		<-started
	}
	s.started = true
	s.wg.Go(s.reloadLoop)
	s.log.Info("DNS server listening", "udp", s.udpAddrs, "tcp", s.tcpAddrs, "domain", s.cfg.Domain)
	return nil
}

// listenPair binds UDP and TCP on host:port. For port 0, TCP takes the
// port UDP got; if that port is taken for TCP, both are tried again on
// another.
func listenPair(udp, tcp, host, port string) (net.PacketConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket(udp, net.JoinHostPort(host, port))
		if err != nil {
			return nil, nil, err
		}
		l, err := net.Listen(tcp, net.JoinHostPort(host, portOf(pc.LocalAddr())))
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		if port != "0" || attempt >= 20 {
			return nil, nil, err
		}
	}
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

func addrPortOf(a net.Addr) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// UDPAddrs returns the addresses the server answers UDP queries on.
func (s *DNSServer) UDPAddrs() []netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.udpAddrs)
}

// TCPAddrs returns the addresses the server answers TCP queries on.
func (s *DNSServer) TCPAddrs() []netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tcpAddrs)
}

// Close stops answering and reloading, waiting at most until ctx ends
// for queries under way.
func (s *DNSServer) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return nil
	}
	s.started = false
	close(s.stop)
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.ShutdownContext(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// reloadLoop reads the peers every RefreshInterval, or RetryInterval
// while reads fail or find nobody.
func (s *DNSServer) reloadLoop() {
	for {
		wait := s.cfg.RefreshInterval
		if s.set.Load().fromSource == 0 {
			wait = s.cfg.RetryInterval
		}
		select {
		case <-s.stop:
			return
		case <-s.cfg.Clock.After(wait):
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := s.Refresh(ctx); err != nil {
			s.log.Warn("DNS server: reading the peers failed; keeping the previous ones", "err", err)
		}
		cancel()
	}
}

// Refresh reads the peers now, shuffles them, appends the static peers
// and starts the round-robin afresh. On error the previous peers are
// kept.
func (s *DNSServer) Refresh(ctx context.Context) error {
	read := s.reads.Add(1)
	peers, err := s.cfg.Peers.ReliablePeers(ctx)
	if err != nil {
		return err
	}
	set := s.makeSet(peers)
	set.read = read
	// Refreshes may overlap (the reload loop and a caller's): a read that
	// started earlier but finished later must not replace a newer one.
	old := s.set.Load()
	for old.read < read && !s.set.CompareAndSwap(old, set) {
		old = s.set.Load()
	}
	if old.read > read {
		return nil
	}
	s.log.Info("DNS server: peers read", "ipv4", len(set.v4), "ipv6", len(set.v6),
		"reliable", set.fromSource, "before", len(old.v4)+len(old.v6))
	return nil
}

// makeSet shuffles peers, appends the static peers and splits them by
// family, without duplicates.
func (s *DNSServer) makeSet(peers []netip.Addr) *peerSet {
	peers = slices.Clone(peers)
	slices.SortFunc(peers, netip.Addr.Compare) // the shuffle alone decides the order
	s.randM.Lock()
	s.cfg.Rand.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
	s.randM.Unlock()
	set := &peerSet{}
	seen := map[netip.Addr]struct{}{}
	for i, a := range append(peers, s.cfg.StaticPeers...) {
		a = a.Unmap().WithZone("")
		if !a.IsValid() {
			continue
		}
		if _, dup := seen[a]; dup {
			continue
		}
		seen[a] = struct{}{}
		if i < len(peers) {
			set.fromSource++
		}
		if a.Is4() {
			set.v4 = append(set.v4, a)
		} else {
			set.v6 = append(set.v6, a)
		}
	}
	ttl := s.cfg.TTL
	if len(set.v4)+len(set.v6) == 0 {
		ttl = s.cfg.EmptyTTL
	}
	for _, a := range set.v4 {
		set.rr4 = append(set.rr4, addrRR(s.cfg.Domain, a, ttl))
	}
	for _, a := range set.v6 {
		set.rr6 = append(set.rr6, addrRR(s.cfg.Domain, a, ttl))
	}
	return set
}

// addrRR returns the A or AAAA record of a owned by name.
func addrRR(name string, a netip.Addr, ttl uint32) dns.RR {
	if a.Is4() {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: a.AsSlice()}
	}
	return &dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: a.AsSlice()}
}

// Stats returns the number of queries answered and of those answered
// with SERVFAIL.
func (s *DNSServer) Stats() (queries, servfails uint64) {
	return s.queries.Load(), s.failures.Load()
}

// serveDNS answers one query. A panic while building the answer becomes
// SERVFAIL, with nothing of it in the reply.
func (s *DNSServer) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	var resp *dns.Msg
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.failures.Add(1)
				s.log.Error("DNS server: answering failed", "panic", r)
				resp = new(dns.Msg)
				resp.SetRcode(req, dns.RcodeServerFailure)
			}
		}()
		if s.cfg.beforeAnswer != nil {
			s.cfg.beforeAnswer(req)
		}
		resp = s.answer(req, udp)
	}()
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("DNS server: writing the answer failed", "client", w.RemoteAddr(), "err", err)
	}
}

// answer builds the reply to req; udp selects the size limit.
func (s *DNSServer) answer(req *dns.Msg, udp bool) *dns.Msg {
	resp := new(dns.Msg)
	if req.Opcode != dns.OpcodeQuery {
		return resp.SetRcode(req, dns.RcodeNotImplemented)
	}
	if len(req.Question) != 1 {
		return resp.SetRcode(req, dns.RcodeFormatError)
	}
	resp.SetReply(req)
	resp.RecursionAvailable = false

	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		if opt.Version() != 0 {
			resp.SetRcode(req, dns.RcodeBadVers)
			resp.SetEdns0(maxEDNSSize, false)
			return resp
		}
		size = min(max(int(opt.UDPSize()), dns.MinMsgSize), maxEDNSSize)
		resp.SetEdns0(uint16(size), false)
	}

	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	if !dns.IsSubDomain(s.cfg.Domain, name) || (q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY) {
		resp.Rcode = dns.RcodeRefused
		return resp
	}
	resp.Authoritative = true

	set := s.set.Load()
	ttl := s.cfg.TTL
	if len(set.v4)+len(set.v6) == 0 {
		ttl = s.cfg.EmptyTTL
	}
	soa := &dns.SOA{
		Hdr:     dns.RR_Header{Name: s.cfg.Domain, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      s.cfg.Nameserver,
		Mbox:    s.cfg.Mbox,
		Serial:  s.cfg.Serial,
		Refresh: s.cfg.Refresh,
		Retry:   s.cfg.Retry,
		Expire:  s.cfg.Expire,
		Minttl:  s.cfg.Minimum,
	}
	ns := &dns.NS{Hdr: dns.RR_Header{Name: s.cfg.Domain, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttl}, Ns: s.cfg.Nameserver}
	resp.Ns = []dns.RR{ns, soa}

	if name != s.cfg.Domain {
		resp.Rcode = dns.RcodeNameError
		return s.fit(resp, size, udp)
	}
	// add appends up to n records of one family, round-robin. Records
	// are shared between answers when the question spells the zone as
	// configured; otherwise they are made with the question's spelling.
	add := func(list []netip.Addr, rrs []dns.RR, next *atomic.Uint64, n int) {
		start, count := span(len(list), next, n)
		for i := range count {
			k := (start + i) % len(list)
			if q.Name == s.cfg.Domain {
				resp.Answer = append(resp.Answer, rrs[k])
			} else {
				resp.Answer = append(resp.Answer, addrRR(q.Name, list[k], ttl))
			}
		}
	}
	addA := func(n int) { add(set.v4, set.rr4, &set.next4, n) }
	addAAAA := func(n int) { add(set.v6, set.rr6, &set.next6, n) }
	owned := func(rr dns.RR) dns.RR {
		rr = dns.Copy(rr)
		rr.Header().Name = q.Name
		return rr
	}
	switch q.Qtype {
	case dns.TypeA:
		addA(s.cfg.MaxAnswers)
	case dns.TypeAAAA:
		addAAAA(s.cfg.MaxAnswers)
	case dns.TypeANY:
		addA(s.cfg.MaxAnswers / 2)
		addAAAA(s.cfg.MaxAnswers / 2)
		resp.Answer = append(resp.Answer, owned(soa), owned(ns))
	case dns.TypeSOA:
		resp.Answer = append(resp.Answer, owned(soa))
	case dns.TypeNS:
		resp.Answer = append(resp.Answer, owned(ns))
	}
	return s.fit(resp, size, udp)
}

// fit truncates a UDP answer to size, setting TC when records had to go.
func (s *DNSServer) fit(resp *dns.Msg, size int, udp bool) *dns.Msg {
	resp.Compress = true
	if udp {
		resp.Truncate(size)
		resp.Compress = true
	}
	return resp
}
