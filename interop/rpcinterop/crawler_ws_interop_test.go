//go:build !race

// go-chia-libs' websocket client races with itself: see
// ws_interop_test.go.

package rpcinterop_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	gclrpc "github.com/chia-network/go-chia-libs/pkg/rpc"
	gcltypes "github.com/chia-network/go-chia-libs/pkg/types"
)

// TestGoChiaLibsCrawlerWebsocket subscribes go-chia-libs' websocket
// client to metrics on the crawler's daemon, as chia-exporter does: a
// batch brings crawl_batch_completed with the peer counts, and
// get_peer_counts is answered through the daemon.
func TestGoChiaLibsCrawlerWebsocket(t *testing.T) {
	s := startCrawler(t, true)
	client, err := gclrpc.NewClient(gclrpc.ConnectionModeWebsocket, gclrpc.WithAutoConfig(),
		gclrpc.WithBaseURL(&url.URL{Scheme: "wss", Host: "127.0.0.1"}), gclrpc.WithSyncWebsocket(), gclrpc.WithTimeout(wsTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	notes := make(chan *gcltypes.WebsocketResponse, 64)
	if _, err := client.AddHandler(func(r *gcltypes.WebsocketResponse, err error) {
		if err == nil && !r.Ack {
			select {
			case notes <- r:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	wsRetry(t, "register_service (self)", client.SubscribeSelf)
	wsRetry(t, "register_service metrics", func() error { return client.Subscribe("metrics") })

	if _, err := s.cr.Batch(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := s.cr.PeerCounts()
	select {
	case r := <-notes:
		if r.Command != "crawl_batch_completed" || r.Origin != "chia_crawler" || r.Destination != "metrics" {
			t.Errorf("notification %s from %q to %q", r.Command, r.Origin, r.Destination)
		}
		var data gclrpc.GetPeerCountsResponse
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("crawl_batch_completed: %v: %s", err, r.Data)
		}
		if !data.IsSuccessful() {
			t.Errorf("crawl_batch_completed: %s", r.Data)
		}
		checkPeerCounts(t, "crawl_batch_completed", data.PeerCounts.OrEmpty(), want)
	case <-time.After(failsafe):
		t.Fatal("no crawl_batch_completed after a batch")
	}

	var counts *gclrpc.GetPeerCountsResponse
	wsRetry(t, "get_peer_counts through the daemon", func() (err error) {
		counts, _, err = client.CrawlerService.GetPeerCounts()
		return err
	})
	checkPeerCounts(t, "get_peer_counts through the daemon", counts.PeerCounts.OrEmpty(), want)
}
