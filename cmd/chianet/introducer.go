package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/introducer"
)

// introducerFlags are the flags of `chianet introducer`.
type introducerFlags struct {
	network             string
	private             bool
	root                string
	port                uint16
	listenHost          string
	dialFrom            string
	allowPrivate        bool
	maxPeersToSend      int
	recentPeerThreshold time.Duration
	logLevel            string
	logFormat           string
}

func newIntroducerCmd() *cobra.Command {
	f := &introducerFlags{}
	cmd := &cobra.Command{
		Use:   "introducer",
		Short: "Run an introducer: record the full nodes that connect, vet them, hand them to new nodes",
		Long: `introducer runs the Chia introducer service: the address new nodes ask for
their first peers. It records every full node that connects to it (at its
address and the port its handshake announces), vets each in the background
by connecting back and completing a Chia handshake (again 500 s after each
try; a peer failing 7 times in a row is forgotten), and answers
request_peers_introducer with up to 20 vetted peers seen in the last 6,000 s,
at random, never the asker itself. It keeps nothing on disk and asks no DNS
server. It logs to standard error and stops gracefully on SIGINT, SIGTERM or
SIGHUP.

Nodes use it with --introducer HOST:PORT. mainnet and testnet11 are built in,
and there it records public addresses only (--allow-private to change that);
any other --network needs --private, which runs it as a network of your own
and records private and loopback addresses too.`,
		Example: `  chianet introducer
  chianet introducer --network testnet11 --port 58445
  chianet introducer --network devnet --private --listen-host 127.0.0.1 --port 58445 --root /tmp/chianet-intro`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIntroducer(cmd, f)
		},
	}
	f.register(cmd)
	return cmd
}

// register adds the flags to cmd.
func (f *introducerFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.network, "network", config.Mainnet, "network name sent in handshakes: mainnet, testnet11, or with --private one of your own")
	fl.BoolVar(&f.private, "private", false, "run --network as a private network of your own: private and loopback addresses recorded")
	fl.StringVar(&f.root, "root", "", "CHIA_ROOT directory holding config/ssl, and config/config.yaml if its introducer.ssl and chia_ssl_ca place the certificates elsewhere (default $CHIA_ROOT, else ~/.chia/mainnet; the introducer's certificate is created if missing)")
	fl.Uint16Var(&f.port, "port", introducer.DefaultPort, "port to accept peers on; 0 takes any free port")
	fl.StringVar(&f.listenHost, "listen-host", "", `address to accept peers on; "" is every interface, IPv4 and IPv6`)
	fl.StringVar(&f.dialFrom, "dial-from", "", `local address vetting connections leave from; "0.0.0.0" or "::" lets the system choose (default --listen-host when it is one IP address)`)
	fl.BoolVar(&f.allowPrivate, "allow-private", false, "record and hand out private and loopback addresses (always on for a private network)")
	fl.IntVar(&f.maxPeersToSend, "max-peers-to-send", introducer.DefaultMaxPeersToSend, "most peers in one answer")
	fl.DurationVar(&f.recentPeerThreshold, "recent-peer-threshold", introducer.DefaultRecentPeerThreshold, "hand out only peers that connected this recently")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
}

// runIntroducer turns the flags into an introducer.Config and runs the
// introducer until SIGINT, SIGTERM or SIGHUP (or the command's context)
// stops it.
func runIntroducer(cmd *cobra.Command, f *introducerFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %q is not debug, info, warn or error", f.logLevel)
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return fmt.Errorf("--log-format: %q is not text or json", f.logFormat)
	}
	logger := newLogger(cmd.ErrOrStderr(), level, f.logFormat)
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	cfg.Logger = logger

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// After the first signal, a second one kills the process the usual
	// way instead of waiting for the graceful shutdown.
	defer context.AfterFunc(ctx, stop)()

	in, err := introducer.New(cfg)
	if err != nil {
		return err
	}
	return explainAddrInUse(in.Run(ctx), listenFlag{"--port", cfg.ListenAddr, ""})
}

// config builds the introducer configuration from the flags.
func (f *introducerFlags) config(cmd *cobra.Command) (introducer.Config, error) {
	cfg := introducer.Config{
		Network:             f.network,
		Private:             f.private,
		ListenAddr:          net.JoinHostPort(f.listenHost, strconv.Itoa(int(f.port))),
		AllowPrivate:        f.allowPrivate,
		MaxPeersToSend:      f.maxPeersToSend,
		RecentPeerThreshold: f.recentPeerThreshold,
	}
	_, builtin := config.BuiltinNetwork(cfg.Network)
	switch {
	case cfg.Network == "":
		return cfg, errors.New("--network must not be empty")
	case builtin && cfg.Private:
		return cfg, fmt.Errorf("--private: %s is a public network and cannot be run as a private one", cfg.Network)
	case !builtin && !cfg.Private:
		return cfg, fmt.Errorf("--network: unknown network %q; built-in networks: %s; run a network of your own with --private",
			cfg.Network, strings.Join(config.KnownNetworks(), ", "))
	case cmd.Flags().Changed("root") && f.root == "":
		return cfg, errors.New("--root must not be empty")
	case cfg.MaxPeersToSend <= 0:
		return cfg, fmt.Errorf("--max-peers-to-send must be positive, not %d", cfg.MaxPeersToSend)
	case cfg.RecentPeerThreshold <= 0:
		return cfg, fmt.Errorf("--recent-peer-threshold must be positive, not %v", cfg.RecentPeerThreshold)
	}
	root, err := config.ResolveRoot(f.root)
	if err != nil {
		return cfg, err
	}
	cfg.Root = root
	// Only the certificates' places are read from config.yaml; without
	// one, the default layout.
	switch file, err := config.Load(root); {
	case err == nil:
		cfg.CertFiles = certFiles(file)
	case !errors.Is(err, fs.ErrNotExist):
		return cfg, err
	}
	if f.dialFrom != "" {
		a, err := netip.ParseAddr(f.dialFrom)
		if err != nil {
			return cfg, fmt.Errorf("--dial-from: %w", err)
		}
		cfg.DialFrom = a
	}
	return cfg, nil
}
