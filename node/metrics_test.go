package node

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// scrape returns the metrics text of r.
func scrape(t *testing.T, r *running) string {
	t.Helper()
	resp, err := http.Get("http://" + r.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// has reports whether text has a sample line starting with prefix.
func has(text, prefix string) bool {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// TestMetrics runs two nodes with metrics, makes traffic and misbehaviour
// between them, and checks every family on the scrapes.
func TestMetrics(t *testing.T) {
	withMetrics := func(c *Config) { c.MetricsAddr = "127.0.0.1:0" }
	a := startNode(t, "a", withMetrics)
	b := startNode(t, "b", func(c *Config) {
		withMetrics(c)
		c.StaticPeers = []string{a.addr()}
	})
	b.waitFor("b connected to a", func() bool { return b.connectedTo(a) })
	p, ok := b.srv.Peer(a.NodeID())
	if !ok {
		t.Fatal("b has no connection to a")
	}
	ctx := context.Background()
	if _, err := p.RequestPeers(ctx); err != nil {
		t.Fatal(err)
	}
	weight := streamable.Uint128{Lo: 1000}
	if err := p.Send(ctx, protocol.MsgNewPeak, &protocol.NewPeak{Height: 7, Weight: weight}); err != nil {
		t.Fatal(err)
	}
	a.waitFor("b's peak recorded", func() bool { return peakOf(a, b) != nil })

	// Misbehaviour from non-exempt loopback addresses (127.0.0.1 is
	// localhost, which is never banned): another network's handshake, and
	// a request_peers over its 100-byte limit.
	tree := &chiatls.Tree{Root: t.TempDir()}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	tlsConf, err := tree.ClientConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	from := func(ip string) func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(ip + ":0"))}
		return d.DialContext
	}
	if _, err := peer.Dial(ctx, a.addr(), peer.Config{NetworkID: "othernet", TLS: tlsConf, DialContext: from("127.0.0.2")}); err == nil {
		t.Fatal("a handshake from another network succeeded")
	}
	bad, err := peer.Dial(ctx, a.addr(), peer.Config{NetworkID: "devnet", TLS: tlsConf, DialContext: from("127.0.0.3"), Exempt: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.SendMessage(ctx, protocol.Message{Type: protocol.MsgRequestPeers, Data: make([]byte, 200)})
	<-bad.Done()

	ta := scrape(t, a)
	eventually(t, "a's counters of the misbehaviour", func() bool {
		ta = scrape(t, a)
		return has(ta, `chianet_bans_total{reason="rate_limit"} 1`) && has(ta, `chianet_handshake_failures_total{reason="network_id"} 1`)
	})
	tb := scrape(t, b)
	for _, c := range []struct{ text, sample string }{
		{ta, `chianet_connections{direction="inbound",node_type="full_node"} 1`},
		{tb, `chianet_connections{direction="outbound",node_type="full_node"} 1`},
		{ta, `chianet_messages_total{direction="received",type="new_peak"} 1`},
		{ta, `chianet_message_bytes_total{direction="received",type="new_peak"}`},
		{tb, `chianet_messages_total{direction="sent",type="request_peers"} `},
		{tb, `chianet_request_duration_seconds_count{result="reply",type="request_peers"} `},
		{ta, `chianet_rate_limit_events_total{reason="rate_limit_max_size"} 1`},
		{ta, `chianet_bans_total{reason="network_id"} 1`},
		{ta, `chianet_handshake_failures_total{reason="network_id"} 1`},
		{tb, `chianet_dials_total{outcome="connected"}`},
		{ta, `chianet_addresses{table="new"}`},
		{ta, `chianet_addresses{table="tried"}`},
		{ta, `chianet_peak_height 7`},
		{ta, `go_goroutines`},
	} {
		if !has(c.text, c.sample) {
			t.Errorf("no sample %s", c.sample)
		}
	}
	if t.Failed() {
		t.Logf("a's metrics:\n%s", grepChianet(ta))
	}
}

// grepChianet keeps the chianet_ lines of a scrape.
func grepChianet(text string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "chianet_") {
			b.WriteString(line)
		}
	}
	return b.String()
}
