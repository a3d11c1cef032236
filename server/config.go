package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// Defaults of the zero Config fields (transport spec §6.1, §1.6; the
// reference's initial-config.yaml).
const (
	// DefaultTargetPeerCount is the reference's target_peer_count.
	DefaultTargetPeerCount = 40
	// DefaultTargetOutboundPeerCount is the reference's
	// target_outbound_peer_count.
	DefaultTargetOutboundPeerCount = 8
	// DefaultMaxInboundWallet is the reference's max_inbound_wallet.
	DefaultMaxInboundWallet = 20
	// DefaultMaxInboundFarmer is the reference's max_inbound_farmer.
	DefaultMaxInboundFarmer = 10
	// DefaultBanPurgeInterval is the period of the reference's
	// garbage-collection task, which also purges expired bans.
	DefaultBanPurgeInterval = 600 * time.Second
	// DefaultMaxPendingInbound is chianet's bound on accepted connections
	// still setting up (TLS, WebSocket upgrade, handshake): twice the
	// reference's 32 inbound full-node slots.
	DefaultMaxPendingInbound = 64
	// DefaultMaxPendingPerIP is chianet's bound on connections from one
	// IP still setting up.
	DefaultMaxPendingPerIP = 4
	// DefaultAcceptLogInterval is how often the connections refused
	// while accepting are logged, as one line.
	DefaultAcceptLogInterval = 10 * time.Second
)

// Config configures a Server. Apart from NetworkID and the TLS
// credentials, every zero field has a documented default. New copies the
// Config; later changes to it are not seen.
type Config struct {
	// NetworkID is the network name sent in and required of handshakes,
	// e.g. "mainnet" or "testnet11". Required.
	NetworkID string
	// NodeType is our node type. Zero means protocol.NodeFullNode. The
	// inbound limits apply only to a full node.
	NodeType protocol.NodeType
	// ListenAddr is the "host:port" to accept peers on. An empty host
	// listens on every interface, IPv4 and IPv6 (dual-stack); port 0
	// takes a free port, reported by Server.Addr and announced in
	// handshakes. Empty means no listener: the node accepts nobody and
	// announces server_port 0, as the reference's wallet, harvester and
	// timelord do.
	ListenAddr string
	// DialFrom is the local address outbound connections leave from. The
	// zero value, 0.0.0.0 and :: let the kernel choose (on loopback that
	// is always 127.0.0.1). Set it on a multi-homed host, or to run many
	// nodes on 127.0.0.0/8 in one process so that each is seen at its own
	// address. Targets it cannot reach (the other IP family; anything but
	// loopback from a loopback address) get the kernel's choice instead
	// (see DialerFrom). PeerConfig.DialContext, when set, wins.
	DialFrom netip.Addr

	// Certs is the CHIA_ROOT certificate tree to take the TLS
	// credentials and our node id from when ServerTLS, ClientTLS or
	// NodeID are not given, as the reference picks them for Service. Nil
	// means ServerTLS (when listening) and ClientTLS are required.
	Certs *chiatls.Tree
	// Service names our certificates in Certs. Empty means
	// ServiceOf(NodeType) (full_node, wallet, farmer, …).
	Service chiatls.Service
	// ServerTLS is the listener's TLS configuration, e.g. from
	// chiatls.ServerConfig; it must require and verify a client
	// certificate. Nil means Certs.ServerConfig(Service). It is cloned.
	ServerTLS *tls.Config
	// ClientTLS is the TLS configuration of Dial, e.g. from
	// chiatls.ClientConfig. Nil means Certs.ClientConfig(Service). It is
	// cloned by every dial.
	ClientTLS *tls.Config
	// NodeID is our own node id, used to refuse connections to and from
	// ourselves. Zero means Certs.NodeID(Service) when Certs is set, else
	// the node id of the first certificate of ClientTLS (or, failing
	// that, of ServerTLS).
	NodeID protocol.Bytes32

	// TargetPeerCount is the reference's target_peer_count. A full node
	// accepts inbound full nodes while it has fewer than TargetPeerCount −
	// TargetOutboundPeerCount of them. Zero means
	// DefaultTargetPeerCount (40).
	TargetPeerCount int
	// TargetOutboundPeerCount is the reference's
	// target_outbound_peer_count (the outbound target itself is kept by
	// package discovery). Zero means DefaultTargetOutboundPeerCount (8);
	// negative means 0.
	TargetOutboundPeerCount int
	// MaxInboundWallet is how many inbound wallets a full node accepts.
	// Zero means DefaultMaxInboundWallet (20); negative means none.
	MaxInboundWallet int
	// MaxInboundFarmer is how many inbound farmers a full node accepts.
	// Zero means DefaultMaxInboundFarmer (10); negative means none.
	MaxInboundFarmer int
	// ExemptNetworks are the reference's exempt_peer_networks: peers
	// from these networks are never banned, have no rate limits, and
	// bypass the inbound limits. The handshake timeout applies to them
	// (the reference has none for them). Nil means none.
	ExemptNetworks []netip.Prefix
	// TrustedNodeIDs are the reference's trusted_peers: peers with these
	// node ids are never banned. Nil means none.
	TrustedNodeIDs []protocol.Bytes32
	// TrustedNetworks are the reference's trusted_cidrs: peers from these
	// networks are never banned. Nil means none.
	TrustedNetworks []netip.Prefix
	// NoEviction turns off inbound eviction: a full node whose inbound
	// full-node slots are taken then refuses every newcomer, as the
	// reference does. By default a newcomer from a less-represented
	// address group takes the place of a peer of the most-represented one
	// (see the package documentation).
	NoEviction bool

	// MaxPendingInbound bounds the accepted connections that have not yet
	// finished setting up (TLS handshake, WebSocket upgrade, Chia
	// handshake). At the bound, a new connection takes the place of the
	// oldest pending one of the address group with the most pending
	// connections, which is closed. Connections from ExemptNetworks are
	// not counted. Zero means DefaultMaxPendingInbound (64); negative
	// means no bound.
	MaxPendingInbound int
	// MaxPendingPerIP bounds the pending connections (see
	// MaxPendingInbound) from one IP address; a connection over it is
	// closed as soon as it is accepted. Zero means
	// DefaultMaxPendingPerIP (4); negative means no bound.
	MaxPendingPerIP int

	// InboundHandshakeTimeout bounds the handshake of accepted peers (the
	// reference's peer_connect_timeout, which it uses for that as well as
	// for dialling), in place of PeerConfig.HandshakeTimeout, which then
	// bounds dialled peers' only. Zero means PeerConfig.HandshakeTimeout;
	// negative means none.
	InboundHandshakeTimeout time.Duration

	// PeerConfig is the template of every connection's peer.Config:
	// timeouts, capabilities, software version, rate-limit percentages,
	// handlers. Its NetworkID, NodeType, ServerPort, TLS, NodeID and
	// Exempt fields are ignored (the Server sets them), its Handlers are
	// the base that Server.Handle adds to, and its OnClose, if set, is
	// called after the Server's own bookkeeping. A nil Logger means the
	// Server's Logger.
	PeerConfig peer.Config

	// BanPurgeInterval is how often expired bans are dropped from the
	// ban list. Zero means DefaultBanPurgeInterval (600 s, the
	// reference's garbage-collection period).
	BanPurgeInterval time.Duration
	// Logger receives the Server's log records. Remote misbehaviour is
	// logged at debug or warn level. Nil discards.
	Logger *slog.Logger
	// Now is the clock of the ban list. Nil means time.Now.
	Now func() time.Time
	// OnDial, if set, is called after every Dial with its address and
	// result (nil for a registered connection), for metrics.
	OnDial func(addr string, err error)

	// For tests.

	// isLocalhost reports which addresses count as the reference's
	// localhost; nil means 127.0.0.1 and ::1 only.
	isLocalhost func(netip.Addr) bool
	// acceptLogTicks, if set, replaces the DefaultAcceptLogInterval
	// ticker of the log of refused connections.
	acceptLogTicks <-chan time.Time
	// onAccept, if set, is called by the listener after it has dealt with
	// each connection it accepted (kept, closed at once, or kept in place
	// of a pending one).
	onAccept func()
}

// withDefaults returns a copy of c with the zero fields filled in.
func (c Config) withDefaults() Config {
	if c.NodeType == 0 {
		c.NodeType = protocol.NodeFullNode
	}
	if c.Service == "" {
		c.Service = ServiceOf(c.NodeType)
	}
	if c.TargetPeerCount == 0 {
		c.TargetPeerCount = DefaultTargetPeerCount
	}
	if c.TargetOutboundPeerCount == 0 {
		c.TargetOutboundPeerCount = DefaultTargetOutboundPeerCount
	} else if c.TargetOutboundPeerCount < 0 {
		c.TargetOutboundPeerCount = 0
	}
	if c.MaxInboundWallet == 0 {
		c.MaxInboundWallet = DefaultMaxInboundWallet
	}
	if c.MaxInboundFarmer == 0 {
		c.MaxInboundFarmer = DefaultMaxInboundFarmer
	}
	c.ExemptNetworks = normalizePrefixes(c.ExemptNetworks)
	c.TrustedNetworks = normalizePrefixes(c.TrustedNetworks)
	c.TrustedNodeIDs = append([]protocol.Bytes32(nil), c.TrustedNodeIDs...)
	if c.BanPurgeInterval <= 0 {
		c.BanPurgeInterval = DefaultBanPurgeInterval
	}
	if c.MaxPendingInbound == 0 {
		c.MaxPendingInbound = DefaultMaxPendingInbound
	} else if c.MaxPendingInbound < 0 {
		c.MaxPendingInbound = 0
	}
	if c.MaxPendingPerIP == 0 {
		c.MaxPendingPerIP = DefaultMaxPendingPerIP
	} else if c.MaxPendingPerIP < 0 {
		c.MaxPendingPerIP = 0
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.isLocalhost == nil {
		c.isLocalhost = isLocalhost
	}
	return c
}

// validate reports a Config that cannot work; c has its defaults.
func (c *Config) validate() error {
	switch {
	case c.NetworkID == "":
		return errors.New("server: Config.NetworkID is required")
	case !c.NodeType.Valid():
		return errors.New("server: Config.NodeType is not a valid node type")
	}
	if c.ListenAddr != "" {
		if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
			return fmt.Errorf("server: Config.ListenAddr: %w", err)
		}
	}
	return nil
}

// resolveTLS fills in ServerTLS, ClientTLS and NodeID from Certs where
// they are missing, and checks that what is needed is there.
func (c *Config) resolveTLS() error {
	listening := c.ListenAddr != ""
	if c.Certs != nil {
		if listening && c.ServerTLS == nil {
			conf, err := c.Certs.ServerConfig(c.Service)
			if err != nil {
				return fmt.Errorf("server: server TLS: %w", err)
			}
			c.ServerTLS = conf
		}
		if c.ClientTLS == nil {
			conf, err := c.Certs.ClientConfig(c.Service)
			if err != nil {
				return fmt.Errorf("server: client TLS: %w", err)
			}
			c.ClientTLS = conf
		}
		if c.NodeID == (protocol.Bytes32{}) {
			id, err := c.Certs.NodeID(c.Service)
			if err != nil {
				return fmt.Errorf("server: node id: %w", err)
			}
			c.NodeID = id
		}
	}
	if c.ClientTLS == nil {
		return errors.New("server: Config.ClientTLS or Config.Certs is required")
	}
	if listening && c.ServerTLS == nil {
		return errors.New("server: Config.ServerTLS or Config.Certs is required to listen")
	}
	c.ClientTLS = c.ClientTLS.Clone()
	if c.ServerTLS != nil {
		c.ServerTLS = c.ServerTLS.Clone()
	}
	if c.NodeID == (protocol.Bytes32{}) {
		for _, conf := range []*tls.Config{c.ClientTLS, c.ServerTLS} {
			if conf == nil || len(conf.Certificates) == 0 {
				continue
			}
			if id, err := chiatls.CertificateNodeID(&conf.Certificates[0]); err == nil {
				c.NodeID = id
				break
			}
		}
	}
	if c.NodeID == (protocol.Bytes32{}) {
		return errors.New("server: cannot tell our node id: set Config.NodeID or give TLS certificates")
	}
	return nil
}

// inboundFullNodeLimit is how many inbound full nodes a full node
// accepts.
func (c *Config) inboundFullNodeLimit() int {
	return c.TargetPeerCount - c.TargetOutboundPeerCount
}

// ServiceOf returns the service whose certificates a node of type t uses
// in a CHIA_ROOT certificate tree: full_node for a full node, harvester
// for a harvester, and so on for every valid node type (the service name
// is the node type's reference name in lower case). It returns
// chiatls.FullNode for a type that names no node.
//
// The service may lack the certificate a role needs (an introducer has no
// private one); the caller checks with Service.HasCert.
func ServiceOf(t protocol.NodeType) chiatls.Service {
	switch t {
	case protocol.NodeHarvester:
		return chiatls.Harvester
	case protocol.NodeFarmer:
		return chiatls.Farmer
	case protocol.NodeTimelord:
		return chiatls.Timelord
	case protocol.NodeIntroducer:
		return chiatls.Introducer
	case protocol.NodeWallet:
		return chiatls.Wallet
	case protocol.NodeDataLayer:
		return chiatls.DataLayer
	case protocol.NodeSolver:
		return chiatls.Solver
	default:
		return chiatls.FullNode
	}
}

// normalizePrefixes returns a masked copy of ps, with IPv4-mapped IPv6
// prefixes turned into IPv4 ones (addresses are unmapped before they are
// compared).
func normalizePrefixes(ps []netip.Prefix) []netip.Prefix {
	if ps == nil {
		return nil
	}
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if !p.IsValid() {
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out
}
