package introducer

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/server"
)

// Defaults of the zero Config fields: the reference's introducer section
// of initial-config.yaml and its vetting constants (discovery spec §3),
// and chianet's own bounds.
const (
	// DefaultPort is the reference's introducer port (config default;
	// the public mainnet introducer runs on 8444).
	DefaultPort = 8445
	// DefaultMaxPeersToSend is the reference's max_peers_to_send.
	DefaultMaxPeersToSend = 20
	// DefaultRecentPeerThreshold is the reference's
	// recent_peer_threshold: only peers seen this recently are handed
	// out.
	DefaultRecentPeerThreshold = 6000 * time.Second
	// DefaultRevetInterval is the least time between two vetting
	// connections to one peer (the reference's 500 s between attempts).
	DefaultRevetInterval = 500 * time.Second
	// DefaultMaxFailures is how many vetting failures in a row forget a
	// peer (the reference drops a peer below −6, at the 7th).
	DefaultMaxFailures = 7
	// DefaultMaxPeers caps the recorded peers; the reference has no cap.
	DefaultMaxPeers = 10_000
	// DefaultMaxConcurrentVets caps the vetting connections under way.
	DefaultMaxConcurrentVets = 16
	// DefaultVetTimeout bounds one vetting connection: TCP, TLS,
	// WebSocket and the Chia handshake (the reference allows its plain
	// TCP connection 3 s).
	DefaultVetTimeout = 10 * time.Second
	// DefaultShutdownTimeout bounds closing the connections on shutdown.
	DefaultShutdownTimeout = 15 * time.Second
)

// sweepInterval is the longest the vetting loop sleeps: it also forgets
// peers that left the recent window.
const sweepInterval = time.Minute

// Clock is the time source of an Introducer: the times it records, the
// recent window, the vetting schedule. After must return a channel that
// receives once d has passed; it need not be stopped. Nil in Config means
// real time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures an Introducer. Only Root is required: every other
// zero field has a documented default. New copies the Config.
type Config struct {
	// Network is the network name sent in and required of handshakes.
	// Empty means "mainnet". mainnet and testnet11 are built in (package
	// config); any other name is a network of the operator's own and needs
	// Private: New refuses an unknown name otherwise, so that a misspelt
	// name is an error rather than an introducer nobody can use.
	Network string
	// Private runs Network as a private network ("devnet"): private and
	// loopback addresses are recorded and handed out (as AllowPrivate
	// does). A built-in network cannot be private.
	Private bool
	// Root is the CHIA_ROOT directory: the introducer's public
	// certificate is Root/config/ssl/introducer/public_introducer.{crt,key}
	// in the reference's layout, created if missing. Required.
	Root string
	// CertFiles places the certificates and CAs config.yaml names
	// elsewhere than the default layout (introducer.ssl, chia_ssl_ca);
	// see chiatls.Tree.Files. Those must exist. Nil means the default
	// layout.
	CertFiles *chiatls.Files
	// ListenAddr is the "host:port" to accept peers on. An empty host
	// listens on every interface, IPv4 and IPv6; port 0 takes any free
	// port (see Introducer.Addr). Empty means every interface on
	// DefaultPort (8445).
	ListenAddr string
	// DialFrom is the local address vetting connections leave from. The
	// zero value means the host of ListenAddr when it is a single IP
	// address (server.ListenIP); 0.0.0.0 or :: let the kernel choose.
	// Targets it cannot reach get the kernel's choice
	// (server.DialerFrom).
	DialFrom netip.Addr
	// AllowPrivate records and hands out private, loopback and link-local
	// addresses (addrman.IsPrivate). It is always on for a private
	// network, whose nodes admit such addresses.
	AllowPrivate bool

	// MaxPeersToSend is the most peers one answer carries. Zero means
	// DefaultMaxPeersToSend (20).
	MaxPeersToSend int
	// RecentPeerThreshold is how recently a peer must have connected to be
	// handed out; a peer not seen for longer is forgotten. Zero means
	// DefaultRecentPeerThreshold (6,000 s).
	RecentPeerThreshold time.Duration
	// RevetInterval is the least time between two vetting connections to
	// one peer. Zero means DefaultRevetInterval (500 s).
	RevetInterval time.Duration
	// MaxFailures is how many vetting failures in a row forget a peer.
	// Zero means DefaultMaxFailures (7).
	MaxFailures int
	// MaxPeers caps the recorded peers; a newcomer then takes the place
	// of the peer seen longest ago. Zero means DefaultMaxPeers (10,000).
	MaxPeers int
	// MaxConcurrentVets caps the vetting connections under way. Zero
	// means DefaultMaxConcurrentVets (16).
	MaxConcurrentVets int
	// VetTimeout bounds one vetting connection, handshake included. Zero
	// means DefaultVetTimeout (10 s).
	VetTimeout time.Duration
	// ShutdownTimeout bounds the graceful part of the shutdown: closing
	// every connection with a close handshake. Zero means
	// DefaultShutdownTimeout (15 s).
	ShutdownTimeout time.Duration
	// Logger receives the introducer's records: peers recorded, vetted,
	// failing and forgotten at info, answers and routine vetting at
	// debug; package server logs through a child with component=server.
	// Nil discards.
	Logger *slog.Logger

	// For tests.

	// Clock is the time source. Nil means real time.
	Clock Clock
	// Rand chooses the peers of each answer. It is used under the
	// introducer's lock and must not be shared. Nil means a ChaCha8
	// generator seeded from crypto/rand.
	Rand *rand.Rand

	// vet, if set, replaces the vetting connection.
	vet func(ctx context.Context, ap netip.AddrPort) error
	// onVet, if set, is called after every vetting result is recorded.
	onVet func(ap netip.AddrPort, err error)
}

// withDefaults returns a copy of c with the zero fields filled in.
func (c Config) withDefaults() Config {
	if c.Network == "" {
		c.Network = config.Mainnet
	}
	if c.ListenAddr == "" {
		c.ListenAddr = ":" + strconv.Itoa(DefaultPort)
	}
	if !c.DialFrom.IsValid() {
		c.DialFrom = server.ListenIP(c.ListenAddr)
	}
	c.DialFrom = c.DialFrom.Unmap()
	if c.Private {
		c.AllowPrivate = true
	}
	if c.MaxPeersToSend <= 0 {
		c.MaxPeersToSend = DefaultMaxPeersToSend
	}
	if c.RecentPeerThreshold <= 0 {
		c.RecentPeerThreshold = DefaultRecentPeerThreshold
	}
	if c.RevetInterval <= 0 {
		c.RevetInterval = DefaultRevetInterval
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = DefaultMaxPeers
	}
	if c.MaxConcurrentVets <= 0 {
		c.MaxConcurrentVets = DefaultMaxConcurrentVets
	}
	if c.VetTimeout <= 0 {
		c.VetTimeout = DefaultVetTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
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
	return c
}

// validate reports a Config that cannot work; c has its defaults.
func (c *Config) validate() error {
	if c.Root == "" {
		return errors.New("introducer: Config.Root is required")
	}
	if _, builtin := config.BuiltinNetwork(c.Network); builtin && c.Private {
		return fmt.Errorf("introducer: %s is a public network and cannot be run as a private one", c.Network)
	} else if !builtin && !c.Private {
		return fmt.Errorf("introducer: unknown network %q: the built-in networks are %s; set Config.Private to run a network of your own",
			c.Network, strings.Join(config.KnownNetworks(), " and "))
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return fmt.Errorf("introducer: Config.ListenAddr: %w", err)
	}
	return nil
}

// tableConfig returns the table's rules.
func (c *Config) tableConfig() tableConfig {
	return tableConfig{
		maxPeersToSend: c.MaxPeersToSend,
		recent:         c.RecentPeerThreshold,
		revet:          c.RevetInterval,
		maxFailures:    c.MaxFailures,
		maxPeers:       c.MaxPeers,
	}
}
