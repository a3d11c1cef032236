package devnet

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// Status is a snapshot of a devnet (Net.Snapshot).
type Status struct {
	// Elapsed is the time since the nodes were started; Setup how long
	// the start took before that (roots, certificates, services).
	Elapsed, Setup time.Duration
	// Target is every node's outbound target, MaxInbound its inbound
	// limit for full nodes.
	Target, MaxInbound int
	// Nodes are the nodes, in order.
	Nodes []NodeStatus
	// AtTarget counts the nodes at their outbound target now;
	// EverAtTarget those that reached it at some point.
	AtTarget, EverAtTarget int
	// AllAtTarget is how long after the devnet's start the last node
	// first reached its target; zero while one never has.
	AllAtTarget time.Duration
	// Outbound and Inbound sum the nodes' connections to other nodes:
	// equal when every connection is seen from both ends.
	Outbound, Inbound int
	Crawler           CrawlerStatus
	DNS               DNSStatus
	Introducer        IntroducerStatus
}

// NodeStatus is one node's part of a Status, from its connection events.
type NodeStatus struct {
	// Index is the node's number, Addr where it listens.
	Index int
	Addr  netip.AddrPort
	// Root is its CHIA_ROOT; RPCAddr its RPC's address ("" without
	// Config.RPC).
	Root, RPCAddr string
	// Outbound and Inbound count its full-node connections with other
	// nodes of the devnet, those it dialled and those it accepted (the
	// introducer's and the crawler's short connections are left out).
	Outbound, Inbound int
	// MaxOutbound is the most outbound full-node connections it held at
	// once, counted at every connection that joined.
	MaxOutbound int
	// Dialled and Accepted count every connection that completed the
	// handshake since the node started, outbound and inbound, with any
	// peer (nodes, the introducer, the crawler), including those that
	// have closed since: a measure of the handshake rate while the
	// network forms.
	Dialled, Accepted int
	// Known is how many addresses its address manager holds.
	Known int
	// Joined is when it was started, after the devnet's start: the
	// first wave at once, the second once the DNS seeder answered.
	Joined time.Duration
	// ReachedTarget is how long after it was started it first held its
	// outbound target; zero if it never has.
	ReachedTarget time.Duration
}

// CrawlerStatus is the seeder's crawler's part of a Status.
type CrawlerStatus struct {
	// Runs counts the crawler's runs: 0 before it started, 1, then 2
	// once every node reached its outbound target (see the package
	// documentation).
	Runs int
	// Batches counts the batches that tried a peer.
	Batches int
	// Known counts the peers it has records of, Reached those it
	// crawled successfully at least once, Reliable those it would hand
	// out by DNS.
	Known, Reached, Reliable int
}

// DNSStatus is the seeder's DNS server's part of a Status.
type DNSStatus struct {
	// Addr is the server's UDP address.
	Addr netip.AddrPort
	// Queries counts the queries the server answered.
	Queries uint64
	// Lookups counts the nodes' lookups of DNSName (A and AAAA
	// separately), Answers those that returned at least one address,
	// and Addresses the addresses they returned.
	Lookups, Answers, Addresses uint64
}

// IntroducerStatus is the introducer's part of a Status.
type IntroducerStatus struct {
	// Addr is where it listens.
	Addr netip.AddrPort
	// Peers counts the nodes it recorded, Vetted those it vetted.
	Peers, Vetted int
	// Requests counts the request_peers_introducer it answered.
	Requests uint64
}

// Snapshot returns the devnet's state now.
func (n *Net) Snapshot() Status {
	st := Status{
		Elapsed:    time.Since(n.began),
		Setup:      n.setup,
		Target:     n.cfg.TargetOutbound,
		MaxInbound: n.cfg.MaxInbound,
		Nodes:      make([]NodeStatus, len(n.nodes)),
	}
	ips := make(map[netip.Addr]bool, len(n.nodes))
	for _, d := range n.nodes {
		ips[d.ip] = true
	}
	for i, d := range n.nodes {
		ns := NodeStatus{Index: i, Addr: netip.AddrPortFrom(d.ip, n.port), Root: d.root}
		if n.cfg.RPC {
			ns.RPCAddr = netip.AddrPortFrom(d.ip, n.rpcPort).String()
		}
		var began time.Time
		ns.Outbound, ns.Inbound, ns.MaxOutbound, ns.ReachedTarget, began = d.track.counts(ips)
		ns.Dialled, ns.Accepted = d.track.handshakes()
		if !began.IsZero() {
			ns.Joined = began.Sub(n.began)
		}
		nw, tried := d.AddressCounts()
		ns.Known = nw + tried
		st.Nodes[i] = ns
		st.Outbound += ns.Outbound
		st.Inbound += ns.Inbound
		if ns.Outbound >= st.Target {
			st.AtTarget++
		}
		if ns.ReachedTarget > 0 {
			st.EverAtTarget++
			st.AllAtTarget = max(st.AllAtTarget, ns.Joined+ns.ReachedTarget)
		}
	}
	if st.EverAtTarget < len(n.nodes) {
		st.AllAtTarget = 0
	}

	st.Crawler.Runs = int(n.crawlRuns.Load())
	st.Crawler.Batches = int(n.batches.Load())
	if c := n.crawler.Load(); c != nil {
		recs := c.Records()
		st.Crawler.Known = len(recs)
		for _, r := range recs {
			if !r.LastSuccess.IsZero() {
				st.Crawler.Reached++
			}
			if r.Reliable() {
				st.Crawler.Reliable++
			}
		}
	}

	st.DNS.Addr = n.dns.UDPAddrs()[0]
	q, fails := n.dns.Stats()
	st.DNS.Queries = q - fails
	st.DNS.Lookups = n.resolver.lookups.Load()
	st.DNS.Answers = n.resolver.answers.Load()
	st.DNS.Addresses = n.resolver.addrs.Load()

	is := n.intro.Stats()
	st.Introducer = IntroducerStatus{Addr: n.intro.Addr(), Peers: is.Peers, Vetted: is.Vetted, Requests: is.Requests}
	return st
}

// tracker follows one node's connections from its server's events, as
// the server registers them: a Connected event replaces the connection
// with the same node id, a Disconnected event removes the connection if
// it is still the registered one.
type tracker struct {
	mu       sync.Mutex
	target   int
	began    time.Time
	conns    map[protocol.Bytes32]server.Event
	most     int           // the most outbound full nodes held at once
	dialled  int           // Connected events of outbound connections
	accepted int           // Connected events of inbound connections
	reached  time.Duration // since began; zero if never
}

// start sets the moment times are measured from.
func (t *tracker) start(began time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.began = began
}

// event is the node's Subscribe callback.
func (t *tracker) event(e server.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = make(map[protocol.Bytes32]server.Event)
	}
	switch e.Type {
	case server.Connected:
		if e.Info.Outbound {
			t.dialled++
		} else {
			t.accepted++
		}
		t.conns[e.Info.NodeID] = e
		out := t.outboundLocked()
		t.most = max(t.most, out)
		if out >= t.target && t.reached == 0 {
			t.reached = max(time.Since(t.began), time.Nanosecond)
		}
	case server.Disconnected:
		if c, ok := t.conns[e.Info.NodeID]; ok && c.Peer == e.Peer {
			delete(t.conns, e.Info.NodeID)
		}
	}
}

// reachedTarget reports whether the node ever held its outbound target.
func (t *tracker) reachedTarget() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reached > 0
}

// connected returns how many full nodes are connected, either way,
// leaving out the crawler's connections.
func (t *tracker) connected() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := 0
	for _, c := range t.conns {
		if c.Info.NodeType == protocol.NodeFullNode && c.Info.RemoteAddr.Addr().Unmap() != SeederIP {
			k++
		}
	}
	return k
}

func (t *tracker) outboundLocked() int {
	out := 0
	for _, c := range t.conns {
		if c.Info.Outbound && c.Info.NodeType == protocol.NodeFullNode {
			out++
		}
	}
	return out
}

// counts returns the full-node connections with nodes at ips, the most
// outbound ones held at once, and when the target was first reached.
func (t *tracker) counts(ips map[netip.Addr]bool) (outbound, inbound, most int, reached time.Duration, began time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.conns {
		if c.Info.NodeType != protocol.NodeFullNode || !ips[c.Info.RemoteAddr.Addr().Unmap()] {
			continue
		}
		if c.Info.Outbound {
			outbound++
		} else {
			inbound++
		}
	}
	return outbound, inbound, t.most, t.reached, t.began
}

// handshakes returns how many outbound and inbound connections joined.
func (t *tracker) handshakes() (dialled, accepted int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dialled, t.accepted
}

// countingResolver resolves through the seeder's DNS server only, never
// the system's resolver, and counts the lookups and their answers.
type countingResolver struct {
	dial                    func(ctx context.Context, network, address string) (net.Conn, error)
	lookups, answers, addrs atomic.Uint64
}

func newCountingResolver(udp, tcp netip.AddrPort) *countingResolver {
	var d net.Dialer
	return &countingResolver{dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		to := udp
		if network == "tcp" || network == "tcp4" || network == "tcp6" {
			network, to = "tcp", tcp
		} else {
			network = "udp"
		}
		c, err := d.DialContext(ctx, network, to.String())
		if err == nil {
			// The resolver only sets a deadline on its connection: a
			// cancelled lookup would wait out the resolver's timeout
			// for an answer.
			context.AfterFunc(ctx, func() { c.Close() })
		}
		return c, err
	}}
}

// LookupNetIP implements discovery.Resolver.
func (c *countingResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	c.lookups.Add(1)
	// A net.Resolver of its own: one shared by every node would join
	// concurrent lookups of DNSName into one, which a cancelled node
	// cannot stop; it ran on, up to the resolver's timeout, after Close.
	r := &net.Resolver{PreferGo: true, Dial: c.dial}
	addrs, err := r.LookupNetIP(ctx, network, host)
	if len(addrs) > 0 {
		c.answers.Add(1)
		c.addrs.Add(uint64(len(addrs)))
	}
	return addrs, err
}
