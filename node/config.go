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

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/discovery"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/server"
)

// Names of the built-in networks (package config holds their facts).
const (
	Mainnet   = config.Mainnet
	Testnet11 = config.Testnet11
)

// DefaultShutdownTimeout is the default of Config.ShutdownTimeout.
const DefaultShutdownTimeout = 15 * time.Second

// Config configures a Node. Only Root is required: every other zero field
// has a documented default, most of them from the network. New copies the
// Config; later changes to it are not seen.
type Config struct {
	// Network is the network name sent in and required of handshakes.
	// Empty means Mainnet. Mainnet and Testnet11 are built in (package
	// config holds their facts): they come with their default port, DNS
	// introducers and introducer. Any other name is a network of the
	// operator's own and needs Private: New refuses an unknown name
	// otherwise, so that a misspelt name ("mainet") is an error rather
	// than an isolated network.
	Network string
	// Private runs Network as a private network ("devnet"): no default
	// port unless DefaultPort gives one, no DNS introducers or introducer
	// unless given here, so the node talks only to the peers it is given,
	// and private addresses are admitted (as AllowPrivate does). A
	// built-in network cannot be private.
	Private bool
	// DefaultPort is the network's default full-node port (the
	// reference's default_full_node_port): listened on when ListenAddr
	// is empty, combined with DNS introducer answers, and used to drop
	// other networks' addresses from gossip. Zero means the built-in
	// network's (8444, 58444); for a private network, the port of
	// ListenAddr.
	DefaultPort uint16
	// Root is the CHIA_ROOT directory: the certificates are
	// Root/config/ssl in the reference's layout (package chiatls), and
	// the full node's are created there if missing. Required.
	Root string
	// CertFiles places the certificates and CAs config.yaml names
	// elsewhere than the default layout (full_node.ssl, daemon_ssl,
	// private_ssl_ca, chia_ssl_ca); see chiatls.Tree.Files. Those must
	// exist. Nil means the default layout.
	CertFiles *chiatls.Files
	// ListenAddr is the "host:port" to accept peers on. An empty host
	// listens on every interface, IPv4 and IPv6; port 0 takes any free
	// port (see Node.Addr). Empty means every interface on DefaultPort
	// (any free port for a private network without one).
	ListenAddr string
	// DialFrom is the local address outbound connections leave from, so
	// that peers see us at the address we listen on (server.Config.
	// DialFrom). The zero value means the host of ListenAddr when it is a
	// single IP address; 0.0.0.0 or :: (and a ListenAddr on every
	// interface or on a host name) let the kernel choose. Targets it
	// cannot reach (the other IP family; anything but loopback from a
	// loopback address) get the kernel's choice (server.DialerFrom).
	DialFrom netip.Addr
	// PeersFile is the path of the peers file, the address manager's
	// tables in chianet's own format (package addrman). A relative path
	// is taken relative to Root, as config.yaml's paths are. Empty means
	// db/chianet-peers.dat for mainnet and db/chianet-peers-<network>.dat
	// for any other network: names of chianet's own, so that a reference
	// node's db/peers.dat in the same root is never written.
	PeersFile string
	// ImportPeersFile is a peers file to take the addresses from when
	// PeersFile does not exist yet: typically the reference node's
	// (config.yaml's full_node.peers_file_path, db/peers.dat) on the
	// same network. It is only read, never written, and only a file that
	// parses whole (the reference's binary format or chianet's) is
	// imported. A relative path is taken relative to Root. Empty means
	// none.
	ImportPeersFile string

	// Introducer is the "host:port" of the introducer asked for peers
	// when the address manager has none to offer. Empty means the
	// network's (introducer.chia.net:8444 on mainnet); a private network
	// has none.
	Introducer string
	// DNSIntroducers are the DNS seeders asked for peers when the address
	// manager has none to offer. Nil means the network's (package
	// config's built-in list); a private network has none.
	DNSIntroducers []string
	// Resolver resolves the DNS introducers' names and the introducer's
	// host name (discovery.DNSConfig.Resolver). Nil means
	// net.DefaultResolver, the system's DNS configuration; a devnet points
	// a net.Resolver at its own seeder (package devnet).
	Resolver discovery.Resolver
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
	// (40); negative accepts no inbound full node.
	TargetPeerCount int
	// MaxInboundWallet and MaxInboundFarmer are how many inbound wallets
	// and farmers are accepted. Zero means the server's defaults (20 and
	// 10); negative means none.
	MaxInboundWallet int
	MaxInboundFarmer int
	// ExemptNetworks are the reference's exempt_peer_networks: peers
	// from these networks are never banned, have no rate limits and
	// bypass the inbound limits (the handshake timeout applies to them).
	// Nil means none.
	ExemptNetworks []netip.Prefix
	// TrustedNodeIDs are the reference's trusted_peers: peers with these
	// node ids are never banned (server.Config.TrustedNodeIDs). Nil means
	// none.
	TrustedNodeIDs []protocol.Bytes32
	// TrustedNetworks are the reference's trusted_cidrs: peers from these
	// networks are never banned (server.Config.TrustedNetworks). Nil
	// means none.
	TrustedNetworks []netip.Prefix
	// NoEviction keeps the reference's refusal of every newcomer when
	// the inbound full-node slots are taken, instead of evicting a peer
	// of the most-represented address group (server.Config.NoEviction).
	NoEviction bool
	// MaxPendingInbound and MaxPendingPerIP bound the accepted
	// connections still setting up (TLS, WebSocket upgrade, handshake),
	// in all and per IP. Zero means the server's defaults (64 and 4);
	// negative means no bound.
	MaxPendingInbound int
	MaxPendingPerIP   int
	// AllowPrivate admits private, loopback and link-local addresses into
	// the address manager and from DNS introducers (the reference's
	// enable_private_networks). It is always on for a private network.
	AllowPrivate bool
	// PeerConnectTimeout bounds the TCP, TLS and WebSocket setup of an
	// outbound connection and the handshake of an inbound one, as the
	// reference's peer_connect_timeout does. Zero means 30 s for both
	// (peer.DefaultConnectTimeout, peer.DefaultInboundHandshakeTimeout).
	PeerConnectTimeout time.Duration
	// InboundRateLimitPercent and OutboundRateLimitPercent scale the rate
	// limits of what peers send and of what the node sends, as the
	// reference's inbound_rate_limit_percent and
	// outbound_rate_limit_percent do. Zero means the reference's 100 and
	// 30 (peer.Config's fields of the same names).
	InboundRateLimitPercent  int
	OutboundRateLimitPercent int
	// RetryInterval is how long discovery leaves an address alone after
	// trying it (discovery.Config.RetryInterval). Zero means the
	// reference's 30 minutes, right for a network of thousands; a devnet
	// of a dozen nodes, where a node that lost a few tries has nobody
	// left to dial, wants seconds.
	RetryInterval time.Duration
	// DialGrace is how long an outbound dial under way holds its slot of
	// the outbound target (discovery.Config.DialGrace). Zero means 5 s;
	// negative means until the dial ends, for networks where no address
	// drops packets (loopback) and a slow handshake only means a busy
	// machine.
	DialGrace time.Duration
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

	// RPCAddr is the "host:port" of the full node's HTTPS JSON RPC (package
	// rpc), the reference's self_hostname and full_node.rpc_port, e.g.
	// "localhost:8555"; localhost means 127.0.0.1 and ::1 (see
	// rpc.Config.ListenAddr). Port 0 takes any free port (see
	// Node.RPCAddr). Empty means no RPC. The server presents the daemon's private
	// certificate and accepts clients with a certificate of the private
	// CA; both are created under Root if missing.
	RPCAddr string
	// DaemonAddr is the "host:port" of the daemon's WebSocket (package
	// rpc), the reference's self_hostname and daemon_port, e.g.
	// "localhost:55400", with the full node's routes as chia_full_node
	// and its notifications; localhost means 127.0.0.1 and ::1. Port 0
	// takes any free port (see Node.DaemonAddr). Empty means no daemon. Its exit command stops the
	// node, as stop_node does.
	DaemonAddr string
	// DaemonMaxMessageBytes bounds a message to the daemon and
	// DaemonHeartbeat how long a daemon connection may stay silent, as
	// the reference's daemon_max_message_size and daemon_heartbeat do.
	// Zero means rpc.DefaultMaxMessageBytes and
	// rpc.DefaultDaemonReadTimeout (the reference's defaults).
	DaemonMaxMessageBytes int64
	DaemonHeartbeat       time.Duration
	// DaemonAllowTLS12 lets TLS 1.2 clients reach the daemon (still with a
	// certificate of the private CA), as the reference's
	// daemon_allow_tls_1_2 does; see rpc.DaemonConfig.AllowTLS12. False
	// means TLS 1.3 only, the reference's default. The HTTPS RPC stays
	// TLS 1.3 only either way, as the reference's does.
	DaemonAllowTLS12 bool
	// NetworkInfo is what get_network_info answers, and
	// get_aggsig_additional_data (AggSigMeAdditionalData). Empty fields
	// are filled from the built-in network of the same name (its address
	// prefix, genesis challenge and AGG_SIG_ME_ADDITIONAL_DATA) and
	// Network; an AggSigMeAdditionalData still empty takes the reference's
	// default, config.DefaultAggSigMeAdditionalData.
	NetworkInfo rpc.NetworkInfo
	// LogLevel is the level of Logger's handler, which the RPC's
	// set_log_level and reset_log_level change. Nil means the routes
	// keep a level of their own that changes nothing.
	LogLevel *slog.LevelVar
	// ResetLogLevel is the level reset_log_level restores, as a Python
	// level name (config.yaml's logging.log_level). Empty means
	// "WARNING", the reference's default.
	ResetLogLevel string

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
	nw, builtin := config.BuiltinNetwork(c.Network)
	if c.DefaultPort == 0 && builtin && !c.Private {
		c.DefaultPort = nw.DefaultPort
	}
	if c.ListenAddr == "" {
		c.ListenAddr = ":" + strconv.Itoa(int(c.DefaultPort))
	}
	if !c.DialFrom.IsValid() {
		c.DialFrom = server.ListenIP(c.ListenAddr)
	}
	c.DialFrom = c.DialFrom.Unmap()
	if c.PeersFile == "" {
		c.PeersFile = filepath.Join("db", DefaultPeersFileName(c.Network))
	}
	if c.Root != "" && !filepath.IsAbs(c.PeersFile) {
		c.PeersFile = filepath.Join(c.Root, c.PeersFile)
	}
	if c.Root != "" && c.ImportPeersFile != "" && !filepath.IsAbs(c.ImportPeersFile) {
		c.ImportPeersFile = filepath.Join(c.Root, c.ImportPeersFile)
	}
	if builtin && !c.Private && !c.NoDefaultBootstrap {
		if c.Introducer == "" {
			c.Introducer = nw.Introducer
		}
		if c.DNSIntroducers == nil {
			c.DNSIntroducers = nw.DNSServers
		}
	}
	c.DNSIntroducers = slices.Clone(c.DNSIntroducers)
	c.StaticPeers = slices.Clone(c.StaticPeers)
	c.ExemptNetworks = slices.Clone(c.ExemptNetworks)
	c.TrustedNodeIDs = slices.Clone(c.TrustedNodeIDs)
	c.TrustedNetworks = slices.Clone(c.TrustedNetworks)
	if c.Private {
		c.AllowPrivate = true
	}
	if c.NetworkInfo.NetworkName == "" {
		c.NetworkInfo.NetworkName = c.Network
	}
	if nw, ok := config.BuiltinNetwork(c.NetworkInfo.NetworkName); ok {
		if c.NetworkInfo.NetworkPrefix == "" {
			c.NetworkInfo.NetworkPrefix = nw.AddressPrefix
		}
		if c.NetworkInfo.GenesisChallenge == "" {
			c.NetworkInfo.GenesisChallenge = nw.GenesisChallenge
		}
	}
	if c.NetworkInfo.AggSigMeAdditionalData == "" {
		// The built-in network's, else the reference's default constant.
		c.NetworkInfo.AggSigMeAdditionalData = config.DefaultAggSigMeAdditionalData
		if nw, ok := config.BuiltinNetwork(c.NetworkInfo.NetworkName); ok {
			c.NetworkInfo.AggSigMeAdditionalData = nw.AggSigMeAdditionalData
		}
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

// DefaultPeersFileName is the name of the peers file in Root/db when
// Config.PeersFile is empty: chianet-peers.dat for mainnet and
// chianet-peers-<network>.dat for any other network.
func DefaultPeersFileName(network string) string {
	if network == "" || network == Mainnet {
		return "chianet-peers.dat"
	}
	return "chianet-peers-" + network + ".dat"
}

// defaultPort is the network's default full-node port, which discovery
// gives to DNS answers and uses to drop other networks' addresses from
// gossip. A private network without one takes the port we listen on, or
// leaves discovery's default when that is not fixed.
func (c *Config) defaultPort() uint16 {
	if c.DefaultPort != 0 {
		return c.DefaultPort
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
	if _, builtin := config.BuiltinNetwork(c.Network); builtin && c.Private {
		return fmt.Errorf("node: %s is a public network and cannot be run as a private one", c.Network)
	} else if !builtin && !c.Private {
		return fmt.Errorf("node: unknown network %q: the built-in networks are %s; set Config.Private to run a network of your own",
			c.Network, strings.Join(config.KnownNetworks(), " and "))
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return fmt.Errorf("node: Config.ListenAddr: %w", err)
	}
	for _, a := range []struct{ name, addr string }{{"RPCAddr", c.RPCAddr}, {"DaemonAddr", c.DaemonAddr}} {
		if a.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return fmt.Errorf("node: Config.%s: %w", a.name, err)
		}
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
