package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// Errors returned by the Server, or carried in a refused or closed
// connection's peer.CloseReason.Err.
var (
	// ErrServerClosed: the Server is closed or closing. Connections it
	// closes on Close carry it in their CloseReason.
	ErrServerClosed = errors.New("server: closed")
	// ErrNotStarted: Dial was called before Start.
	ErrNotStarted = errors.New("server: not started")
	// ErrBanned: the address is in the ban list.
	ErrBanned = errors.New("server: address is banned")
	// ErrSelfAddress: Dial was asked for our own listening address; no
	// connection was attempted. It wraps peer.ErrSelfConnection, which a
	// Dial also returns when the peer turns out to have our node id.
	ErrSelfAddress = fmt.Errorf("server: target is our own listening address: %w", peer.ErrSelfConnection)
	// ErrDuplicate: Dial was asked for a peer we are already connected
	// to (same IP and handshake server_port) or are dialling right now.
	ErrDuplicate = errors.New("server: already connected to peer")
	// ErrInboundLimit: an inbound peer was refused because its node type
	// is over its limit or not accepted at all. The peer sees a plain
	// close (1000, no reason, no ban).
	ErrInboundLimit = errors.New("server: inbound limit reached")
	// ErrEvicted: the inbound connection was closed (1000, no ban) to
	// make room for a full node from a less-represented address group.
	ErrEvicted = errors.New("server: evicted for a peer from a less-represented address group")
	// ErrNotAdmitted: the admit function of a Dial (WithAdmit) refused
	// the connection after its handshake; it was closed (1000, no ban)
	// without joining the registry.
	ErrNotAdmitted = errors.New("server: connection not admitted by the dialler")
	// ErrReplaced: the connection was closed (1000, no ban) because a
	// newer one with the same node id took its place.
	ErrReplaced = errors.New("server: replaced by a newer connection with the same node id")
	// ErrNotBroadcastable: Broadcast was asked to send a request that
	// expects a reply.
	ErrNotBroadcastable = errors.New("server: message type expects a reply and cannot be broadcast")
)

// Server is the set of live peer connections of one node: it accepts
// peers on its listener, dials peers on request, keeps one connection per
// node id, enforces bans and inbound limits, routes inbound messages to
// the handlers registered with Handle, and reports connections joining
// and leaving. See the package documentation.
//
// All methods are safe for concurrent use, except that Handle must be
// called before Start.
type Server struct {
	cfg  Config
	log  *slog.Logger
	bans banList

	// ctx is cancelled by Close: it ends dials and the purge loop.
	ctx    context.Context
	cancel context.CancelFunc

	// mu guards everything below up to wg.
	mu       sync.Mutex
	handlers map[protocol.MessageType]peer.HandlerFunc
	started  bool
	closed   bool
	byID     map[protocol.Bytes32]*conn // the registered connection of each node id
	// inbound counts the connections of byID that take an inbound slot
	// (takesSlot), by node type, so that checking the limits of a new
	// peer does not scan thousands of connections under mu.
	inbound map[protocol.NodeType]int
	conns   map[*peer.Peer]*conn // every registered connection not yet closed, replaced ones included
	dialing map[string]struct{}  // targets of dials under way
	subs    map[*subscriber]struct{}
	addr    netip.AddrPort // bound address; zero without a listener
	ln      *trackingListener
	httpSrv *http.Server
	handler *peer.Handler
	peerCfg peer.Config // the template with our fields set; valid after Start
	onClose func(*peer.Peer, *peer.CloseReason)

	// wg counts the serve and purge loops, ServeHTTP calls, accepted
	// connections until they are done, and Dials.
	wg sync.WaitGroup
	// subWG counts the subscribers' goroutines.
	subWG sync.WaitGroup

	closeDone chan struct{}
	closeErr  error
}

// New checks cfg and returns a Server that is not started yet. It loads
// the TLS credentials from cfg.Certs when they are not given.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := cfg.resolveTLS(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		handlers:  make(map[protocol.MessageType]peer.HandlerFunc),
		byID:      make(map[protocol.Bytes32]*conn),
		inbound:   make(map[protocol.NodeType]int),
		conns:     make(map[*peer.Peer]*conn),
		dialing:   make(map[string]struct{}),
		subs:      make(map[*subscriber]struct{}),
		closeDone: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Handle registers h for inbound messages of type t that are not replies
// to our requests, replacing any handler registered before (the template
// PeerConfig's included). A message of a type without a handler closes
// its connection with a 10 s ban, as in the reference, so register every
// type peers may send (peer.Ignore will do). Handle must be called before
// Start; it panics afterwards, for a nil h, and for handshake and
// configure_window_sizes, which only the handshake uses.
func (s *Server) Handle(t protocol.MessageType, h peer.HandlerFunc) {
	if h == nil {
		panic("server: Handle with a nil handler")
	}
	if t == protocol.MsgHandshake || t == protocol.MsgConfigureWindowSizes {
		panic("server: Handle for " + t.String() + ", which only the handshake uses")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		panic("server: Handle after Start")
	}
	s.handlers[t] = h
}

// NodeID returns our own node id.
func (s *Server) NodeID() protocol.Bytes32 { return s.cfg.NodeID }

// NodeType returns our node type.
func (s *Server) NodeType() protocol.NodeType { return s.cfg.NodeType }

// Addr returns the address the listener is bound to, with the real port
// when Config.ListenAddr asked for port 0; the zero AddrPort before Start
// or without a listener. A dual-stack listener reports the unspecified
// IPv6 address ([::]).
func (s *Server) Addr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Start binds the listener (if Config.ListenAddr is set) and starts
// serving; ctx bounds only the binding. Handshakes announce the bound
// port. Start may be called once; after a failed Start it may be tried
// again.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrServerClosed
	case s.started:
		return errors.New("server: already started")
	}
	if s.cfg.ListenAddr != "" {
		raw, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("server: listen: %w", err)
		}
		tcp, ok := raw.Addr().(*net.TCPAddr)
		if !ok {
			_ = raw.Close()
			return fmt.Errorf("server: listen: unexpected address %v", raw.Addr())
		}
		ap := tcp.AddrPort()
		s.addr = netip.AddrPortFrom(normalizeAddr(ap.Addr()), ap.Port())
		s.ln = newTrackingListener(raw, s.cfg.MaxPendingInbound, s.cfg.MaxPendingPerIP,
			func(ip netip.Addr) bool { return inNetworks(ip, s.cfg.ExemptNetworks) })
		s.ln.onAccept = s.cfg.onAccept
	}
	s.started = true
	s.peerCfg = s.peerTemplate()

	if s.ln != nil {
		in := s.peerCfg
		if s.cfg.InboundHandshakeTimeout != 0 {
			in.HandshakeTimeout = s.cfg.InboundHandshakeTimeout
		}
		in.OnClose = func(p *peer.Peer, r *peer.CloseReason) { s.connClosed(nil, p, r) }
		s.handler = &peer.Handler{
			Config: in,
			Exempt: func(r *http.Request) bool { return s.exempt(parseRemote(r.RemoteAddr)) },
			Admit:  s.admit,
			Accept: s.accept,
			Served: s.served,
		}
		headerTimeout := s.peerCfg.ConnectTimeout
		if headerTimeout <= 0 {
			headerTimeout = peer.DefaultConnectTimeout
		}
		s.httpSrv = &http.Server{
			Handler:           http.HandlerFunc(s.serveWS),
			ReadHeaderTimeout: headerTimeout, // also bounds the TLS handshake
			// A connection kept alive after a refusal (HTTP 403) is still
			// pending; it must not wait for another request forever.
			IdleTimeout:    headerTimeout,
			MaxHeaderBytes: 64 << 10,
			ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
			// WebSocket needs HTTP/1.1: never negotiate HTTP/2.
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		}
		tlsLn := tls.NewListener(s.ln, s.cfg.ServerTLS)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.httpSrv.Serve(tlsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("listener failed", "err", err)
			}
		}()
		s.log.Info("listening for peers", "addr", s.addr)
		s.wg.Add(1)
		go s.acceptLogLoop()
	}
	s.wg.Add(1)
	go s.purgeLoop()
	return nil
}

// DefaultReceiveBudget is the memory that the large messages being
// received may hold across all of a server's connections, when
// Config.PeerConfig has no ReceiveBudget of its own (see
// peer.ReceiveBudget): five messages of the largest size.
const DefaultReceiveBudget = 5 * protocol.MaxMessageSize

// peerTemplate returns the peer.Config every connection starts from.
// s.mu is held.
func (s *Server) peerTemplate() peer.Config {
	pc := s.cfg.PeerConfig
	pc.NetworkID = s.cfg.NetworkID
	pc.NodeType = s.cfg.NodeType
	pc.ServerPort = s.addr.Port()
	pc.NodeID = s.cfg.NodeID
	pc.TLS = nil
	pc.Exempt = false
	if pc.ReceiveBudget == nil {
		pc.ReceiveBudget = peer.NewReceiveBudget(DefaultReceiveBudget)
	}
	if pc.DialContext == nil && s.cfg.DialFrom.IsValid() {
		pc.DialContext = DialerFrom(s.cfg.DialFrom)
	}
	hs := make(map[protocol.MessageType]peer.HandlerFunc, len(pc.Handlers)+len(s.handlers))
	for t, h := range pc.Handlers {
		hs[t] = h
	}
	for t, h := range s.handlers {
		hs[t] = h
	}
	for t, h := range hs {
		if isUseful(t) {
			hs[t] = s.markUseful(h)
		}
	}
	pc.Handlers = hs
	if pc.Logger == nil {
		pc.Logger = s.log
	}
	s.onClose = pc.OnClose
	pc.OnClose = nil
	return pc
}

// purgeLoop drops expired bans every BanPurgeInterval until Close.
func (s *Server) purgeLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.BanPurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.purgeBans(s.cfg.Now())
		}
	}
}

// acceptLogLoop logs, once per interval, how many connections the
// listener refused or displaced (one line, not one per socket), until
// Close.
func (s *Server) acceptLogLoop() {
	defer s.wg.Done()
	ticks := s.cfg.acceptLogTicks
	if ticks == nil {
		t := time.NewTicker(DefaultAcceptLogInterval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-ticks:
			overIP, displaced := s.ln.takeRefused()
			if n := overIP + displaced; n > 0 {
				s.log.Warn("refused connections while accepting", "count", n, "last", DefaultAcceptLogInterval.String(),
					"over_per_ip_bound", overIP, "displaced_pending", displaced)
			}
		}
	}
}

// serveWS serves one HTTP request of the listener; the peer.Handler
// answers 404 to anything but /ws. It returns once the peer is accepted
// (accept then counts the connection in wg until served) or refused.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	remote := parseRemoteAddrPort(r.RemoteAddr)
	s.ln.enterHandler(remote)
	defer s.ln.leaveHandler(remote)
	s.handler.ServeHTTP(w, r)
}

// exempt reports whether ip is exempt from bans and rate limits:
// localhost or inside ExemptNetworks.
func (s *Server) exempt(ip netip.Addr) bool {
	return ip.IsValid() && (s.cfg.isLocalhost(ip) || inNetworks(ip, s.cfg.ExemptNetworks))
}

// admit is the peer.Handler's Admit hook, run before the WebSocket
// upgrade: a banned address gets HTTP 403.
func (s *Server) admit(r *http.Request, _ protocol.Bytes32) error {
	ip := parseRemote(r.RemoteAddr)
	if until, ok := s.bans.until(ip, s.cfg.Now()); ok {
		s.log.Warn("refusing banned peer", "ip", ip, "until", until)
		return fmt.Errorf("peer %s is banned, refusing connection", ip)
	}
	return nil
}

// accept is the peer.Handler's Accept hook, run after a successful
// inbound handshake: it applies the inbound limits and registers the
// connection, replacing one with the same node id.
func (s *Server) accept(p *peer.Peer) error {
	info := p.Info()
	if s.ln != nil {
		s.ln.handshakeDone(info.RemoteAddr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	victim, err := s.checkInbound(info)
	if err != nil {
		s.log.Info("not accepting inbound connection", "peer", info.RemoteAddr, "node_type", info.NodeType, "err", err)
		return err
	}
	if victim != nil {
		s.evict(victim, info)
	}
	s.register(&conn{}, p)
	// peer.Handler.ServeHTTP returns once the peer is accepted; the
	// connection is counted until the Handler's Served hook (served).
	s.wg.Add(1)
	return nil
}

// served is the peer.Handler's Served hook: an accepted connection is
// done.
func (s *Server) served(*peer.Peer) { s.wg.Done() }

// connClosed is every connection's OnClose: it applies the close
// reason's ban and takes a registered connection out of the registry. c
// is the dial's record for an outbound connection, nil for an inbound
// one (found by p).
func (s *Server) connClosed(c *conn, p *peer.Peer, r *peer.CloseReason) {
	info := p.Info()
	if c == nil && s.ln != nil && s.ln.wasDisplaced(info.RemoteAddr) {
		// We closed the socket to make room for a newer connection: the
		// failed handshake is not the peer's doing.
		s.log.Debug("pending connection displaced by a newer one", "peer", info.RemoteAddr)
	} else {
		s.applyBan(info, r)
	}
	s.mu.Lock()
	if c == nil {
		c = s.conns[p]
	}
	if c != nil {
		c.closed = true
		if c.p == p && s.conns[p] == c {
			delete(s.conns, p)
			if s.byID[info.NodeID] == c {
				s.unregisterLocked(c)
			}
			s.log.Debug("connection closed", "peer", info.RemoteAddr, "node_id", info.NodeID,
				"outbound", info.Outbound, "reason", r)
			s.emit(Event{Type: Disconnected, Peer: p, Info: info, Reason: r})
		}
	}
	onClose := s.onClose
	s.mu.Unlock()
	if onClose != nil {
		onClose(p, r)
	}
}

// applyBan bans the peer of a closed connection for r.Ban unless it is
// localhost, trusted or exempt (the reference's connection_closed).
func (s *Server) applyBan(info peer.Info, r *peer.CloseReason) {
	if r == nil || r.Ban <= 0 {
		return
	}
	ip := info.RemoteAddr.Addr()
	switch {
	case !ip.IsValid():
		return
	case s.trustedID(info.NodeID):
		s.log.Warn("not banning trusted peer", "ip", ip, "for", r.Ban)
		return
	case !s.bannable(ip):
		s.log.Warn("not banning localhost, trusted or exempt peer", "ip", ip, "for", r.Ban)
		return
	}
	s.Ban(ip, r.Ban)
}

// trustedID reports whether id is one of TrustedNodeIDs.
func (s *Server) trustedID(id protocol.Bytes32) bool {
	for _, t := range s.cfg.TrustedNodeIDs {
		if t == id {
			return true
		}
	}
	return false
}

// Close closes every connection with a plain close (1000, no ban, cause
// ErrServerClosed), stops the listener and dials under way, delivers the
// last events, and waits for every goroutine of the Server and its
// connections. If ctx ends first, accepted connections still open are
// dropped without a close handshake and Close returns ctx's error without
// waiting further (goroutines may then outlive it, for example a handler
// that ignores its context). Close is idempotent: later calls wait for
// the first. It must not be called from a handler or a Subscribe
// callback, which Close waits for.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		select {
		case <-s.closeDone:
			return s.closeErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.closed = true
	s.cancel()
	peers := make([]*peer.Peer, 0, len(s.conns))
	for p := range s.conns {
		peers = append(peers, p)
	}
	s.mu.Unlock()

	if s.httpSrv != nil {
		_ = s.httpSrv.Close() // the listener, and connections not yet upgraded
	}
	for _, p := range peers {
		p.Close(peer.NormalClose(ErrServerClosed))
	}
	err := waitPeers(ctx, peers)
	if s.ln != nil {
		// Upgraded connections still in their handshake, and whatever
		// did not close in time.
		s.ln.closeAll()
	}
	if werr := waitGroup(ctx, &s.wg); err == nil {
		err = werr
	}
	s.mu.Lock()
	for sub := range s.subs {
		sub.stop(false)
	}
	s.mu.Unlock()
	if werr := waitGroup(ctx, &s.subWG); err == nil {
		err = werr
	}
	s.closeErr = err
	close(s.closeDone)
	s.log.Info("server closed", "err", err)
	return err
}

// waitPeers waits until every peer is done or ctx ends.
func waitPeers(ctx context.Context, peers []*peer.Peer) error {
	for _, p := range peers {
		select {
		case <-p.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// waitGroup waits for wg or ctx.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
