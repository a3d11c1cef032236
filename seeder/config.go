package seeder

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"
)

// Defaults of the zero CrawlerConfig fields: the reference crawler's
// (spec discovery.md §4.2), unless marked as chianet's own.
const (
	// DefaultConnectTimeout bounds the TCP, TLS and WebSocket setup of a
	// crawl (the reference's seeder.peer_connect_timeout).
	DefaultConnectTimeout = 2 * time.Second
	// DefaultHandshakeTimeout bounds the Chia handshake after the
	// connection is set up. chianet's own: the reference waits up to its
	// general 120 s outbound handshake timeout.
	DefaultHandshakeTimeout = 5 * time.Second
	// DefaultPeersTimeout bounds request_peers.
	DefaultPeersTimeout = 3 * time.Second
	// DefaultPeakWait is how long after the handshake a crawl waits for a
	// new_peak.
	DefaultPeakWait = 2500 * time.Millisecond
	// DefaultConcurrency is how many peers are crawled at once.
	DefaultConcurrency = 250
	// DefaultMinBatch and DefaultMaxBatch bound the batch size per
	// address family, which is a tenth of the eligible IPv4 peers.
	DefaultMinBatch = 25_000
	DefaultMaxBatch = 250_000
	// DefaultRecrawlIPv4 and DefaultRecrawlIPv6 are how long after its
	// latest attempt or success a peer is crawled again.
	DefaultRecrawlIPv4 = 1000 * time.Second
	DefaultRecrawlIPv6 = 600 * time.Second
	// DefaultReselectDelay is how long after being put in a batch a peer
	// cannot be put in another.
	DefaultReselectDelay = 120 * time.Second
	// DefaultBatchInterval is the pause between batches.
	DefaultBatchInterval = 15 * time.Second
	// DefaultFreshWindow is how recently an advertised address must have
	// been seen to be recorded, and the window of the counts (5 days).
	DefaultFreshWindow = 5 * 24 * time.Hour
	// DefaultPruneAge is how long a peer with no sign of life is kept
	// (the reference's crawler.prune_peer_days, 90).
	DefaultPruneAge = 90 * 24 * time.Hour
	// DefaultSaveAttempts and DefaultSaveRetryDelay are how often, and how
	// far apart, a batch's save is tried.
	DefaultSaveAttempts   = 4
	DefaultSaveRetryDelay = 5 * time.Second
	// MainnetMinHeight is the reference's seeder.minimum_height: the peak
	// height a mainnet peer must announce to count as reachable.
	MainnetMinHeight = 240_000
)

// Clock is the crawler's and DNS server's time source: the timestamps of
// records and the pauses between batches and reloads. Network timeouts use
// real time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// CrawlerConfig configures a Crawler. NetworkID, TLS and Store are
// required; every other zero field has a documented default.
type CrawlerConfig struct {
	// NetworkID is the network name of our handshakes, e.g. "mainnet".
	NetworkID string
	// TLS is the client TLS configuration of the crawl connections: a
	// full node's certificate under the network's CA (e.g.
	// chiatls.Tree.ClientConfig(chiatls.FullNode)).
	TLS *tls.Config
	// Store keeps the records.
	Store Store

	// Bootstrap are "host:port" peers crawled in the first batch of a
	// run whatever the store holds; a host name is resolved when dialled,
	// and the peer is recorded under the address it was reached at.
	Bootstrap []string
	// Port, if not zero, is the only port crawled and recorded (the
	// reference's other_peers_port: a network's default full-node port).
	// Zero records and crawls peers on any port, for private networks
	// whose nodes listen on whatever port they got.
	Port uint16
	// AllowPrivate records private, loopback and link-local addresses
	// heard in gossip (the reference's is_private list, package
	// addrman). Without it they are dropped: a DNS seeder of a public
	// network must not hand them out.
	AllowPrivate bool
	// MinHeight is the peak height a peer must announce in a new_peak to
	// count as reachable. Zero means any peak; MainnetMinHeight is the
	// reference's value for mainnet.
	MinHeight uint32
	// ReachableOnHandshake counts a peer as reachable once it completed
	// the handshake as a full node and answered request_peers, without
	// waiting for a peak. It is meant for private networks whose nodes
	// keep no chain and so announce none (e.g. a network of chianet
	// nodes); a public network's seeder should leave it off, so that only
	// synced nodes are handed out. Off by default.
	ReachableOnHandshake bool

	// ConnectTimeout bounds the connection setup of each crawl. Zero
	// means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// HandshakeTimeout bounds each crawl's handshake. Zero means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// PeersTimeout bounds each crawl's request_peers. Zero means
	// DefaultPeersTimeout.
	PeersTimeout time.Duration
	// PeakWait is how long after the handshake a crawl waits for a
	// qualifying new_peak. With ReachableOnHandshake the crawl ends as
	// soon as respond_peers arrived, keeping a peak only if one came
	// first. Zero means DefaultPeakWait; negative means no wait.
	PeakWait time.Duration
	// Concurrency caps the peers crawled at once. Zero means
	// DefaultConcurrency.
	Concurrency int
	// MinBatch and MaxBatch bound the number of peers per address family
	// in a batch, which is otherwise a tenth of the eligible IPv4 peers.
	// Zero means DefaultMinBatch and DefaultMaxBatch.
	MinBatch, MaxBatch int
	// RecrawlIPv4 and RecrawlIPv6 are how long after its latest attempt
	// a peer becomes eligible again. Zero means DefaultRecrawlIPv4 and
	// DefaultRecrawlIPv6; negative means at once.
	RecrawlIPv4, RecrawlIPv6 time.Duration
	// ReselectDelay is how long after being put in a batch a peer is left
	// out of further ones. Zero means DefaultReselectDelay; negative means
	// none.
	ReselectDelay time.Duration
	// BatchInterval is the pause between the batches of Run. Zero means
	// DefaultBatchInterval; negative means none.
	BatchInterval time.Duration
	// FreshWindow is how recent an advertised timestamp must be for an
	// unknown address to be recorded, and the window of PeerCounts. Zero
	// means DefaultFreshWindow.
	FreshWindow time.Duration
	// PruneAge removes records whose latest sign of life is older. Zero
	// means DefaultPruneAge; negative means never.
	PruneAge time.Duration
	// SaveAttempts and SaveRetryDelay: a batch's save is tried this many
	// times, this far apart. Zero means DefaultSaveAttempts and
	// DefaultSaveRetryDelay.
	SaveAttempts   int
	SaveRetryDelay time.Duration

	// SoftwareVersion is our handshake's software_version. Empty means
	// peer.DefaultSoftwareVersion.
	SoftwareVersion string
	// DialContext opens the TCP connections, e.g. from a chosen local
	// address. Nil means a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// OnEvent, if set, is called with the crawler's state changes
	// (loaded_initial_peers, crawl_batch_completed), on the goroutine of
	// Load or Batch; it must not call back into the Crawler's Batch, Run
	// or RunOnce.
	OnEvent func(Event)
	// OnProgress, if set, is called as a batch starts and after each peer
	// of it is done, on the goroutine running the batch. It must be quick:
	// finished crawls wait for it.
	OnProgress func(Progress)

	// Logger receives the crawler's log records; each batch is logged at
	// info level, each peer at debug. Nil discards.
	Logger *slog.Logger
	// Clock is the time source. Nil means real time.
	Clock Clock
	// Rand shuffles the batches. Nil means a generator seeded at random.
	// It is used under the crawler's lock.
	Rand *rand.Rand

	// For tests.

	// beforeCommit is handed to every Batch the crawler saves.
	beforeCommit func()
}

// orDefault sets *v to d when *v is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

func (c CrawlerConfig) withDefaults() CrawlerConfig {
	orDefault(&c.ConnectTimeout, DefaultConnectTimeout)
	orDefault(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	orDefault(&c.PeersTimeout, DefaultPeersTimeout)
	orDefault(&c.PeakWait, DefaultPeakWait)
	orDefault(&c.RecrawlIPv4, DefaultRecrawlIPv4)
	orDefault(&c.RecrawlIPv6, DefaultRecrawlIPv6)
	orDefault(&c.ReselectDelay, DefaultReselectDelay)
	orDefault(&c.BatchInterval, DefaultBatchInterval)
	orDefault(&c.FreshWindow, DefaultFreshWindow)
	orDefault(&c.PruneAge, DefaultPruneAge)
	orDefault(&c.SaveRetryDelay, DefaultSaveRetryDelay)
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MinBatch <= 0 {
		c.MinBatch = DefaultMinBatch
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	c.MaxBatch = max(c.MaxBatch, c.MinBatch)
	if c.SaveAttempts <= 0 {
		c.SaveAttempts = DefaultSaveAttempts
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

func (c *CrawlerConfig) validate() error {
	switch {
	case c.NetworkID == "":
		return errors.New("seeder: CrawlerConfig.NetworkID is required")
	case c.TLS == nil:
		return errors.New("seeder: CrawlerConfig.TLS is required")
	case c.Store == nil:
		return errors.New("seeder: CrawlerConfig.Store is required")
	}
	for _, b := range c.Bootstrap {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return errors.New("seeder: bootstrap peer " + b + ": " + err.Error())
		}
	}
	return nil
}
