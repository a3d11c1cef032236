package peer

import (
	"context"
	"net/http"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/protocol"
)

// Handler accepts Chia peers: it is the http.Handler of the "/ws" route of
// a TLS http.Server (whose tls.Config should come from
// chiatls.Tree.ServerConfig, which requires a client certificate). Each
// request is upgraded to a WebSocket, handshaken and offered to Accept.
// ServeHTTP returns as soon as the peer is accepted (or refused, or has
// failed): an accepted peer is served on goroutines of its own until its
// Done is closed, so that an idle connection does not keep the HTTP
// server's per-request state and connection goroutine. An owner that must
// wait for its accepted peers waits on their Done (or uses Served).
//
// The fields must not change while the Handler is in use.
type Handler struct {
	// Config configures every accepted connection. Its Exempt and TLS
	// fields are not used.
	Config Config
	// Exempt, if set, reports whether the peer of r is exempt from limits
	// and bans (the reference: localhost and exempt_peer_networks); the
	// handshake timeout applies to every peer. Nil means nobody is.
	Exempt func(r *http.Request) bool
	// Admit, if set, is asked before the WebSocket upgrade, with the node
	// id from the client certificate; an error refuses the peer with HTTP
	// 403 and the error's text (the reference does so for banned
	// addresses, and the crawler for everybody).
	Admit func(r *http.Request, nodeID protocol.Bytes32) error
	// Accept, if set, is called after a successful handshake (and
	// ConfigureWindowSizes exchange), before the peer reads anything
	// further: this is where the owner applies inbound limits and
	// deduplication and takes the peer. An error refuses it with a plain
	// close (code 1000, no reason, no ban), as the reference refuses peers
	// over its inbound limits. The peer's goroutines start when Accept
	// returns, so Accept must not wait for replies from p (start such
	// conversations in a goroutine).
	Accept func(p *Peer) error
	// Served, if set, is called once a peer that Accept took is done:
	// after its Done is closed, on the peer's last goroutine, as the last
	// thing it does. An owner counting its connections (a WaitGroup
	// incremented in Accept) decrements it here.
	Served func(p *Peer)
}

// ServeHTTP serves one peer connection; see Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/ws" {
		http.NotFound(w, r)
		return
	}
	cfg := h.Config.withDefaults(false)
	if err := cfg.validate(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if r.TLS == nil {
		http.Error(w, "TLS required", http.StatusInternalServerError)
		return
	}
	id, err := chiatls.PeerNodeID(*r.TLS)
	if err != nil {
		http.Error(w, "client certificate required", http.StatusForbidden)
		return
	}
	if cfg.NodeID != (protocol.Bytes32{}) && id == cfg.NodeID {
		http.Error(w, "self connection", http.StatusForbidden)
		return
	}
	if h.Admit != nil {
		if err := h.Admit(r, id); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
	}
	exempt := h.Exempt != nil && h.Exempt(r)
	p := newPeer(cfg, false, exempt)
	c, err := cfg.lib.Accept(w, r, p.wsOptions())
	if err != nil {
		cfg.Logger.Debug("WebSocket upgrade failed", "peer", r.RemoteAddr, "err", err)
		return
	}
	p.attach(c, id, r.RemoteAddr)
	if p.open(context.Background()) != nil {
		return
	}
	if h.Accept != nil {
		if err := h.Accept(p); err != nil {
			p.log.Debug("owner refused peer", "err", err)
			p.shutdown(NormalClose(joinErr(ErrRefused, err)))
			return
		}
	}
	go func() {
		p.run()
		if h.Served != nil {
			h.Served(p)
		}
	}()
}
