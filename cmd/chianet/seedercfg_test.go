package main

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/seeder"
)

// seederSettingsOf parses args as `seeder run` (or `seeder crawl --once`
// when once) would and resolves them.
func seederSettingsOf(t *testing.T, args ...string) (seederSettings, error) {
	t.Helper()
	f := &seederFlags{}
	cmd := &cobra.Command{Use: "run"}
	f.registerCommon(cmd)
	f.registerCrawl(cmd)
	f.registerDNS(cmd)
	cmd.Flags().BoolVar(&f.once, "once", false, "")
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return f.settings(cmd, true, true)
}

// writeSeederConfig writes a config.yaml under a new root with the
// template's seeder section changed by edit.
func writeSeederConfig(t *testing.T, edit func(c *config.Config)) string {
	t.Helper()
	root := t.TempDir()
	c, err := config.Default(root)
	if err != nil {
		t.Fatal(err)
	}
	edit(c)
	if err := c.Create(); err != nil {
		t.Fatal(err)
	}
	return root
}

// Without config.yaml the seeder runs mainnet with the reference's values.
func TestSeederSettingsDefaults(t *testing.T) {
	root := t.TempDir()
	s, err := seederSettingsOf(t, "--root", root, "--domain", "s.example.com.", "--nameserver", "ns.example.com.")
	if err != nil {
		t.Fatal(err)
	}
	c := s.crawler
	if s.file != "" || s.network.Name != "mainnet" || c.Port != 8444 || c.MinHeight != 240_000 ||
		!reflect.DeepEqual(c.Bootstrap, []string{"node.chia.net:8444"}) || c.AllowPrivate ||
		s.store != filepath.Join(root, "db", "seeder-mainnet.sqlite") || s.rpcAddr != "localhost:8561" || s.daemonAddr != "" ||
		!reflect.DeepEqual(s.dns.Listen, []string{":53"}) || s.dns.TTL != 300 || s.info.NetworkPrefix != "xch" ||
		!reflect.DeepEqual(s.daemon, seeder.RPCConfig{DaemonMaxMessageBytes: 50_000_000, DaemonHeartbeat: 300 * time.Second}) {
		t.Errorf("defaults: %+v", s)
	}
	// --once serves no RPC unless asked to.
	if s, err := seederSettingsOf(t, "--root", root, "--domain", "d.", "--nameserver", "n.", "--once"); err != nil || s.rpcAddr != "" {
		t.Errorf("--once: rpc %q, %v", s.rpcAddr, err)
	}
	if s, err := seederSettingsOf(t, "--root", root, "--domain", "d.", "--nameserver", "n.", "--once", "--rpc-port", "0",
		"--daemon-port", "0"); err != nil || s.rpcAddr != "localhost:0" || s.daemonAddr != "localhost:0" {
		t.Errorf("--once --rpc-port 0 --daemon-port 0: %q %q, %v", s.rpcAddr, s.daemonAddr, err)
	}
}

// config.yaml's seeder section is read, and flags win over it.
func TestSeederSettingsFromConfig(t *testing.T) {
	root := writeSeederConfig(t, func(c *config.Config) {
		// As `chia configure` switches networks: the top-level key and
		// the sections'.
		c.SelectedNetwork, c.Seeder.SelectedNetwork = "devnet", "devnet"
		c.SelfHostname = "127.0.0.2"
		c.NetworkOverrides.Config = map[string]config.NetworkConfig{"devnet": {AddressPrefix: "dxch", DefaultFullNodePort: 58444}}
		c.NetworkOverrides.Constants = map[string]config.NetworkConstants{"devnet": {GenesisChallenge: strings.Repeat("ab", 32)}}
		c.Logging.LogLevel = "DEBUG"
		c.DaemonMaxMessageSize, c.DaemonHeartbeat, c.DaemonAllowTLS12 = 1000, 60, true
		s := &c.Seeder
		s.OtherPeersPort = 58555
		s.DNSPort = 5353
		s.PeerConnectTimeout = 7
		s.CrawlerDBPath = "db/crawl-devnet.sqlite"
		s.BootstrapPeers = []string{"127.0.0.9", "127.0.0.10:58556", "::1"}
		s.StaticPeers = []string{"192.0.2.7"}
		s.MinimumHeight = 12
		s.MinimumVersionCount = 3
		s.DomainName = "seed.devnet.test."
		s.Nameserver = "ns.devnet.test."
		s.TTL = 120
		s.SOA = config.SOA{Rname: "admin.devnet.test", SerialNumber: 5, Refresh: 6, Retry: 7, Expire: 8, Minimum: 9}
		s.Crawler.RPCPort = 18561
		s.Crawler.PrunePeerDays = 3
	})
	s, err := seederSettingsOf(t, "--root", root)
	if err != nil {
		t.Fatal(err)
	}
	c, d := s.crawler, s.dns
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"file", s.file, filepath.Join(root, "config", "config.yaml")},
		{"selected_network", s.network.Name, "devnet"},
		{"network_overrides", s.info, s.info}, // checked below
		{"logging.log_level", s.level.String(), "DEBUG"},
		{"daemon_ keys", s.daemon, seeder.RPCConfig{DaemonMaxMessageBytes: 1000, DaemonHeartbeat: time.Minute, DaemonAllowTLS12: true}},
		{"seeder.other_peers_port", c.Port, uint16(58555)},
		{"seeder.bootstrap_peers", c.Bootstrap, []string{"127.0.0.9:58555", "127.0.0.10:58556", "[::1]:58555"}},
		{"seeder.minimum_height", c.MinHeight, uint32(12)},
		{"seeder.peer_connect_timeout", c.ConnectTimeout, 7 * time.Second},
		{"seeder.crawler.prune_peer_days", c.PruneAge, 3 * 24 * time.Hour},
		{"seeder.crawler_db_path", s.store, filepath.Join(root, "db", "crawl-devnet.sqlite")},
		{"seeder.minimum_version_count", s.minVersionCount, 3},
		{"seeder.crawler.rpc_port", s.rpcAddr, "127.0.0.2:18561"},
		{"seeder.dns_port", d.Listen, []string{":5353"}},
		{"seeder.domain_name", d.Domain, "seed.devnet.test."},
		{"seeder.nameserver", d.Nameserver, "ns.devnet.test."},
		{"seeder.ttl", d.TTL, uint32(120)},
		{"seeder.soa", []any{d.Mbox, d.Serial, d.Refresh, d.Retry, d.Expire, d.Minimum},
			[]any{"admin.devnet.test", uint32(5), uint32(6), uint32(7), uint32(8), uint32(9)}},
		{"seeder.static_peers", d.StaticPeers, []netip.Addr{netip.MustParseAddr("192.0.2.7")}},
		{"private network", c.AllowPrivate, true},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.key, tc.got, tc.want)
		}
	}
	if s.info.NetworkName != "devnet" || s.info.NetworkPrefix != "dxch" || s.info.GenesisChallenge != strings.Repeat("ab", 32) {
		t.Errorf("network info %+v", s.info)
	}

	// Flags win.
	s, err = seederSettingsOf(t, "--root", root, "--db", "/tmp/x.sqlite", "--bootstrap-peer", "127.0.0.3:1",
		"--port", "0", "--min-height", "0", "--rpc-port", "-1", "--daemon-port", "55401", "--dns-listen", "127.0.0.1:0",
		"--domain", "other.test.", "--nameserver", "ns.other.test.", "--soa-mbox", "me.other.test.", "--ttl", "30",
		"--static-peer", "192.0.2.8", "--log-level", "warn")
	if err != nil {
		t.Fatal(err)
	}
	c, d = s.crawler, s.dns
	if s.store != "/tmp/x.sqlite" || !reflect.DeepEqual(c.Bootstrap, []string{"127.0.0.3:1"}) || c.Port != 0 || c.MinHeight != 0 ||
		s.rpcAddr != "" || s.daemonAddr != "127.0.0.2:55401" || !reflect.DeepEqual(d.Listen, []string{"127.0.0.1:0"}) ||
		d.Domain != "other.test." || d.Nameserver != "ns.other.test." || d.Mbox != "me.other.test." || d.TTL != 30 ||
		!reflect.DeepEqual(d.StaticPeers, []netip.Addr{netip.MustParseAddr("192.0.2.8")}) || s.level.String() != "WARN" {
		t.Errorf("flags over config.yaml: %+v", s)
	}

	// Another network gets its own defaults, not the section's
	// network-specific keys; the others still apply.
	s, err = seederSettingsOf(t, "--root", root, "--network", "testnet11")
	if err != nil {
		t.Fatal(err)
	}
	c = s.crawler
	if c.Port != 58444 || c.MinHeight != 0 || !reflect.DeepEqual(c.Bootstrap, []string{"testnet11-node-us-west-2.chia.net:58444"}) ||
		s.store != filepath.Join(root, "db", "seeder-testnet11.sqlite") || c.ConnectTimeout != 7*time.Second || s.dns.TTL != 120 {
		t.Errorf("testnet11 from a devnet config.yaml: %+v", s)
	}
	// A network that config.yaml does not declare needs --private.
	if _, err := seederSettingsOf(t, "--root", root, "--network", "othernet"); err == nil ||
		!strings.Contains(err.Error(), `unknown network "othernet"; known networks: mainnet, testnet11 (built in), devnet (config.yaml's network_overrides)`) {
		t.Errorf("unknown network: %v", err)
	}
	if s, err := seederSettingsOf(t, "--root", root, "--network", "othernet", "--private"); err != nil ||
		s.crawler.Port != 0 || s.crawler.Bootstrap != nil || !s.crawler.AllowPrivate {
		t.Errorf("--private othernet: %+v, %v", s.crawler, err)
	}

	// start_rpc_server false turns the RPC off unless --rpc-port asks.
	root = writeSeederConfig(t, func(c *config.Config) {
		c.Seeder.Crawler.StartRPCServer = false
		c.Seeder.StaticPeers = []string{"seeder.example.com"}
	})
	if _, err := seederSettingsOf(t, "--root", root); err == nil || !strings.Contains(err.Error(), `seeder.static_peers in config.yaml: "seeder.example.com" is not an IP address`) {
		t.Errorf("static peer name: %v", err)
	}
	s, err = seederSettingsOf(t, "--root", root, "--static-peer", "192.0.2.1")
	if err != nil || s.rpcAddr != "" || s.crawler.MinHeight != seeder.MainnetMinHeight {
		t.Errorf("start_rpc_server false: %q, %v", s.rpcAddr, err)
	}
	if s, err := seederSettingsOf(t, "--root", root, "--static-peer", "192.0.2.1", "--rpc-port", "8562"); err != nil ||
		s.rpcAddr != "localhost:8562" {
		t.Errorf("--rpc-port over start_rpc_server false: %q, %v", s.rpcAddr, err)
	}
}

// A config.yaml whose seeder section lacks the network-specific keys (or
// that has no seeder section) crawls its selected network with that
// network's defaults, not mainnet's values from the template.
func TestSeederSettingsMissingNetworkKeys(t *testing.T) {
	for _, tc := range []struct{ name, yaml string }{
		{"no seeder section", "selected_network: testnet11\n"},
		{"section without them", "selected_network: testnet11\nseeder:\n  ttl: 60\n  crawler:\n    rpc_port: 18561\n"},
	} {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(config.FilePath(root), []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := seederSettingsOf(t, "--root", root, "--domain", "d.", "--nameserver", "n.")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		c := s.crawler
		if s.network.Name != "testnet11" || c.Port != 58444 || c.MinHeight != 0 ||
			!reflect.DeepEqual(c.Bootstrap, []string{"testnet11-node-us-west-2.chia.net:58444"}) ||
			s.store != filepath.Join(root, "db", "seeder-testnet11.sqlite") {
			t.Errorf("%s: network %s, port %d, min height %d, bootstrap %v, store %s", tc.name, s.network.Name, c.Port,
				c.MinHeight, c.Bootstrap, s.store)
		}
	}

	// bootstrap_peers alone are dialled on the network's port.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "selected_network: testnet11\nseeder:\n  bootstrap_peers: [\"127.0.0.9\"]\n"
	if err := os.WriteFile(config.FilePath(root), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := seederSettingsOf(t, "--root", root, "--domain", "d.", "--nameserver", "n.")
	if err != nil || s.crawler.Port != 58444 || !reflect.DeepEqual(s.crawler.Bootstrap, []string{"127.0.0.9:58444"}) {
		t.Errorf("bootstrap_peers alone: port %d, bootstrap %v, %v", s.crawler.Port, s.crawler.Bootstrap, err)
	}
}

// `seeder crawl --once` takes its bootstrap peer, crawled port and store
// from config.yaml.
func TestSeederCrawlFromConfig(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := netip.MustParseAddrPort(l.Addr().String())
	l.Close()
	root := writeSeederConfig(t, func(c *config.Config) {
		c.SelectedNetwork, c.Seeder.SelectedNetwork = "devnet", "devnet"
		c.NetworkOverrides.Config = map[string]config.NetworkConfig{"devnet": {DefaultFullNodePort: 58444}}
		c.Seeder.BootstrapPeers = []string{"127.0.0.1"}
		c.Seeder.OtherPeersPort = int(dead.Port())
		c.Seeder.CrawlerDBPath = "seeds/devnet.sqlite"
	})
	out, errOut, code := chianet(t, "", "seeder", "crawl", "--once", "--root", root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"total      1           0          0", "known peers 1, reliable 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "seeds", "devnet.sqlite")); err != nil {
		t.Error(err)
	}
	st, err := seeder.OpenSQLite(context.Background(), filepath.Join(root, "seeds", "devnet.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _, err := st.Load(context.Background())
	if err != nil || len(recs) != 1 || recs[0].Host != "127.0.0.1" || recs[0].Port != dead.Port() {
		t.Errorf("store: %+v, %v", recs, err)
	}
}
