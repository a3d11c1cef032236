package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/chianet/chianet/devnet"
)

// devnetFlags are the flags of `chianet devnet`.
type devnetFlags struct {
	nodes         int
	network       string
	duration      time.Duration
	keep          bool
	dir           string
	target        int
	crawlInterval time.Duration
	logFile       string
	logLevel      string
}

func newDevnetCmd(stdout io.Writer) *cobra.Command {
	f := &devnetFlags{}
	cmd := &cobra.Command{
		Use:   "devnet [--nodes N] [--duration D] [--keep]",
		Short: "Run a whole private network on loopback: introducer, DNS seeder and N nodes",
		Long: `devnet runs a whole Chia network offline, in this process, on loopback:
an introducer (127.0.0.2), a DNS seeder (127.0.0.3: crawler, SQLite store
and DNS server on a free port) and --nodes full nodes, node i at
127.X.Y.1 (X = 1 + i mod 254, Y = 1 + i div 254), all on one free port,
each with a temporary CHIA_ROOT of its own, on a private network.

No node is told of another: each knows the DNS introducer's name and the
introducer's address and bootstraps as nodes of a public network do, a
DNS lookup first (answered by the devnet's seeder only, never by the
system's resolver), then the introducer, then gossip. Half of the nodes
start first and meet through the introducer; the seeder crawls from node
0 once it is connected, every --crawl-interval (a devnet setting: a
public seeder pauses 15 s), counting a node that completes the handshake
and answers request_peers as reachable (these nodes keep no chain); the
other nodes join once the DNS seeder hands out nodes. The seeder is run
a second time from node 0 once every node has reached its target, since
a crawler recrawls a node only after 1,000 s. Nodes try an address again
after 10 s, not the reference's 30 minutes (a dozen nodes have few
addresses to try).

On a terminal the state is redrawn every half second: each node's
outbound and inbound connections and known addresses, the nodes at their
outbound target, the crawler's reach, the DNS answers. Otherwise one line
is printed per second. After --duration, or on Ctrl-C, a summary follows:
when each node first reached its target (from its connection events),
its connections and addresses, the seeder's reliable count and the DNS
answers. Everything is then stopped and the temporary roots removed,
unless --keep: then every node also serves its RPC at its own address,
its root holds a config.yaml naming it, and 'chianet show --root ROOT'
shows a node while the devnet runs.

The outbound target is the reference's 8, lowered to (N−1)/3 for fewer
than 25 nodes (7 for 24); inbound full nodes are limited to N−1−target
(at most 32), so that no node ends up connected to every other one with
nobody left to dial. A node whose inbound slots are taken refuses
newcomers: nodes each in an address group of their own evict nobody.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDevnet(cmd, stdout, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.nodes, "nodes", devnet.DefaultNodes, "number of full nodes (at least 3)")
	fl.StringVar(&f.network, "network", devnet.DefaultNetwork, "name of the private network")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	fl.BoolVar(&f.keep, "keep", false, "keep the temporary roots, and serve each node's RPC for 'chianet show --root'")
	fl.StringVar(&f.dir, "dir", "", "directory to make the temporary root in (default the system's temporary directory)")
	fl.IntVar(&f.target, "target-outbound", 0, "outbound target of every node (default 8, lowered to (N−1)/3 for fewer than 25 nodes)")
	fl.DurationVar(&f.crawlInterval, "crawl-interval", devnet.DefaultCrawlInterval, "pause between the crawler's batches, and the DNS server's reload interval")
	fl.StringVar(&f.logFile, "log-file", "", "write the services' logs to this file (default: no logs)")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level of --log-file: debug, info, warn or error")
	return cmd
}

// runDevnet starts the devnet, shows its progress until --duration or a
// signal, prints the summary and stops it.
func runDevnet(cmd *cobra.Command, stdout io.Writer, f *devnetFlags) error {
	switch {
	case f.nodes < 3:
		return fmt.Errorf("--nodes: %d; a devnet needs at least 3", f.nodes)
	case f.nodes > devnet.MaxNodes:
		return fmt.Errorf("--nodes: %d; a devnet has at most %d", f.nodes, devnet.MaxNodes)
	case f.duration < 0:
		return fmt.Errorf("--duration must not be negative, not %v", f.duration)
	case f.target < 0:
		return fmt.Errorf("--target-outbound must not be negative, not %d", f.target)
	case f.target > f.nodes-2:
		return fmt.Errorf("--target-outbound: %d; %d nodes allow at most %d", f.target, f.nodes, f.nodes-2)
	case f.crawlInterval <= 0:
		return fmt.Errorf("--crawl-interval must be positive, not %v", f.crawlInterval)
	}
	cfg := devnet.Config{
		Nodes:          f.nodes,
		Network:        f.network,
		Dir:            f.dir,
		Keep:           f.keep,
		RPC:            f.keep,
		TargetOutbound: f.target,
		CrawlInterval:  f.crawlInterval,
	}
	if f.logFile != "" {
		var level slog.Level
		if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
			return fmt.Errorf("--log-level: %q is not debug, info, warn or error", f.logLevel)
		}
		lf, err := os.OpenFile(f.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--log-file: %w", err)
		}
		defer lf.Close()
		cfg.Logger = newLogger(lf, level, "text")
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// After the first signal, a second one kills the process the usual
	// way instead of waiting for the shutdown.
	defer context.AfterFunc(ctx, stop)()

	fmt.Fprintf(stdout, "starting %d nodes on %s: making their roots and certificates...\n", f.nodes, f.network)
	n, err := devnet.Start(ctx, cfg)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted while starting")
		}
		if fl := (*devnet.FileLimitError)(nil); errors.As(err, &fl) {
			return fmt.Errorf("--nodes: %d; they need about %d open files, over this process's limit of %d (ulimit -n)", fl.Nodes, fl.Need, fl.Limit)
		}
		return err
	}
	st := n.Snapshot()
	c := n.Config()
	fmt.Fprintf(stdout, "devnet %q: %d nodes on port %d, outbound target %d, up to %d inbound; setup %v\n",
		c.Network, len(st.Nodes), n.Port(), c.TargetOutbound, c.MaxInbound, st.Setup.Round(100*time.Millisecond))
	fmt.Fprintf(stdout, "introducer %v, DNS seeder %s at %v, roots in %s\n",
		st.Introducer.Addr, strings.TrimSuffix(devnet.DNSName, "."), st.DNS.Addr, n.Root())
	if f.keep {
		fmt.Fprintf(stdout, "while it runs, look at a node with: chianet show --root %s (node00 to %s)\n",
			st.Nodes[0].Root, lastElem(st.Nodes[len(st.Nodes)-1].Root))
	}
	if f.duration > 0 {
		fmt.Fprintf(stdout, "running for %v (Ctrl-C stops it sooner)\n", f.duration)
	} else {
		fmt.Fprintln(stdout, "running until Ctrl-C")
	}

	watch(ctx, stdout, n, f.duration)
	final := n.Snapshot()
	closeErr := n.Close()
	printDevnetSummary(stdout, final)
	if f.keep {
		fmt.Fprintf(stdout, "roots kept in %s (remove them with: rm -r %s)\n", n.Root(), n.Root())
	}
	return closeErr
}

// lastElem is the last element of a path.
func lastElem(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// watch shows the devnet's progress until ctx ends or d passes (d = 0:
// until ctx ends): redrawn in place on a terminal, a plain line per
// second otherwise.
func watch(ctx context.Context, w io.Writer, n *devnet.Net, d time.Duration) {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	every := time.Second
	if tty {
		every = 500 * time.Millisecond
	}
	var end <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		end = t.C
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	drawn := 0 // lines of the previous drawing, on a terminal
	for {
		select {
		case <-ctx.Done():
			return
		case <-end:
			return
		case <-tick.C:
		}
		st := n.Snapshot()
		if !tty {
			fmt.Fprintln(w, progressLine(st))
			continue
		}
		var b strings.Builder
		if drawn > 0 {
			fmt.Fprintf(&b, "\x1b[%dA\x1b[J", drawn)
		}
		screen := progressScreen(st)
		b.WriteString(screen)
		drawn = strings.Count(screen, "\n")
		io.WriteString(w, b.String())
	}
}

// progressLine is the one-line state of the devnet.
func progressLine(st devnet.Status) string {
	return fmt.Sprintf("%5.1fs  at target %d/%d  connections %d  %s  %s  %s",
		st.Elapsed.Seconds(), st.AtTarget, len(st.Nodes), st.Outbound,
		crawlerText(st), dnsText(st), introducerText(st))
}

func crawlerText(st devnet.Status) string {
	if st.Crawler.Runs == 0 {
		return "crawler: waiting for node 0 to connect"
	}
	return fmt.Sprintf("crawler: reached %d, %d reliable", st.Crawler.Reached, st.Crawler.Reliable)
}

func dnsText(st devnet.Status) string {
	return fmt.Sprintf("DNS: %d of %d lookups answered", st.DNS.Answers, st.DNS.Lookups)
}

func introducerText(st devnet.Status) string {
	return fmt.Sprintf("introducer: %d vetted", st.Introducer.Vetted)
}

// progressScreen is the terminal's view: the summary line, then the
// nodes in columns (out/in connections, known addresses), or for a large
// devnet how many nodes hold each number of outbound connections.
func progressScreen(st devnet.Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5.1fs  nodes at their outbound target of %d: %d/%d   connections: %d outbound, %d inbound\n",
		st.Elapsed.Seconds(), st.Target, st.AtTarget, len(st.Nodes), st.Outbound, st.Inbound)
	fmt.Fprintf(&b, "        %s   %s   %s\n", crawlerText(st), dnsText(st), introducerText(st))
	if len(st.Nodes) > 60 {
		hist := map[int]int{}
		for _, ns := range st.Nodes {
			hist[ns.Outbound]++
		}
		keys := make([]int, 0, len(hist))
		for k := range hist {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("        nodes by outbound connections:")
		for _, k := range keys {
			fmt.Fprintf(&b, "  %d: %d", k, hist[k])
		}
		b.WriteString("\n")
		return b.String()
	}
	const cols = 4
	b.WriteString("        ")
	for range min(cols, len(st.Nodes)) {
		b.WriteString("node out in known   ")
	}
	b.WriteString("\n")
	for i, ns := range st.Nodes {
		if i%cols == 0 {
			b.WriteString("        ")
		}
		mark := " "
		if ns.Outbound >= st.Target {
			mark = "*"
		}
		fmt.Fprintf(&b, "%4d %3d%s%2d %5d   ", ns.Index, ns.Outbound, mark, ns.Inbound, ns.Known)
		if i%cols == cols-1 || i == len(st.Nodes)-1 {
			b.WriteString("\n")
		}
	}
	b.WriteString("        (* at target)\n")
	return b.String()
}

// printDevnetSummary prints the final table and totals.
func printDevnetSummary(w io.Writer, st devnet.Status) {
	fmt.Fprintf(w, "\nsummary after %v (setup %v):\n", st.Elapsed.Round(100*time.Millisecond), st.Setup.Round(100*time.Millisecond))
	most := 0
	for _, ns := range st.Nodes {
		most = max(most, ns.MaxOutbound)
	}
	if st.AllAtTarget > 0 {
		fmt.Fprintf(w, "every node reached its outbound target of %d, the last %v after the start; at most %d outbound at once on any node\n",
			st.Target, st.AllAtTarget.Round(100*time.Millisecond), most)
	} else {
		fmt.Fprintf(w, "%d of %d nodes reached their outbound target of %d; at most %d outbound at once on any node\n",
			st.EverAtTarget, len(st.Nodes), st.Target, most)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "node\taddress\tjoined\tat target after\tout\tin\tknown\t")
	for _, ns := range st.Nodes {
		reached := "never"
		if ns.ReachedTarget > 0 {
			reached = fmt.Sprintf("%.1fs", ns.ReachedTarget.Seconds())
		}
		fmt.Fprintf(tw, "%d\t%v\t%.1fs\t%s\t%d\t%d\t%d\t\n", ns.Index, ns.Addr, ns.Joined.Seconds(), reached, ns.Outbound, ns.Inbound, ns.Known)
	}
	tw.Flush()
	fmt.Fprintf(w, "connections between nodes: %d outbound, %d inbound\n", st.Outbound, st.Inbound)
	fmt.Fprintf(w, "seeder: %d crawl batches reached %d of %d nodes, %d reliable; its DNS server answered %d queries\n",
		st.Crawler.Batches, st.Crawler.Reached, len(st.Nodes), st.Crawler.Reliable, st.DNS.Queries)
	fmt.Fprintf(w, "nodes' DNS lookups: %d, %d answered with addresses (%d in all)\n",
		st.DNS.Lookups, st.DNS.Answers, st.DNS.Addresses)
	fmt.Fprintf(w, "introducer: %d nodes recorded, %d vetted, %d requests answered\n",
		st.Introducer.Peers, st.Introducer.Vetted, st.Introducer.Requests)
}
