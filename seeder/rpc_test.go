package seeder

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
)

// rpcWait bounds the waits of the RPC tests.
const rpcWait = 30 * time.Second

// TestCrawlerRPC serves a crawler's RPC and its own daemon over mutual
// TLS on loopback, and checks the routes and the notifications a socket
// registered as metrics receives for a batch.
func TestCrawlerRPC(t *testing.T) {
	clock := newFakeClock(t0)
	a, b := startNode(t, 400, 1000), startNode(t, 401, 1000)
	silent := startNode(t, 402, -1) // announces no peak
	a.tell(b.info(t0))

	cfg := testCrawlerConfig(t, clock)
	cfg.Bootstrap = []string{a.addr.String()}
	cfg.PeakWait = rpcWait // the silent node's crawl lasts until closed
	var rs *RPCServer
	cfg.OnEvent = func(e Event) { rs.Notify(e) }
	c := newTestCrawler(t, cfg)

	cert, pool := identity(t)
	var stops atomic.Int32
	ctx := context.Background()
	var err error
	rs, err = c.StartRPC(ctx, RPCConfig{
		RPCAddr:     "127.0.0.1:0",
		DaemonAddr:  "127.0.0.1:0",
		TLS:         chiatls.ServerConfig(cert, pool),
		NetworkInfo: rpc.NetworkInfo{NetworkName: testNetwork, NetworkPrefix: "txch"},
		Options:     rpc.Options{Version: "2.5.4"},
		Stop:        func() { stops.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close(ctx)
	client := rpc.NewClient("https://"+rs.Addr(), clientTLS(t))
	defer client.Close()
	dc, err := rpc.DialDaemon(ctx, "wss://"+rs.DaemonAddr()+"/", clientTLS(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if err := dc.Register(ctx, rpc.Metrics); err != nil {
		t.Fatal(err)
	}

	batches, err := c.RunOnce(ctx)
	if err != nil || len(batches) != 2 || batches[0].Reachable+batches[1].Reachable != 2 {
		t.Fatalf("batches: %+v, %v", batches, err)
	}
	want := rpcCounts(c.PeerCounts())
	if want.TotalLast5Days != 2 || want.Versions["2.5.4"] != 2 {
		t.Fatalf("counts after the crawl: %+v", want)
	}
	// Load found nothing; the first batch reached one node, the second
	// both.
	for i, w := range []struct {
		command  string
		reliable int
	}{{rpc.LoadedInitialPeers, 0}, {rpc.CrawlBatchCompleted, 1}, {rpc.CrawlBatchCompleted, 2}} {
		var m rpc.Message
		select {
		case m = <-dc.Notifications():
		case <-time.After(rpcWait):
			t.Fatalf("no notification %d, %s", i, w.command)
		}
		var data struct {
			Success    bool           `json:"success"`
			PeerCounts rpc.PeerCounts `json:"peer_counts"`
		}
		if err := json.Unmarshal(m.Data, &data); err != nil {
			t.Fatal(err)
		}
		if m.Command != w.command || m.Origin != rpc.CrawlerService || m.Destination != rpc.Metrics || m.Ack ||
			!data.Success || data.PeerCounts.ReliableNodes != w.reliable || data.PeerCounts.Versions == nil {
			t.Errorf("notification %d, %s: %+v %s", i, w.command, m, m.Data)
		}
		if i == 2 && !reflect.DeepEqual(data.PeerCounts, want) {
			t.Errorf("last %s counts %+v, want %+v", w.command, data.PeerCounts, want)
		}
	}

	// The HTTPS routes, and the same through the daemon.
	for name, cl := range map[string]*rpc.Client{"https": client, "daemon": dc.Service(rpc.CrawlerService)} {
		pc, err := cl.PeerCounts(ctx)
		if err != nil || !reflect.DeepEqual(pc, want) {
			t.Errorf("%s: PeerCounts = %+v, %v; want %+v", name, pc, err, want)
		}
		ips, total, err := cl.IPsAfterTimestamp(ctx, t0.Add(-time.Second), 0, 1)
		if first := min(a.addr.Addr().String(), b.addr.Addr().String()); err != nil || total != 2 ||
			len(ips) != 1 || ips[0] != first {
			t.Errorf("%s: IPsAfterTimestamp = %v %d %v, want [%s] 2", name, ips, total, err, first)
		}
		ni, err := cl.NetworkInfo(ctx)
		if err != nil || ni.NetworkName != testNetwork {
			t.Errorf("%s: NetworkInfo = %+v, %v", name, ni, err)
		}
	}
	if conns, err := client.Connections(ctx, 0); err != nil || len(conns) != 0 {
		t.Errorf("connections between batches: %v, %v", conns, err)
	}

	// open_connection crawls the silent node; while it waits for a peak
	// the connection is listed, and close_connection ends it.
	opened := make(chan error, 1)
	go func() { opened <- client.OpenConnection(ctx, silent.addr.Addr().String(), silent.addr.Port()) }()
	// Nothing announces the connection: poll for it.
	var conns []rpc.Connection
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(rpcWait)
poll:
	for {
		if conns, err = client.Connections(ctx, protocol.NodeFullNode); err != nil || len(conns) > 0 {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			break poll
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 1 || conns[0].NodeID != silent.id || conns[0].PeerHost != silent.addr.Addr() ||
		conns[0].PeerPort != silent.addr.Port() || conns[0].Peak != nil {
		t.Fatalf("connections during the crawl: %+v", conns)
	}
	if err := client.CloseConnection(ctx, silent.id.String()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-opened:
		if err != nil {
			t.Errorf("open_connection: %v", err)
		}
	case <-time.After(rpcWait):
		t.Fatal("open_connection did not return after close_connection")
	}
	r := record(t, c, silent.addr.Addr().String())
	if r.HandshakeTime.IsZero() || r.Reliability.Tries != 1 || r.Reliability.Successes != 0 {
		t.Errorf("the silent node's record: %+v", r)
	}
	if err := client.CloseConnection(ctx, silent.id.String()); err == nil {
		t.Error("close_connection of a closed connection succeeded")
	}

	// A peer that cannot be reached is not recorded.
	dead := deadAddr(t, 400)
	err = client.OpenConnection(ctx, dead.Addr().String(), dead.Port())
	var re *rpc.Error
	if !errors.As(err, &re) || !strings.HasPrefix(re.Message, "could not connect to "+dead.String()) {
		t.Errorf("open_connection of a dead address: %v", err)
	}
	if _, ok := recordOK(c, dead.Addr().String()); ok {
		t.Error("a dead address was recorded")
	}

	if err := client.StopNode(ctx); err != nil || stops.Load() != 1 {
		t.Errorf("stop_node: %v, %d stops", err, stops.Load())
	}
}

// TestCrawlerDaemonOptions checks that RPCConfig's daemon fields reach
// the daemon: with DaemonAllowTLS12 a TLS 1.2 client is answered, without
// it refused; a message over DaemonMaxMessageBytes is not answered.
func TestCrawlerDaemonOptions(t *testing.T) {
	cert, pool := identity(t)
	for _, allow := range []bool{false, true} {
		c := newTestCrawler(t, testCrawlerConfig(t, newFakeClock(t0)))
		ctx, cancel := context.WithTimeout(context.Background(), rpcWait)
		rs, err := c.StartRPC(ctx, RPCConfig{DaemonAddr: "127.0.0.1:0", TLS: chiatls.ServerConfig(cert, pool),
			DaemonAllowTLS12: allow, DaemonMaxMessageBytes: 1000, Stop: func() {}})
		if err != nil {
			t.Fatal(err)
		}
		tc := clientTLS(t)
		tc.MinVersion, tc.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		dc, err := rpc.DialDaemon(ctx, "wss://"+rs.DaemonAddr()+"/", tc, "")
		if err == nil {
			if _, err = dc.Request(ctx, rpc.DaemonName, "ping", nil); err == nil {
				if _, big := dc.Request(ctx, rpc.DaemonName, "ping", map[string]string{"pad": strings.Repeat("x", 2000)}); big == nil {
					t.Error("a 2,000-byte message was answered with a 1,000-byte limit")
				}
			}
			dc.Close()
		}
		if allow != (err == nil) {
			t.Errorf("DaemonAllowTLS12 %v: TLS 1.2 client: %v", allow, err)
		}
		rs.Close(ctx)
		cancel()
	}
}

// CrawlPeer refuses the ports and addresses the crawler does not record.
func TestCrawlPeerRefuses(t *testing.T) {
	cfg := CrawlerConfig{NetworkID: testNetwork, TLS: clientTLS(t), Store: nopStore{}, Port: 8444}
	c := newTestCrawler(t, cfg)
	for _, tc := range []struct {
		host string
		port uint16
		want string
	}{
		{"192.0.2.1", 8445, "port 8445 is not crawled"},
		{"192.0.2.1", 0, "port 0 is not crawled"},
		{"10.0.0.1", 8444, "not an address this crawler records"},
		{"127.0.0.1", 8444, "not an address this crawler records"},
	} {
		if _, err := c.CrawlPeer(context.Background(), tc.host, tc.port); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CrawlPeer(%s, %d) = %v, want %q", tc.host, tc.port, err, tc.want)
		}
	}
	if len(c.Records()) != 0 {
		t.Errorf("records: %v", c.Records())
	}
}

func recordOK(c *Crawler, host string) (Record, bool) {
	for _, r := range c.Records() {
		if r.Host == host {
			return r, true
		}
	}
	return Record{}, false
}

func record(t *testing.T, c *Crawler, host string) Record {
	t.Helper()
	r, ok := recordOK(c, host)
	if !ok {
		t.Fatalf("no record of %s", host)
	}
	return r
}

// A peer crawled through CrawlPeer before the store is loaded (the RPC
// serves before Run's first batch) is recorded and saved, not dropped
// when the first batch loads the store.
func TestCrawlPeerBeforeLoad(t *testing.T) {
	clock := newFakeClock(t0)
	a, b := startNode(t, 410, 1000), startNode(t, 411, 1000)
	cfg := testCrawlerConfig(t, clock)
	cfg.Bootstrap = []string{b.addr.String()} // a batch with nothing to crawl saves nothing
	c := newTestCrawler(t, cfg)
	ctx := context.Background()
	host := a.addr.Addr().String()
	if reachable, err := c.CrawlPeer(ctx, host, a.addr.Port()); err != nil || !reachable {
		t.Fatalf("CrawlPeer: %v, %v", reachable, err)
	}
	if _, err := c.Batch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := recordOK(c, host); !ok {
		t.Fatalf("the crawl before the load was dropped: records %v", c.Records())
	}
	recs, _, err := cfg.Store.Load(ctx)
	if err != nil || len(recs) != 2 {
		t.Errorf("saved: %v, %v", recs, err)
	}

	// Load replaces the records, and the changes not saved with them:
	// the next batch does not look for them.
	d := startNode(t, 412, 1000)
	if _, err := c.CrawlPeer(ctx, d.addr.Addr().String(), d.addr.Port()); err != nil {
		t.Fatal(err)
	}
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // a and b are due again
	if _, err := c.Batch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := recordOK(c, d.addr.Addr().String()); ok {
		t.Error("Load kept a record the store does not hold")
	}
}

// A peer crawled through CrawlPeer (open_connection) is saved by the next
// batch even when that batch has nothing to crawl, and by Run as it
// stops, so a seeder stopped before its next crawl keeps it.
func TestCrawlPeerSavedWithoutTargets(t *testing.T) {
	clock := newFakeClock(t0)
	b := startNode(t, 420, 1000)
	cfg := testCrawlerConfig(t, clock)
	cfg.Bootstrap = []string{b.addr.String()}
	c := newTestCrawler(t, cfg)
	ctx := context.Background()
	if _, err := c.Batch(ctx); err != nil { // crawls b; nothing is due after it
		t.Fatal(err)
	}
	saved := func(host string) bool {
		t.Helper()
		recs, _, err := cfg.Store.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Host == host {
				return true
			}
		}
		return false
	}

	a := startNode(t, 421, 1000)
	if reachable, err := c.CrawlPeer(ctx, a.addr.Addr().String(), a.addr.Port()); err != nil || !reachable {
		t.Fatalf("CrawlPeer: %v, %v", reachable, err)
	}
	st, err := c.Batch(ctx)
	if err != nil || st.Selected != 0 {
		t.Fatalf("Batch: %+v, %v; want nothing selected", st, err)
	}
	if !saved(a.addr.Addr().String()) {
		t.Error("a batch with nothing to crawl left the crawled peer unsaved")
	}

	d := startNode(t, 422, 1000)
	if _, err := c.CrawlPeer(ctx, d.addr.Addr().String(), d.addr.Port()); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	cancel() // Run stops at once
	if err := c.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	if !saved(d.addr.Addr().String()) {
		t.Error("Run stopped without saving the crawled peer")
	}
}
