package introducer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// ErrRunning is returned by a second call of Introducer.Run.
var ErrRunning = errors.New("introducer: Run called twice")

// Introducer is the introducer service: it records the full nodes that
// connect to it, vets them in the background, and answers
// request_peers_introducer from what it holds in memory. See the package
// documentation.
//
// All methods are safe for concurrent use. Run may be called once.
type Introducer struct {
	cfg   Config
	log   *slog.Logger
	srv   *server.Server
	table *table
	vet   *vetter

	ready chan struct{} // closed once the listener is bound

	requests, sent atomic.Uint64

	mu      sync.Mutex
	started bool
}

// Stats are an Introducer's counters since New.
type Stats struct {
	// Peers is how many full nodes are recorded now, and Vetted how many
	// of them passed their latest vetting.
	Peers, Vetted int
	// Requests counts the request_peers_introducer answered, and
	// PeersSent the addresses sent in them.
	Requests, PeersSent uint64
	// Vets counts the vetting connections that ended (shutdown aside),
	// VetFailures those that failed, and Forgotten the peers forgotten
	// for failing MaxFailures times in a row.
	Vets, VetFailures, Forgotten uint64
}

// New checks cfg, creates the introducer's certificate under cfg.Root if
// it is missing, and returns an Introducer that is not running yet.
func New(cfg Config) (*Introducer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tree := &chiatls.Tree{Root: cfg.Root, Logger: cfg.Logger.With("component", "chiatls"), Files: cfg.CertFiles}
	if err := tree.EnsureService(chiatls.Introducer); err != nil {
		return nil, fmt.Errorf("introducer: certificates: %w", err)
	}
	clientTLS, err := tree.ClientConfig(chiatls.Introducer)
	if err != nil {
		return nil, fmt.Errorf("introducer: certificates: %w", err)
	}
	srv, err := server.New(server.Config{
		NetworkID:  cfg.Network,
		NodeType:   protocol.NodeIntroducer,
		ListenAddr: cfg.ListenAddr,
		DialFrom:   cfg.DialFrom,
		Certs:      tree,
		Service:    chiatls.Introducer,
		Logger:     cfg.Logger.With("component", "server"),
		Now:        cfg.Clock.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("introducer: %w", err)
	}
	in := &Introducer{
		cfg:   cfg,
		log:   cfg.Logger,
		srv:   srv,
		table: newTable(cfg.tableConfig(), cfg.Rand),
		ready: make(chan struct{}),
	}
	in.vet = &vetter{
		table: in.table,
		clock: cfg.Clock,
		vet:   cfg.vet,
		slots: cfg.MaxConcurrentVets,
		log:   cfg.Logger,
		onVet: cfg.onVet,
		wake:  make(chan struct{}, 1),
	}
	if in.vet.vet == nil {
		in.vet.vet = func(ctx context.Context, ap netip.AddrPort) error {
			return vetConn(ctx, ap, in.vetConfig(clientTLS), cfg.VetTimeout)
		}
	}
	srv.Handle(protocol.MsgRequestPeersIntroducer, in.handleRequestPeers)
	return in, nil
}

// vetConfig is the peer.Config of vetting connections: the introducer's
// node type, certificate and server port, leaving from DialFrom, with no
// handlers (the connection is closed as soon as the handshake is done).
func (in *Introducer) vetConfig(clientTLS *tls.Config) peer.Config {
	return peer.Config{
		NetworkID:        in.cfg.Network,
		NodeType:         protocol.NodeIntroducer,
		ServerPort:       in.srv.Addr().Port(),
		TLS:              clientTLS,
		NodeID:           in.srv.NodeID(),
		ConnectTimeout:   in.cfg.VetTimeout,
		HandshakeTimeout: in.cfg.VetTimeout,
		PingInterval:     -1,
		Logger:           in.log.With("component", "vet"),
		DialContext:      server.DialerFrom(in.cfg.DialFrom),
	}
}

// Run starts the introducer and runs it until ctx is done, then shuts it
// down gracefully: vetting stops, and every connection is closed with a
// normal close (1000, no ban). It returns nil after a clean shutdown, or
// the first error: the listener could not be bound, or the connections
// did not close within Config.ShutdownTimeout. Nothing is saved: like the
// reference's, an introducer starts empty.
func (in *Introducer) Run(ctx context.Context) error {
	in.mu.Lock()
	if in.started {
		in.mu.Unlock()
		return ErrRunning
	}
	in.started = true
	in.mu.Unlock()

	unsubscribe := in.srv.Subscribe(in.event)
	defer unsubscribe()
	if err := in.srv.Start(ctx); err != nil {
		_ = in.srv.Close(context.Background())
		return fmt.Errorf("introducer: %w", err)
	}
	close(in.ready)
	attrs := []any{"network", in.cfg.Network, "listen", in.srv.Addr(), "node_id", in.srv.NodeID(),
		"max_peers_to_send", in.cfg.MaxPeersToSend, "recent_peer_threshold", in.cfg.RecentPeerThreshold,
		"revet_interval", in.cfg.RevetInterval}
	if in.cfg.DialFrom.IsValid() && !in.cfg.DialFrom.IsUnspecified() {
		attrs = append(attrs, "dial_from", in.cfg.DialFrom)
	}
	in.log.Info("introducer started", attrs...)

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	vetted := make(chan struct{})
	go func() {
		defer close(vetted)
		in.vet.run(runCtx)
	}()

	<-ctx.Done()
	in.log.Info("shutting down", "cause", context.Cause(ctx))
	stop()
	<-vetted
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.cfg.ShutdownTimeout)
	defer cancel()
	err := in.srv.Close(closeCtx)
	if err != nil {
		err = fmt.Errorf("introducer: closing connections: %w", err)
	}
	st := in.Stats()
	in.log.Info("introducer stopped", "peers", st.Peers, "vetted", st.Vetted, "requests", st.Requests,
		"peers_sent", st.PeersSent, "vets", st.Vets, "vet_failures", st.VetFailures)
	return err
}

// event records inbound full nodes and forgets banned hosts.
func (in *Introducer) event(e server.Event) {
	info := e.Info
	ip := info.RemoteAddr.Addr().Unmap()
	switch e.Type {
	case server.Connected:
		in.log.Debug("peer connected", "peer", info.RemoteAddr, "node_id", info.NodeID,
			"node_type", info.NodeType, "outbound", info.Outbound, "server_port", info.ServerPort)
		if info.Outbound || info.NodeType != protocol.NodeFullNode || !ip.IsValid() {
			return
		}
		if info.ServerPort == 0 {
			in.log.Debug("not recording full node: it accepts no connections", "peer", info.RemoteAddr)
			return
		}
		if !in.cfg.AllowPrivate && addrman.IsPrivate(ip) {
			in.log.Debug("not recording full node: private address", "peer", info.RemoteAddr)
			return
		}
		ap := netip.AddrPortFrom(ip, info.ServerPort)
		added, evicted := in.table.seen(ap, in.cfg.Clock.Now())
		if !added {
			return
		}
		if evicted.IsValid() {
			in.log.Debug("peer forgotten to make room", "peer", evicted, "max_peers", in.cfg.MaxPeers)
		}
		in.log.Info("peer recorded", "peer", ap, "node_id", info.NodeID, "version", info.SoftwareVersion)
		in.vet.poke()
	case server.Disconnected:
		in.log.Debug("peer disconnected", "peer", info.RemoteAddr, "node_id", info.NodeID, "reason", e.Reason)
		if e.Reason != nil && e.Reason.Ban > 0 && ip.IsValid() {
			if n := in.table.forgetHost(ip); n > 0 {
				in.log.Info("banned host's peers forgotten", "ip", ip, "peers", n, "ban", e.Reason.Ban)
			}
		}
	}
}

// handleRequestPeers answers request_peers_introducer from memory: up to
// MaxPeersToSend vetted peers seen within RecentPeerThreshold, at random,
// never the requester's own address.
func (in *Introducer) handleRequestPeers(_ context.Context, p *peer.Peer, _ protocol.Message) (*protocol.Message, error) {
	info := p.Info()
	var self netip.AddrPort
	if ip := info.RemoteAddr.Addr().Unmap(); ip.IsValid() && info.ServerPort != 0 {
		self = netip.AddrPortFrom(ip, info.ServerPort)
	}
	list := in.table.pick(self, in.cfg.Clock.Now())
	in.requests.Add(1)
	in.sent.Add(uint64(len(list)))
	in.log.Debug("answered request_peers_introducer", "peer", info.RemoteAddr, "node_type", info.NodeType,
		"peers", len(list))
	return peer.Reply(protocol.MsgRespondPeersIntroducer, &protocol.RespondPeersIntroducer{PeerList: list})
}

// Ready returns a channel that is closed once Run has bound the listener:
// Addr is then valid.
func (in *Introducer) Ready() <-chan struct{} { return in.ready }

// Addr returns the address the introducer accepts peers on, with the real
// port when Config.ListenAddr asked for port 0; the zero AddrPort before
// Run has bound the listener (see Ready).
func (in *Introducer) Addr() netip.AddrPort { return in.srv.Addr() }

// NodeID returns our node id: the SHA-256 of the introducer's public
// certificate.
func (in *Introducer) NodeID() protocol.Bytes32 { return in.srv.NodeID() }

// Peers returns the state of every recorded peer, sorted by address.
func (in *Introducer) Peers() []PeerState { return in.table.snapshot() }

// Stats returns the introducer's counters.
func (in *Introducer) Stats() Stats {
	peers, vetted := in.table.counts()
	return Stats{
		Peers:       peers,
		Vetted:      vetted,
		Requests:    in.requests.Load(),
		PeersSent:   in.sent.Load(),
		Vets:        in.vet.vets.Load(),
		VetFailures: in.vet.failures.Load(),
		Forgotten:   in.vet.forgotten.Load(),
	}
}
