package discovery

import (
	"context"
	"net/netip"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// link is one connection as discovery sees it: a *peer.Peer in
// production (peerLink), a fake in tests. Implementations must be
// comparable, equal for the same connection.
type link interface {
	Info() peer.Info
	Send(ctx context.Context, t protocol.MessageType, payload protocol.Value) error
	Request(ctx context.Context, t protocol.MessageType, payload protocol.Value) (protocol.Value, error)
	// Close closes the connection normally (1000, no ban).
	Close()
	Done() <-chan struct{}
}

// network is what discovery needs of package server: *server.Server in
// production (serverNet), a fake in tests.
type network interface {
	// Dial connects to addr ("ip:port") and registers the connection;
	// errors are server's (ErrDuplicate, ErrSelfAddress, ErrBanned, …).
	// A non-nil admit is called after the handshake, before the
	// connection is registered; its error refuses the connection, which
	// is closed unregistered, and is wrapped in Dial's
	// (server.WithAdmit).
	Dial(ctx context.Context, addr string, admit func(peer.Info) error) (link, error)
	// Links returns the registered connections.
	Links() []link
	IsBanned(ip netip.Addr) bool
	// ListenAddr is the bound listener address; zero without one.
	ListenAddr() netip.AddrPort
	// Subscribe calls fn for every connection joining (connected) or
	// leaving the registry, until cancelled.
	Subscribe(fn func(connected bool, l link)) (cancel func())
}

// peerLink is a link over a *peer.Peer.
type peerLink struct{ p *peer.Peer }

func (l peerLink) Info() peer.Info { return l.p.Info() }
func (l peerLink) Send(ctx context.Context, t protocol.MessageType, v protocol.Value) error {
	return l.p.Send(ctx, t, v)
}
func (l peerLink) Request(ctx context.Context, t protocol.MessageType, v protocol.Value) (protocol.Value, error) {
	return l.p.Request(ctx, t, v)
}
func (l peerLink) Close()                { l.p.Close(peer.NormalClose(nil)) }
func (l peerLink) Done() <-chan struct{} { return l.p.Done() }

// serverNet is the network of a *server.Server.
type serverNet struct{ s *server.Server }

func (n serverNet) Dial(ctx context.Context, addr string, admit func(peer.Info) error) (link, error) {
	var opts []server.DialOption
	if admit != nil {
		opts = append(opts, server.WithAdmit(admit))
	}
	p, err := n.s.Dial(ctx, addr, opts...)
	if err != nil {
		return nil, err
	}
	return peerLink{p}, nil
}

func (n serverNet) Links() []link {
	ps := n.s.Peers()
	out := make([]link, len(ps))
	for i, p := range ps {
		out[i] = peerLink{p}
	}
	return out
}

func (n serverNet) IsBanned(ip netip.Addr) bool { return n.s.IsBanned(ip) }
func (n serverNet) ListenAddr() netip.AddrPort  { return n.s.Addr() }

func (n serverNet) Subscribe(fn func(bool, link)) func() {
	return n.s.Subscribe(func(e server.Event) {
		fn(e.Type == server.Connected, peerLink{e.Peer})
	})
}
