package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
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

// ErrClosed is returned by Node.Run after Node.Close.
var ErrClosed = errors.New("node: closed")

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

	ready chan struct{} // closed once the listener is bound

	metrics     *metrics.Metrics // nil without Config.MetricsAddr
	metricsAddr string           // set by Run before ready is closed

	rpcTLS     *tls.Config // the RPC's and the daemon's; nil when both are off
	rpcAddr    string      // set by Run before ready is closed
	daemonAddr string      // set by Run before ready is closed

	mu      sync.Mutex
	started bool
	closed  bool    // Close was called before Run
	lock    *dbLock // the root's lock; nil once released
}

// New checks cfg, takes the root's lock, checks that the peers file's
// directory is writable, loads the peers file, creates the full node's
// certificates under cfg.Root if they are missing and returns a Node that
// is not running yet.
//
// The lock (Root/db/chianet.lock, an flock) keeps a second process from
// running on the same root: New fails with an error wrapping ErrLocked.
// Run releases it when it returns; a Node that is never run releases it
// with Close.
//
// A missing peers file is normal: the node starts from ImportPeersFile
// when that parses whole, else with empty tables. A damaged one is
// logged and what could be read is kept; one that cannot be read at all
// is an error, since it could not be saved either, and so is a directory
// in which the peers file could not be saved or a path that is not a
// regular file (a named pipe, a directory). Temporary files left by a
// save that a crash interrupted are removed.
func New(cfg Config) (_ *Node, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger

	lock, err := lockDB(filepath.Join(cfg.Root, "db"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.release()
		}
	}()
	if err := checkWritable(filepath.Dir(cfg.PeersFile)); err != nil {
		return nil, fmt.Errorf("node: the peers file %s could not be saved: %w", cfg.PeersFile, err)
	}

	addrs, err := loadPeers(&cfg, log)
	if err != nil {
		return nil, err
	}

	// The credentials are read once, so that a file's permission warning
	// is logged once.
	tree := &chiatls.Tree{Root: cfg.Root, Logger: log.With("component", "chiatls"), Files: cfg.CertFiles}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		return nil, fmt.Errorf("node: certificates: %w", err)
	}
	serverTLS, clientTLS, nodeID, err := credentials(tree, chiatls.FullNode)
	if err != nil {
		return nil, fmt.Errorf("node: certificates: %w", err)
	}
	rpcTLS, err := rpcTLS(&cfg, tree)
	if err != nil {
		return nil, err
	}

	var n *Node
	sc := server.Config{
		NetworkID:               cfg.Network,
		NodeType:                protocol.NodeFullNode,
		ListenAddr:              cfg.ListenAddr,
		DialFrom:                cfg.DialFrom,
		Service:                 chiatls.FullNode,
		ServerTLS:               serverTLS,
		ClientTLS:               clientTLS,
		NodeID:                  nodeID,
		TargetPeerCount:         cfg.TargetPeerCount,
		TargetOutboundPeerCount: cfg.TargetOutbound,
		MaxInboundWallet:        cfg.MaxInboundWallet,
		MaxInboundFarmer:        cfg.MaxInboundFarmer,
		ExemptNetworks:          cfg.ExemptNetworks,
		TrustedNodeIDs:          cfg.TrustedNodeIDs,
		TrustedNetworks:         cfg.TrustedNetworks,
		NoEviction:              cfg.NoEviction,
		MaxPendingInbound:       cfg.MaxPendingInbound,
		MaxPendingPerIP:         cfg.MaxPendingPerIP,
		InboundHandshakeTimeout: cfg.PeerConnectTimeout,
		PeerConfig: peer.Config{ConnectTimeout: cfg.PeerConnectTimeout,
			InboundRateLimitPercent: cfg.InboundRateLimitPercent, OutboundRateLimitPercent: cfg.OutboundRateLimitPercent},
		Logger: log.With("component", "server"),
	}
	m := newMetrics(&cfg, &n, &sc)
	srv, err := server.New(sc)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}

	n = &Node{
		cfg:     cfg,
		lock:    lock,
		log:     log,
		srv:     srv,
		addrs:   addrs,
		peaks:   newPeakTable(time.Now, cfg.onPeak),
		ready:   make(chan struct{}),
		metrics: m,
		rpcTLS:  rpcTLS,
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
		RetryInterval:  cfg.RetryInterval,
		DialGrace:      cfg.DialGrace,
		DNS:            discovery.DNSConfig{Servers: cfg.DNSIntroducers, Resolver: cfg.Resolver},
		Introducer:     cfg.Introducer,
		KeptPeers:      len(cfg.StaticPeers),
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

// Run starts the node and runs it until ctx is done, or stop_node or the
// daemon's exit asks it to stop, then shuts it down gracefully: the RPC
// and the daemon close, discovery stops, the peers file is saved, and
// every connection is closed with a normal close (1000, no ban). It returns nil
// after a clean shutdown, or the first error: the listener could not be
// bound, the peers file could not be saved, or the connections did not
// close within Config.ShutdownTimeout.
func (n *Node) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	if n.started {
		n.mu.Unlock()
		return ErrRunning
	}
	n.started = true
	n.mu.Unlock()
	defer n.releaseLock()
	ctx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)

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
	closeRPC, err := n.startRPC(ctx, func() { stopRun(errStopNode) })
	if err != nil {
		_ = n.srv.Close(context.Background())
		return err
	}
	close(n.ready)
	newCount, triedCount := n.addrs.Counts()
	attrs := []any{"network", n.cfg.Network, "listen", n.srv.Addr(), "node_id", n.srv.NodeID(),
		"peers_file", n.cfg.PeersFile, "known_addresses", newCount + triedCount, "tried", triedCount,
		"static_peers", len(n.cfg.StaticPeers), "rpc", n.rpcAddr, "daemon", n.daemonAddr}
	if n.cfg.DialFrom.IsValid() && !n.cfg.DialFrom.IsUnspecified() {
		attrs = append(attrs, "dial_from", n.cfg.DialFrom)
	}
	n.log.Info("node started", attrs...)
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
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.ShutdownTimeout)
	defer cancel()
	closeRPC(closeCtx)
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

// Close releases a Node that will not be run: it gives up the root's
// lock. Run releases the lock itself when it returns, so Close is only
// needed for a Node that New made and Run never ran; it does nothing
// once Run has started. Run returns ErrClosed after Close.
func (n *Node) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return nil
	}
	n.closed = true
	n.lock.release()
	n.lock = nil
	return nil
}

func (n *Node) releaseLock() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lock.release()
	n.lock = nil
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
