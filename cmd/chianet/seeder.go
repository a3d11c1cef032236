package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/node"
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
	logLevel, logFormat string

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
which lets one crawler feed DNS servers on several hosts.`,
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
  chianet seeder crawl --network devnet --bootstrap-peer 127.0.0.1:58501 --reachable-on-handshake --once`,
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
	fl.StringVar(&f.root, "root", defaultRoot(), "CHIA_ROOT directory holding config/ssl (certificates created if missing) and the default store")
	fl.StringVar(&f.network, "network", node.Mainnet, "network name (mainnet, testnet11, or a private network such as devnet)")
	fl.StringVar(&f.db, "db", "", `store: an SQLite file path, or a PostgreSQL postgres:// URL or "host=… dbname=…" string (default ROOT/db/seeder-NETWORK.sqlite)`)
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
}

func (f *seederFlags) registerCrawl(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.bootstrap, "bootstrap-peer", nil, "full node host:port crawled first, repeatable (default the network's: node.chia.net:8444 on mainnet)")
	fl.Uint16Var(&f.port, "port", 0, "only crawl peers on this port (default the network's full-node port; any port on a private network)")
	fl.Uint32Var(&f.minHeight, "min-height", 0, "peak height a peer must announce to count as reachable (default 240000 on mainnet, 0 elsewhere)")
	fl.BoolVar(&f.reachableOnHandshake, "reachable-on-handshake", false, "count a full node that completes the handshake and answers request_peers as reachable without a peak (for private networks whose nodes keep no chain)")
	fl.BoolVar(&f.allowPrivate, "allow-private", false, "record private and loopback addresses (always on for a private network)")
	fl.IntVar(&f.concurrency, "concurrency", seeder.DefaultConcurrency, "peers crawled at once")
	fl.DurationVar(&f.peakWait, "peak-wait", seeder.DefaultPeakWait, "how long to wait for a peer's new_peak after the handshake")
	fl.DurationVar(&f.recrawlAfter, "recrawl-after", 0, "how long after an attempt a peer is crawled again; under 1s means at once (default 1000s for IPv4, 600s for IPv6)")
	fl.DurationVar(&f.batchInterval, "batch-interval", seeder.DefaultBatchInterval, "pause between batches (not with --once)")
}

func (f *seederFlags) registerDNS(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.listen, "dns-listen", []string{seeder.DefaultDNSListen}, `host:port to answer DNS on over UDP and TCP, repeatable; an empty host is every interface, IPv4 and IPv6`)
	fl.StringVar(&f.domain, "domain", "", "the zone served, e.g. seeder.example.com. (required)")
	fl.StringVar(&f.nameserver, "nameserver", "", "the zone's name server for NS and SOA, e.g. ns1.example.com. (required)")
	fl.StringVar(&f.mbox, "soa-mbox", "", "the SOA's mailbox as a name (default hostmaster.DOMAIN)")
	fl.Uint32Var(&f.ttl, "ttl", seeder.DefaultTTL, "TTL of the answers while there are peers")
	fl.StringArrayVar(&f.staticPeers, "static-peer", nil, "IP address always handed out after the reliable peers, repeatable")
}

// defaultPort is a built-in network's full-node port; 0 for another.
func defaultPort(network string) uint16 {
	nw, _ := config.BuiltinNetwork(network)
	return nw.DefaultPort
}

// isPrivateNetwork reports a network other than mainnet and testnet11.
func isPrivateNetwork(n string) bool { return n != node.Mainnet && n != node.Testnet11 }

// storePath returns the --db value, defaulting to an SQLite file under
// --root.
func (f *seederFlags) storePath() string {
	if f.db != "" {
		return f.db
	}
	return filepath.Join(f.root, "db", "seeder-"+f.network+".sqlite")
}

// runSeeder runs the crawler, the DNS server or both until the command's
// context ends or SIGINT/SIGTERM arrives (or, with --once, the crawl is
// done).
func runSeeder(cmd *cobra.Command, stdout io.Writer, f *seederFlags, crawl, serve bool) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %q is not debug, info, warn or error", f.logLevel)
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return fmt.Errorf("--log-format: %q is not text or json", f.logFormat)
	}
	logger := newLogger(cmd.ErrOrStderr(), level, f.logFormat)
	if f.network == "" {
		return errors.New("--network must not be empty")
	}
	if serve && (f.domain == "" || f.nameserver == "") {
		return errors.New("--domain and --nameserver are required to serve DNS")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer context.AfterFunc(ctx, stop)()

	path := f.storePath()
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
		if dnsSrv, err = f.startDNS(ctx, store, logger); err != nil {
			return err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = dnsSrv.Close(cctx)
		}()
		defer reloadOnHangup(ctx, dnsSrv, logger)()
	}
	if !crawl {
		<-ctx.Done()
		logger.Info("stopping", "cause", context.Cause(ctx))
		return nil
	}

	c, bar, err := f.crawler(cmd, store, logger, dnsSrv)
	if err != nil {
		return err
	}
	if f.once {
		batches, err := c.RunOnce(ctx)
		bar.finish()
		printSummary(stdout, batches, c)
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

// startDNS starts the DNS server over store.
func (f *seederFlags) startDNS(ctx context.Context, store seeder.Store, logger *slog.Logger) (*seeder.DNSServer, error) {
	cfg := seeder.DNSConfig{
		Domain:     f.domain,
		Nameserver: f.nameserver,
		Mbox:       f.mbox,
		TTL:        f.ttl,
		Listen:     f.listen,
		Peers:      store,
		Logger:     logger.With("component", "dns"),
	}
	for _, s := range f.staticPeers {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("--static-peer: %w", err)
		}
		cfg.StaticPeers = append(cfg.StaticPeers, a)
	}
	s, err := seeder.NewDNSServer(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
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

// crawler builds the crawler from the flags, with its progress display.
// When the DNS server runs in the same process it reloads after every
// batch.
func (f *seederFlags) crawler(cmd *cobra.Command, store seeder.Store, logger *slog.Logger, dnsSrv *seeder.DNSServer) (*seeder.Crawler, *progress, error) {
	tree := &chiatls.Tree{Root: f.root, Logger: logger.With("component", "chiatls")}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		return nil, nil, fmt.Errorf("certificates: %w", err)
	}
	tlsConf, err := tree.ClientConfig(chiatls.FullNode)
	if err != nil {
		return nil, nil, fmt.Errorf("certificates: %w", err)
	}
	private := isPrivateNetwork(f.network)
	cfg := seeder.CrawlerConfig{
		NetworkID:            f.network,
		TLS:                  tlsConf,
		Store:                store,
		Bootstrap:            seederBootstrap[f.network],
		Port:                 defaultPort(f.network),
		AllowPrivate:         f.allowPrivate || private,
		ReachableOnHandshake: f.reachableOnHandshake,
		Concurrency:          f.concurrency,
		PeakWait:             f.peakWait,
		RecrawlIPv4:          f.recrawlAfter,
		RecrawlIPv6:          f.recrawlAfter,
		BatchInterval:        f.batchInterval,
		Logger:               logger.With("component", "crawler"),
	}
	if f.network == node.Mainnet {
		cfg.MinHeight = seeder.MainnetMinHeight
	}
	fl := cmd.Flags()
	if fl.Changed("bootstrap-peer") {
		cfg.Bootstrap = f.bootstrap
	}
	if fl.Changed("port") {
		cfg.Port = f.port
	}
	if fl.Changed("min-height") {
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
	}
	c, err := seeder.NewCrawler(cfg)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Bootstrap) == 0 {
		logger.Warn("no bootstrap peer: crawling only what the store holds", "network", f.network)
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
func printSummary(w io.Writer, batches []seeder.BatchStats, c *seeder.Crawler) {
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
	if len(pc.Versions) > 0 {
		vs := make([]string, 0, len(pc.Versions))
		for v := range pc.Versions {
			vs = append(vs, v)
		}
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
