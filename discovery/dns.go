package discovery

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/config"
)

// DefaultDNSTimeout is the default of DNSConfig.Timeout: how long one DNS
// introducer has to answer both its A and its AAAA query. The reference
// gives each query 30 s, which users reported as nodes stuck waiting for
// one dead server (spec §7 item 3); a working server answers in well under
// a second.
const DefaultDNSTimeout = 3 * time.Second

// Resolver resolves a host name to its addresses. network is "ip4" (an A
// query) or "ip6" (an AAAA query). *net.Resolver implements it; a test
// can point a net.Resolver (PreferGo, with a Dial function) at a DNS
// server of its own. LookupNetIP must return once ctx is done and must be
// safe for concurrent use.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// DNSConfig configures LookupDNSIntroducers. Only Servers is required.
type DNSConfig struct {
	// Servers are the DNS introducers' names, e.g.
	// "dns-introducer.chia.net" (package config's built-in networks list
	// the reference's). Every name is
	// queried as a fully qualified name, without the resolver's search
	// domains, as the reference does. Duplicates (ignoring case and a
	// trailing dot) are queried once.
	Servers []string
	// Port is the full-node port combined with every address found: a
	// DNS introducer returns bare addresses, and every one of them is
	// assumed to listen on the network's default full-node port (spec
	// §2.1). Zero means config.MainnetPort; testnet11 uses
	// config.Testnet11Port.
	Port uint16
	// Timeout bounds each server: its A and AAAA queries together, from
	// the moment its queries start. Zero or negative means
	// DefaultDNSTimeout.
	Timeout time.Duration
	// AllowPrivate keeps private, loopback, link-local and reserved
	// addresses (the reference's is_private list, spec §2.7), as the
	// reference's enable_private_networks does. Unspecified, multicast and
	// broadcast addresses are dropped either way.
	AllowPrivate bool
	// MaxConcurrent is how many servers are queried at once. Zero or
	// negative means all of them.
	MaxConcurrent int
	// Resolver performs the queries. Nil means net.DefaultResolver, which
	// uses the system's DNS configuration.
	Resolver Resolver
	// Rand shuffles the order of the servers. Nil means a generator
	// seeded from crypto/rand. It is used only by the calling goroutine,
	// before any query starts, and must not be used concurrently with the
	// call.
	Rand *rand.Rand
	// Logger receives the failure of every query at warn (at debug for a
	// family without records when the other family answered) and the
	// answer of every server at debug. Nil discards.
	Logger *slog.Logger
}

func (c DNSConfig) withDefaults() DNSConfig {
	if c.Port == 0 {
		c.Port = config.MainnetPort
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultDNSTimeout
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	if c.Rand == nil {
		var seed [32]byte
		crand.Read(seed[:]) // never fails (crypto/rand, Go 1.24+)
		c.Rand = rand.New(rand.NewChaCha8(seed))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// DNSResult is what one DNS introducer gave.
type DNSResult struct {
	// Server is the name as given in DNSConfig.Servers.
	Server string
	// Addrs are the usable addresses from the server's A and AAAA
	// answers, each with DNSConfig.Port, A records first.
	Addrs []netip.AddrPort
	// Err is nil if Addrs is not empty. Otherwise it says why the server
	// gave nothing usable: the error of each query, or ErrNoUsableAddress
	// for a query whose addresses were all filtered out. It wraps the
	// underlying errors, so errors.Is(Err, context.DeadlineExceeded)
	// reports a server that timed out.
	Err error
	// AErr and AAAAErr are the errors of the A and the AAAA query (nil if
	// the query answered with at least one address, usable or not). One of
	// them may be set while Err is nil: a server without AAAA records
	// still counts with its A records, and the other way round.
	AErr, AAAAErr error
	// Elapsed is how long the server took to answer both queries (or to
	// fail).
	Elapsed time.Duration
}

// Errors of LookupDNSIntroducers, for errors.Is.
var (
	// ErrNoDNSPeers is wrapped by the error LookupDNSIntroducers returns
	// when no server gave a usable address.
	ErrNoDNSPeers = errors.New("no DNS introducer gave a usable address")
	// ErrNoUsableAddress is wrapped by the error of a query that
	// answered with addresses of which none was usable (see
	// DNSConfig.AllowPrivate).
	ErrNoUsableAddress = errors.New("no usable address")
)

// LookupDNSIntroducers queries every server of cfg.Servers, in an order
// shuffled by cfg.Rand, with its A and AAAA queries in parallel and both
// bounded by cfg.Timeout, and waits until every server has answered or
// failed. It returns the union of the usable addresses (each once, with
// cfg.Port; in the order of the report, A before AAAA), and a report with
// one DNSResult per distinct server in the order the servers were
// queried.
//
// A server counts if either of its queries gave a usable address: a
// missing AAAA (or A) record, a SERVFAIL or a timeout of one family does
// not discard the other family's answer. Every failed query is logged
// with the server, the family, the error and the time it took.
//
// It fails only when no server gave a usable address (including when
// cfg.Servers is empty or ctx ends before any did); the error wraps
// ErrNoDNSPeers and every server's error, and says why each failed.
//
// It is safe to call concurrently with configurations that do not share
// a Rand.
func LookupDNSIntroducers(ctx context.Context, cfg DNSConfig) ([]netip.AddrPort, []DNSResult, error) {
	cfg = cfg.withDefaults()

	servers := make([]string, 0, len(cfg.Servers))
	seen := make(map[string]bool, len(cfg.Servers))
	for _, s := range cfg.Servers {
		key := strings.ToLower(strings.TrimSuffix(s, "."))
		if seen[key] {
			continue
		}
		seen[key] = true
		servers = append(servers, s)
	}
	if len(servers) == 0 {
		return nil, nil, fmt.Errorf("discovery: %w: no DNS introducers configured", ErrNoDNSPeers)
	}
	cfg.Rand.Shuffle(len(servers), func(i, j int) {
		servers[i], servers[j] = servers[j], servers[i]
	})

	limit := cfg.MaxConcurrent
	if limit <= 0 || limit > len(servers) {
		limit = len(servers)
	}
	// Slots are taken here, in the shuffled order, so that with a limit
	// the servers also start in that order.
	slots := make(chan struct{}, limit)
	results := make([]DNSResult, len(servers))
	var wg sync.WaitGroup
	for i, server := range servers {
		if ctx.Err() == nil {
			select {
			case slots <- struct{}{}:
				wg.Go(func() {
					defer func() { <-slots }()
					results[i] = queryServer(ctx, &cfg, server)
				})
				continue
			case <-ctx.Done():
			}
		}
		results[i] = DNSResult{Server: server, Err: fmt.Errorf("not queried: %w", ctx.Err())}
	}
	wg.Wait()

	var addrs []netip.AddrPort
	have := make(map[netip.AddrPort]bool)
	for _, r := range results {
		for _, a := range r.Addrs {
			if !have[a] {
				have[a] = true
				addrs = append(addrs, a)
			}
		}
	}
	if len(addrs) > 0 {
		return addrs, results, nil
	}

	errs := make([]error, 0, len(results)+1)
	errs = append(errs, ErrNoDNSPeers)
	var msg strings.Builder
	fmt.Fprintf(&msg, "discovery: %v (%d tried): ", ErrNoDNSPeers, len(results))
	for i, r := range results {
		if i > 0 {
			msg.WriteString(", ")
		}
		fmt.Fprintf(&msg, "%s (%v)", r.Server, r.Err)
		errs = append(errs, r.Err)
	}
	return nil, results, &joinedError{msg: msg.String(), errs: errs}
}

// family is one of the two queries made of every server.
type family struct {
	name    string // "A" or "AAAA", for logs and errors
	network string // for Resolver.LookupNetIP
}

var families = [2]family{{"A", "ip4"}, {"AAAA", "ip6"}}

// familyAnswer is the outcome of one query.
type familyAnswer struct {
	addrs   []netip.AddrPort // usable addresses
	dropped int              // addresses filtered out
	err     error
	elapsed time.Duration
}

// queryServer makes the A and AAAA queries of one server in parallel,
// bounded together by cfg.Timeout, filters the answers and logs the
// failures.
func queryServer(ctx context.Context, cfg *DNSConfig, server string) DNSResult {
	start := time.Now()
	qctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	host := server
	if host != "" && !strings.HasSuffix(host, ".") {
		host += "." // fully qualified: no search domains
	}
	var answers [len(families)]familyAnswer
	var wg sync.WaitGroup
	for i, f := range families {
		wg.Go(func() {
			ips, err := cfg.Resolver.LookupNetIP(qctx, f.network, host)
			a := familyAnswer{err: err, elapsed: time.Since(start)}
			if err == nil && len(ips) == 0 {
				// A Resolver that reports no records without an error.
				a.err = errors.New("no records")
			}
			if a.err != nil {
				if errors.Is(a.err, context.DeadlineExceeded) && ctx.Err() == nil {
					a.err = fmt.Errorf("%w (per-server timeout %v)", a.err, cfg.Timeout)
				}
				answers[i] = a
				return
			}
			for _, ip := range ips {
				if ip, ok := usable(ip, i == 1, cfg.AllowPrivate); ok {
					a.addrs = append(a.addrs, netip.AddrPortFrom(ip, cfg.Port))
				} else {
					a.dropped++
				}
			}
			answers[i] = a
		})
	}
	wg.Wait()

	res := DNSResult{
		Server:  server,
		AErr:    answers[0].err,
		AAAAErr: answers[1].err,
		Elapsed: time.Since(start),
	}
	dropped := 0
	for _, a := range answers {
		for _, ap := range a.addrs {
			// An IPv4-mapped AAAA record may repeat an A record.
			if !slices.Contains(res.Addrs, ap) {
				res.Addrs = append(res.Addrs, ap)
			}
		}
		dropped += a.dropped
	}

	log := cfg.Logger.With("server", server)
	for i, a := range answers {
		if a.err == nil {
			continue
		}
		level := slog.LevelWarn
		var dnsErr *net.DNSError
		if len(res.Addrs) > 0 && errors.As(a.err, &dnsErr) && dnsErr.IsNotFound {
			// A server without records of one family is normal (many
			// seeders have no AAAA): not worth a warning when the other
			// family answered.
			level = slog.LevelDebug
		}
		log.Log(ctx, level, "DNS introducer query failed",
			"family", families[i].name, "err", a.err, "elapsed", a.elapsed)
	}
	if len(res.Addrs) > 0 {
		log.Debug("DNS introducer answered",
			"addrs", len(res.Addrs), "dropped", dropped, "elapsed", res.Elapsed)
		return res
	}

	// Nothing usable: say why for each family.
	var msg strings.Builder
	var errs []error
	for i, a := range answers {
		err := a.err
		if err == nil {
			err = fmt.Errorf("%w (%d dropped)", ErrNoUsableAddress, a.dropped)
		}
		if i > 0 {
			msg.WriteString("; ")
		}
		fmt.Fprintf(&msg, "%s: %v", families[i].name, err)
		errs = append(errs, err)
	}
	res.Err = &joinedError{msg: msg.String(), errs: errs}
	if dropped > 0 {
		log.Warn("DNS introducer gave no usable address",
			"err", res.Err, "dropped", dropped, "elapsed", res.Elapsed)
	}
	return res
}

// usable reports whether ip, from an A (aaaa false) or AAAA answer, may be
// dialled, and returns it without a zone and unmapped (an IPv4-mapped AAAA
// answer is the IPv4 address, and merges with the A record).
func usable(ip netip.Addr, aaaa, allowPrivate bool) (netip.Addr, bool) {
	ip = ip.WithZone("")
	if !aaaa && !ip.Unmap().Is4() {
		return netip.Addr{}, false
	}
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() || ip == ipv4Broadcast {
		return netip.Addr{}, false
	}
	if !allowPrivate && addrman.IsPrivate(ip) {
		return netip.Addr{}, false
	}
	return ip, true
}

var ipv4Broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// joinedError is an error with its own message that wraps several errors,
// so that errors.Is and errors.As see each of them.
type joinedError struct {
	msg  string
	errs []error
}

func (e *joinedError) Error() string   { return e.msg }
func (e *joinedError) Unwrap() []error { return e.errs }
