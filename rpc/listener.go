package rpc

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
)

// limitListener accepts at most max connections at once; a connection
// over the cap is closed as soon as it is accepted, so that a client
// gets a prompt failure instead of a hang, and the clients already
// connected are not held up. The listeners of one server share active,
// so that the cap holds across its addresses.
type limitListener struct {
	net.Listener
	max    int64
	active *atomic.Int64
	log    *slog.Logger

	onAccept func(net.Conn) // for tests; may be nil
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.active.Add(1) > l.max {
			l.active.Add(-1)
			l.log.Debug("refusing connection: too many open", "remote", c.RemoteAddr(), "max", l.max)
			_ = c.Close()
			continue
		}
		if l.onAccept != nil {
			l.onAccept(c)
		}
		return &limitConn{Conn: c, l: l}, nil
	}
}

// limitListeners wraps lns, sharing one count of open connections.
func limitListeners(lns []net.Listener, limit int64, log *slog.Logger, onAccept func(net.Conn)) []*limitListener {
	active := new(atomic.Int64)
	out := make([]*limitListener, len(lns))
	for i, ln := range lns {
		out[i] = &limitListener{Listener: ln, max: limit, active: active, log: log, onAccept: onAccept}
	}
	return out
}

type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.active.Add(-1) })
	return err
}

// serverTLS checks that cfg asks for mutual TLS and returns the copy a
// server uses: TLS 1.3 at least, HTTP/1.1 only.
func serverTLS(cfg *tls.Config) (*tls.Config, error) {
	if cfg == nil {
		return nil, errors.New("rpc: no TLS config (see ServerTLS)")
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		return nil, errors.New("rpc: the TLS config must require and verify client certificates")
	}
	if cfg.ClientCAs == nil {
		return nil, errors.New("rpc: the TLS config has no CA to verify clients against")
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, errors.New("rpc: the TLS config has no certificate")
	}
	c := cfg.Clone()
	if c.MinVersion < tls.VersionTLS13 {
		c.MinVersion = tls.VersionTLS13
	}
	c.NextProtos = []string{"http/1.1"}
	return c, nil
}
