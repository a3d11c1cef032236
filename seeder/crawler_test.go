package seeder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/discovery"
	"github.com/chianet/chianet/protocol"
)

// testCrawlerConfig is a crawler over a fresh SQLite store with a fake
// clock at t0.
func testCrawlerConfig(t *testing.T, clock *fakeClock) CrawlerConfig {
	t.Helper()
	st, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "seeder.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return CrawlerConfig{
		NetworkID:    testNetwork,
		TLS:          clientTLS(t),
		Store:        st,
		AllowPrivate: true,
		MinHeight:    500,
		PeakWait:     2 * time.Second, // the peak arrives well before
		Clock:        clock,
		Rand:         rand.New(rand.NewPCG(7, 8)),
	}
}

func newTestCrawler(t *testing.T, cfg CrawlerConfig) *Crawler {
	t.Helper()
	c, err := NewCrawler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCrawlChain crawls a chain of fake nodes, each telling of the next,
// from the first, and checks what every record says.
func TestCrawlChain(t *testing.T) {
	clock := newFakeClock(t0)
	const n = 8
	nodes := make([]*fakeNode, n)
	for i := range nodes {
		h := 1000 + i
		switch i {
		case 3:
			h = 10 // below the minimum height
		case 5:
			h = -1 // no peak at all
		}
		nodes[i] = startNode(t, i, h)
	}
	dead := deadAddr(t, 0)
	now := uint64(t0.Unix())
	for i := range n - 1 {
		list := []protocol.TimestampedPeerInfo{nodes[i+1].info(t0.Add(-time.Minute))}
		if i == 0 {
			list = append(list,
				protocol.TimestampedPeerInfo{Host: dead.Addr().String(), Port: dead.Port(), Timestamp: now - 60},
				protocol.TimestampedPeerInfo{Host: "node.example.com", Port: 8444, Timestamp: now},        // a name
				protocol.TimestampedPeerInfo{Host: "127.3.0.1", Port: 0, Timestamp: now},                  // no port
				protocol.TimestampedPeerInfo{Host: "127.3.0.2", Port: 8444, Timestamp: now - 6*24*3600},   // stale
				protocol.TimestampedPeerInfo{Host: "224.0.0.1", Port: 8444, Timestamp: now},               // multicast
				protocol.TimestampedPeerInfo{Host: "::ffff:127.3.0.3", Port: 8444, Timestamp: now + 3600}, // mapped, future
			)
		}
		nodes[i].tell(list...)
	}

	var (
		emu    sync.Mutex
		events []Event
		progs  []Progress
	)
	cfg := testCrawlerConfig(t, clock)
	cfg.Bootstrap = []string{nodes[0].addr.String()}
	cfg.OnEvent = func(e Event) {
		emu.Lock()
		events = append(events, e)
		emu.Unlock()
	}
	cfg.OnProgress = func(p Progress) {
		emu.Lock()
		progs = append(progs, p)
		emu.Unlock()
	}
	c := newTestCrawler(t, cfg)
	batches, err := c.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// The chain is n long: one batch per node, then one with the dead
	// address and the mapped one... every batch finds the next node.
	if len(batches) < n {
		t.Fatalf("%d batches, want at least %d (one per link of the chain)", len(batches), n)
	}
	recs := c.Records()
	byHost := map[string]Record{}
	for _, r := range recs {
		byHost[r.Host] = r
	}
	wantHosts := []string{dead.Addr().String(), "127.3.0.3"}
	for _, fn := range nodes {
		wantHosts = append(wantHosts, fn.addr.Addr().String())
	}
	slices.Sort(wantHosts)
	var gotHosts []string
	for h := range byHost {
		gotHosts = append(gotHosts, h)
	}
	slices.Sort(gotHosts)
	if !slices.Equal(gotHosts, wantHosts) {
		t.Fatalf("recorded hosts %v, want %v", gotHosts, wantHosts)
	}

	for i, fn := range nodes {
		r := byHost[fn.addr.Addr().String()]
		wantReachable := i != 3 && i != 5
		if r.Port != fn.addr.Port() || r.NodeID != fn.id || r.SoftwareVersion != "2.5.4" ||
			r.ProtocolVersion == "" || r.TLSVersion != "TLSv1.3" || r.HandshakeTime != t0 || r.LastTry != t0 {
			t.Errorf("node %d: record %+v", i, r)
		}
		if got := !r.LastSuccess.IsZero(); got != wantReachable {
			t.Errorf("node %d: reachable %v, want %v", i, got, wantReachable)
		}
		if r.Reliable() != wantReachable {
			t.Errorf("node %d: reliable %v, want %v", i, r.Reliable(), wantReachable)
		}
		if wantPeak := i != 5; (r.PeakTime != time.Time{}) != wantPeak || (wantPeak && r.Height != uint32(fn.height)) {
			t.Errorf("node %d: height %d at %v", i, r.Height, r.PeakTime)
		}
		if i > 0 && !r.LastSeen.Equal(t0) && wantReachable {
			t.Errorf("node %d: last seen %v, want the successful crawl at %v", i, r.LastSeen, t0)
		}
		if r.Reliability.Tries != 1 {
			t.Errorf("node %d: tried %d times in one run", i, r.Reliability.Tries)
		}
	}
	d := byHost[dead.Addr().String()]
	if d.Reliability.Tries != 1 || d.Reliability.Successes != 0 || d.Reliable() || !d.HandshakeTime.IsZero() {
		t.Errorf("dead address: %+v", d)
	}
	if m := byHost["127.3.0.3"]; m.LastSeen != t0 || m.Port != 8444 {
		t.Errorf("mapped address advertised in the future: %+v (want last seen capped at now)", m)
	}

	// What the crawler holds is what the store holds.
	got, info, err := cfg.Store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("store differs from the crawler's records")
	}
	if info.Seq != uint64(len(batches)) || info != c.LastBatch() {
		t.Errorf("store's last batch %+v, crawler's %+v, %d batches", info, c.LastBatch(), len(batches))
	}

	counts := c.PeerCounts()
	// Seen in 5 days: every node (by gossip or a crawl), the dead address
	// and the mapped one.
	want := PeerCounts{TotalLast5Days: n + 2, ReliableNodes: n - 2, IPv4Last5Days: n + 2, Versions: map[string]int{"2.5.4": n}}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("counts %+v, want %+v", counts, want)
	}

	emu.Lock()
	events, progs = slices.Clone(events), slices.Clone(progs)
	emu.Unlock()
	if len(events) != len(batches)+1 || events[0].Kind != EventLoadedInitialPeers || events[0].Kind.String() != "loaded_initial_peers" {
		t.Fatalf("events %+v", events)
	}
	for i, e := range events[1:] {
		if e.Kind != EventCrawlBatchCompleted || e.Batch.Seq != uint64(i+1) || e.Kind.String() != "crawl_batch_completed" {
			t.Errorf("event %d: %+v", i+1, e)
		}
	}
	if !reflect.DeepEqual(events[len(events)-1].Counts, counts) {
		t.Errorf("last event's counts %+v, want %+v", events[len(events)-1].Counts, counts)
	}
	var done int
	for _, p := range progs {
		if p.Done > 0 {
			done++
		}
	}
	if done != len(recs) {
		t.Errorf("%d progress reports of finished peers, want %d", done, len(recs))
	}

	// Nothing is eligible again before the recrawl interval...
	if st, err := c.Batch(context.Background()); err != nil || st.Selected != 0 {
		t.Fatalf("batch right after the run: %+v, %v", st, err)
	}
	// ...and everything after it.
	clock.Advance(DefaultRecrawlIPv4)
	st, err := c.Batch(context.Background())
	if err != nil || st.Selected != len(recs) || st.Reachable != n-2 {
		t.Fatalf("batch after the recrawl interval: %+v, %v", st, err)
	}
}

// TestReachableOnHandshake checks the private-network rule: a full node
// that answered request_peers is reachable without a peak.
func TestReachableOnHandshake(t *testing.T) {
	clock := newFakeClock(t0)
	a, b := startNode(t, 20, -1), startNode(t, 21, -1)
	a.tell(b.info(t0))
	cfg := testCrawlerConfig(t, clock)
	cfg.Bootstrap = []string{a.addr.String()}
	cfg.ReachableOnHandshake = true
	cfg.PeakWait = time.Hour // must not be waited for
	c := newTestCrawler(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	batches, err := c.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 2 || batches[0].Reachable != 1 || batches[1].Reachable != 1 {
		t.Fatalf("batches %+v", batches)
	}
	for _, r := range c.Records() {
		if !r.Reliable() || !r.PeakTime.IsZero() {
			t.Errorf("record %+v", r)
		}
	}
}

// TestBootstrapByName checks that a bootstrap peer given by a host name is
// recorded under the address reached, not under the name. The name is
// looked up by the test's own dialer (CrawlerConfig.DialContext), never by
// the system's resolver.
func TestBootstrapByName(t *testing.T) {
	fn := startNodeAt(t, "127.0.0.1", 1000)
	const name = "seed.chianet.test"
	var dialled []string
	var mu sync.Mutex
	cfg := testCrawlerConfig(t, newFakeClock(t0))
	cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		dialled = append(dialled, addr)
		mu.Unlock()
		if host == name {
			host = "127.0.0.1"
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(host, port))
	}
	cfg.Bootstrap = []string{net.JoinHostPort(name, strconv.Itoa(int(fn.addr.Port())))}
	c := newTestCrawler(t, cfg)
	if _, err := c.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := c.Records()
	if len(recs) != 1 || recs[0].Host != "127.0.0.1" || recs[0].Port != fn.addr.Port() || !recs[0].Reliable() {
		t.Fatalf("records %+v", recs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialled) == 0 || dialled[0] != cfg.Bootstrap[0] {
		t.Errorf("dialled %v, want %s first", dialled, cfg.Bootstrap[0])
	}
}

// TestEligible walks the selection rules over records at fixed times.
func TestEligible(t *testing.T) {
	now := t0
	for _, tc := range []struct {
		name string
		rec  Record
		cfg  func(*CrawlerConfig)
		sel  time.Duration // selected this long ago; 0 for never
		want bool
	}{
		{name: "never tried", rec: Record{Host: "192.0.2.1", Port: 8444}, want: true},
		{name: "port 0", rec: Record{Host: "192.0.2.1"}},
		{name: "other port", rec: Record{Host: "192.0.2.1", Port: 8445}, cfg: func(c *CrawlerConfig) { c.Port = 8444 }},
		{name: "right port", rec: Record{Host: "192.0.2.1", Port: 8444}, cfg: func(c *CrawlerConfig) { c.Port = 8444 }, want: true},
		{name: "tried 999 s ago", rec: Record{Host: "192.0.2.1", Port: 8444, LastTry: now.Add(-999 * time.Second)}},
		{name: "tried 1000 s ago", rec: Record{Host: "192.0.2.1", Port: 8444, LastTry: now.Add(-1000 * time.Second)}, want: true},
		{name: "IPv6 tried 600 s ago", rec: Record{Host: "2001:db8::1", Port: 8444, LastTry: now.Add(-600 * time.Second)}, want: true},
		{name: "IPv6 tried 599 s ago", rec: Record{Host: "2001:db8::1", Port: 8444, LastTry: now.Add(-599 * time.Second)}},
		{name: "succeeded 10 s ago", rec: Record{Host: "192.0.2.1", Port: 8444, LastTry: now.Add(-2000 * time.Second), LastSuccess: now.Add(-10 * time.Second)}},
		{name: "selected 119 s ago", rec: Record{Host: "192.0.2.1", Port: 8444}, sel: 119 * time.Second},
		{name: "selected 120 s ago", rec: Record{Host: "192.0.2.1", Port: 8444}, sel: 120 * time.Second, want: true},
		{name: "ignored", rec: Record{Host: "192.0.2.1", Port: 8444, LastTry: now.Add(-time.Hour),
			Reliability: Reliability{IgnoreTill: now.Add(time.Second)}}},
		{name: "ignore over", rec: Record{Host: "192.0.2.1", Port: 8444, LastTry: now.Add(-time.Hour),
			Reliability: Reliability{IgnoreTill: now}}, want: true},
		{name: "banned", rec: Record{Host: "192.0.2.1", Port: 8444, LastTry: now.Add(-time.Hour),
			Reliability: Reliability{BanTill: now.Add(time.Hour)}}},
		{name: "banned but never tried", rec: Record{Host: "192.0.2.1", Port: 8444,
			Reliability: Reliability{BanTill: now.Add(time.Hour)}}, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := CrawlerConfig{NetworkID: "x", TLS: clientTLS(t), Store: nopStore{}}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c := newTestCrawler(t, cfg)
			if tc.sel > 0 {
				c.selected[tc.rec.Host] = now.Add(-tc.sel)
			}
			if got := c.eligible(&tc.rec, now); got != tc.want {
				t.Errorf("eligible = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBatchSize checks the batch size rule: a tenth of the eligible IPv4
// peers, within [MinBatch, MaxBatch], per family.
func TestBatchSize(t *testing.T) {
	for _, tc := range []struct{ v4, v6, min, max, want4, want6 int }{
		{200, 30, 5, 50, 20, 20},
		{200, 30, 5, 12, 12, 12},
		{20, 30, 5, 50, 5, 5},
		{3, 2, 5, 50, 3, 2},
	} {
		c := newTestCrawler(t, CrawlerConfig{NetworkID: "x", TLS: clientTLS(t), Store: nopStore{},
			MinBatch: tc.min, MaxBatch: tc.max, Rand: rand.New(rand.NewPCG(1, 1))})
		for i := range tc.v4 {
			h := netip.AddrFrom4([4]byte{192, 0, byte(i / 250), byte(i%250 + 1)}).String()
			c.records[h] = &Record{Host: h, Port: 8444}
		}
		for i := range tc.v6 {
			h := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)}).String()
			c.records[h] = &Record{Host: h, Port: 8444}
		}
		var got4, got6 int
		for _, tg := range c.selectTargets(t0) {
			if netip.MustParseAddr(tg.host).Is4() {
				got4++
			} else {
				got6++
			}
		}
		if got4 != tc.want4 || got6 != tc.want6 {
			t.Errorf("%+v: batch of %d IPv4 and %d IPv6", tc, got4, got6)
		}
	}
}

// TestPrune checks that records without a sign of life for PruneAge go,
// from the crawler and from the store.
func TestPrune(t *testing.T) {
	clock := newFakeClock(t0)
	cfg := testCrawlerConfig(t, clock)
	c := newTestCrawler(t, cfg)
	if err := c.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	old := t0.Add(-DefaultPruneAge - time.Second)
	c.records["192.0.2.1"] = &Record{Host: "192.0.2.1", Port: 8444, FirstSeen: old, LastSeen: old}
	c.records["192.0.2.2"] = &Record{Host: "192.0.2.2", Port: 8444, FirstSeen: old, LastSeen: t0.Add(-time.Hour)}
	c.records["192.0.2.3"] = &Record{Host: "192.0.2.3", Port: 8444, FirstSeen: t0.Add(-time.Hour)} // a bootstrap address
	c.dirty["192.0.2.1"], c.dirty["192.0.2.2"], c.dirty["192.0.2.3"] = struct{}{}, struct{}{}, struct{}{}
	var st BatchStats
	c.save(context.Background(), &st)
	if st.SaveErr != nil || st.Saved != 3 {
		t.Fatalf("save: %+v", st)
	}
	if n := c.prune(t0); n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
	c.save(context.Background(), &st)
	recs, _, err := cfg.Store.Load(context.Background())
	if err != nil || len(recs) != 2 || recs[0].Host != "192.0.2.2" || recs[1].Host != "192.0.2.3" {
		t.Fatalf("store after the prune: %+v %v", recs, err)
	}
}

// failingStore fails its first saves.
type failingStore struct {
	Store
	mu    sync.Mutex
	fails int
	saves int
}

func (f *failingStore) Save(ctx context.Context, b *Batch) error {
	f.mu.Lock()
	f.saves++
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return errors.New("disk on fire")
	}
	return f.Store.Save(ctx, b)
}

// TestSaveRetries checks that a save is retried SaveAttempts times, and
// that a batch that could not be saved is saved with the next.
func TestSaveRetries(t *testing.T) {
	clock := newFakeClock(t0)
	fn := startNode(t, 30, 1000)
	cfg := testCrawlerConfig(t, clock)
	fs := &failingStore{Store: cfg.Store, fails: 5}
	cfg.Store = fs
	cfg.Bootstrap = []string{fn.addr.String()}
	c := newTestCrawler(t, cfg)
	st, err := c.Batch(context.Background())
	if err != nil || st.SaveErr == nil || st.Seq != 0 || fs.saves != DefaultSaveAttempts {
		t.Fatalf("first batch: %+v, %v, %d saves", st, err, fs.saves)
	}
	clock.Advance(DefaultRecrawlIPv4)
	st, err = c.Batch(context.Background())
	if err != nil || st.SaveErr != nil || st.Seq != 1 || st.Saved != 1 {
		t.Fatalf("second batch: %+v, %v", st, err)
	}
	recs, _, err := fs.Load(context.Background())
	if err != nil || len(recs) != 1 || recs[0].Reliability.Tries != 2 {
		t.Fatalf("store: %+v, %v", recs, err)
	}
}

// TestBatchCancelled checks that cancelling a batch keeps the attempts
// that finished and records nothing about the ones it cut short.
func TestBatchCancelled(t *testing.T) {
	clock := newFakeClock(t0)
	fast := startNode(t, 40, 1000)
	// A listener that accepts and never answers: its crawl hangs in the
	// TLS handshake until the batch is cancelled.
	l, err := net.Listen("tcp", "127.2.1.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	stop := make(chan struct{})
	conns.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { <-stop; c.Close() })
		}
	})
	defer func() { l.Close(); close(stop); conns.Wait() }()

	cfg := testCrawlerConfig(t, clock)
	cfg.ConnectTimeout = time.Hour
	cfg.Bootstrap = []string{fast.addr.String(), l.Addr().String()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.OnProgress = func(p Progress) {
		if p.Done == 1 {
			cancel()
		}
	}
	c := newTestCrawler(t, cfg)
	st, err := c.Batch(ctx)
	if !errors.Is(err, context.Canceled) || st.Tried != 1 || st.Seq != 1 {
		t.Fatalf("cancelled batch: %+v, %v", st, err)
	}
	recs, _, err := cfg.Store.Load(context.Background())
	if err != nil || len(recs) != 2 {
		t.Fatalf("store: %+v %v", recs, err)
	}
	for _, r := range recs {
		switch r.Host {
		case fast.addr.Addr().String():
			if r.Reliability.Tries != 1 || !r.Reliable() {
				t.Errorf("finished peer: %+v", r)
			}
		default:
			if r.Reliability.Tries != 0 || !r.LastTry.IsZero() {
				t.Errorf("cut-short peer recorded an attempt: %+v", r)
			}
		}
	}
}

// TestIPsAfterTimestamp checks paging and the order.
func TestIPsAfterTimestamp(t *testing.T) {
	c := newTestCrawler(t, CrawlerConfig{NetworkID: "x", TLS: clientTLS(t), Store: nopStore{}})
	for i, h := range []string{"192.0.2.9", "192.0.2.10", "2001:db8::1", "192.0.2.1", "198.51.100.1"} {
		c.records[h] = &Record{Host: h, LastSeen: t0.Add(time.Duration(i) * time.Hour)}
	}
	for _, tc := range []struct {
		after         time.Time
		offset, limit int
		want          IPsPage
	}{
		{t0.Add(-time.Second), 0, 0, IPsPage{IPs: []string{"192.0.2.1", "192.0.2.10", "192.0.2.9", "198.51.100.1", "2001:db8::1"}, Total: 5}},
		{t0, 0, 0, IPsPage{IPs: []string{"192.0.2.1", "192.0.2.10", "198.51.100.1", "2001:db8::1"}, Total: 4}},
		{t0, 1, 2, IPsPage{IPs: []string{"192.0.2.10", "198.51.100.1"}, Total: 4}},
		{t0, 9, 2, IPsPage{IPs: []string{}, Total: 4}},
	} {
		if got := c.IPsAfterTimestamp(tc.after, tc.offset, tc.limit); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("after %v offset %d limit %d: %+v, want %+v", tc.after, tc.offset, tc.limit, got, tc.want)
		}
	}
}

// nopStore is a Store that holds nothing, for tests of pure logic.
type nopStore struct{}

func (nopStore) Load(context.Context) ([]Record, BatchInfo, error)   { return nil, BatchInfo{}, nil }
func (nopStore) Save(context.Context, *Batch) error                  { return nil }
func (nopStore) ReliablePeers(context.Context) ([]netip.Addr, error) { return nil, nil }
func (nopStore) LastBatch(context.Context) (BatchInfo, error)        { return BatchInfo{}, nil }
func (nopStore) Close() error                                        { return nil }

// TestCrawlerSkipsUnreadableRow checks that a store row Load cannot read
// does not keep the crawler from loading the others, is logged once at
// Warn, and is neither written over nor deleted by the saves that follow:
// not when gossip names its host, not when its host is crawled, not when
// the records around it are pruned.
func TestCrawlerSkipsUnreadableRow(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(t0)
	cfg := testCrawlerConfig(t, clock)
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	good := Record{Host: "192.0.2.1", Port: 8444, FirstSeen: t0, LastSeen: t0}
	if err := cfg.Store.Save(ctx, &Batch{BatchInfo: BatchInfo{Seq: 1, Time: t0}, Records: []Record{good}}); err != nil {
		t.Fatal(err)
	}
	bad := Record{Host: "192.0.2.2", Port: 8444, FirstSeen: t0, LastSeen: t0}
	args := recordArgs(nil, &bad)
	args[1] = int64(65536) // port
	insertRow(t, cfg.Store, args)

	c := newTestCrawler(t, cfg)
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.Records(); len(got) != 1 || got[0] != good {
		t.Fatalf("loaded %+v", got)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "rows=1") {
		t.Fatalf("want one warning of one row, logged:\n%s", logs.String())
	}

	fresh := uint64(t0.Unix())
	c.apply(crawlResult{
		target:    target{host: good.Host, port: good.Port},
		handshake: true,
		gotPeers:  true,
		peers: []protocol.TimestampedPeerInfo{
			{Host: bad.Host, Port: 8444, Timestamp: fresh},
			{Host: "192.0.2.3", Port: 8444, Timestamp: fresh},
		},
	})
	c.apply(crawlResult{target: target{host: bad.Host, port: 8444}})
	var st BatchStats
	c.save(ctx, &st)
	if st.SaveErr != nil || st.Saved != 2 {
		t.Fatalf("save: %+v", st)
	}
	clock.Advance(DefaultPruneAge + time.Hour)
	if n := c.prune(c.now()); n != 2 {
		t.Fatalf("pruned %d, want 2", n)
	}
	c.save(ctx, &st)
	if st.SaveErr != nil {
		t.Fatal(st.SaveErr)
	}

	var port int64
	err := cfg.Store.(*sqlStore).db.QueryRowContext(ctx, `SELECT port FROM peers WHERE host = ?`, bad.Host).Scan(&port)
	if err != nil || port != 65536 {
		t.Fatalf("the unreadable row: port %d, %v", port, err)
	}
	recs, _, err := cfg.Store.Load(ctx)
	var skipped *SkippedRowsError
	if len(recs) != 0 || !errors.As(err, &skipped) || skipped.Count != 1 {
		t.Fatalf("store after the prune: %+v, %v", recs, err)
	}
}

// TestIngestCap checks that the addresses of one crawled peer's
// respond_peers are taken only up to the node's per-message limit: a
// reply of exactly that many is taken whole, a longer one ignored whole,
// as a node ignores it.
func TestIngestCap(t *testing.T) {
	fresh := uint64(t0.Unix() - 60)
	list := func(n int) []protocol.TimestampedPeerInfo {
		out := make([]protocol.TimestampedPeerInfo, n)
		for k := range out {
			out[k] = protocol.TimestampedPeerInfo{Host: fmt.Sprintf("10.0.%d.%d", k/250, k%250+1), Port: 8444, Timestamp: fresh}
		}
		return out
	}
	for _, tc := range []struct {
		n, want int
	}{{discovery.MaxPeersPerReply, discovery.MaxPeersPerReply}, {discovery.MaxPeersPerReply + 1, 0}, {5000, 0}} {
		c := newTestCrawler(t, CrawlerConfig{NetworkID: "mainnet", TLS: clientTLS(t), Store: nopStore{},
			AllowPrivate: true, Clock: newFakeClock(t0)})
		out := c.apply(crawlResult{
			target:    target{host: "192.0.2.1", port: 8444},
			handshake: true,
			gotPeers:  true,
			peers:     list(tc.n),
		})
		if out.added != 1+tc.want || len(c.records) != 1+tc.want {
			t.Errorf("a reply of %d addresses added %d (%d records), want %d", tc.n, out.added-1, len(c.records)-1, tc.want)
		}
	}
}
