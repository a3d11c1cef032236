package discovery

import (
	crand "crypto/rand"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// Defaults of the zero Config fields (spec discovery.md §2.1, §2.2;
// transport.md §6.2).
const (
	// DefaultTargetOutboundFullNode is a full node's outbound target
	// (the reference's target_outbound_peer_count).
	DefaultTargetOutboundFullNode = 8
	// DefaultTargetOutboundWallet is a wallet's outbound target (the
	// reference's wallet target_peer_count).
	DefaultTargetOutboundWallet = 3
	// DefaultMaxPendingDials caps the dials under way at once (the
	// reference's MAX_CONCURRENT_OUTBOUND_CONNECTIONS).
	DefaultMaxPendingDials = 70
	// DefaultRetryInterval is how long an address is left alone after an
	// attempt: one attempt per address per 30 minutes.
	DefaultRetryInterval = 30 * time.Minute
	// DefaultFeelerMean is the mean of the exponential (Poisson-process)
	// delay between two feeler connections.
	DefaultFeelerMean = 240 * time.Second
	// DefaultConnectIntervalFullNode and DefaultConnectIntervalWallet cap
	// the pause between two rounds of the connect loop (the reference's
	// peer_connect_interval).
	DefaultConnectIntervalFullNode = 30 * time.Second
	DefaultConnectIntervalWallet   = 60 * time.Second
	// DefaultIntroducerTimeout bounds one introducer query: the dial, the
	// handshake and the reply.
	DefaultIntroducerTimeout = 20 * time.Second
	// DefaultDialGrace is how long an outbound dial under way holds its
	// slot of the target: a live peer completes its handshake well within
	// it, so no more is dialled meanwhile; a dial that hangs longer (a dead
	// address that drops packets) lets another be tried alongside, up to
	// MaxPendingDials.
	DefaultDialGrace = 5 * time.Second
)

// Limits and periods of the protocol, from the reference's
// node_discovery.py (spec §2.4, §2.5).
const (
	// MaxPeersPerReply is the most addresses a respond_peers or
	// respond_peers_introducer may carry; a longer one is ignored whole.
	MaxPeersPerReply = 1000
	// MaxPeersPerSource is the most addresses taken from one source host
	// in respond_peers between two daily resets; later replies from it
	// are ignored.
	MaxPeersPerSource = 3000
	// DailyInterval is the period of the daily tasks: resetting the
	// per-source counts, forgetting which neighbour knows which address,
	// and self-advertising.
	DailyInterval = 24 * time.Hour
	// MinBootstrapBackoff and MaxBootstrapBackoff bound the wait between
	// two bootstrap rounds that found nothing: 1, 2, 4, … 512 s, then
	// 512 s again.
	MinBootstrapBackoff = time.Second
	MaxBootstrapBackoff = 512 * time.Second
)

// Internal periods and thresholds.
const (
	// maxHostLength is the reference's MAX_IP_ADDRESS_STRING_LENGTH.
	maxHostLength = 45
	// minTimestamp and futureSlack: an advertised timestamp below the
	// first or beyond now plus the second is replaced by now − badAge.
	minTimestamp = 100_000_000
	futureSlack  = 10 * time.Minute
	badAge       = 5 * 24 * time.Hour
	// relayFreshness: a lone advertised address this recent is relayed.
	relayFreshness = 10 * time.Minute
	// collisionSpacing is the least time between two tried-collision
	// test connections.
	collisionSpacing = 60 * time.Second
	// stampInterval: live outbound full nodes get their address
	// timestamp refreshed this often (addrman.Manager.Connect).
	stampInterval = 10 * time.Minute
	// cleanupInterval, cleanupMaxAge, cleanupMaxFailures and
	// cleanupMinPeers drive addrman.Manager.Cleanup as the reference
	// does: every 30 min, with at least 3 full-node connections.
	cleanupInterval    = 30 * time.Minute
	cleanupMaxAge      = 14 * 24 * time.Hour
	cleanupMaxFailures = 10
	cleanupMinPeers    = 3
	// sendTimeout bounds a single unsolicited send (request_peers,
	// relayed and self-advertised respond_peers).
	sendTimeout = 10 * time.Second
	// relayQueueSize bounds the relay queue; addresses beyond it are
	// dropped.
	relayQueueSize = 1024
	// Connect-loop pacing (the reference's constants): the pause after a
	// round is max(roundBase, groups×roundPerGroup), plus roundIdle when
	// no connection was wanted, at most Config.ConnectInterval.
	roundBase     = 250 * time.Millisecond
	roundPerGroup = 500 * time.Millisecond
	roundIdle     = 15 * time.Second
)

// networkPorts are the default full-node ports of the reference's
// networks (NETWORK_ID_DEFAULT_PORTS plus testnet11's; 58445 is
// testnet8's): an address on one of them that is not our network's
// default port belongs to another network and is dropped.
var networkPorts = [...]uint16{config.MainnetPort, config.Testnet11Port, 58445}

// Clock is the time source of a Discovery: the connect-loop pauses,
// feelers, bootstrap backoff, the retry rule and the daily tasks. After
// must return a channel that receives once d has passed; it need not be
// stopped. The zero Config uses real time; a test may pass a simulated
// clock, or run under testing/synctest with real time. The address
// manager has its own clock (addrman.Config.Now), which should agree.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures a Discovery. Server and AddrMan are required; every
// other zero field has a documented default. New copies the Config.
type Config struct {
	// Server is the node's connection set: Discovery dials through it,
	// reads its connections and subscribes to its events. It must be
	// started before Run.
	Server *server.Server
	// AddrMan holds the known addresses; load it from the peers file
	// (addrman.Load) before New: whatever it holds is the first
	// bootstrap source. Its AllowPrivate should match AllowPrivate.
	AddrMan *addrman.Manager

	// NodeType is our role: protocol.NodeFullNode or protocol.NodeWallet.
	// Zero means Server.NodeType(). A full node also answers
	// request_peers, relays addresses and self-advertises; a wallet only
	// collects addresses.
	NodeType protocol.NodeType
	// TargetOutbound is how many outbound full-node connections to keep.
	// Zero means DefaultTargetOutboundFullNode (8) for a full node and
	// DefaultTargetOutboundWallet (3) for a wallet.
	TargetOutbound int
	// MaxPendingDials caps the dials under way at once. Zero means
	// DefaultMaxPendingDials (70).
	MaxPendingDials int
	// DialGrace is how long an outbound dial under way holds its slot of
	// the target, in real time. A dial still under way then lets another
	// address be tried in its place; if it completes after all, its
	// connection is kept only if a slot is free, and closed after the
	// handshake otherwise. Zero means DefaultDialGrace (5 s); negative
	// means until the dial ends (where no address drops packets, as on a
	// loopback devnet, and a slow handshake only means a busy machine).
	DialGrace time.Duration
	// RetryInterval is how long an address is not dialled again after an
	// attempt. Zero means DefaultRetryInterval (30 min).
	RetryInterval time.Duration
	// FeelerMean is the mean delay between feeler connections, made only
	// while the outbound target is met. Zero means DefaultFeelerMean
	// (240 s); negative turns feelers off.
	FeelerMean time.Duration
	// ConnectInterval caps the pause between two connect-loop rounds.
	// Zero means DefaultConnectIntervalFullNode (30 s) or, for a wallet,
	// DefaultConnectIntervalWallet (60 s).
	ConnectInterval time.Duration

	// DNS configures the DNS-introducer bootstrap step. No Servers means
	// the step is skipped. A zero DNS.Port means DefaultPort; a nil
	// DNS.Logger means Logger; a nil DNS.Rand is seeded from Rand;
	// AllowPrivate also allows private DNS answers.
	DNS DNSConfig
	// Introducer is the introducer's "host:port" (a host name is
	// resolved with DNS.Resolver, IPv4 first). Empty means none.
	Introducer string
	// IntroducerTimeout bounds one introducer query (dial, handshake and
	// reply). Zero means DefaultIntroducerTimeout (20 s).
	IntroducerTimeout time.Duration
	// StaticPeers are "host:port" addresses of full nodes, the last
	// bootstrap step: added to AddrMan and dialled directly when the
	// earlier steps found nothing. Nil means none.
	StaticPeers []string
	// KeptPeers is how many static peers the owner keeps connected
	// itself, outside discovery (package node does so for its static
	// peers): the static bootstrap step, which has no StaticPeers of its
	// own then, says so instead of "no static peers". Zero means none.
	KeptPeers int
	// PublicAddr is our reachable address, advertised to every full-node
	// peer each DailyInterval and to each new outbound full node (full
	// nodes only). The zero AddrPort means no self-advertising.
	PublicAddr netip.AddrPort
	// AllowPrivate admits private, loopback, link-local and reserved
	// addresses from gossip, DNS and the introducer, and gossips them
	// (the reference's enable_private_networks; tests and devnets).
	// Unspecified, multicast and broadcast addresses are refused anyway.
	AllowPrivate bool
	// DefaultPort is our network's default full-node port, combined with
	// DNS answers and used to drop other networks' default ports from
	// gossip. Zero means DNS.Port, or config.MainnetPort if that is zero too.
	DefaultPort uint16
	// PeersFile is the path Run saves AddrMan to, periodically and when
	// it returns (addrman.Manager.Run). Empty means no saving.
	PeersFile string
	// Logger receives the bootstrap rounds and steps at info (success,
	// and failures while the node has full-node connections), warn
	// (failures while it has none) and debug (skipped steps), and the
	// rest at debug. Nil discards.
	Logger *slog.Logger

	// For tests.

	// Clock is the time source. Nil means real time.
	Clock Clock
	// Rand drives every random choice of Discovery (feeler schedule,
	// relay key, the DNS shuffle when DNS.Rand is nil). It is used by one
	// goroutine at a time and must not be shared. Nil means a ChaCha8
	// generator seeded from crypto/rand.
	Rand *rand.Rand
}

// withDefaults returns a copy of c with the zero fields filled in. c.Server
// may be nil (tests with a fake network); nodeType is its node type then.
func (c Config) withDefaults(nodeType protocol.NodeType) Config {
	if c.NodeType == 0 {
		c.NodeType = nodeType
	}
	wallet := c.NodeType == protocol.NodeWallet
	if c.TargetOutbound == 0 {
		c.TargetOutbound = DefaultTargetOutboundFullNode
		if wallet {
			c.TargetOutbound = DefaultTargetOutboundWallet
		}
	}
	if c.MaxPendingDials <= 0 {
		c.MaxPendingDials = DefaultMaxPendingDials
	}
	if c.DialGrace == 0 {
		c.DialGrace = DefaultDialGrace
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = DefaultRetryInterval
	}
	if c.FeelerMean == 0 {
		c.FeelerMean = DefaultFeelerMean
	}
	if c.ConnectInterval <= 0 {
		c.ConnectInterval = DefaultConnectIntervalFullNode
		if wallet {
			c.ConnectInterval = DefaultConnectIntervalWallet
		}
	}
	if c.IntroducerTimeout <= 0 {
		c.IntroducerTimeout = DefaultIntroducerTimeout
	}
	if c.DefaultPort == 0 {
		c.DefaultPort = c.DNS.Port
		if c.DefaultPort == 0 {
			c.DefaultPort = config.MainnetPort
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Rand == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:]) // never fails (crypto/rand, Go 1.24+)
		c.Rand = rand.New(rand.NewChaCha8(seed))
	}
	c.StaticPeers = append([]string(nil), c.StaticPeers...)
	c.DNS.Servers = append([]string(nil), c.DNS.Servers...)
	if c.DNS.Port == 0 {
		c.DNS.Port = c.DefaultPort
	}
	c.DNS.AllowPrivate = c.DNS.AllowPrivate || c.AllowPrivate
	if c.DNS.Logger == nil {
		c.DNS.Logger = c.Logger
	}
	if c.DNS.Rand == nil {
		var seed [32]byte
		for i := 0; i < len(seed); i += 8 {
			binary.BigEndian.PutUint64(seed[i:], c.Rand.Uint64())
		}
		c.DNS.Rand = rand.New(rand.NewChaCha8(seed))
	}
	return c
}
