package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/chianet/chianet/config"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// rendezvousBound is how long the first of good.test's A and AAAA queries
// waits for the other to arrive. It only matters when the client is
// sequential (the test then fails); a parallel client meets at once.
const rendezvousBound = 2 * time.Second

// Records served by the test DNS server.
var (
	goodA     = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	goodAAAA  = []string{"::1", "fd00::1", "fd00::2"}
	v4onlyA   = []string{"127.0.1.1", "127.0.1.2"}
	afailAAAA = []string{"fd00::a1", "fd00::a2"}
	mixedA    = []string{"0.0.0.0", "224.0.0.1", "255.255.255.255", "10.1.2.3", "1.2.3.4", "100.64.0.1"}
	mixedAAAA = []string{"::", "ff02::1", "fe80::1", "2606:4700::1111", "::ffff:1.2.3.4"}
)

// query is one question the test server received.
type query struct {
	name  string
	qtype uint16
}

// testDNS is a DNS server on 127.0.0.1 (UDP) serving these names:
//
//	good.test.        A goodA, AAAA goodAAAA; the first of the two queries
//	                  is held until the second arrives (rendezvous)
//	v4only.test.      A v4onlyA; AAAA: NOERROR, no answer
//	afail.test.       A: SERVFAIL; AAAA afailAAAA
//	mixed.test.       A mixedA, AAAA mixedAAAA (for filtering)
//	private.test.     A 10.0.0.1; AAAA: NOERROR, no answer
//	fail.test.        SERVFAIL
//	slow.test.        never answered
//	sN.order.test.    A 127.0.2.N; AAAA: NOERROR, no answer
//	anything else     NXDOMAIN
type testDNS struct {
	addr string
	done chan struct{} // closed at cleanup: releases held queries

	// slowSeen receives (without blocking) when a slow.test. query arrives.
	slowSeen chan struct{}
	// met receives the rendezvous outcome of good.test.: true if the first
	// query was still held when the second arrived.
	met chan bool

	mu      sync.Mutex
	queries []query
	arrived map[uint16]bool // good.test. query types seen
	both    chan struct{}   // closed when good.test.'s A and AAAA both arrived
}

func newTestDNS(t *testing.T) *testDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testDNS{
		addr:     pc.LocalAddr().String(),
		done:     make(chan struct{}),
		slowSeen: make(chan struct{}, 1),
		met:      make(chan bool, 1),
		arrived:  make(map[uint16]bool),
		both:     make(chan struct{}),
	}
	started := make(chan struct{})
	srv := &dns.Server{
		PacketConn:        pc,
		Handler:           dns.HandlerFunc(s.serve),
		NotifyStartedFunc: func() { close(started) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-served:
		t.Fatalf("DNS server: %v", err)
	}
	t.Cleanup(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.ShutdownContext(ctx); err != nil {
			t.Errorf("DNS server shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("DNS server: %v", err)
		}
	})
	return s
}

func (s *testDNS) serve(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries = append(s.queries, query{name, q.Qtype})
	s.mu.Unlock()

	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	answer := func(a, aaaa []string) {
		var recs []string
		switch q.Qtype {
		case dns.TypeA:
			recs = a
		case dns.TypeAAAA:
			recs = aaaa
		}
		for _, r := range recs {
			typ := "A"
			if q.Qtype == dns.TypeAAAA {
				typ = "AAAA"
			}
			rr, err := dns.NewRR(fmt.Sprintf("%s 60 IN %s %s", q.Name, typ, r))
			if err != nil {
				panic(err)
			}
			resp.Answer = append(resp.Answer, rr)
		}
	}

	switch {
	case name == "good.test.":
		s.rendezvous(q.Qtype)
		answer(goodA, goodAAAA)
	case name == "v4only.test.":
		answer(v4onlyA, nil)
	case name == "afail.test.":
		if q.Qtype == dns.TypeA {
			resp.Rcode = dns.RcodeServerFailure
		}
		answer(nil, afailAAAA)
	case name == "mixed.test.":
		answer(mixedA, mixedAAAA)
	case name == "private.test.":
		answer([]string{"10.0.0.1"}, nil)
	case name == "fail.test.":
		resp.Rcode = dns.RcodeServerFailure
	case name == "slow.test.":
		select {
		case s.slowSeen <- struct{}{}:
		default:
		}
		return // drop the query
	case strings.HasSuffix(name, ".order.test."):
		var n int
		if _, err := fmt.Sscanf(name, "s%d.order.test.", &n); err != nil {
			resp.Rcode = dns.RcodeNameError
			break
		}
		answer([]string{fmt.Sprintf("127.0.2.%d", n)}, nil)
	default:
		resp.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(resp)
}

// rendezvous holds the first A or AAAA query of good.test. until the other
// type has arrived too (or rendezvousBound passes), and reports on met
// whether they met.
func (s *testDNS) rendezvous(qtype uint16) {
	if qtype != dns.TypeA && qtype != dns.TypeAAAA {
		return
	}
	s.mu.Lock()
	first := len(s.arrived) == 0
	had := len(s.arrived)
	s.arrived[qtype] = true
	if had < 2 && len(s.arrived) == 2 {
		close(s.both)
	}
	s.mu.Unlock()
	if !first {
		return
	}
	bound := time.NewTimer(rendezvousBound)
	defer bound.Stop()
	select {
	case <-s.both:
		s.met <- true
	case <-bound.C:
		s.met <- false
	case <-s.done:
	}
}

// seenQueries returns the queries received so far, in arrival order.
func (s *testDNS) seenQueries() []query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

// resolver returns a pure-Go resolver that sends every query to s.
func (s *testDNS) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "udp", s.addr)
			if err != nil {
				return nil, err
			}
			// The resolver reads the reply without watching ctx, until
			// resolv.conf's per-attempt timeout; close the socket when the
			// lookup is cancelled so that no goroutine outlives the test.
			context.AfterFunc(ctx, func() { c.Close() })
			return c, nil
		},
	}
}

// logRecord is one line of the JSON log.
type logRecord struct {
	Level   string  `json:"level"`
	Msg     string  `json:"msg"`
	Server  string  `json:"server"`
	Family  string  `json:"family"`
	Err     string  `json:"err"`
	Elapsed float64 `json:"elapsed"` // nanoseconds
}

// testLog is a debug-level JSON logger whose records the test can read
// after the call that logged them has returned.
type testLog struct {
	buf bytes.Buffer // written under the handler's lock
}

func (l *testLog) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&l.buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *testLog) records(t *testing.T) []logRecord {
	t.Helper()
	var out []logRecord
	for line := range bytes.Lines(l.buf.Bytes()) {
		var r logRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// find returns the records with the given level, server and family.
func find(recs []logRecord, level, server, family string) []logRecord {
	var out []logRecord
	for _, r := range recs {
		if r.Level == level && r.Server == server && r.Family == family {
			out = append(out, r)
		}
	}
	return out
}

func addrPorts(t *testing.T, port uint16, lists ...[]string) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for _, l := range lists {
		for _, s := range l {
			out = append(out, netip.AddrPortFrom(netip.MustParseAddr(s).Unmap(), port))
		}
	}
	return out
}

func sameSet(got, want []netip.AddrPort) bool {
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, netip.AddrPort.Compare)
	slices.SortFunc(want, netip.AddrPort.Compare)
	return slices.Equal(got, want)
}

func resultFor(t *testing.T, results []DNSResult, server string) DNSResult {
	t.Helper()
	for _, r := range results {
		if r.Server == server {
			return r
		}
	}
	t.Fatalf("no result for %s in %+v", server, results)
	return DNSResult{}
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// TestDNSUnionAndParallelQueries checks that the union holds every A and
// AAAA record with the configured port, that a server without AAAA
// records still counts (logged at debug only), and that the A and AAAA
// queries of a server are in flight at the same time.
func TestDNSUnionAndParallelQueries(t *testing.T) {
	s := newTestDNS(t)
	var log testLog
	cfg := DNSConfig{
		Servers:      []string{"good.test", "v4only.test"},
		Port:         config.Testnet11Port,
		Timeout:      10 * time.Second, // longer than rendezvousBound
		AllowPrivate: true,
		Resolver:     s.resolver(),
		Rand:         rand.New(rand.NewPCG(1, 2)),
		Logger:       log.logger(),
	}
	addrs, results, err := LookupDNSIntroducers(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := addrPorts(t, config.Testnet11Port, goodA, goodAAAA, v4onlyA)
	if !sameSet(addrs, want) {
		t.Errorf("addrs = %v, want %v", addrs, want)
	}
	if len(addrs) != len(want) {
		t.Errorf("addrs has %d entries, want %d (each once)", len(addrs), len(want))
	}

	// Both good.test. queries were in flight at once: the first one was
	// held until the second arrived.
	select {
	case met := <-s.met:
		if !met {
			t.Errorf("good.test.: the second query arrived only after the first was answered (sequential A/AAAA)")
		}
	default:
		t.Fatal("good.test.: no rendezvous took place")
	}
	var goodTypes []uint16
	for _, q := range s.seenQueries() {
		if q.name == "good.test." {
			goodTypes = append(goodTypes, q.qtype)
		}
	}
	if len(goodTypes) != 2 || !slices.Contains(goodTypes, dns.TypeA) || !slices.Contains(goodTypes, dns.TypeAAAA) {
		t.Errorf("good.test. queries = %v, want one A and one AAAA", goodTypes)
	}

	good := resultFor(t, results, "good.test")
	if good.Err != nil || good.AErr != nil || good.AAAAErr != nil {
		t.Errorf("good.test: Err %v, AErr %v, AAAAErr %v; want all nil", good.Err, good.AErr, good.AAAAErr)
	}
	v4 := resultFor(t, results, "v4only.test")
	if v4.Err != nil || v4.AErr != nil {
		t.Errorf("v4only.test: Err %v, AErr %v; want nil", v4.Err, v4.AErr)
	}
	if !isNotFound(v4.AAAAErr) {
		t.Errorf("v4only.test: AAAAErr = %v, want a not-found DNS error", v4.AAAAErr)
	}
	if !sameSet(v4.Addrs, addrPorts(t, config.Testnet11Port, v4onlyA)) {
		t.Errorf("v4only.test: Addrs = %v, want %v", v4.Addrs, v4onlyA)
	}
	t.Logf("good.test %v, v4only.test %v", good.Elapsed, v4.Elapsed)

	recs := log.records(t)
	if n := len(find(recs, "WARN", "v4only.test", "AAAA")); n != 0 {
		t.Errorf("a missing AAAA with A records present was logged at warn (%d records)", n)
	}
	if n := len(find(recs, "DEBUG", "v4only.test", "AAAA")); n != 1 {
		t.Errorf("missing AAAA of v4only.test: %d debug records, want 1", n)
	}
}

// TestDNSAFailureKeepsAAAA checks that a failed A query does not discard
// the AAAA answer (the reference skips AAAA after an A failure), and that
// the failure is logged at warn with the server, family, error and time.
func TestDNSAFailureKeepsAAAA(t *testing.T) {
	s := newTestDNS(t)
	var log testLog
	addrs, results, err := LookupDNSIntroducers(t.Context(), DNSConfig{
		Servers:      []string{"afail.test"},
		AllowPrivate: true,
		Resolver:     s.resolver(),
		Logger:       log.logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := addrPorts(t, config.MainnetPort, afailAAAA); !sameSet(addrs, want) {
		t.Errorf("addrs = %v, want %v", addrs, want)
	}
	r := results[0]
	if r.Err != nil || r.AErr == nil || r.AAAAErr != nil {
		t.Errorf("Err %v, AErr %v, AAAAErr %v; want only AErr", r.Err, r.AErr, r.AAAAErr)
	}
	warns := find(log.records(t), "WARN", "afail.test", "A")
	if len(warns) != 1 {
		t.Fatalf("%d warn records for the A failure, want 1", len(warns))
	}
	if w := warns[0]; w.Err == "" || w.Elapsed <= 0 {
		t.Errorf("warn record %+v lacks the error or the elapsed time", w)
	}
}

// TestDNSSlowServerBoundedByTimeout checks that a server that never
// answers costs its per-server timeout and no more, that the other
// servers' answers are kept, and that the report shows the timeout.
func TestDNSSlowServerBoundedByTimeout(t *testing.T) {
	s := newTestDNS(t)
	var log testLog
	// The per-server timeout: slow.test costs it; the others must answer
	// within it, over loopback, on a busy machine too.
	const timeout = 2 * time.Second
	cfg := DNSConfig{
		Servers:      []string{"slow.test", "good.test", "v4only.test"},
		Timeout:      timeout,
		AllowPrivate: true,
		Resolver:     s.resolver(),
		Logger:       log.logger(),
	}
	start := time.Now()
	addrs, results, err := LookupDNSIntroducers(t.Context(), cfg)
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wall time %v with a %v per-server timeout", wall, timeout)
	if wall >= 2*timeout {
		t.Errorf("lookup took %v, want well under twice the timeout %v", wall, timeout)
	}
	if want := addrPorts(t, config.MainnetPort, goodA, goodAAAA, v4onlyA); !sameSet(addrs, want) {
		t.Errorf("addrs = %v, want %v", addrs, want)
	}

	slow := resultFor(t, results, "slow.test")
	t.Logf("slow.test: %v after %v", slow.Err, slow.Elapsed)
	if slow.Err == nil || !errors.Is(slow.Err, context.DeadlineExceeded) {
		t.Errorf("slow.test: Err = %v, want a timeout", slow.Err)
	}
	if !errors.Is(slow.AErr, context.DeadlineExceeded) || !errors.Is(slow.AAAAErr, context.DeadlineExceeded) {
		t.Errorf("slow.test: AErr %v, AAAAErr %v; want both timed out", slow.AErr, slow.AAAAErr)
	}
	if slow.Elapsed < timeout {
		t.Errorf("slow.test gave up after %v, before its timeout %v", slow.Elapsed, timeout)
	}
	for _, name := range []string{"good.test", "v4only.test"} {
		r := resultFor(t, results, name)
		t.Logf("%s: %d addrs after %v", name, len(r.Addrs), r.Elapsed)
		if r.Err != nil || r.Elapsed >= timeout {
			t.Errorf("%s: Err %v after %v", name, r.Err, r.Elapsed)
		}
	}
	recs := log.records(t)
	for _, fam := range []string{"A", "AAAA"} {
		w := find(recs, "WARN", "slow.test", fam)
		if len(w) != 1 || !strings.Contains(w[0].Err, "timeout") || time.Duration(w[0].Elapsed) < timeout {
			t.Errorf("slow.test %s warn records = %+v, want one timeout after >= %v", fam, w, timeout)
		}
	}
}

// TestDNSAllFail checks that the call fails only when every server failed,
// with an error that names each server and says why.
func TestDNSAllFail(t *testing.T) {
	s := newTestDNS(t)
	var log testLog
	servers := []string{"fail.test", "slow.test", "nx.test", "private.test"}
	addrs, results, err := LookupDNSIntroducers(t.Context(), DNSConfig{
		Servers: servers,
		// slow.test costs it; the others must fail within it, over
		// loopback, on a busy machine too.
		Timeout:  2 * time.Second,
		Resolver: s.resolver(),
		Logger:   log.logger(),
	})
	if err == nil {
		t.Fatalf("no error; addrs %v", addrs)
	}
	t.Logf("error: %v", err)
	if addrs != nil {
		t.Errorf("addrs = %v, want nil", addrs)
	}
	for _, target := range []error{ErrNoDNSPeers, ErrNoUsableAddress, context.DeadlineExceeded} {
		if !errors.Is(err, target) {
			t.Errorf("error does not wrap %v", target)
		}
	}
	for _, name := range servers {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s", name)
		}
		if r := resultFor(t, results, name); r.Err == nil || len(r.Addrs) != 0 {
			t.Errorf("%s: Err %v, Addrs %v; want a failure", name, r.Err, r.Addrs)
		}
	}
	if r := resultFor(t, results, "nx.test"); !isNotFound(r.AErr) || !isNotFound(r.AAAAErr) {
		t.Errorf("nx.test: AErr %v, AAAAErr %v; want not found", r.AErr, r.AAAAErr)
	}

	recs := log.records(t)
	for _, name := range []string{"fail.test", "slow.test", "nx.test"} {
		for _, fam := range []string{"A", "AAAA"} {
			if len(find(recs, "WARN", name, fam)) != 1 {
				t.Errorf("no warn record for %s %s", name, fam)
			}
		}
	}
	// private.test answered A with a private address only.
	if len(find(recs, "WARN", "private.test", "")) != 1 {
		t.Errorf("no warn record for private.test's dropped address")
	}
}

// TestDNSFiltering checks which addresses are kept with and without
// AllowPrivate.
func TestDNSFiltering(t *testing.T) {
	s := newTestDNS(t)
	for _, tc := range []struct {
		allowPrivate bool
		want         []string
	}{
		{false, []string{"1.2.3.4", "100.64.0.1", "2606:4700::1111"}},
		// ::ffff:1.2.3.4 is unmapped, so it is 1.2.3.4 again.
		{true, []string{"1.2.3.4", "100.64.0.1", "10.1.2.3", "fe80::1", "2606:4700::1111"}},
	} {
		addrs, results, err := LookupDNSIntroducers(t.Context(), DNSConfig{
			Servers:      []string{"mixed.test"},
			AllowPrivate: tc.allowPrivate,
			Resolver:     s.resolver(),
		})
		if err != nil {
			t.Fatal(err)
		}
		want := addrPorts(t, config.MainnetPort, tc.want)
		if !sameSet(addrs, want) || len(addrs) != len(want) {
			t.Errorf("AllowPrivate %v: addrs = %v, want %v", tc.allowPrivate, addrs, want)
		}
		if !sameSet(results[0].Addrs, want) || len(results[0].Addrs) != len(want) {
			t.Errorf("AllowPrivate %v: result addrs = %v, want %v", tc.allowPrivate, results[0].Addrs, want)
		}
	}
}

// TestDNSShuffle checks that the servers are queried in an order shuffled
// by cfg.Rand: the same for the same seed, another for another seed, and
// that with MaxConcurrent 1 the queries reach the server in the order of
// the report.
func TestDNSShuffle(t *testing.T) {
	s := newTestDNS(t)
	var servers []string
	for i := range 8 {
		servers = append(servers, fmt.Sprintf("s%d.order.test", i))
	}
	input := slices.Clone(servers)

	order := func(seed uint64) []string {
		t.Helper()
		before := len(s.seenQueries())
		_, results, err := LookupDNSIntroducers(t.Context(), DNSConfig{
			Servers:       servers,
			AllowPrivate:  true,
			MaxConcurrent: 1,
			Resolver:      s.resolver(),
			Rand:          rand.New(rand.NewPCG(seed, 0)),
		})
		if err != nil {
			t.Fatal(err)
		}
		var reported []string
		for _, r := range results {
			reported = append(reported, r.Server)
		}
		// The order the queries arrived in, one entry per server.
		var arrived []string
		for _, q := range s.seenQueries()[before:] {
			name := strings.TrimSuffix(q.name, ".")
			if len(arrived) == 0 || arrived[len(arrived)-1] != name {
				arrived = append(arrived, name)
			}
		}
		if !slices.Equal(arrived, reported) {
			t.Errorf("seed %d: queries arrived for %v, report order %v", seed, arrived, reported)
		}
		want := slices.Clone(input)
		r := rand.New(rand.NewPCG(seed, 0))
		r.Shuffle(len(want), func(i, j int) { want[i], want[j] = want[j], want[i] })
		if !slices.Equal(reported, want) {
			t.Errorf("seed %d: order %v, want %v", seed, reported, want)
		}
		return reported
	}

	a1, a2, b := order(1), order(1), order(2)
	t.Logf("seed 1: %v; seed 2: %v", a1, b)
	if !slices.Equal(a1, a2) {
		t.Errorf("seed 1 gave %v, then %v", a1, a2)
	}
	if slices.Equal(a1, b) {
		t.Errorf("seeds 1 and 2 gave the same order %v", a1)
	}
	if slices.Equal(a1, input) && slices.Equal(b, input) {
		t.Errorf("servers were not shuffled")
	}
	if !slices.Equal(servers, input) {
		t.Errorf("cfg.Servers was modified: %v", servers)
	}
}

// TestDNSCancel checks that cancelling ctx ends the call at once, with an
// error that wraps context.Canceled.
func TestDNSCancel(t *testing.T) {
	s := newTestDNS(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-s.slowSeen:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	_, results, err := LookupDNSIntroducers(ctx, DNSConfig{
		Servers:  []string{"slow.test"},
		Timeout:  time.Minute,
		Resolver: s.resolver(),
	})
	wall := time.Since(start)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrNoDNSPeers) {
		t.Errorf("err = %v, want one wrapping context.Canceled and ErrNoDNSPeers", err)
	}
	if wall >= 5*time.Second {
		t.Errorf("cancelled lookup took %v", wall)
	}
	if len(results) != 1 || results[0].Err == nil {
		t.Errorf("results = %+v", results)
	}
}

// TestDNSCancelledBeforeStart checks that servers waiting for a slot are
// reported as not queried when ctx is already done.
func TestDNSCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, results, err := LookupDNSIntroducers(ctx, DNSConfig{
		Servers:  []string{"a.test", "b.test"},
		Resolver: failResolver{},
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	for _, r := range results {
		if !strings.Contains(fmt.Sprint(r.Err), "not queried") {
			t.Errorf("%s: Err = %v, want not queried", r.Server, r.Err)
		}
	}
}

// failResolver fails the test's lookups if it is ever called.
type failResolver struct{}

func (failResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, errors.New("failResolver called")
}

func TestDNSConfigEdges(t *testing.T) {
	if _, _, err := LookupDNSIntroducers(t.Context(), DNSConfig{}); !errors.Is(err, ErrNoDNSPeers) {
		t.Errorf("no servers: err = %v, want ErrNoDNSPeers", err)
	}

	s := newTestDNS(t)
	_, results, err := LookupDNSIntroducers(t.Context(), DNSConfig{
		Servers:      []string{"v4only.test", "V4ONLY.test.", "v4only.test"},
		AllowPrivate: true,
		Resolver:     s.resolver(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Errorf("duplicate servers: %d results, want 1", len(results))
	}
}
