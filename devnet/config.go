package devnet

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/server"
)

// Defaults of the zero Config fields.
const (
	// DefaultNodes is the number of nodes.
	DefaultNodes = 24
	// DefaultNetwork is the private network's name.
	DefaultNetwork = "devnet"
	// DefaultCrawlInterval is the pause between two crawler batches, and
	// how often the DNS server reads the reliable peers again: a devnet
	// setting (a public seeder's are 15 s and 15 minutes), so that DNS
	// answers appear within seconds of the first nodes meeting.
	DefaultCrawlInterval = time.Second
	// DefaultRetryInterval is the default of Config.RetryInterval.
	DefaultRetryInterval = 10 * time.Second
	// DNSName is the DNS introducer's name, the zone the seeder's DNS
	// server answers for. It is resolved only through that server, never
	// through the system's resolver.
	DNSName = "dns-introducer.devnet.test."
)

// Addresses of the devnet's services on loopback; the nodes are at
// NodeIP(i).
var (
	// IntroducerIP is where the introducer listens and vets from.
	IntroducerIP = netip.AddrFrom4([4]byte{127, 0, 0, 2})
	// SeederIP is where the seeder's DNS server listens and its crawler
	// dials from.
	SeederIP = netip.AddrFrom4([4]byte{127, 0, 0, 3})
)

// MaxNodes is how many nodes NodeIP can place.
const MaxNodes = 254 * 255

// filesPerNode estimates the open files a node holds once the network
// has formed: its listener and, per outbound connection, both ends (the
// other end is another node of this process), plus one for what it
// opens now and then (its peers file, a DNS lookup). TestScale measured
// about 17,500 files for 1,000 nodes with a target of 8.
func filesPerNode(target int) uint64 { return uint64(2*target + 2) }

// filesBase covers the introducer, the seeder and the runtime.
const filesBase = 64

// FileLimitError is Start's error when the devnet would need more open
// files than the process may have (RLIMIT_NOFILE): its nodes would fail
// to accept and dial with "too many open files" instead.
type FileLimitError struct {
	Nodes       int    // Config.Nodes
	Need, Limit uint64 // the estimated need, and the limit
}

func (e *FileLimitError) Error() string {
	return fmt.Sprintf("devnet: %d nodes need about %d open files, over this process's limit of %d (ulimit -n)", e.Nodes, e.Need, e.Limit)
}

// NodeIP is the loopback address of node i (from 0): 127.X.Y.1 with
// X = 1 + i mod 254 and Y = 1 + i div 254. The first 254 nodes are each
// in an address group (/16) of their own, as nodes on separate hosts
// would be, so discovery's one-outbound-connection-per-group rule does
// not bind them; larger devnets share the 254 groups.
func NodeIP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, byte(1 + i%254), byte(1 + i/254), 1})
}

// Config configures a devnet. Every zero field has a documented default.
type Config struct {
	// Nodes is how many full nodes run. Zero means DefaultNodes (24). At
	// least 3 are needed for every node to have an outbound connection
	// while it also accepts one.
	Nodes int
	// Network is the private network's name, declared private for every
	// service (node.Config.Private). Zero means DefaultNetwork. A
	// built-in network (mainnet, testnet11) is refused.
	Network string
	// Dir is the directory the devnet's temporary root is made in: one
	// CHIA_ROOT per node, the introducer's and the seeder's; it is
	// created if missing. Empty means os.TempDir().
	Dir string
	// Keep leaves the root in place after Close; otherwise Close removes
	// it.
	Keep bool
	// RPC serves each node's RPC at its own address (NodeIP(i) on one
	// port shared by all nodes, NodeStatus.RPCAddr) and writes a
	// config.yaml in its root naming that address and port, so that
	// `chianet show --root ROOT` reaches it. Off, nodes serve no RPC.
	RPC bool
	// TargetOutbound is every node's outbound target. Zero means the
	// reference's 8, lowered to (Nodes−1)/3 (at least 1) for devnets too
	// small for it (on 24 nodes: 7; on 12: 3): with n nodes each node can
	// have at most n−1 connections, each counts towards the target of its
	// dialler only, and a node whose inbound slots are all taken refuses
	// a newcomer (nodes each in a group of their own evict nobody), so a
	// node needs more candidates than its target.
	TargetOutbound int
	// MaxInbound is how many inbound full nodes each node accepts
	// (node.Config.TargetPeerCount minus the target). Zero means the
	// reference's 32, lowered to Nodes−1−TargetOutbound, so that a
	// popular node connected to inbound from every other node still
	// has addresses left to reach its own target.
	MaxInbound int
	// RetryInterval is how long a node leaves an address alone after
	// trying it (node.Config.RetryInterval). Zero means
	// DefaultRetryInterval: in a network this small, a node whose few
	// candidates were tried once (a dial lost to the other side's dial,
	// a full node that refused it) must not wait the reference's 30
	// minutes to try them again.
	RetryInterval time.Duration
	// CrawlInterval is the pause between crawler batches and the DNS
	// server's reload interval. Zero means DefaultCrawlInterval.
	CrawlInterval time.Duration
	// Logger receives every service's log records, with "service"
	// (introducer, seeder, node) and, for nodes, "node" (the index)
	// attributes. Nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = DefaultNodes
	}
	if c.Network == "" {
		c.Network = DefaultNetwork
	}
	if c.TargetOutbound == 0 {
		c.TargetOutbound = max(1, min(server.DefaultTargetOutboundPeerCount, (c.Nodes-1)/3))
	}
	if c.MaxInbound == 0 {
		c.MaxInbound = min(server.DefaultTargetPeerCount-server.DefaultTargetOutboundPeerCount, c.Nodes-1-c.TargetOutbound)
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = DefaultRetryInterval
	}
	if c.CrawlInterval <= 0 {
		c.CrawlInterval = DefaultCrawlInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c *Config) validate() error {
	switch {
	case c.Nodes < 3 || c.Nodes > MaxNodes:
		return fmt.Errorf("devnet: %d nodes: a devnet has 3 to %d", c.Nodes, MaxNodes)
	case c.TargetOutbound < 1:
		return fmt.Errorf("devnet: outbound target %d: must be at least 1", c.TargetOutbound)
	case c.TargetOutbound > c.Nodes-2:
		// A node needs a candidate beyond its target and one inbound
		// slot: reported here rather than as the derived inbound limit.
		return fmt.Errorf("devnet: outbound target %d: %d nodes allow at most %d", c.TargetOutbound, c.Nodes, c.Nodes-2)
	case c.MaxInbound < 1:
		return fmt.Errorf("devnet: %d inbound: must be at least 1", c.MaxInbound)
	}
	if _, builtin := config.BuiltinNetwork(c.Network); builtin {
		return fmt.Errorf("devnet: %s is a public network; a devnet runs a private one", c.Network)
	}
	if limit, ok := openFileLimit(); ok {
		if need := uint64(c.Nodes)*filesPerNode(c.TargetOutbound) + filesBase; need > limit {
			return &FileLimitError{Nodes: c.Nodes, Need: need, Limit: limit}
		}
	}
	return nil
}
