package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/chianet/chianet/metrics"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/server"
)

// newMetrics returns the node's metrics when Config.MetricsAddr asks for
// them, nil otherwise, with sources that read n once it is built; sc's
// hooks are set to feed them.
func newMetrics(cfg *Config, n **Node, sc *server.Config) *metrics.Metrics {
	if cfg.MetricsAddr == "" {
		return nil
	}
	m := metrics.New(metrics.Sources{
		Connections: func() []server.ConnectionInfo { return (*n).srv.Snapshot() },
		Addresses:   func() (int, int) { return (*n).addrs.Counts() },
		PeakHeight: func() (uint32, bool) {
			best, ok := heaviest((*n).peaks.snapshot())
			return best.Height, ok
		},
	})
	sc.PeerConfig.Observer = m
	sc.PeerConfig.OnClose = m.Closed
	sc.OnDial = m.Dialed
	return m
}

// heaviest returns the peak of greatest weight among ps.
func heaviest(ps []PeerPeak) (Peak, bool) {
	var best Peak
	found := false
	for _, p := range ps {
		if !found || p.Weight.Cmp(best.Weight) > 0 {
			best, found = p.Peak, true
		}
	}
	return best, found
}

// serveMetrics serves /metrics on Config.MetricsAddr until the returned
// function is called. The address is bound before it returns, so a bad
// one fails the start.
func (n *Node) serveMetrics() (stop func(), err error) {
	if n.metrics == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", n.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("node: metrics: %w", err)
	}
	n.metricsAddr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", n.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("metrics server failed", "err", err)
		}
	}()
	n.log.Info("serving metrics", "addr", "http://"+n.metricsAddr+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// MetricsAddr returns the address /metrics is served on once Run has
// started; empty when metrics are off.
func (n *Node) MetricsAddr() string { return n.metricsAddr }

var _ peer.Observer = (*metrics.Metrics)(nil)
