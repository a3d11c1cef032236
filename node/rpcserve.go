package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/rpc"
)

// errStopNode is the cause of a shutdown asked for through the RPC.
var errStopNode = errors.New("stop_node or the daemon's exit")

// rpcTLS returns the TLS config of the RPC server and the daemon, the
// daemon's private certificate (created if missing), when either is
// configured; nil otherwise.
func rpcTLS(cfg *Config, tree *chiatls.Tree) (*tls.Config, error) {
	if cfg.RPCAddr == "" && cfg.DaemonAddr == "" {
		return nil, nil
	}
	if err := tree.EnsureService(chiatls.Daemon); err != nil {
		return nil, fmt.Errorf("node: RPC certificates: %w", err)
	}
	tc, err := rpc.ServerTLS(*tree, chiatls.Daemon)
	if err != nil {
		return nil, fmt.Errorf("node: RPC certificates: %w", err)
	}
	return tc, nil
}

// startRPC starts the HTTPS RPC and the daemon's WebSocket as configured;
// stop begins the node's shutdown. The returned function closes them,
// waiting at most until ctx ends for the calls under way.
func (n *Node) startRPC(ctx context.Context, stop func()) (closeRPC func(context.Context), err error) {
	closeRPC = func(context.Context) {}
	if n.rpcTLS == nil {
		return closeRPC, nil
	}
	fn := n.RPC(n.cfg.NetworkInfo, stop)
	routes := rpc.FullNodeRoutes(fn, rpc.Options{LogLevel: n.cfg.LogLevel, ResetLogLevel: n.cfg.ResetLogLevel})
	log := n.log.With("component", "rpc")

	var srv *rpc.Server
	if n.cfg.RPCAddr != "" {
		srv, err = rpc.NewServer(rpc.Config{
			Name:       rpc.FullNodeService,
			Routes:     routes,
			ListenAddr: n.cfg.RPCAddr,
			TLS:        n.rpcTLS,
			Logger:     log,
		})
		if err == nil {
			err = srv.Start(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("node: RPC: %w", err)
		}
		n.rpcAddr = srv.Addr().String()
	}

	var d *rpc.Daemon
	stopNotify := func() {}
	if n.cfg.DaemonAddr != "" {
		d, err = rpc.NewDaemon(rpc.DaemonConfig{
			ListenAddr:      n.cfg.DaemonAddr,
			TLS:             n.rpcTLS,
			NetworkInfo:     n.cfg.NetworkInfo,
			Exit:            stop,
			MaxMessageBytes: n.cfg.DaemonMaxMessageBytes,
			ReadTimeout:     n.cfg.DaemonHeartbeat,
			AllowTLS12:      n.cfg.DaemonAllowTLS12,
			Logger:          n.log.With("component", "daemon"),
		})
		if err == nil {
			err = d.AddService(rpc.FullNodeService, routes)
		}
		if err == nil {
			err = d.Start(ctx)
		}
		if err != nil {
			if srv != nil {
				_ = srv.Close(context.Background())
			}
			return nil, fmt.Errorf("node: daemon: %w", err)
		}
		n.daemonAddr = d.Addr().String()
		stopNotify = rpc.NotifyFullNode(d, fn)
	}

	return func(ctx context.Context) {
		// The notifications stop first, then the daemon's sockets and the
		// RPC's connections close, letting the calls under way answer.
		stopNotify()
		if d != nil {
			if err := d.Close(ctx); err != nil {
				n.log.Warn("closing the daemon", "err", err)
			}
		}
		if srv != nil {
			if err := srv.Close(ctx); err != nil {
				n.log.Warn("closing the RPC server", "err", err)
			}
		}
	}, nil
}

// RPCAddr returns the address the HTTPS RPC listens on once Run has
// started (see Ready), 127.0.0.1's for localhost, which also listens on
// ::1 with the same port; empty when it is off.
func (n *Node) RPCAddr() string { return n.rpcAddr }

// DaemonAddr returns the address the daemon's WebSocket listens on once
// Run has started (see Ready), 127.0.0.1's for localhost as RPCAddr;
// empty when it is off.
func (n *Node) DaemonAddr() string { return n.daemonAddr }
