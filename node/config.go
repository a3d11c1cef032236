package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/chianet/chianet/discovery"
	"github.com/chianet/chianet/server"
)

// Names of the networks whose bootstrap defaults the node knows.
const (
	Mainnet   = "mainnet"
	Testnet11 = "testnet11"
)

// DefaultShutdownTimeout is the default of Config.ShutdownTimeout.
const DefaultShutdownTimeout = 15 * time.Second

// network holds the defaults of a known network: the reference's
// initial-config.yaml for mainnet and `chia configure --testnet true` for
// testnet11 (discovery spec §2.1, transport spec §7).
type network struct {
	port       uint16
	dns        func() []string
	introducer string
}

var networks = map[string]network{
	Mainnet: {
		port:       discovery.MainnetPort,
		dns:        discovery.MainnetDNSIntroducers,
		introducer: "introducer.chia.net:8444",
	},
	Testnet11: {
		port:       discovery.TestnetPort,
		dns:        func() []string { return []string{"dns-introducer-testnet11.chia.net"} },
		introducer: "introducer-testnet11.chia.net:58444",
	},
}

// DefaultPort returns the default full-node port of a known network:
// 8444 for mainnet, 58444 for testnet11, and 0 for any other name (a
// private network has no default, and 0 listens on any free port).
func DefaultPort(networkName string) uint16 {
	return networks[networkName].port
}

// Config configures a Node. Only Root is required: every other zero field
// has a documented default, most of them from the network. New copies the
// Config; later changes to it are not seen.
type Config struct {
	// Network is the network name sent in and required of handshakes.
	// Empty means Mainnet. Mainnet and Testnet11 come with their default
	// port, DNS introducers and introducer; any other name (a private
	// network such as "devnet") has none of these, so the node talks only
	// to the peers it is given, and it admits private addresses (as
	// AllowPrivate does).
	Network string
	// Root is the CHIA_ROOT directory: the certificates are
	// Root/config/ssl in the reference's layout (package chiatls), and
	// the full node's are created there if missing. Required.
	Root string
	// ListenAddr is the "host:port" to accept peers on. An empty host
	// listens on every interface, IPv4 and IPv6; port 0 takes any free
	// port (see Node.Addr). Empty means every interface on the network's
	// DefaultPort (any free port for a private network). When the host is
	// an IP address, outbound connections leave from it too, so that
	// peers record our inbound connections at the address we listen on
	// (several nodes on one host, each on its own address, e.g.
	// 127.N.0.1).
	ListenAddr string
	// PeersFile is the path of the peers file, the address manager's
	// tables in chianet's own format (package addrman; a reference
	// peers.dat is imported on first load). A relative path is taken
	// relative to Root, as config.yaml's paths are. Empty means
	// db/peers.dat for mainnet and db/peers-<network>.dat for any other
	// network (as `chia configure --testnet` names testnet11's).
	PeersFile string

	// Introducer is the "host:port" of the introducer asked for peers
	// when the address manager has none to offer. Empty means the
	// network's (introducer.chia.net:8444 on mainnet); a private network
	// has none.
	Introducer string
	// DNSIntroducers are the DNS seeders asked for peers when the address
	// manager has none to offer. Nil means the network's (see
	// discovery.MainnetDNSIntroducers); a private network has none.
	DNSIntroducers []string
	// NoDefaultBootstrap leaves out the network's default introducer and
	// DNS introducers, so that only Introducer, DNSIntroducers and
	// StaticPeers as given here are used.
	NoDefaultBootstrap bool
	// StaticPeers are "host:port" addresses of full nodes to stay
	// connected to whatever discovery does (the reference's
	// full_node_peers): they are dialled at start and redialled when
	// they drop. Nil means none.
	StaticPeers []string

	// TargetOutbound is how many outbound full-node connections discovery
	// keeps (the reference's target_outbound_peer_count). Zero means
	// server.DefaultTargetOutboundPeerCount (8); negative means none
	// (static peers are still dialled).
	TargetOutbound int
	// TargetPeerCount is the reference's target_peer_count: inbound full
	// nodes are accepted while there are fewer than TargetPeerCount −
	// TargetOutbound of them. Zero means server.DefaultTargetPeerCount
	// (40).
	TargetPeerCount int
	// MaxInboundWallet and MaxInboundFarmer are how many inbound wallets
	// and farmers are accepted. Zero means the server's defaults (20 and
	// 10); negative means none.
	MaxInboundWallet int
	MaxInboundFarmer int
	// ExemptNetworks are the reference's exempt_peer_networks: peers
	// from these networks are never banned, have no rate limits and
	// bypass the inbound limits. Nil means none.
	ExemptNetworks []netip.Prefix
	// AllowPrivate admits private, loopback and link-local addresses into
	// the address manager and from DNS introducers (the reference's
	// enable_private_networks). It is always on for a private network.
	AllowPrivate bool
	// PublicAddr is our own address as others reach it: discovery
	// advertises it to full-node peers (daily, and to each new outbound
	// one) and never dials it. The zero value means unknown: nothing is
	// advertised.
	PublicAddr netip.AddrPort

	// MetricsAddr is the "host:port" to serve Prometheus metrics on at
	// /metrics (package metrics), e.g. "127.0.0.1:9914". Empty means no
	// metrics. Anyone who can reach it sees the node's peers: keep it on
	// loopback unless a firewall guards it.
	MetricsAddr string

	// ShutdownTimeout bounds the graceful part of the shutdown: closing
	// every connection with a close handshake. Zero means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Logger receives the node's log records; each package below it logs
	// through a child with a "component" attribute. Nil discards.
	Logger *slog.Logger

	// For tests.

	// onPeak, if set, is called after every recorded peak.
	onPeak func(PeerPeak)
	// staticRetry replaces StaticRetryInterval when positive.
	staticRetry time.Duration
}

// withDefaults returns a copy of c with the zero fields filled in and the
// network's defaults applied.
func (c Config) withDefaults() Config {
	if c.Network == "" {
		c.Network = Mainnet
	}
	nw, known := networks[c.Network]
	if c.ListenAddr == "" {
		c.ListenAddr = ":" + strconv.Itoa(int(nw.port))
	}
	if c.PeersFile == "" {
		c.PeersFile = filepath.Join("db", "peers.dat")
		if c.Network != Mainnet {
			c.PeersFile = filepath.Join("db", "peers-"+c.Network+".dat")
		}
	}
	if c.Root != "" && !filepath.IsAbs(c.PeersFile) {
		c.PeersFile = filepath.Join(c.Root, c.PeersFile)
	}
	if known && !c.NoDefaultBootstrap {
		if c.Introducer == "" {
			c.Introducer = nw.introducer
		}
		if c.DNSIntroducers == nil {
			c.DNSIntroducers = nw.dns()
		}
	}
	c.DNSIntroducers = slices.Clone(c.DNSIntroducers)
	c.StaticPeers = slices.Clone(c.StaticPeers)
	c.ExemptNetworks = slices.Clone(c.ExemptNetworks)
	if !known {
		c.AllowPrivate = true
	}
	if c.TargetOutbound == 0 {
		c.TargetOutbound = server.DefaultTargetOutboundPeerCount
	} else if c.TargetOutbound < 0 {
		c.TargetOutbound = -1
	}
	if c.TargetPeerCount == 0 {
		c.TargetPeerCount = server.DefaultTargetPeerCount
	}
	if c.staticRetry <= 0 {
		c.staticRetry = StaticRetryInterval
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// defaultPort is the network's default full-node port, which discovery
// gives to DNS answers and uses to drop other networks' addresses from
// gossip. A private network has none: it takes the port we listen on, or
// leaves discovery's default when that is not fixed.
func (c *Config) defaultPort() uint16 {
	if p, ok := networks[c.Network]; ok {
		return p.port
	}
	_, port, err := net.SplitHostPort(c.ListenAddr)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}

// validate reports a Config that cannot work; c has its defaults.
func (c *Config) validate() error {
	if c.Root == "" {
		return errors.New("node: Config.Root is required")
	}
	// The network name becomes part of the default peers file's name.
	if c.Network == "." || c.Network == ".." || strings.ContainsFunc(c.Network, func(r rune) bool {
		return r == '/' || r == filepath.Separator || unicode.IsControl(r)
	}) {
		return fmt.Errorf("node: Config.Network %q is not a usable network name", c.Network)
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return fmt.Errorf("node: Config.ListenAddr: %w", err)
	}
	if c.Introducer != "" {
		if err := checkHostPort(c.Introducer); err != nil {
			return fmt.Errorf("node: Config.Introducer: %w", err)
		}
	}
	for _, p := range c.StaticPeers {
		if err := checkHostPort(p); err != nil {
			return fmt.Errorf("node: Config.StaticPeers: %w", err)
		}
	}
	return nil
}

// checkHostPort checks that s is "host:port" with a non-empty host and a
// port number.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("%q: missing host", s)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("%q: invalid port", s)
	}
	return nil
}
