package rpcinterop_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	gclrpc "github.com/chia-network/go-chia-libs/pkg/rpc"
	gcltypes "github.com/chia-network/go-chia-libs/pkg/types"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/seeder"
)

// crawlerSetup is a crawler over two chianet nodes, crawled once, with
// its RPC (and, with daemon set, a daemon of its own) on loopback, their
// ports in the config.yaml of a root made as `chianet init` makes it, and
// CHIA_ROOT pointing at that root.
type crawlerSetup struct {
	cr      *seeder.Crawler
	rs      *seeder.RPCServer
	wantIPs []string
}

func startCrawler(t *testing.T, daemon bool) *crawlerSetup {
	t.Helper()
	a := startNode(t, false, nil)
	b := startNode(t, false, func(c *node.Config) { c.ListenAddr = "127.3.0.2:0" })

	root := t.TempDir()
	c, err := config.Default(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(); err != nil {
		t.Fatal(err)
	}
	tree := chiatls.Tree{Root: root}
	if err := tree.Init(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := seeder.OpenSQLite(ctx, filepath.Join(root, "seeder.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clientTLS, err := tree.ClientConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	s := &crawlerSetup{wantIPs: []string{a.Addr().Addr().String(), b.Addr().Addr().String()}}
	slices.Sort(s.wantIPs)
	// Every batch crawls both nodes again.
	s.cr, err = seeder.NewCrawler(seeder.CrawlerConfig{NetworkID: "devnet", TLS: clientTLS, Store: store,
		Bootstrap: []string{a.Addr().String(), b.Addr().String()}, AllowPrivate: true, ReachableOnHandshake: true,
		RecrawlIPv4: -1, RecrawlIPv6: -1, ReselectDelay: -1, OnEvent: func(e seeder.Event) { s.rs.Notify(e) },
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	serverTLS, err := rpc.ServerTLS(tree, chiatls.Daemon)
	if err != nil {
		t.Fatal(err)
	}
	rcfg := seeder.RPCConfig{RPCAddr: "127.0.0.1:0", TLS: serverTLS,
		NetworkInfo: rpc.NetworkInfo{NetworkName: "devnet", NetworkPrefix: "txch"}, Stop: func() {}}
	if daemon {
		rcfg.DaemonAddr = "127.0.0.1:0"
	}
	s.rs, err = s.cr.StartRPC(ctx, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.rs.Close(context.Background()) })
	if _, err := s.cr.Batch(ctx); err != nil {
		t.Fatal(err)
	}
	c.Seeder.Crawler.RPCPort = port(t, s.rs.Addr())
	if daemon {
		c.DaemonPort = port(t, s.rs.DaemonAddr())
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHIA_ROOT", root)
	return s
}

// checkPeerCounts compares go-chia-libs' reading of peer counts with the
// crawler's.
func checkPeerCounts(t *testing.T, what string, pc gcltypes.CrawlerPeerCounts, want seeder.PeerCounts) {
	t.Helper()
	if int(pc.TotalLast5Days) != want.TotalLast5Days || int(pc.ReliableNodes) != want.ReliableNodes ||
		int(pc.IPV4Last5Days) != want.IPv4Last5Days || pc.IPV6Last5Days != 0 || !reflect.DeepEqual(pc.Versions, want.Versions) {
		t.Errorf("%s: %+v, want %+v", what, pc, want)
	}
}

// TestGoChiaLibsCrawler reads the crawler's RPC with go-chia-libs'
// CrawlerService, which finds the port (seeder.crawler.rpc_port) and its
// certificate (the crawler's private one) in CHIA_ROOT as it would for
// the reference's crawler.
func TestGoChiaLibsCrawler(t *testing.T) {
	s := startCrawler(t, false)
	cr, wantIPs := s.cr, s.wantIPs

	client, err := gclrpc.NewClient(gclrpc.ConnectionModeHTTP, gclrpc.WithAutoConfig(), loopback, gclrpc.WithTimeout(failsafe))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	cs := client.CrawlerService

	want := cr.PeerCounts()
	if want.ReliableNodes != 2 {
		t.Fatalf("the crawl: %+v", want)
	}
	counts, _, err := cs.GetPeerCounts()
	if err != nil || !counts.IsSuccessful() {
		t.Fatalf("get_peer_counts: %+v, %v", counts, err)
	}
	checkPeerCounts(t, "get_peer_counts", counts.PeerCounts.OrEmpty(), want)

	ips, _, err := cs.GetIPsAfterTimestamp(&gclrpc.GetIPsAfterTimestampOptions{After: 0, Limit: 10})
	if err != nil || !slices.Equal(ips.IPs.OrEmpty(), wantIPs) || ips.Total.OrEmpty() != 2 {
		t.Errorf("get_ips_after_timestamp: %+v, %v; want %v", ips, err, wantIPs)
	}
	ips, _, err = cs.GetIPsAfterTimestamp(&gclrpc.GetIPsAfterTimestampOptions{After: 0, Offset: 1, Limit: 10})
	if err != nil || !slices.Equal(ips.IPs.OrEmpty(), wantIPs[1:]) || ips.Total.OrEmpty() != 2 {
		t.Errorf("get_ips_after_timestamp offset 1: %+v, %v", ips, err)
	}

	info, _, err := cs.GetNetworkInfo(&gclrpc.GetNetworkInfoOptions{})
	if err != nil || info.NetworkName.OrEmpty() != "devnet" || info.NetworkPrefix.OrEmpty() != "txch" {
		t.Errorf("get_network_info: %+v, %v", info, err)
	}
	version, _, err := cs.GetVersion(&gclrpc.GetVersionOptions{})
	if err != nil || version.Version == "" {
		t.Errorf("get_version: %+v, %v", version, err)
	}
}
