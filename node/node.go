package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/discovery"
	"github.com/chianet/chianet/metrics"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// ErrRunning is returned by a second call of Node.Run.
var ErrRunning = errors.New("node: Run called twice")

// Node is a networking-only Chia full node: a server accepting and
// dialling peers, discovery keeping its outbound connections, an address
// manager persisted in the peers file, and the latest peak of every peer.
// See the package documentation.
//
// All methods are safe for concurrent use. Run may be called once.
type Node struct {
	cfg   Config
	log   *slog.Logger
	srv   *server.Server
	addrs *addrman.Manager
	disc  *discovery.Discovery
	peaks *peakTable

	metrics     *metrics.Metrics // nil without Config.MetricsAddr
	metricsAddr string           // set by Run before ready is closed

	ready chan struct{} // closed once the listener is bound

	mu      sync.Mutex
	started bool
}

// New checks cfg, creates the full node's certificates under cfg.Root if
// they are missing, loads the peers file and returns a Node that is not
// running yet. A missing peers file is normal (the node starts with empty
// tables); a damaged one is logged and what could be read is kept; one
// that cannot be read at all is an error, since it could not be saved
// either.
func New(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	tree := &chiatls.Tree{Root: cfg.Root, Logger: log.With("component", "chiatls")}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		return nil, fmt.Errorf("node: certificates: %w", err)
	}

	addrs, err := addrman.Load(cfg.PeersFile, addrman.Config{
		AllowPrivate: cfg.AllowPrivate,
		Logger:       log.With("component", "addrman"),
	})
	var damaged *addrman.DamageError
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		log.Info("no peers file yet; starting with empty address tables", "path", cfg.PeersFile)
	case errors.As(err, &damaged):
		log.Warn("peers file damaged; keeping the addresses that could be read",
			"path", cfg.PeersFile, "kept", damaged.Kept, "lost", damaged.Lost)
	default:
		return nil, fmt.Errorf("node: peers file: %w", err)
	}

	var n *Node
	sc := server.Config{
		NetworkID:               cfg.Network,
		NodeType:                protocol.NodeFullNode,
		ListenAddr:              cfg.ListenAddr,
		Certs:                   tree,
		Service:                 chiatls.FullNode,
		TargetPeerCount:         cfg.TargetPeerCount,
		TargetOutboundPeerCount: cfg.TargetOutbound,
		MaxInboundWallet:        cfg.MaxInboundWallet,
		MaxInboundFarmer:        cfg.MaxInboundFarmer,
		ExemptNetworks:          cfg.ExemptNetworks,
		DialFrom:                listenIP(cfg.ListenAddr),
		Logger:                  log.With("component", "server"),
	}
	m := newMetrics(&cfg, &n, &sc)
	srv, err := server.New(sc)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}

	n = &Node{
		cfg:     cfg,
		log:     log,
		srv:     srv,
		addrs:   addrs,
		peaks:   newPeakTable(time.Now, cfg.onPeak),
		ready:   make(chan struct{}),
		metrics: m,
	}
	srv.Handle(protocol.MsgNewPeak, n.peaks.handle)
	for _, t := range ignored {
		srv.Handle(t, peer.Ignore)
	}
	n.disc, err = discovery.New(discovery.Config{
		Server:         srv,
		AddrMan:        addrs,
		NodeType:       protocol.NodeFullNode,
		TargetOutbound: cfg.TargetOutbound,
		DNS:            discovery.DNSConfig{Servers: cfg.DNSIntroducers},
		Introducer:     cfg.Introducer,
		PublicAddr:     cfg.PublicAddr,
		AllowPrivate:   cfg.AllowPrivate,
		DefaultPort:    cfg.defaultPort(),
		PeersFile:      cfg.PeersFile,
		Logger:         log.With("component", "discovery"),
	})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	// request_peers, respond_peers and respond_peers_introducer.
	n.disc.Register()
	return n, nil
}

// Run starts the node and runs it until ctx is done, then shuts it down
// gracefully: discovery stops, the peers file is saved, and every
// connection is closed with a normal close (1000, no ban). It returns nil
// after a clean shutdown, or the first error: the listener could not be
// bound, the peers file could not be saved, or the connections did not
// close within Config.ShutdownTimeout.
func (n *Node) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return ErrRunning
	}
	n.started = true
	n.mu.Unlock()

	unsubscribe := n.srv.Subscribe(n.event)
	defer unsubscribe()
	if err := n.srv.Start(ctx); err != nil {
		_ = n.srv.Close(context.Background())
		return fmt.Errorf("node: %w", err)
	}
	stopMetrics, err := n.serveMetrics()
	if err != nil {
		_ = n.srv.Close(context.Background())
		return err
	}
	defer stopMetrics()
	close(n.ready)
	newCount, triedCount := n.addrs.Counts()
	n.log.Info("node started", "network", n.cfg.Network, "listen", n.srv.Addr(), "node_id", n.srv.NodeID(),
		"peers_file", n.cfg.PeersFile, "known_addresses", newCount+triedCount, "tried", triedCount,
		"static_peers", len(n.cfg.StaticPeers))
	if newCount+triedCount == 0 && len(n.cfg.StaticPeers) == 0 && len(n.cfg.DNSIntroducers) == 0 && n.cfg.Introducer == "" {
		n.log.Info("nothing to bootstrap from: no known addresses, static peers, DNS introducers or introducer; waiting for inbound peers")
	}

	// Discovery and the static peers stop first, the server last, so that
	// the peers file is saved while the connections are still up.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	saved := make(chan error, 1)
	go func() { saved <- n.disc.Run(runCtx) }()
	var statics sync.WaitGroup
	for _, addr := range n.cfg.StaticPeers {
		statics.Go(func() { n.keepStatic(runCtx, addr) })
	}

	<-ctx.Done()
	n.log.Info("shutting down", "cause", context.Cause(ctx))
	stop()
	statics.Wait()
	saveErr := <-saved // discovery saves the peers file as it stops
	if saveErr != nil {
		n.log.Error("saving the peers file failed", "path", n.cfg.PeersFile, "err", saveErr)
		saveErr = fmt.Errorf("node: saving peers: %w", saveErr)
	} else {
		newCount, triedCount = n.addrs.Counts()
		n.log.Info("peers saved", "path", n.cfg.PeersFile, "addresses", newCount+triedCount, "tried", triedCount)
	}

	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.ShutdownTimeout)
	defer cancel()
	closeErr := n.srv.Close(closeCtx)
	if closeErr != nil {
		closeErr = fmt.Errorf("node: closing connections: %w", closeErr)
	}
	n.log.Info("node stopped")
	return errors.Join(saveErr, closeErr)
}

// event logs connections joining and leaving, and forgets the peaks of
// those that left.
func (n *Node) event(e server.Event) {
	switch e.Type {
	case server.Connected:
		n.log.Info("peer connected", "peer", e.Info.RemoteAddr, "node_id", e.Info.NodeID,
			"node_type", e.Info.NodeType, "outbound", e.Info.Outbound,
			"server_port", e.Info.ServerPort, "version", e.Info.SoftwareVersion)
	case server.Disconnected:
		n.peaks.forget(e.Peer)
		n.log.Info("peer disconnected", "peer", e.Info.RemoteAddr, "node_id", e.Info.NodeID,
			"outbound", e.Info.Outbound, "reason", e.Reason)
	}
}

// Ready returns a channel that is closed once Run has bound the listener:
// Addr is then valid.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// Addr returns the address the node accepts peers on, with the real port
// when Config.ListenAddr asked for port 0; the zero AddrPort before Run
// has bound the listener (see Ready). A listener on every interface
// reports [::].
func (n *Node) Addr() netip.AddrPort { return n.srv.Addr() }

// NodeID returns our node id: the SHA-256 of the full node's public
// certificate.
func (n *Node) NodeID() protocol.Bytes32 { return n.srv.NodeID() }

// Network returns the network name the node runs on.
func (n *Node) Network() string { return n.cfg.Network }

// Connections describes every live connection, sorted by node id, with
// the fields of the reference's get_connections RPC.
func (n *Node) Connections() []server.ConnectionInfo { return n.srv.Snapshot() }

// Peaks returns the latest peak announced by each connected peer that has
// announced one (new_peak), sorted by node id.
func (n *Node) Peaks() []PeerPeak { return n.peaks.snapshot() }

// listenIP returns the IP address of a "host:port" listen address when it
// names one, so that outbound connections leave from the address peers
// reach us at (they record our inbound connections under it); the zero
// Addr for every interface or a host name.
func listenIP(listen string) netip.Addr {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.IsUnspecified() {
		return netip.Addr{}
	}
	return a.Unmap()
}
