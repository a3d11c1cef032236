package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/chianet/chianet/node"
)

// nodeFlags are the flags of `chianet node`.
type nodeFlags struct {
	network            string
	root               string
	port               uint16
	listenHost         string
	peersFile          string
	introducer         string
	dnsIntroducers     []string
	noDefaultBootstrap bool
	peers              []string
	targetOutbound     int
	targetPeerCount    int
	maxInboundWallet   int
	maxInboundFarmer   int
	exemptNetworks     []string
	noEviction         bool
	maxPendingInbound  int
	maxPendingPerIP    int
	allowPrivate       bool
	logLevel           string
	logFormat          string
}

func newNodeCmd() *cobra.Command {
	f := &nodeFlags{}
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a networking-only full node: accept peers, discover peers, keep their peaks",
		Long: `node runs a Chia full node of the peer-to-peer network only: it listens for
peers, keeps its outbound connections with the reference's discovery (persisted
peers, DNS introducers, the introducer, and the peers given with --peer),
answers request_peers, and records the peak every peer announces. It keeps no
chain. It logs to standard error and stops gracefully on SIGINT or SIGTERM:
the peers file is saved and every connection is closed normally.

mainnet and testnet11 come with their default port, DNS introducers and
introducer. Any other --network name (e.g. devnet) has none of these: the
node talks only to the peers it is given, and admits private addresses.`,
		Example: `  chianet node
  chianet node --network testnet11
  chianet node --network devnet --listen-host 127.0.0.1 --port 58501 --root /tmp/chianet-a
  chianet node --network devnet --listen-host 127.0.0.1 --port 58502 --root /tmp/chianet-b --peer 127.0.0.1:58501`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNode(cmd, f)
		},
	}
	f.register(cmd)
	return cmd
}

// register adds the flags to cmd.
func (f *nodeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.network, "network", node.Mainnet, "network name sent in handshakes (mainnet, testnet11, or a private network such as devnet)")
	fl.StringVar(&f.root, "root", defaultRoot(), "CHIA_ROOT directory holding config/ssl and db (certificates created if missing)")
	fl.Uint16Var(&f.port, "port", 0, "port to accept peers on; 0 takes any free port (default the network's: 8444 mainnet, 58444 testnet11, any free port otherwise)")
	fl.StringVar(&f.listenHost, "listen-host", "", `address to accept peers on; "" is every interface, IPv4 and IPv6`)
	fl.StringVar(&f.peersFile, "peers-file", "", "peers file, relative to --root unless absolute (default db/peers.dat; db/peers-<network>.dat off mainnet)")
	fl.StringVar(&f.introducer, "introducer", "", "introducer host:port (default the network's, e.g. introducer.chia.net:8444)")
	fl.StringArrayVar(&f.dnsIntroducers, "dns-introducer", nil, "DNS introducer to ask for peers, repeatable; replaces the network's list")
	fl.BoolVar(&f.noDefaultBootstrap, "no-default-bootstrap", false, "do not use the network's default introducer and DNS introducers")
	fl.StringArrayVar(&f.peers, "peer", nil, "full node host:port to stay connected to, repeatable")
	fl.IntVar(&f.targetOutbound, "target-outbound", 0, "outbound full-node connections to keep; -1 for none besides --peer (default 8)")
	fl.IntVar(&f.targetPeerCount, "target-peer-count", 0, "total full-node connections; inbound ones are accepted up to this minus --target-outbound (default 40)")
	fl.IntVar(&f.maxInboundWallet, "max-inbound-wallet", 0, "inbound wallet connections to accept; -1 for none (default 20)")
	fl.IntVar(&f.maxInboundFarmer, "max-inbound-farmer", 0, "inbound farmer connections to accept; -1 for none (default 10)")
	fl.StringArrayVar(&f.exemptNetworks, "exempt-network", nil, "IP or CIDR exempt from bans, rate limits and inbound limits, repeatable")
	fl.BoolVar(&f.noEviction, "no-eviction", false, "refuse new inbound full nodes when their slots are taken, instead of evicting one of the most-represented address group")
	fl.IntVar(&f.maxPendingInbound, "max-pending-inbound", 0, "accepted connections still in TLS, WebSocket upgrade or handshake; -1 for no bound (default 64)")
	fl.IntVar(&f.maxPendingPerIP, "max-pending-per-ip", 0, "connections from one IP still in TLS, WebSocket upgrade or handshake; -1 for no bound (default 4)")
	fl.BoolVar(&f.allowPrivate, "allow-private", false, "admit private and loopback addresses from peers and DNS (always on off mainnet and testnet11)")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
}

// runNode turns the flags into a node.Config and runs the node until
// SIGINT or SIGTERM (or the command's context) stops it.
func runNode(cmd *cobra.Command, f *nodeFlags) error {
	logger, err := newLogger(cmd.ErrOrStderr(), f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	cfg.Logger = logger

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process the usual
	// way instead of waiting for the graceful shutdown.
	defer context.AfterFunc(ctx, stop)()

	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	return n.Run(ctx)
}

// config builds the node configuration from the flags.
func (f *nodeFlags) config(cmd *cobra.Command) (node.Config, error) {
	cfg := node.Config{
		Network:            f.network,
		Root:               f.root,
		PeersFile:          f.peersFile,
		Introducer:         f.introducer,
		NoDefaultBootstrap: f.noDefaultBootstrap,
		StaticPeers:        f.peers,
		TargetOutbound:     f.targetOutbound,
		TargetPeerCount:    f.targetPeerCount,
		MaxInboundWallet:   f.maxInboundWallet,
		MaxInboundFarmer:   f.maxInboundFarmer,
		NoEviction:         f.noEviction,
		MaxPendingInbound:  f.maxPendingInbound,
		MaxPendingPerIP:    f.maxPendingPerIP,
		AllowPrivate:       f.allowPrivate,
	}
	if cfg.Network == "" {
		return cfg, errors.New("--network must not be empty")
	}
	if cfg.Root == "" {
		return cfg, errors.New("--root must not be empty")
	}
	port := node.DefaultPort(cfg.Network)
	if cmd.Flags().Changed("port") {
		port = f.port
	}
	cfg.ListenAddr = net.JoinHostPort(f.listenHost, strconv.Itoa(int(port)))
	if cmd.Flags().Changed("dns-introducer") {
		cfg.DNSIntroducers = f.dnsIntroducers
	}
	for _, s := range f.exemptNetworks {
		p, err := parsePrefix(s)
		if err != nil {
			return cfg, fmt.Errorf("--exempt-network: %w", err)
		}
		cfg.ExemptNetworks = append(cfg.ExemptNetworks, p)
	}
	return cfg, nil
}

// parsePrefix parses a CIDR or a single IP address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// newLogger returns a slog logger writing to w in format ("text" or
// "json") at level.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format: %q is not text or json", format)
	}
}
