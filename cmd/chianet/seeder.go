package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/seeder"
)

// seederBootstrap are the networks' default bootstrap peers (the
// reference's seeder.bootstrap_peers, with its other_peers_port).
var seederBootstrap = map[string][]string{
	node.Mainnet:   {"node.chia.net:8444"},
	node.Testnet11: {"testnet11-node-us-west-2.chia.net:58444"},
}

// seederFlags are the flags of the seeder commands.
type seederFlags struct {
	root, network, db   string
	private             bool
	logLevel, logFormat string
	rpcPort, daemonPort int

	// crawl
	once                 bool
	bootstrap            []string
	port                 uint16
	minHeight            uint32
	reachableOnHandshake bool
	allowPrivate         bool
	concurrency          int
	peakWait             time.Duration
	recrawlAfter         time.Duration
	batchInterval        time.Duration

	// dns
	listen      []string
	domain      string
	nameserver  string
	mbox        string
	ttl         uint32
	staticPeers []string
}

func newSeederCmd(stdout io.Writer) *cobra.Command {
	f := &seederFlags{}
	cmd := &cobra.Command{
		Use:   "seeder",
		Short: "Crawl a Chia network and serve its reliable nodes over DNS",
		Long: `seeder is a DNS seeder for a Chia network, as the reference's crawler and
chia_seeder: "seeder crawl" connects to every full node it hears of, keeps
reliability statistics about each in a store, and "seeder dns" answers A and
AAAA queries for a domain with the reliable ones. "seeder run" does both in
one process. The store (--db) is an SQLite file (the default, under --root)
or a PostgreSQL database (a postgres:// URL or a "host=… dbname=…" string),
which lets one crawler feed DNS servers on several hosts.

The root is --root, else $CHIA_ROOT, else ~/.chia/mainnet. Its
config/config.yaml, when there is one, is read as the reference reads it:
self_hostname, network_overrides, logging.log_level, and the seeder
section's selected_network, other_peers_port, bootstrap_peers (dialled on
other_peers_port unless they name a port), minimum_height,
crawler_db_path (relative to the root; chianet's tables are its own, so
a reference crawler's crawler.db there keeps its tables untouched),
peer_connect_timeout, minimum_version_count (the summary's versions
line), dns_port, domain_name, nameserver, ttl,
static_peers (IP addresses only), soa (rname, serial_number, refresh,
retry, expire, minimum) and crawler (start_rpc_server, rpc_port,
prune_peer_days). The section describes its selected network: with
another --network, or when the file lacks them, bootstrap_peers,
other_peers_port, minimum_height and crawler_db_path are that network's
defaults. Flags override the file. Not read: port (chianet's crawler
announces no server port, so crawled nodes do not record it as a peer to
dial) and crawler.ssl (the crawler dials with the full node's
certificate, as the reference's does). Without a file
the reference's defaults apply (mainnet, port 8444, node.chia.net), except
that --domain and --nameserver must be given to serve DNS.

mainnet and testnet11 are built in; network_overrides may declare more.
Any other --network is an error unless --private runs it as a network of
your own: no default port or bootstrap peer, peers on any port crawled,
private addresses recorded.

crawl and run serve the reference crawler's HTTPS RPC (service
chia_crawler: get_peer_counts, get_ips_after_timestamp and the shared
routes) on self_hostname:--rpc-port (8561), with the daemon's certificate
and the root's private CA, as chianet node serves its own; stop_node
stops the seeder as SIGTERM does. The reference runs one daemon per host,
on daemon_port, which every service registers with; chianet runs the
daemon inside each process, and chianet node takes daemon_port (55400),
so the seeder serves a daemon WebSocket of its own only when asked with
--daemon-port: it serves chia_crawler and sends crawl_batch_completed
and loaded_initial_peers, with the peer counts, to the sockets registered
as metrics, under config.yaml's daemon_max_message_size, daemon_heartbeat
and daemon_allow_tls_1_2. With --once neither is served unless asked for.`,
	}
	crawl := &cobra.Command{
		Use:   "crawl",
		Short: "Crawl the network into the store",
		Long: `crawl connects to the network's full nodes as a full node, asks each for
peers and waits briefly for its peak, and records the outcome in the store,
batch after batch. With --once it stops when a batch finds no new address
and prints a summary; otherwise it runs until SIGINT or SIGTERM. Progress is
shown as a bar on a terminal and logged otherwise.`,
		Example: `  chianet seeder crawl --once
  chianet seeder crawl --network testnet11 --db "host=/run/postgresql dbname=seeder"
  chianet seeder crawl --network devnet --private --bootstrap-peer 127.0.0.1:58501 --reachable-on-handshake --once
  chianet seeder crawl --rpc-port 8561 --daemon-port 55401`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSeeder(cmd, stdout, f, true, false) },
	}
	dnsCmd := &cobra.Command{
		Use:   "dns",
		Short: "Answer DNS queries with the store's reliable peers",
		Long: `dns answers A, AAAA, ANY, NS and SOA queries for --domain over UDP and TCP
with the store's reliable peers, reading them at start, every 15 minutes and
on SIGHUP. It stops on SIGINT or SIGTERM.`,
		Example: `  chianet seeder dns --domain seeder.example.com. --nameserver ns1.example.com.
  chianet seeder dns --dns-listen 127.0.0.1:5353 --domain seeder.example.com. --nameserver ns1.example.com.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSeeder(cmd, stdout, f, false, true) },
	}
	runCmd := &cobra.Command{
		Use:   "run",
		Short: "Crawl and answer DNS queries in one process",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runSeeder(cmd, stdout, f, true, true) },
	}
	for _, c := range []*cobra.Command{crawl, dnsCmd, runCmd} {
		f.registerCommon(c)
	}
	for _, c := range []*cobra.Command{crawl, runCmd} {
		f.registerCrawl(c)
	}
	crawl.Flags().BoolVar(&f.once, "once", false, "stop when a batch finds no new address, and print a summary")
	for _, c := range []*cobra.Command{dnsCmd, runCmd} {
		f.registerDNS(c)
	}
	cmd.AddCommand(crawl, dnsCmd, runCmd)
	return cmd
}

func (f *seederFlags) registerCommon(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "", "CHIA_ROOT directory holding config/config.yaml, config/ssl (certificates created if missing) and the default store (default $CHIA_ROOT, else ~/.chia/mainnet)")
	fl.StringVar(&f.network, "network", "", "network name: mainnet, testnet11, one declared in config.yaml's network_overrides, or with --private one of your own (default config.yaml's seeder.selected_network, else mainnet)")
	fl.BoolVar(&f.private, "private", false, "run --network as a private network of your own: no default port or bootstrap peer, any port crawled, private addresses recorded")
	fl.StringVar(&f.db, "db", "", `store: an SQLite file path, or a PostgreSQL postgres:// URL or "host=… dbname=…" string (default config.yaml's seeder.crawler_db_path for its network, else ROOT/db/seeder-NETWORK.sqlite)`)
	fl.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn or error (default config.yaml's logging.log_level, else info)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
}

func (f *seederFlags) registerCrawl(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.bootstrap, "bootstrap-peer", nil, "full node host:port crawled first, repeatable (default config.yaml's seeder.bootstrap_peers on seeder.other_peers_port, else the network's: node.chia.net:8444 on mainnet)")
	fl.Uint16Var(&f.port, "port", 0, "only crawl peers on this port, 0 for any (default config.yaml's seeder.other_peers_port, else the network's full-node port; any port on a private network)")
	fl.Uint32Var(&f.minHeight, "min-height", 0, "peak height a peer must announce to count as reachable (default config.yaml's seeder.minimum_height, else 240000 on mainnet, 0 elsewhere)")
	fl.BoolVar(&f.reachableOnHandshake, "reachable-on-handshake", false, "count a full node that completes the handshake and answers request_peers as reachable without a peak (for private networks whose nodes keep no chain)")
	fl.BoolVar(&f.allowPrivate, "allow-private", false, "record private and loopback addresses (always on for a private network)")
	fl.IntVar(&f.concurrency, "concurrency", seeder.DefaultConcurrency, "peers crawled at once")
	fl.DurationVar(&f.peakWait, "peak-wait", seeder.DefaultPeakWait, "how long to wait for a peer's new_peak after the handshake")
	fl.DurationVar(&f.recrawlAfter, "recrawl-after", 0, "how long after an attempt a peer is crawled again; under 1s means at once (default 1000s for IPv4, 600s for IPv6)")
	fl.DurationVar(&f.batchInterval, "batch-interval", seeder.DefaultBatchInterval, "pause between batches (not with --once)")
	fl.IntVar(&f.rpcPort, "rpc-port", 0, "port of the crawler's HTTPS RPC on self_hostname, 0 for any free port, -1 for none (default config.yaml's seeder.crawler.rpc_port, else 8561; none if its start_rpc_server is false, or with --once)")
	fl.IntVar(&f.daemonPort, "daemon-port", -1, "port of a daemon WebSocket of the seeder's own on self_hostname, serving chia_crawler and its metrics notifications; 0 for any free port, -1 for none (chianet node serves the host's daemon_port, 55400)")
}

func (f *seederFlags) registerDNS(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.listen, "dns-listen", []string{seeder.DefaultDNSListen}, `host:port to answer DNS on over UDP and TCP, repeatable; an empty host is every interface, IPv4 and IPv6; without it ":" + config.yaml's seeder.dns_port when there is a config.yaml, else`)
	fl.StringVar(&f.domain, "domain", "", "the zone served, e.g. seeder.example.com. (default config.yaml's seeder.domain_name; required without config.yaml)")
	fl.StringVar(&f.nameserver, "nameserver", "", "the zone's name server for NS and SOA, e.g. ns1.example.com. (default config.yaml's seeder.nameserver; required without config.yaml)")
	fl.StringVar(&f.mbox, "soa-mbox", "", "the SOA's mailbox as a name (default config.yaml's seeder.soa.rname, else hostmaster.DOMAIN)")
	fl.Uint32Var(&f.ttl, "ttl", seeder.DefaultTTL, "TTL of the answers while there are peers; without it config.yaml's seeder.ttl when there is a config.yaml, else")
	fl.StringArrayVar(&f.staticPeers, "static-peer", nil, "IP address always handed out after the reliable peers, repeatable; replaces config.yaml's seeder.static_peers")
}

// errStopRPC is the cause of a shutdown asked for through the RPC.
var errStopRPC = errors.New("stop_node or the daemon's exit")

// runSeeder runs the crawler, the DNS server or both until the command's
// context ends or SIGINT/SIGTERM arrives (or, with --once, the crawl is
// done).
func runSeeder(cmd *cobra.Command, stdout io.Writer, f *seederFlags, crawl, serve bool) error {
	if f.logFormat != "text" && f.logFormat != "json" {
		return fmt.Errorf("--log-format: %q is not text or json", f.logFormat)
	}
	s, err := f.settings(cmd, crawl, serve)
	if err != nil {
		return err
	}
	// The RPC's log-level routes change the logger's level.
	level := new(slog.LevelVar)
	level.Set(s.level)
	logger := newLogger(cmd.ErrOrStderr(), level, f.logFormat)
	if s.file != "" {
		logger.Info("configuration read", "file", s.file, "root", s.root, "network", s.network.Name)
	}
	for _, m := range s.misspellings {
		logger.Warn(misspeltKeyMsg, "key", m.Key, "did_you_mean", m.Want, "line", m.Line)
	}
	sigCtx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer context.AfterFunc(sigCtx, stop)()
	ctx, cancel := context.WithCancelCause(sigCtx)
	defer cancel(nil)

	path := s.store
	kind := "sqlite"
	if seeder.IsPostgresDSN(path) {
		kind = "postgres"
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	store, err := seeder.Open(ctx, path)
	if err != nil {
		return err
	}
	defer store.Close()
	if kind == "sqlite" {
		logger.Info("store opened", "kind", kind, "path", path)
	} else {
		logger.Info("store opened", "kind", kind)
	}

	var dnsSrv *seeder.DNSServer
	if serve {
		dcfg := s.dns
		dcfg.Peers = store
		dcfg.Logger = logger.With("component", "dns")
		if dnsSrv, err = seeder.NewDNSServer(dcfg); err != nil {
			return err
		}
		if err := dnsSrv.Start(ctx); err != nil {
			var flags []listenFlag
			for _, a := range dcfg.Listen {
				flags = append(flags, listenFlag{"--dns-listen", a, ""})
			}
			return explainAddrInUse(err, flags...)
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = dnsSrv.Close(cctx)
		}()
		defer reloadOnHangup(ctx, dnsSrv, logger)()
	}
	if !crawl {
		// A mistyped --root, --db or --network opens an empty store, which
		// the DNS server serves without complaint: every answer is empty.
		if peers, err := store.ReliablePeers(ctx); err == nil && len(peers) == 0 {
			logger.Warn("the store holds no reliable peers, so the DNS answers have none until 'chianet seeder crawl' with the same --root or --db, and --network, fills it",
				"store", kind)
		}
		<-ctx.Done()
		logger.Info("stopping", "cause", context.Cause(ctx))
		return nil
	}

	// rs is read by the crawler's events, which the RPC's open_connection
	// may emit (loading the store) as soon as the RPC serves.
	var rs atomic.Pointer[seeder.RPCServer]
	c, bar, err := f.crawler(cmd, s, store, logger, dnsSrv, func(e seeder.Event) { rs.Load().Notify(e) })
	if err != nil {
		return err
	}
	if s.rpcAddr != "" || s.daemonAddr != "" {
		tree := chiatls.Tree{Root: s.root, Logger: logger.With("component", "chiatls"), Files: s.certFiles}
		if err := tree.EnsureService(chiatls.Daemon); err != nil {
			return fmt.Errorf("RPC certificates: %w", err)
		}
		tc, err := rpc.ServerTLS(tree, chiatls.Daemon)
		if err != nil {
			return fmt.Errorf("RPC certificates: %w", err)
		}
		rc := s.daemon
		rc.RPCAddr, rc.DaemonAddr, rc.TLS, rc.NetworkInfo = s.rpcAddr, s.daemonAddr, tc, s.info
		rc.Options = rpc.Options{LogLevel: level, ResetLogLevel: s.resetLevel}
		rc.Stop, rc.Logger = func() { cancel(errStopRPC) }, logger
		srv, err := c.StartRPC(ctx, rc)
		if err != nil {
			return explainAddrInUse(err, listenFlag{"--rpc-port", s.rpcAddr, "-1"}, listenFlag{"--daemon-port", s.daemonAddr, "-1"})
		}
		rs.Store(srv)
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Close(cctx)
		}()
	}
	if f.once {
		batches, err := c.RunOnce(ctx)
		bar.finish()
		printSummary(stdout, batches, c, s.minVersionCount)
		if err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	}
	err = c.Run(ctx)
	bar.finish()
	logger.Info("stopping", "cause", context.Cause(ctx))
	return err
}

// reloadOnHangup makes SIGHUP read the DNS server's peers at once, until
// ctx ends or the returned function is called.
func reloadOnHangup(ctx context.Context, s *seeder.DNSServer, logger *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-hup:
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				if err := s.Refresh(rctx); err != nil {
					logger.Warn("DNS server: reading the peers on SIGHUP failed", "err", err)
				}
				cancel()
			case <-ctx.Done():
				return
			case <-done:
				return
			}
		}
	})
	return func() {
		signal.Stop(hup)
		close(done)
		wg.Wait()
	}
}

// crawler builds the crawler of s, with its progress display. When the
// DNS server runs in the same process it reloads after every batch; every
// state change also goes to notify.
func (f *seederFlags) crawler(cmd *cobra.Command, s seederSettings, store seeder.Store, logger *slog.Logger,
	dnsSrv *seeder.DNSServer, notify func(seeder.Event)) (*seeder.Crawler, *progress, error) {
	tree := &chiatls.Tree{Root: s.root, Logger: logger.With("component", "chiatls"), Files: s.certFiles}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		return nil, nil, fmt.Errorf("certificates: %w", err)
	}
	tlsConf, err := tree.ClientConfig(chiatls.FullNode)
	if err != nil {
		return nil, nil, fmt.Errorf("certificates: %w", err)
	}
	cfg := s.crawler
	cfg.TLS = tlsConf
	cfg.Store = store
	cfg.Logger = logger.With("component", "crawler")
	bar := newProgress(cmd.ErrOrStderr())
	cfg.OnProgress = bar.update
	cfg.OnEvent = func(e seeder.Event) {
		if e.Kind == seeder.EventCrawlBatchCompleted {
			bar.finish()
			if dnsSrv != nil {
				rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if err := dnsSrv.Refresh(rctx); err != nil {
					logger.Warn("DNS server: reading the peers after the batch failed", "err", err)
				}
				cancel()
			}
		}
		notify(e)
	}
	c, err := seeder.NewCrawler(cfg)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Bootstrap) == 0 {
		logger.Warn("no bootstrap peer: crawling only what the store holds", "network", s.network.Name)
	}
	return c, bar, nil
}

// progress shows a batch's progress as a bar when w is a terminal, and
// does nothing otherwise (the crawler logs each batch).
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	bar   *progressbar.ProgressBar
	batch int
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		p.tty = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	return p
}

func (p *progress) update(pr seeder.Progress) {
	if !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.Done == 0 {
		if p.bar != nil {
			_ = p.bar.Finish()
		}
		p.batch++
		p.bar = progressbar.NewOptions(pr.Total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("batch %d", p.batch)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
		)
		return
	}
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("batch %d: %d reachable, %d new", p.batch, pr.Reachable, pr.New))
		_ = p.bar.Set(pr.Done)
	}
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// printSummary writes the table of batches and the counts.
// Versions seen fewer than minVersions times are left out of its
// versions line, as the reference's minimum_version_count leaves them
// out of its log.
func printSummary(w io.Writer, batches []seeder.BatchStats, c *seeder.Crawler, minVersions int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "batch\tpeers\thandshakes\treachable\tnew\tsaved\ttime\t")
	var tot seeder.BatchStats
	var took time.Duration
	for _, b := range batches {
		seq := fmt.Sprint(b.Seq)
		if b.SaveErr != nil {
			seq += " (not saved)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", seq, b.Tried, b.Handshakes, b.Reachable, b.New, b.Saved,
			b.Duration.Round(time.Millisecond))
		tot.Tried += b.Tried
		tot.Handshakes += b.Handshakes
		tot.Reachable += b.Reachable
		tot.New += b.New
		tot.Saved += b.Saved
		took += b.Duration
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%s\t\n", tot.Tried, tot.Handshakes, tot.Reachable, tot.New, tot.Saved, took.Round(time.Millisecond))
	tw.Flush()

	pc := c.PeerCounts()
	recs := c.Records()
	fmt.Fprintf(w, "\nknown peers %d, reliable %d, seen in 5 days %d (IPv4 %d, IPv6 %d)\n",
		len(recs), pc.ReliableNodes, pc.TotalLast5Days, pc.IPv4Last5Days, pc.IPv6Last5Days)
	vs := make([]string, 0, len(pc.Versions))
	rare := 0
	for v, n := range pc.Versions {
		if n >= minVersions {
			vs = append(vs, v)
		} else {
			rare++
		}
	}
	if len(vs) > 0 {
		sort.Slice(vs, func(i, j int) bool {
			if pc.Versions[vs[i]] != pc.Versions[vs[j]] {
				return pc.Versions[vs[i]] > pc.Versions[vs[j]]
			}
			return vs[i] < vs[j]
		})
		parts := make([]string, 0, len(vs))
		for _, v := range vs {
			parts = append(parts, fmt.Sprintf("%s %d", v, pc.Versions[v]))
		}
		fmt.Fprintf(w, "versions: %s\n", strings.Join(parts, ", "))
	}
	if rare > 0 {
		fmt.Fprintf(w, "versions seen fewer than %d times (seeder.minimum_version_count): %d\n", minVersions, rare)
	}
	var heights []uint32
	for _, r := range recs {
		if !r.PeakTime.IsZero() {
			heights = append(heights, r.Height)
		}
	}
	if len(heights) > 0 {
		slices.Sort(heights)
		fmt.Fprintf(w, "peaks: %d peers announced one, highest %d, median %d\n", len(heights), heights[len(heights)-1], heights[len(heights)/2])
	}
	fmt.Fprintf(w, "last batch saved: %d\n", c.LastBatch().Seq)
}
