package devnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/introducer"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/seeder"
	"github.com/chianet/chianet/server"
)

// Net is a running devnet. Its methods are safe for concurrent use.
type Net struct {
	cfg     Config
	root    string
	port    uint16 // every node's listening port, the network's default port
	rpcPort uint16 // every node's RPC port; 0 without Config.RPC
	setup   time.Duration
	began   time.Time // when the nodes were started

	intro     *introducer.Introducer
	introDone chan error // Run's result
	store     seeder.Store
	crawlCfg  seeder.CrawlerConfig
	crawler   atomic.Pointer[seeder.Crawler] // the latest run's; nil before the first
	crawlRuns atomic.Int32
	dns       *seeder.DNSServer
	resolver  *countingResolver
	nodes     []*devNode
	batches   atomic.Int64
	dnsReady  chan struct{} // closed once the DNS server hands out a node
	dnsOnce   sync.Once

	cancel context.CancelFunc // stops every service
	wg     sync.WaitGroup     // the services' goroutines

	closeOnce sync.Once
	closeErr  error
}

// devNode is one node and what the devnet follows of it.
type devNode struct {
	*node.Node
	index int
	ip    netip.Addr
	root  string
	unsub func()
	done  chan error // Run's result

	track tracker
}

// Start creates the devnet's temporary root under cfg.Dir, makes the
// certificates (one private CA shared by every root, as `chia init -c`
// shares one; a node certificate of its own for each node), starts the
// introducer, the seeder's DNS server and the first half of the nodes,
// starts the crawler once node 0 is connected to another node, and the
// other nodes once the DNS server hands out a node (see the package
// documentation). It returns once every node listens; the network then
// forms on its own until Close. ctx bounds the start only. On error,
// whatever was started is stopped and the root removed, even with Keep.
func Start(ctx context.Context, cfg Config) (_ *Net, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("devnet: %w", err)
		}
	}
	root, err := os.MkdirTemp(cfg.Dir, "chianet-devnet-")
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n := &Net{cfg: cfg, root: root, cancel: cancel, dnsReady: make(chan struct{})}
	defer func() {
		if err != nil {
			// Nobody learns the root of a start that failed, and
			// nothing runs in it: it goes even with Keep.
			n.cfg.Keep = false
			_ = n.Close()
		}
	}()

	ips := make([]netip.Addr, cfg.Nodes)
	for i := range ips {
		ips[i] = NodeIP(i)
	}
	if n.port, err = freePort(ips, true); err != nil {
		return nil, err
	}
	if cfg.RPC {
		// The peer port's listeners are closed: the kernel may hand
		// out that port again.
		if n.rpcPort, err = freePort(ips, false, n.port); err != nil {
			return nil, err
		}
	}

	ca, err := chiatls.NewPrivateCA(time.Now())
	if err != nil {
		return nil, fmt.Errorf("devnet: private CA: %w", err)
	}
	caCrt, caKey, err := ca.MarshalPEM()
	if err != nil {
		return nil, fmt.Errorf("devnet: private CA: %w", err)
	}
	shareCA := func(dir string) error {
		crt, key := chiatls.Tree{Root: dir}.CAPaths(chiatls.Private)
		if err := os.MkdirAll(filepath.Dir(crt), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(key, caKey, 0o600); err != nil {
			return err
		}
		return os.WriteFile(crt, caCrt, 0o644)
	}

	// The introducer.
	introRoot := filepath.Join(root, "introducer")
	if err := shareCA(introRoot); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	n.intro, err = introducer.New(introducer.Config{
		Network:    cfg.Network,
		Private:    true,
		Root:       introRoot,
		ListenAddr: netip.AddrPortFrom(IntroducerIP, 0).String(),
		Logger:     cfg.Logger.With("service", "introducer"),
	})
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	introDone := make(chan error, 1)
	n.introDone = introDone
	n.wg.Go(func() { introDone <- n.intro.Run(runCtx) })
	select {
	case <-n.intro.Ready():
	case err := <-introDone:
		introDone <- err
		return nil, fmt.Errorf("devnet: introducer: %w", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	// The seeder's store and DNS server; the crawler starts later.
	seedRoot := filepath.Join(root, "seeder")
	if err := shareCA(seedRoot); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	seedTree := chiatls.Tree{Root: seedRoot, Logger: cfg.Logger.With("service", "seeder", "component", "chiatls")}
	if err := seedTree.EnsureService(chiatls.FullNode); err != nil {
		return nil, fmt.Errorf("devnet: seeder certificates: %w", err)
	}
	crawlTLS, err := seedTree.ClientConfig(chiatls.FullNode)
	if err != nil {
		return nil, fmt.Errorf("devnet: seeder certificates: %w", err)
	}
	if n.store, err = seeder.OpenSQLite(ctx, filepath.Join(seedRoot, "crawler.sqlite")); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	seedLog := cfg.Logger.With("service", "seeder")
	n.dns, err = seeder.NewDNSServer(seeder.DNSConfig{
		Domain:          DNSName,
		Nameserver:      "ns1." + DNSName,
		Listen:          []string{netip.AddrPortFrom(SeederIP, 0).String()},
		Peers:           n.store,
		RefreshInterval: cfg.CrawlInterval,
		RetryInterval:   cfg.CrawlInterval,
		Logger:          seedLog,
	})
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	if err := n.dns.Start(ctx); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	n.resolver = newCountingResolver(n.dns.UDPAddrs()[0], n.dns.TCPAddrs()[0])
	n.crawlCfg = seeder.CrawlerConfig{
		NetworkID:            cfg.Network,
		TLS:                  crawlTLS,
		Store:                n.store,
		Bootstrap:            []string{netip.AddrPortFrom(ips[0], n.port).String()},
		Port:                 n.port,
		AllowPrivate:         true,
		ReachableOnHandshake: true,
		BatchInterval:        cfg.CrawlInterval,
		// Hundreds of nodes starting at once on a few cores answer
		// slower than a public network does: at 1,000 nodes the crawler's
		// default 2 s connect timeout failed every crawl of its second
		// batch, a failed peer is not crawled again for 1,000 s, and the
		// DNS seeder handed out node 0 alone.
		ConnectTimeout:   crawlTimeout,
		HandshakeTimeout: crawlTimeout,
		PeersTimeout:     crawlTimeout,
		DialContext:      server.DialerFrom(SeederIP),
		OnEvent: func(e seeder.Event) {
			if e.Kind != seeder.EventCrawlBatchCompleted {
				return
			}
			n.batches.Add(1)
			// Hand out what the batch found at once rather than at
			// the next reload.
			if err := n.dns.Refresh(runCtx); err != nil && runCtx.Err() == nil {
				seedLog.Warn("DNS server: reading the peers failed", "err", err)
			} else if err == nil && e.Counts.ReliableNodes > 0 {
				n.dnsOnce.Do(func() { close(n.dnsReady) })
			}
		},
		Logger: seedLog,
	}
	if _, err := seeder.NewCrawler(n.crawlCfg); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}

	// The nodes: roots and certificates first, a few at a time (RSA
	// keys are slow to make), then all started at once.
	n.nodes = make([]*devNode, cfg.Nodes)
	errs := make([]error, cfg.Nodes)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var made sync.WaitGroup
	for i := range n.nodes {
		sem <- struct{}{}
		made.Go(func() {
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			n.nodes[i], errs[i] = n.newNode(i, ips[i], shareCA)
		})
	}
	made.Wait()
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err() // once, not once per node not made
		}
		for _, d := range n.nodes {
			if d != nil {
				d.unsub()
				_ = d.Close()
			}
		}
		n.nodes = nil
		return nil, err
	}

	n.setup = time.Since(t0)
	n.began = time.Now()

	// The first wave: half of the nodes, which meet through the
	// introducer, since the seeder knows nobody yet.
	first := max(2, cfg.Nodes/2)
	if err := n.startNodes(ctx, runCtx, n.nodes[:first]); err != nil {
		return nil, err
	}

	// The seeder runs twice over one store, as an operator starts it
	// against a network and restarts it later: its crawler recrawls a
	// node only after 1,000 s, so one run sees only the nodes that were
	// connected when it went by. The first run starts once node 0 is
	// connected to another node (crawled before that, node 0 would name
	// no address seen recently: those from the introducer carry no time;
	// a peer node 0 dialled is stamped, one that dialled node 0
	// advertised itself) and lets the DNS server hand out the first
	// wave; the second starts again from node 0 and the nodes the first
	// reached once every node has reached its outbound target (or
	// secondRunTimeout after the DNS server first answered), and crawls
	// the whole network.
	firstRun, endFirstRun := context.WithCancel(runCtx)
	firstDone := make(chan struct{})
	n.wg.Go(func() {
		defer close(firstDone)
		if !n.waitUntil(firstRun, func() bool { return n.nodes[0].track.connected() > 0 }) {
			return
		}
		n.runCrawler(firstRun)
	})
	n.wg.Go(func() {
		defer endFirstRun()
		select {
		case <-n.dnsReady:
		case <-runCtx.Done():
			return
		}
		formed, stop := context.WithTimeout(runCtx, secondRunTimeout)
		n.waitUntil(formed, func() bool {
			for _, d := range n.nodes {
				if !d.track.reachedTarget() {
					return false
				}
			}
			return true
		})
		stop()
		endFirstRun()
		<-firstDone
		if runCtx.Err() == nil {
			n.runCrawler(runCtx)
		}
	})

	// The second wave joins once the DNS seeder hands out nodes, as new
	// nodes join a network that has one: their first DNS lookup answers.
	wait := time.NewTimer(waveTimeout)
	defer wait.Stop()
	select {
	case <-n.dnsReady:
	case <-wait.C:
		seedLog.Warn("the DNS seeder hands out no node yet; starting the other nodes anyway", "after", waveTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := n.startNodes(ctx, runCtx, n.nodes[first:]); err != nil {
		return nil, err
	}
	return n, nil
}

// crawlTimeout bounds each of a crawl's steps (connection, handshake,
// request_peers) in place of the seeder's defaults (2, 5 and 3 s).
const crawlTimeout = 15 * time.Second

// waitUntil polls cond until it holds (true) or ctx ends (false).
func (n *Net) waitUntil(ctx context.Context, cond func() bool) bool {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// runCrawler runs a new crawler over the store until ctx ends. Its
// bootstrap peers are node 0 and every node the previous run reached, as
// a seeder is restarted with the nodes it knows: a crawl is answered
// with a random quarter of the addresses a node knows, so a single
// bootstrap peer could name only nodes already crawled.
func (n *Net) runCrawler(ctx context.Context) {
	cfg := n.crawlCfg
	if prev := n.crawler.Load(); prev != nil {
		for _, r := range prev.Records() {
			if !r.LastSuccess.IsZero() {
				cfg.Bootstrap = append(cfg.Bootstrap, netip.AddrPortFrom(r.Addr(), r.Port).String())
			}
		}
	}
	c, err := seeder.NewCrawler(cfg)
	if err != nil { // checked by Start
		n.cfg.Logger.Error("crawler", "err", err)
		return
	}
	n.crawler.Store(c)
	n.crawlRuns.Add(1)
	if err := c.Run(ctx); err != nil {
		n.cfg.Logger.Error("crawler stopped", "service", "seeder", "err", err)
	}
}

// secondRunTimeout bounds the wait for every node to reach its target
// before the seeder's second run.
const secondRunTimeout = 30 * time.Second

// waveTimeout bounds the wait for the DNS seeder's first answers before
// the second wave starts.
const waveTimeout = time.Minute

// startNodes runs the nodes and waits until each listens.
func (n *Net) startNodes(ctx, runCtx context.Context, nodes []*devNode) error {
	for _, d := range nodes {
		d.track.start(time.Now())
		n.wg.Go(func() { d.done <- d.Run(runCtx) })
	}
	for _, d := range nodes {
		select {
		case <-d.Ready():
		case err := <-d.done:
			d.done <- err // for Close
			return fmt.Errorf("devnet: node %d at %v: %w", d.index, netip.AddrPortFrom(d.ip, n.port), err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// newNode makes node i's root and node.
func (n *Net) newNode(i int, ip netip.Addr, shareCA func(string) error) (*devNode, error) {
	cfg := n.cfg
	root := filepath.Join(n.root, fmt.Sprintf("node%0*d", len(strconv.Itoa(cfg.Nodes-1)), i))
	if err := shareCA(root); err != nil {
		return nil, fmt.Errorf("devnet: node %d: %w", i, err)
	}
	nc := node.Config{
		Network:        cfg.Network,
		Private:        true,
		DefaultPort:    n.port,
		Root:           root,
		ListenAddr:     netip.AddrPortFrom(ip, n.port).String(),
		Introducer:     n.intro.Addr().String(),
		DNSIntroducers: []string{DNSName},
		Resolver:       n.resolver,
		TargetOutbound: cfg.TargetOutbound,
		// Inbound full nodes are accepted while there are fewer than
		// TargetPeerCount − TargetOutbound.
		TargetPeerCount: cfg.TargetOutbound + cfg.MaxInbound,
		// The introducer's vetting and the crawler's connections take no
		// inbound slot from the nodes.
		ExemptNetworks: []netip.Prefix{netip.PrefixFrom(IntroducerIP, 32), netip.PrefixFrom(SeederIP, 32)},
		PublicAddr:     netip.AddrPortFrom(ip, n.port),
		RetryInterval:  cfg.RetryInterval,
		// Loopback drops no packets: a slow handshake only means a busy
		// machine and must not make a node dial more.
		DialGrace: -1,
		Logger:    cfg.Logger.With("service", "node", "node", i),
	}
	if cfg.RPC {
		nc.RPCAddr = netip.AddrPortFrom(ip, n.rpcPort).String()
		if err := writeRPCConfig(root, ip, n.rpcPort); err != nil {
			return nil, fmt.Errorf("devnet: node %d: %w", i, err)
		}
	}
	nd, err := node.New(nc)
	if err != nil {
		return nil, fmt.Errorf("devnet: node %d: %w", i, err)
	}
	d := &devNode{Node: nd, index: i, ip: ip, root: root, done: make(chan error, 1)}
	d.track.target = cfg.TargetOutbound
	d.unsub = nd.Subscribe(d.track.event)
	return d, nil
}

// writeRPCConfig writes root's config.yaml with self_hostname and
// full_node.rpc_port naming the node's RPC, which is what `chianet show
// --root` reads.
func writeRPCConfig(root string, ip netip.Addr, port uint16) error {
	c, err := config.Default(root)
	if err != nil {
		return err
	}
	c.SelfHostname = ip.String()
	c.FullNode.RPCPort = int(port)
	return c.Create()
}

// freePort returns a port that is free on every address of ips, found by
// binding port 0 on the first and then the same port on the others, all
// at once, and trying again on a clash. The listeners are closed before
// it returns: nothing else uses these addresses. With peer set, the
// default ports of the built-in networks are avoided, since discovery
// drops other networks' ports from gossip. Ports in avoid are not
// returned.
func freePort(ips []netip.Addr, peer bool, avoid ...uint16) (uint16, error) {
	var lastErr error
	for range 20 {
		l, err := listen("tcp", netip.AddrPortFrom(ips[0], 0).String())
		if err != nil {
			return 0, fmt.Errorf("devnet: no free port on %v: %w", ips[0], err)
		}
		port := uint16(l.Addr().(*net.TCPAddr).Port)
		held := []net.Listener{l}
		if peer && slices.Contains([]uint16{config.MainnetPort, config.Testnet11Port, 58445}, port) {
			lastErr = fmt.Errorf("port %d is a built-in network's", port)
		} else if slices.Contains(avoid, port) {
			lastErr = fmt.Errorf("port %d is taken by the devnet", port)
		} else {
			lastErr = nil
			for _, ip := range ips[1:] {
				l, err := listen("tcp", netip.AddrPortFrom(ip, port).String())
				if err != nil {
					lastErr = err
					break
				}
				held = append(held, l)
			}
		}
		for _, l := range held {
			l.Close()
		}
		if lastErr == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("devnet: no port free on all %d node addresses: %w", len(ips), lastErr)
}

// listen is net.Listen; tests replace it to play the kernel handing out
// a port again.
var listen = net.Listen

// Root is the devnet's temporary root: node roots node00, node01, …,
// introducer and seeder under it.
func (n *Net) Root() string { return n.root }

// Port is the port every node listens on at its own address: the
// network's default port, which DNS answers are combined with.
func (n *Net) Port() uint16 { return n.port }

// Nodes returns the nodes, in order; node i listens at NodeIP(i):Port.
func (n *Net) Nodes() []*node.Node {
	out := make([]*node.Node, len(n.nodes))
	for i, d := range n.nodes {
		out[i] = d.Node
	}
	return out
}

// Config returns the configuration with its defaults filled in.
func (n *Net) Config() Config { return n.cfg }

// Close stops the crawler, the DNS server, the nodes (each saves its
// peers and closes its connections normally) and the introducer, closes
// the store and removes the root unless Config.Keep. It returns the
// first errors of the services' shutdowns. Later calls return the same.
func (n *Net) Close() error {
	n.closeOnce.Do(func() {
		var errs []error
		n.cancel()
		if n.dns != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			errs = append(errs, n.dns.Close(ctx))
			cancel()
		}
		n.wg.Wait()
		for _, d := range n.nodes {
			d.unsub()
			select {
			case err := <-d.done:
				if err != nil {
					errs = append(errs, fmt.Errorf("node %d: %w", d.index, err))
				}
			default:
				_ = d.Close() // never run
			}
		}
		if n.introDone != nil {
			if err := <-n.introDone; err != nil {
				errs = append(errs, fmt.Errorf("introducer: %w", err))
			}
		}
		if n.store != nil {
			errs = append(errs, n.store.Close())
		}
		if !n.cfg.Keep {
			errs = append(errs, os.RemoveAll(n.root))
		}
		n.closeErr = errors.Join(errs...)
		if n.closeErr != nil {
			n.closeErr = fmt.Errorf("devnet: %w", n.closeErr)
		}
	})
	return n.closeErr
}
