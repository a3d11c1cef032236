package server

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/chianet/chianet/peer"
)

// Dial connects to the Chia peer at addr ("host:port"), performs the
// handshake and registers the connection as outbound, replacing a
// registered connection with the same node id. It refuses, without
// connecting:
//
//   - our own listening address (ErrSelfAddress): the listener's IP and
//     port, or a loopback address or "localhost" with our port when we
//     listen on every interface;
//   - a banned IP (ErrBanned);
//   - a peer already connected with the same IP and handshake
//     server_port, or a dial to the same target under way (ErrDuplicate).
//
// A peer with our own node id is dropped in the TLS handshake (an error
// wrapping peer.ErrSelfConnection); one whose address turns out to be
// banned (for a host name) is dropped after the handshake. A failed handshake returns an error wrapping
// the connection's *peer.CloseReason, whose ban, if any, is applied.
// Localhost and ExemptNetworks peers are exempt from rate limits; the
// handshake timeout applies to them as to any peer.
//
// WithAdmit (an option) lets the caller refuse the connection after the
// handshake and before it joins the registry.
//
// ctx bounds the connection setup and handshake (with the PeerConfig
// timeouts); Close cancels dials under way. Dial must be called after
// Start, so that the handshake announces the bound port.
func (s *Server) Dial(ctx context.Context, addr string, opts ...DialOption) (*peer.Peer, error) {
	p, err := s.dial(ctx, addr, opts)
	if s.cfg.OnDial != nil {
		s.cfg.OnDial(addr, err)
	}
	return p, err
}

// dial is Dial.
func (s *Server) dial(ctx context.Context, addr string, opts []DialOption) (*peer.Peer, error) {
	var o dialOptions
	for _, opt := range opts {
		opt(&o)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("server: dial %q: %w", addr, err)
	}
	port64, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port64 == 0 {
		return nil, fmt.Errorf("server: dial %q: invalid port", addr)
	}
	port := uint16(port64)
	ip := netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		ip = normalizeAddr(a)
	}
	localName := strings.EqualFold(host, "localhost")
	key := net.JoinHostPort(strings.ToLower(host), portStr)
	if ip.IsValid() {
		key = netip.AddrPortFrom(ip, port).String()
	}

	s.mu.Lock()
	if err := s.checkDialLocked(host, ip, port, key, localName); err != nil {
		s.mu.Unlock()
		s.log.Debug("not dialling peer", "addr", addr, "err", err)
		return nil, fmt.Errorf("server: dial %s: %w", addr, err)
	}
	s.dialing[key] = struct{}{}
	s.wg.Add(1)
	cfg := s.peerCfg
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.dialing, key)
		s.mu.Unlock()
		s.wg.Done()
	}()

	c := &conn{}
	cfg.TLS = s.cfg.ClientTLS
	cfg.Exempt = localName || s.exempt(ip)
	cfg.OnClose = func(p *peer.Peer, r *peer.CloseReason) { s.connClosed(c, p, r) }

	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	p, err := peer.Dial(dctx, addr, cfg)
	if err != nil {
		if s.ctx.Err() != nil {
			return nil, fmt.Errorf("server: dial %s: %w: %w", addr, ErrServerClosed, err)
		}
		return nil, fmt.Errorf("server: dial %s: %w", addr, err)
	}

	if o.admit != nil {
		if err := o.admit(p.Info()); err != nil {
			p.Close(peer.NormalClose(err))
			<-p.Done()
			return nil, fmt.Errorf("server: dial %s: %w: %w", addr, ErrNotAdmitted, err)
		}
	}

	remote := p.Info().RemoteAddr.Addr()
	s.mu.Lock()
	var refuse error
	if s.closed {
		refuse = ErrServerClosed
	} else if until, ok := s.bans.until(remote, s.cfg.Now()); ok {
		refuse = fmt.Errorf("%w: %v until %v", ErrBanned, remote, until)
	}
	if refuse == nil && !c.closed {
		s.register(c, p)
		s.mu.Unlock()
		return p, nil
	}
	s.mu.Unlock()
	// Refused, or the connection already ended (then its own reason is
	// the error).
	p.Close(peer.NormalClose(refuse))
	<-p.Done()
	if refuse == nil {
		refuse = p.Err()
	}
	return nil, fmt.Errorf("server: dial %s: %w", addr, refuse)
}

// DialOption changes one Dial.
type DialOption func(*dialOptions)

type dialOptions struct {
	admit func(peer.Info) error
}

// WithAdmit has Dial call admit with the peer's Info once the handshake
// has completed, before the connection joins the registry: no Connected
// event, no replacement of a registered connection with the same node id
// and no count has seen it yet. If admit returns an error, the connection
// is closed normally (1000, no ban) and Dial returns an error wrapping
// ErrNotAdmitted and admit's error. admit is called on Dial's goroutine,
// without any lock of the Server held, so it may call the Server's
// methods; once it returns nil the connection may still be refused
// (server closed, banned address, connection lost), and Dial then returns
// that error.
func WithAdmit(admit func(peer.Info) error) DialOption {
	return func(o *dialOptions) { o.admit = admit }
}

// checkDialLocked applies the checks made before dialling. s.mu is held.
func (s *Server) checkDialLocked(host string, ip netip.Addr, port uint16, key string, localName bool) error {
	switch {
	case s.closed:
		return ErrServerClosed
	case !s.started:
		return ErrNotStarted
	case s.isOwnAddress(ip, port, localName):
		return ErrSelfAddress
	}
	if ip.IsValid() {
		if until, ok := s.bans.until(ip, s.cfg.Now()); ok {
			return fmt.Errorf("%w: %v until %v", ErrBanned, ip, until)
		}
		for _, c := range s.byID {
			if c.info.RemoteAddr.Addr() == ip && c.info.ServerPort == port {
				return fmt.Errorf("%w: %v (node id %v)", ErrDuplicate, host, c.info.NodeID)
			}
		}
	}
	if _, ok := s.dialing[key]; ok {
		return fmt.Errorf("%w: a dial to %s is under way", ErrDuplicate, key)
	}
	return nil
}

// isOwnAddress reports whether ip:port (or localhost:port) reaches our own
// listener. The reference refuses localhost with our port; this also
// catches the listener's own IP (127.N.0.1 in an in-process network) and
// does not refuse a loopback address we are not bound to.
func (s *Server) isOwnAddress(ip netip.Addr, port uint16, localName bool) bool {
	own := s.addr
	if !own.IsValid() || port != own.Port() {
		return false
	}
	lip := own.Addr()
	if localName || (ip.IsValid() && ip.IsUnspecified()) {
		return lip.IsUnspecified() || lip == loopback4 || lip == loopback6
	}
	if !ip.IsValid() {
		return false
	}
	if lip.IsUnspecified() {
		return ip.IsLoopback()
	}
	return ip == lip
}
