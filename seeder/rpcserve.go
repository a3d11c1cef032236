package seeder

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chianet/chianet/rpc"
)

// RPCConfig configures Crawler.StartRPC. TLS is required, and one of
// RPCAddr and DaemonAddr.
type RPCConfig struct {
	// RPCAddr is the "host:port" of the HTTPS RPC (the reference's
	// self_hostname and seeder.crawler.rpc_port, 8561); localhost means
	// 127.0.0.1 and ::1 (see rpc.Config.ListenAddr); port 0 takes any
	// free port. Empty means none.
	RPCAddr string
	// DaemonAddr is the "host:port" of a daemon WebSocket of the
	// crawler's own, serving it as rpc.CrawlerService and sending its
	// state changes to the sockets registered as rpc.Metrics. Empty means
	// none.
	DaemonAddr string
	// DaemonMaxMessageBytes, DaemonHeartbeat and DaemonAllowTLS12 are the
	// daemon's rpc.DaemonConfig MaxMessageBytes, ReadTimeout and
	// AllowTLS12: config.yaml's daemon_max_message_size, daemon_heartbeat
	// and daemon_allow_tls_1_2. Zero means the reference's defaults
	// (50,000,000 bytes, 300 s, TLS 1.3 only).
	DaemonMaxMessageBytes int64
	DaemonHeartbeat       time.Duration
	DaemonAllowTLS12      bool
	// TLS is the servers' TLS config: rpc.ServerTLS with the daemon's
	// certificate, as the reference's services present. Required.
	TLS *tls.Config
	// NetworkInfo is what get_network_info answers.
	NetworkInfo rpc.NetworkInfo
	// Options are the shared routes' (get_version, the log level).
	Options rpc.Options
	// Stop is called by stop_node and the daemon's exit; it must only
	// begin the shutdown. Required.
	Stop func()
	// Logger receives the servers' log records. Nil discards.
	Logger *slog.Logger
}

// RPCServer is the crawler's RPC as StartRPC started it.
type RPCServer struct {
	srv *rpc.Server
	d   *rpc.Daemon
	log *slog.Logger
}

// StartRPC serves the crawler's routes (rpc.CrawlerRoutes over c.RPC)
// over HTTPS, on a daemon WebSocket of its own, or both. The crawler's
// state changes reach the daemon's metrics sockets once Notify is called
// from CrawlerConfig.OnEvent.
func (c *Crawler) StartRPC(ctx context.Context, cfg RPCConfig) (*RPCServer, error) {
	if cfg.TLS == nil || cfg.Stop == nil {
		return nil, errors.New("seeder: RPCConfig.TLS and Stop are required")
	}
	if cfg.RPCAddr == "" && cfg.DaemonAddr == "" {
		return nil, errors.New("seeder: RPCConfig has neither RPCAddr nor DaemonAddr")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	routes := rpc.CrawlerRoutes(c.RPC(cfg.NetworkInfo, cfg.Stop), cfg.Options)
	s := &RPCServer{log: log}
	var err error
	if cfg.RPCAddr != "" {
		s.srv, err = rpc.NewServer(rpc.Config{Name: rpc.CrawlerService, Routes: routes, ListenAddr: cfg.RPCAddr,
			TLS: cfg.TLS, Logger: log.With("component", "rpc")})
		if err == nil {
			err = s.srv.Start(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("seeder: RPC: %w", err)
		}
	}
	if cfg.DaemonAddr != "" {
		s.d, err = rpc.NewDaemon(rpc.DaemonConfig{ListenAddr: cfg.DaemonAddr, TLS: cfg.TLS, AllowTLS12: cfg.DaemonAllowTLS12,
			Version: cfg.Options.Version, NetworkInfo: cfg.NetworkInfo, Exit: cfg.Stop,
			MaxMessageBytes: cfg.DaemonMaxMessageBytes, ReadTimeout: cfg.DaemonHeartbeat, Logger: log.With("component", "daemon")})
		if err == nil {
			err = s.d.AddService(rpc.CrawlerService, routes)
		}
		if err == nil {
			err = s.d.Start(ctx)
		}
		if err != nil {
			s.d = nil
			s.Close(context.Background())
			return nil, fmt.Errorf("seeder: daemon: %w", err)
		}
	}
	return s, nil
}

// Addr returns the address the HTTPS RPC listens on; empty when it is
// off.
func (s *RPCServer) Addr() string {
	if s == nil || s.srv == nil {
		return ""
	}
	return s.srv.Addr().String()
}

// DaemonAddr returns the address the daemon WebSocket listens on; empty
// when it is off.
func (s *RPCServer) DaemonAddr() string {
	if s == nil || s.d == nil {
		return ""
	}
	return s.d.Addr().String()
}

// Notify sends the crawler's state change e (loaded_initial_peers,
// crawl_batch_completed) with its peer counts to the daemon's metrics
// sockets, as the reference's crawler does; it does nothing without a
// daemon (or on a nil RPCServer) and never blocks. Call it from
// CrawlerConfig.OnEvent.
func (s *RPCServer) Notify(e Event) {
	if s == nil || s.d == nil {
		return
	}
	if _, err := rpc.NotifyCrawler(s.d, e.Kind.String(), rpcCounts(e.Counts)); err != nil {
		s.log.Warn("crawler notification failed", "change", e.Kind.String(), "err", err)
	}
}

// Close closes the daemon's sockets and the HTTPS RPC, waiting for the
// calls under way until ctx ends.
func (s *RPCServer) Close(ctx context.Context) {
	if s.d != nil {
		if err := s.d.Close(ctx); err != nil {
			s.log.Warn("closing the daemon", "err", err)
		}
	}
	if s.srv != nil {
		if err := s.srv.Close(ctx); err != nil {
			s.log.Warn("closing the RPC server", "err", err)
		}
	}
}
