package rpc

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCrawler is a Crawler over fixed records: host → last seen.
type fakeCrawler struct {
	*fakeNode
	seen   map[string]time.Time
	counts PeerCounts

	mu    sync.Mutex
	calls []string // the IPsAfterTimestamp calls, "after/offset/limit"
}

func newFakeCrawler() *fakeCrawler {
	return &fakeCrawler{
		fakeNode: newFakeNode(),
		seen: map[string]time.Time{
			"10.0.0.1": time.Unix(1_000, 0), "10.0.0.2": time.Unix(2_000, 0),
			"2001:db8::1": time.Unix(3_000, 0), "10.0.0.3": time.Unix(4_000, 0),
		},
		counts: PeerCounts{TotalLast5Days: 4, ReliableNodes: 2, IPv4Last5Days: 3, IPv6Last5Days: 1,
			Versions: map[string]int{"2.5.4": 3, "2.5.5": 1}},
	}
}

func (f *fakeCrawler) PeerCounts() PeerCounts { return f.counts }

func (f *fakeCrawler) IPsAfterTimestamp(after time.Time, offset, limit int) ([]string, int) {
	f.mu.Lock()
	f.calls = append(f.calls, strings.Join([]string{
		jsonString(after.Unix()), jsonString(offset), jsonString(limit)}, "/"))
	f.mu.Unlock()
	var ips []string
	for h, t := range f.seen {
		if t.After(after) {
			ips = append(ips, h)
		}
	}
	slices.Sort(ips)
	total := len(ips)
	ips = ips[min(offset, len(ips)):]
	return ips[:min(limit, len(ips))], total
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func startCrawlerServer(t *testing.T, cr Crawler) *testServer {
	return startServer(t, func(c *Config) {
		c.Name = CrawlerService
		c.Routes = CrawlerRoutes(cr, Options{Version: "2.7.3"})
	})
}

func TestCrawlerRouteShapes(t *testing.T) {
	cr := newFakeCrawler()
	s := startCrawlerServer(t, cr)

	m := s.call(t, "get_peer_counts", "{}")
	wantKeys(t, "get_peer_counts", m, "success", "peer_counts")
	want := map[string]any{
		"total_last_5_days": json.Number("4"), "reliable_nodes": json.Number("2"),
		"ipv4_last_5_days": json.Number("3"), "ipv6_last_5_days": json.Number("1"),
		"versions": map[string]any{"2.5.4": json.Number("3"), "2.5.5": json.Number("1")},
	}
	if !reflect.DeepEqual(m["peer_counts"], want) {
		t.Errorf("peer_counts = %v, want %v", m["peer_counts"], want)
	}
	_, body := s.post(t, "get_peer_counts", "")
	checkSorted(t, "get_peer_counts", body)

	for _, c := range []struct {
		body  string
		ips   []any
		total int
		call  string
	}{
		{`{"after": 0}`, []any{"10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1"}, 4, "0/0/10000"},
		{`{"after": 1000}`, []any{"10.0.0.2", "10.0.0.3", "2001:db8::1"}, 3, "1000/0/10000"},
		{`{"after": 1000.9, "offset": 1, "limit": 1}`, []any{"10.0.0.3"}, 3, "1000/1/1"},
		{`{"after": "2000", "offset": "5"}`, []any{}, 2, "2000/5/10000"},
		{`{"after": 0, "limit": 0}`, []any{}, 4, "0/0/0"},
		{`{"after": 1e400}`, []any{}, 0, "1125899906842624/0/10000"},
	} {
		m := s.call(t, "get_ips_after_timestamp", c.body)
		wantKeys(t, "get_ips_after_timestamp", m, "success", "ips", "total")
		if !reflect.DeepEqual(m["ips"], c.ips) || m["total"] != json.Number(jsonString(c.total)) {
			t.Errorf("%s: ips %v total %v, want %v %d", c.body, m["ips"], m["total"], c.ips, c.total)
		}
		cr.mu.Lock()
		last := cr.calls[len(cr.calls)-1]
		cr.mu.Unlock()
		if last != c.call {
			t.Errorf("%s: called with %s, want %s", c.body, last, c.call)
		}
	}
	for body, field := range map[string]string{
		`{}`:                           "after",
		`{"after": null}`:              "after",
		`{"after": -1}`:                "after",
		`{"after": "soon"}`:            "after",
		`{"after": "NaN"}`:             "after",
		`{"after": [1]}`:               "after",
		`{"after": 1, "offset": -1}`:   "offset",
		`{"after": 1, "limit": 1.5}`:   "limit",
		`{"after": 1, "limit": 1e100}`: "limit",
	} {
		m := s.call(t, "get_ips_after_timestamp", body)
		se, _ := m["structuredError"].(map[string]any)
		data, _ := se["data"].(map[string]any)
		if m["success"] != false || data["field"] != field || !strings.HasPrefix(m["error"].(string), field+": ") {
			t.Errorf("%s: %v, want an error about %s", body, m, field)
		}
	}

	// The shared routes come after the crawler's, as in the reference.
	m = s.call(t, "get_routes", "{}")
	wantRoutes := []any{"/get_peer_counts", "/get_ips_after_timestamp", "/get_network_info", "/get_connections",
		"/open_connection", "/close_connection", "/stop_node", "/get_routes", "/get_version", "/healthz",
		"/get_log_level", "/set_log_level", "/reset_log_level"}
	if !reflect.DeepEqual(m["routes"], wantRoutes) {
		t.Errorf("routes = %v", m["routes"])
	}
	m = s.call(t, "get_network_info", "{}")
	if m["network_name"] != "testnet11" || m["network_prefix"] != "txch" {
		t.Errorf("get_network_info = %v", m)
	}
	m = s.call(t, "get_connections", "{}")
	if len(m["connections"].([]any)) != 2 {
		t.Errorf("get_connections = %v", m)
	}
}

// A crawler that knows no version yet answers versions {}, not null; the
// Go client reads what the server sends.
func TestCrawlerClient(t *testing.T) {
	cr := newFakeCrawler()
	cr.counts = PeerCounts{TotalLast5Days: 1}
	s := startCrawlerServer(t, cr)
	_, body := s.post(t, "get_peer_counts", "{}")
	if !strings.Contains(string(body), `"versions":{}`) {
		t.Errorf("get_peer_counts = %s", body)
	}

	c := NewClient(s.url, clientTLSConfig(t))
	defer c.Close()
	ctx := context.Background()
	pc, err := c.PeerCounts(ctx)
	if err != nil || pc.TotalLast5Days != 1 || pc.Versions == nil || len(pc.Versions) != 0 {
		t.Errorf("PeerCounts = %+v, %v", pc, err)
	}
	ips, total, err := c.IPsAfterTimestamp(ctx, time.Unix(1500, 0), 1, 5)
	if err != nil || !slices.Equal(ips, []string{"10.0.0.3", "2001:db8::1"}) || total != 3 {
		t.Errorf("IPsAfterTimestamp = %v %d %v", ips, total, err)
	}
}

// The daemon serves the crawler's routes as chia_crawler and sends its
// state changes to the sockets registered as metrics.
func TestCrawlerThroughDaemon(t *testing.T) {
	cr := newFakeCrawler()
	d := startDaemon(t, nil)
	if err := d.AddService(CrawlerService, CrawlerRoutes(cr, Options{})); err != nil {
		t.Fatal(err)
	}
	// No listener: nothing is sent.
	if n, err := NotifyCrawler(d.Daemon, CrawlBatchCompleted, cr.counts); n != 0 || err != nil {
		t.Errorf("NotifyCrawler without listeners = %d, %v", n, err)
	}

	metrics, ui := d.dialRaw(t), d.dialRaw(t)
	metrics.call("m", "daemon", "register_service", map[string]any{"service": Metrics})
	ui.call("u", "daemon", "register_service", map[string]any{"service": WalletUI})

	data := ui.call("u", CrawlerService, "get_ips_after_timestamp", map[string]any{"after": 3000})
	if !reflect.DeepEqual(data["ips"], []any{"10.0.0.3"}) || data["total"] != json.Number("1") {
		t.Errorf("get_ips_after_timestamp through the daemon = %v", data)
	}
	data = ui.call("u", "daemon", "running_services", nil)
	if !reflect.DeepEqual(data["running_services"], []any{FullNodeService, CrawlerService, Metrics, WalletUI}) {
		t.Errorf("running_services = %v", data)
	}

	for _, change := range []string{LoadedInitialPeers, CrawlBatchCompleted} {
		if n, err := NotifyCrawler(d.Daemon, change, cr.counts); n != 1 || err != nil {
			t.Fatalf("NotifyCrawler = %d, %v", n, err)
		}
		m, text := metrics.next()
		if m["command"] != change || m["ack"] != false || m["origin"] != CrawlerService || m["destination"] != Metrics {
			t.Fatalf("got %s, want %s from %s to %s", text, change, CrawlerService, Metrics)
		}
		want := map[string]any{"success": true, "peer_counts": map[string]any{
			"total_last_5_days": json.Number("4"), "reliable_nodes": json.Number("2"),
			"ipv4_last_5_days": json.Number("3"), "ipv6_last_5_days": json.Number("1"),
			"versions": map[string]any{"2.5.4": json.Number("3"), "2.5.5": json.Number("1")}}}
		if !reflect.DeepEqual(m["data"], want) {
			t.Errorf("%s data = %v, want %v", change, m["data"], want)
		}
		checkSorted(t, change, []byte(text))
	}
	// wallet_ui got none of them: its next message answers its ping.
	if data := ui.call("u", "daemon", "ping", nil); data["value"] != "pong" {
		t.Errorf("ping = %v", data)
	}
}
