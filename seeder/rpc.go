package seeder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
)

// liveSet holds the crawl connections open at the moment, for the RPC's
// get_connections and close_connection. It has a lock of its own so that
// crawls do not wait for the records' lock to come and go.
type liveSet struct {
	mu    sync.Mutex
	peers map[*peer.Peer]struct{}
}

func (s *liveSet) add(p *peer.Peer) {
	s.mu.Lock()
	if s.peers == nil {
		s.peers = make(map[*peer.Peer]struct{})
	}
	s.peers[p] = struct{}{}
	s.mu.Unlock()
}

func (s *liveSet) remove(p *peer.Peer) {
	s.mu.Lock()
	delete(s.peers, p)
	s.mu.Unlock()
}

func (s *liveSet) list() []*peer.Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*peer.Peer, 0, len(s.peers))
	for p := range s.peers {
		out = append(out, p)
	}
	return out
}

// RPC returns the crawler as the rpc package's Crawler, for
// rpc.CrawlerRoutes (the reference's chia_crawler service). info is what
// get_network_info answers; stop is called by stop_node and must only
// begin the shutdown (e.g. cancel the context of Run).
//
//   - get_peer_counts, get_ips_after_timestamp: PeerCounts and the
//     records seen after the time asked, as IPsAfterTimestamp.
//   - get_connections: the crawl connections open at the moment; each
//     lasts one crawl (a few seconds), as in the reference, whose crawler
//     closes its connections within 5 s. Peaks are not reported (null).
//   - open_connection: crawls host:port at once, as a batch would, and
//     records the outcome, which the next batch (or Run, as it stops)
//     saves. It fails, and records nothing, when the handshake does not
//     complete, when the port is not the crawled one, or when the
//     address is private and private addresses are not recorded.
//   - close_connection: closes a crawl connection; its crawl records what
//     it had learnt by then.
//
// It is safe for concurrent use.
func (c *Crawler) RPC(info rpc.NetworkInfo, stop func()) rpc.Crawler {
	return &rpcCrawler{c: c, info: info, stop: stop}
}

type rpcCrawler struct {
	c    *Crawler
	info rpc.NetworkInfo
	stop func()
}

var _ rpc.Crawler = (*rpcCrawler)(nil)

func (r *rpcCrawler) NetworkInfo() rpc.NetworkInfo { return r.info }

func (r *rpcCrawler) Stop() { r.stop() }

func (r *rpcCrawler) PeerCounts() rpc.PeerCounts { return rpcCounts(r.c.PeerCounts()) }

func rpcCounts(pc PeerCounts) rpc.PeerCounts {
	return rpc.PeerCounts{
		TotalLast5Days: pc.TotalLast5Days,
		ReliableNodes:  pc.ReliableNodes,
		IPv4Last5Days:  pc.IPv4Last5Days,
		IPv6Last5Days:  pc.IPv6Last5Days,
		Versions:       pc.Versions,
	}
}

func (r *rpcCrawler) IPsAfterTimestamp(after time.Time, offset, limit int) ([]string, int) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	// ipsAfter, not the exported method: limit 0 asks for no address.
	page := ipsAfter(r.c.records, after, offset, limit)
	return page.IPs, page.Total
}

func (r *rpcCrawler) Connections() []rpc.Connection {
	peers := r.c.live.list()
	out := make([]rpc.Connection, 0, len(peers))
	for _, p := range peers {
		info, st := p.Info(), p.Stats()
		out = append(out, rpc.Connection{
			NodeType:        info.NodeType,
			PeerHost:        info.RemoteAddr.Addr(),
			PeerPort:        info.RemoteAddr.Port(),
			PeerServerPort:  info.ServerPort,
			NodeID:          info.NodeID,
			CreationTime:    st.Created,
			BytesRead:       st.BytesRead,
			BytesWritten:    st.BytesWritten,
			LastMessageTime: st.LastMessage,
		})
	}
	slices.SortFunc(out, func(a, b rpc.Connection) int {
		if c := a.CreationTime.Compare(b.CreationTime); c != 0 {
			return c
		}
		return bytes.Compare(a.NodeID[:], b.NodeID[:])
	})
	return out
}

// errClosedByRPC is the cause of crawl connections closed through the RPC.
var errClosedByRPC = errors.New("seeder: closed through the RPC")

func (r *rpcCrawler) CloseConnection(ctx context.Context, id protocol.Bytes32) error {
	for _, p := range r.c.live.list() {
		if p.Info().NodeID != id {
			continue
		}
		p.Close(peer.NormalClose(errClosedByRPC))
		select {
		case <-p.Done():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fmt.Errorf("seeder: no crawl connection with node_id %x", id[:])
}

func (r *rpcCrawler) OpenConnection(ctx context.Context, host string, port uint16) error {
	_, err := r.c.CrawlPeer(ctx, host, port)
	return err
}

// CrawlPeer crawls one peer at once, as a batch would, and records the
// outcome, which the next batch (or Run, as it stops) saves; host is an
// IP address or a name (recorded under the address reached). It reports whether the peer
// counted as reachable. It fails, recording nothing, when the handshake
// does not complete, when port is not the crawled one (CrawlerConfig.
// Port), or when the address is one the crawler does not record
// (private, without AllowPrivate). It may run while a batch does; it
// loads the store first when no batch has (Load).
func (c *Crawler) CrawlPeer(ctx context.Context, host string, port uint16) (reachable bool, err error) {
	if port == 0 || (c.cfg.Port != 0 && port != c.cfg.Port) {
		return false, fmt.Errorf("seeder: port %d is not crawled: this crawler records only peers on port %d", port, c.cfg.Port)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" || !c.usable(a.Unmap()) {
			return false, fmt.Errorf("seeder: %s is not an address this crawler records", host)
		}
		host = canonicalHost(a)
	}
	// The outcome goes into the records the store holds: loading them
	// later would replace it.
	if err := c.ensureLoaded(ctx); err != nil {
		return false, err
	}
	res := c.crawl(ctx, target{host: host, port: port})
	if res.cancelled {
		return false, context.Cause(ctx)
	}
	if !res.handshake {
		return false, res.err
	}
	if a := res.info.RemoteAddr.Addr(); !c.usable(a.Unmap()) {
		return false, fmt.Errorf("seeder: %s reached %s, which is not an address this crawler records", host, a)
	}
	return c.apply(res).reachable, nil
}
