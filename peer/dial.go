package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/internal/ws"
	"github.com/chianet/chianet/protocol"
)

// Dial connects to the Chia peer at addr ("host:port"; an IPv6 literal may
// be bracketed or not) over wss://host:port/ws, performs the handshake and
// returns the running connection.
//
// ctx bounds the connection setup and the handshake, together with
// Config.ConnectTimeout and Config.HandshakeTimeout; once Dial has
// returned, ctx no longer matters. A failed handshake returns the
// connection's *CloseReason (errors.As gives its ban, which OnClose also
// receives). A peer with our own node id (Config.NodeID, else that of
// our certificate) fails with an error wrapping ErrSelfConnection, found
// in the TLS handshake before anything else is sent.
func Dial(ctx context.Context, addr string, cfg Config) (*Peer, error) {
	cfg = cfg.withDefaults(true)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.TLS == nil {
		return nil, errors.New("peer: Config.TLS is required to dial")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("peer: dial %q: %w", addr, err)
	}
	tlsConf := cfg.TLS.Clone()
	if _, err := netip.ParseAddr(host); err != nil && tlsConf.ServerName == "" {
		// A host name is sent as SNI, as the reference does; an IP
		// literal is not.
		tlsConf.ServerName = host
	}
	own := cfg.NodeID
	if own == (protocol.Bytes32{}) && len(tlsConf.Certificates) > 0 {
		if id, err := chiatls.CertificateNodeID(&tlsConf.Certificates[0]); err == nil {
			own = id
		}
	}
	// Our own node id is recognised in the TLS handshake, before the
	// WebSocket upgrade: a listener that knows its id refuses the upgrade
	// of a connection from itself, which would otherwise reach us as a
	// refusal (HTTP 403) rather than as ErrSelfConnection.
	var self atomic.Bool
	if own != (protocol.Bytes32{}) {
		verify := tlsConf.VerifyConnection
		tlsConf.VerifyConnection = func(cs tls.ConnectionState) error {
			if verify != nil {
				if err := verify(cs); err != nil {
					return err
				}
			}
			if id, err := chiatls.PeerNodeID(cs); err == nil && id == own {
				self.Store(true)
				return ErrSelfConnection
			}
			return nil
		}
	}
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}

	dctx := ctx
	if cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout)
		defer cancel()
	}
	p := newPeer(cfg, true, cfg.Exempt)
	c, remote, err := cfg.lib.Dial(dctx, ws.DialConfig{
		URL:     "wss://" + net.JoinHostPort(host, port) + "/ws",
		TLS:     tlsConf,
		Dial:    dial,
		Options: p.wsOptions(),
	})
	if err != nil {
		if self.Load() {
			p.log.Debug("the peer has our own node id", "addr", addr)
			return nil, fmt.Errorf("peer: dial %s: %w", addr, ErrSelfConnection)
		}
		return nil, fmt.Errorf("peer: dial %s: %w", addr, err)
	}
	id, err := chiatls.PeerNodeID(c.TLS())
	if err != nil {
		c.Close(StatusAbnormal, "")
		return nil, fmt.Errorf("peer: dial %s: %w", addr, err)
	}
	remoteStr := addr
	if remote != nil {
		remoteStr = remote.String()
	}
	p.attach(c, id, remoteStr)
	if own != (protocol.Bytes32{}) && id == own {
		p.log.Info("connected to a node with our own node id")
		p.shutdown(NormalClose(ErrSelfConnection))
		return nil, p.reason
	}
	if r := p.open(ctx); r != nil {
		return nil, r
	}
	go p.run()
	return p, nil
}
