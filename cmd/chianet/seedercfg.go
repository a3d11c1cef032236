package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/seeder"
)

// seederSettings are the seeder's configuration: config.yaml's seeder
// section (or the defaults) with the flags applied.
type seederSettings struct {
	root    string
	file    string // the config.yaml read; "" when there was none
	network config.Network
	store   string
	// crawler lacks TLS, Store, Logger and the hooks.
	crawler         seeder.CrawlerConfig
	minVersionCount int
	// dns lacks Peers and Logger.
	dns                 seeder.DNSConfig
	rpcAddr, daemonAddr string
	// daemon has the daemon's limits and TLS versions (the top-level
	// daemon_ keys); its other fields are unset.
	daemon     seeder.RPCConfig
	info       rpc.NetworkInfo
	level      slog.Level
	resetLevel string
	// certFiles is where config.yaml places the certificates.
	certFiles *chiatls.Files
	// misspellings are config.yaml's keys that look like typos of keys
	// chianet reads, to warn of once the logger is made.
	misspellings []config.Misspelling
}

// settings resolves the root, reads its config.yaml (or takes the
// defaults) and applies the flags, which win. crawl and serve say which
// halves run. Every error names the flag, or the config.yaml key, at
// fault.
//
// The seeder section describes its selected network (seeder.
// selected_network, else selected_network), as the reference's `chia
// configure` keeps it: bootstrap_peers, other_peers_port, minimum_height
// and crawler_db_path apply to that network only, and another --network
// gets its own defaults, as do those keys when the file lacks them. The
// other keys apply whatever the network.
func (f *seederFlags) settings(cmd *cobra.Command, crawl, serve bool) (seederSettings, error) {
	changed := cmd.Flags().Changed
	var s seederSettings
	if changed("root") && f.root == "" {
		return s, errors.New("--root must not be empty")
	}
	root, err := config.ResolveRoot(f.root)
	if err != nil {
		return s, err
	}
	s.root = root
	file, err := config.Load(root)
	switch {
	case err == nil:
		s.file = config.FilePath(root)
	case errors.Is(err, fs.ErrNotExist):
		if file, err = config.Default(root); err != nil {
			return s, err
		}
	default:
		return s, err
	}
	fromFile := s.file != ""
	s.misspellings = file.Misspellings()
	sec := &file.Seeder
	s.certFiles = certFiles(file)
	s.daemon = seeder.RPCConfig{DaemonMaxMessageBytes: file.DaemonMaxMessageSize,
		DaemonHeartbeat: time.Duration(file.DaemonHeartbeat) * time.Second, DaemonAllowTLS12: file.DaemonAllowTLS12}

	// The log level, as chianet node reads it.
	s.level, s.resetLevel = slog.LevelInfo, "INFO"
	if fromFile {
		s.level, _ = file.Logging.SlogLevel() // validated by Load
		s.resetLevel = strings.ToUpper(file.Logging.LogLevel)
	}
	if changed("log-level") {
		if err := s.level.UnmarshalText([]byte(f.logLevel)); err != nil {
			return s, fmt.Errorf("--log-level: %q is not debug, info, warn or error", f.logLevel)
		}
	}

	// The network: as chianet node, an unknown one is an error unless
	// --private runs it as one of your own.
	selected := sec.SelectedNetwork
	if selected == "" {
		selected = file.SelectedNetwork
	}
	if selected == "" {
		selected = config.Mainnet
	}
	name := selected
	if changed("network") {
		if f.network == "" {
			return s, errors.New("--network must not be empty")
		}
		name = f.network
	}
	if f.private {
		s.network, err = file.PrivateNetwork(name)
		if err != nil {
			return s, fmt.Errorf("--private: %w", err)
		}
	} else if s.network, err = file.Network(name); err != nil {
		var unknown *config.UnknownNetworkError
		if errors.As(err, &unknown) {
			return s, unknownNetwork(unknown)
		}
		return s, fmt.Errorf("--network: %w", err)
	}
	nw := s.network
	own := fromFile && nw.Name == selected // the section's network-specific keys apply
	s.info = rpc.NetworkInfo{NetworkName: nw.Name, NetworkPrefix: nw.AddressPrefix, GenesisChallenge: nw.GenesisChallenge}

	// The store.
	switch {
	case changed("db"):
		if f.db == "" {
			return s, errors.New("--db must not be empty")
		}
		s.store = f.db
	case own && file.Has("seeder.crawler_db_path") && sec.CrawlerDBPath != "" && !seeder.IsPostgresDSN(sec.CrawlerDBPath):
		s.store = file.Path(sec.CrawlerDBPath)
	case own && file.Has("seeder.crawler_db_path") && sec.CrawlerDBPath != "":
		s.store = sec.CrawlerDBPath
	default:
		s.store = filepath.Join(root, "db", "seeder-"+nw.Name+".sqlite")
	}

	if crawl {
		if err := f.crawlSettings(cmd, &s, file, own); err != nil {
			return s, err
		}
	}
	if serve {
		if err := f.dnsSettings(cmd, &s, file); err != nil {
			return s, err
		}
	}
	return s, nil
}

// crawlSettings fills s.crawler and the RPC's addresses.
func (f *seederFlags) crawlSettings(cmd *cobra.Command, s *seederSettings, file *config.Config, own bool) error {
	changed := cmd.Flags().Changed
	sec := &file.Seeder
	nw := s.network
	cfg := seeder.CrawlerConfig{
		NetworkID:            nw.Name,
		Bootstrap:            seederBootstrap[nw.Name],
		Port:                 nw.DefaultPort,
		AllowPrivate:         f.allowPrivate || nw.Private,
		ReachableOnHandshake: f.reachableOnHandshake,
		Concurrency:          f.concurrency,
		PeakWait:             f.peakWait,
		RecrawlIPv4:          f.recrawlAfter,
		RecrawlIPv6:          f.recrawlAfter,
		BatchInterval:        f.batchInterval,
	}
	if nw.Name == node.Mainnet {
		cfg.MinHeight = seeder.MainnetMinHeight
	}
	if own {
		// Keys the file lacks keep the network's defaults: the template's
		// values for them are mainnet's. bootstrap_peers are host names or
		// addresses, dialled on other_peers_port, the only port crawled.
		if file.Has("seeder.other_peers_port") {
			cfg.Port = uint16(sec.OtherPeersPort) // validated by Load
		}
		if file.Has("seeder.bootstrap_peers") {
			cfg.Bootstrap = nil
			for _, h := range sec.BootstrapPeers {
				h = strings.TrimSpace(h)
				if _, _, err := net.SplitHostPort(h); err != nil {
					if cfg.Port == 0 {
						return fmt.Errorf("seeder.bootstrap_peers in config.yaml: %q names no port, and neither seeder.other_peers_port nor network %s gives one", h, nw.Name)
					}
					h = net.JoinHostPort(strings.Trim(h, "[]"), strconv.Itoa(int(cfg.Port)))
				}
				cfg.Bootstrap = append(cfg.Bootstrap, h)
			}
		}
		if file.Has("seeder.minimum_height") {
			if sec.MinimumHeight > 1<<32-1 {
				return fmt.Errorf("seeder.minimum_height in config.yaml: %d is above the largest height, %d", sec.MinimumHeight, uint32(1<<32-1))
			}
			cfg.MinHeight = uint32(sec.MinimumHeight)
		}
	}
	if s.file != "" {
		cfg.ConnectTimeout = time.Duration(sec.PeerConnectTimeout) * time.Second // positive: validated by Load
		cfg.PruneAge = time.Duration(sec.Crawler.PrunePeerDays) * 24 * time.Hour
		if cfg.PruneAge == 0 {
			// 0 days: every record without a sign of life this second.
			cfg.PruneAge = time.Nanosecond
		}
		s.minVersionCount = sec.MinimumVersionCount
	}

	if changed("bootstrap-peer") {
		cfg.Bootstrap = f.bootstrap
	}
	if changed("port") {
		cfg.Port = f.port
	}
	if changed("min-height") {
		cfg.MinHeight = f.minHeight
	}
	if f.peakWait == 0 {
		cfg.PeakWait = -1
	}
	switch {
	case f.recrawlAfter > 0 && f.recrawlAfter < time.Second:
		// Times are kept in whole seconds: "at once".
		cfg.RecrawlIPv4, cfg.RecrawlIPv6, cfg.ReselectDelay = -1, -1, -1
	case f.recrawlAfter > 0 && f.recrawlAfter < seeder.DefaultReselectDelay:
		cfg.ReselectDelay = f.recrawlAfter
	}
	if f.batchInterval == 0 {
		cfg.BatchInterval = -1
	}
	s.crawler = cfg

	// The RPC on self_hostname: off for --once unless asked for; the
	// daemon only when asked for (see the command's help).
	rpcPort := sec.Crawler.RPCPort
	if (s.file != "" && !sec.Crawler.StartRPCServer) || f.once {
		rpcPort = -1
	}
	for _, p := range []struct {
		flag string
		v    int
		dst  *string
		port int
	}{{"rpc-port", f.rpcPort, &s.rpcAddr, rpcPort}, {"daemon-port", f.daemonPort, &s.daemonAddr, -1}} {
		if changed(p.flag) {
			if p.v < -1 || p.v > 65535 {
				return fmt.Errorf("--%s: %d is not a port number (0 to 65535) or -1", p.flag, p.v)
			}
			p.port = p.v
		}
		if p.port >= 0 {
			*p.dst = net.JoinHostPort(file.SelfHostname, strconv.Itoa(p.port)) // localhost: see rpc.Config.ListenAddr
		}
	}
	return nil
}

// dnsSettings fills s.dns: from config.yaml when there is one, the flags
// winning.
func (f *seederFlags) dnsSettings(cmd *cobra.Command, s *seederSettings, file *config.Config) error {
	changed := cmd.Flags().Changed
	sec := &file.Seeder
	d := seeder.DNSConfig{Listen: f.listen, TTL: f.ttl}
	statics, source := f.staticPeers, "--static-peer"
	if s.file != "" {
		d.Domain, d.Nameserver, d.Mbox = sec.DomainName, sec.Nameserver, sec.SOA.Rname
		// Validated by Load: each fits a uint32.
		d.Serial, d.Refresh, d.Retry = uint32(sec.SOA.SerialNumber), uint32(sec.SOA.Refresh), uint32(sec.SOA.Retry)
		d.Expire, d.Minimum = uint32(sec.SOA.Expire), uint32(sec.SOA.Minimum)
		d.TTL = uint32(sec.TTL)
		if !changed("dns-listen") {
			d.Listen = []string{net.JoinHostPort("", strconv.Itoa(sec.DNSPort))}
		}
		if !changed("static-peer") {
			statics, source = sec.StaticPeers, "seeder.static_peers in config.yaml"
		}
	}
	if changed("domain") {
		d.Domain = f.domain
	}
	if changed("nameserver") {
		d.Nameserver = f.nameserver
	}
	if changed("soa-mbox") {
		d.Mbox = f.mbox
	}
	if changed("ttl") {
		d.TTL = f.ttl
	}
	if d.Domain == "" || d.Nameserver == "" {
		return errors.New("--domain and --nameserver are required to serve DNS (or config.yaml's seeder.domain_name and seeder.nameserver)")
	}
	for _, p := range statics {
		a, err := netip.ParseAddr(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("%s: %q is not an IP address (the DNS server resolves no names)", source, p)
		}
		d.StaticPeers = append(d.StaticPeers, a)
	}
	s.dns = d
	return nil
}
