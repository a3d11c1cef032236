package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
)

// nodeFlags are the flags of `chianet node`. A flag that is not given
// leaves the value to config.yaml (or its default).
type nodeFlags struct {
	network            string
	private            bool
	root               string
	port               int
	listenHost         string
	dialFrom           string
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
	rpcPort            int
	daemonPort         int
	metricsAddr        string
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
chain. It logs to standard error and stops gracefully on SIGINT, SIGTERM or
SIGHUP: the peers file is saved and every connection is closed normally.

The root is --root, else $CHIA_ROOT, else ~/.chia/mainnet. Its
config/config.yaml, when there is one, is read as the reference reads it:
selected_network, self_hostname, daemon_port, network_overrides,
logging.log_level and the full_node section's port, rpc_port,
start_rpc_server, full_node_peers, target_peer_count,
target_outbound_peer_count, max_inbound_wallet, max_inbound_farmer,
exempt_peer_networks, trusted_peers, trusted_cidrs, dns_servers,
introducer_peer and peer_connect_timeout; and the top-level
inbound_rate_limit_percent, outbound_rate_limit_percent,
daemon_max_message_size, daemon_heartbeat and daemon_allow_tls_1_2.
Flags override the file. Without a file the reference's defaults apply
(mainnet, port 8444, log level info); the file chianet init writes, as the
reference's, says WARNING, so that only warnings and errors are logged
unless --log-level says otherwise. An exempt_peer_networks or
trusted_cidrs entry with host bits set, such as 10.1.2.3/24, applies as
its network, 10.1.2.0/24, with a warning.

mainnet and testnet11 are built in, with their default port, DNS introducers
and introducer; network_overrides may declare more. Any other --network name
is an error unless --private runs it as a network of your own: no default
port, no DNS introducers, no introducer, so the node talks only to the peers
it is given, and private addresses are admitted.

The node serves the reference's HTTPS RPC on self_hostname:rpc_port (8555)
and the daemon's WebSocket on self_hostname:daemon_port (55400), with the
daemon's certificate and the private CA of the root (created if missing);
localhost is not looked up but means 127.0.0.1 and, when the machine has an
IPv6 loopback, ::1 on the same port. stop_node and the daemon's exit stop it as
SIGTERM does. See chianet show, chianet peer add, chianet stop.

The node's peers file is its own (db/chianet-peers.dat, or
db/chianet-peers-NETWORK.dat off mainnet): a reference node's
db/peers.dat in the same root is never written, only imported once when
chianet has no peers file of its own. The node locks db/chianet.lock, so
that two processes never share one root.`,
		Example: `  chianet node
  chianet node --network testnet11
  chianet node --network devnet --private --listen-host 127.0.0.1 --port 58501 --root /tmp/chianet-a
  chianet node --network devnet --private --listen-host 127.0.0.1 --port 58502 --root /tmp/chianet-b --peer 127.0.0.1:58501`,
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
	fl.StringVar(&f.network, "network", "", "network name sent in handshakes: mainnet, testnet11, one declared in config.yaml's network_overrides, or with --private one of your own (default config.yaml's selected_network, else mainnet)")
	fl.BoolVar(&f.private, "private", false, "run --network as a private network of your own: no default port, DNS introducers or introducer; private addresses admitted")
	fl.StringVar(&f.root, "root", "", "CHIA_ROOT directory holding config/config.yaml, config/ssl and db (default $CHIA_ROOT, else ~/.chia/mainnet; certificates created if missing)")
	fl.IntVar(&f.port, "port", 0, "port to accept peers on, 0 for any free port (default config.yaml's full_node.port, else the network's: 8444 mainnet, 58444 testnet11, any free port on a private network)")
	fl.StringVar(&f.listenHost, "listen-host", "", `address to accept peers on; "" is every interface, IPv4 and IPv6`)
	fl.StringVar(&f.dialFrom, "dial-from", "", `local address outbound connections leave from; "0.0.0.0" or "::" lets the system choose (default --listen-host when it is one IP address)`)
	fl.StringVar(&f.peersFile, "peers-file", "", "peers file, relative to --root unless absolute (default db/chianet-peers.dat; db/chianet-peers-NETWORK.dat off mainnet)")
	fl.StringVar(&f.introducer, "introducer", "", "introducer HOST:PORT (default config.yaml's full_node.introducer_peer, else the network's, e.g. introducer.chia.net:8444)")
	fl.StringArrayVar(&f.dnsIntroducers, "dns-introducer", nil, "DNS introducer to ask for peers, repeatable; replaces config.yaml's full_node.dns_servers and the network's list")
	fl.BoolVar(&f.noDefaultBootstrap, "no-default-bootstrap", false, "use no introducer and no DNS introducer besides those given with --introducer and --dns-introducer")
	fl.StringArrayVar(&f.peers, "peer", nil, "full node HOST:PORT to stay connected to, repeatable; replaces config.yaml's full_node.full_node_peers")
	fl.IntVar(&f.targetOutbound, "target-outbound", 0, "outbound full-node connections to keep, 0 for none besides --peer (default config.yaml's target_outbound_peer_count, else 8)")
	fl.IntVar(&f.targetPeerCount, "target-peer-count", 0, "total full-node connections; inbound ones are accepted up to this minus --target-outbound (default config.yaml's target_peer_count, else 40)")
	fl.IntVar(&f.maxInboundWallet, "max-inbound-wallet", 0, "inbound wallet connections to accept, 0 for none (default config.yaml's max_inbound_wallet, else 20)")
	fl.IntVar(&f.maxInboundFarmer, "max-inbound-farmer", 0, "inbound farmer connections to accept, 0 for none (default config.yaml's max_inbound_farmer, else 10)")
	fl.StringArrayVar(&f.exemptNetworks, "exempt-network", nil, "IP or CIDR exempt from bans, rate limits and inbound limits, repeatable; replaces config.yaml's exempt_peer_networks")
	fl.BoolVar(&f.noEviction, "no-eviction", false, "refuse new inbound full nodes when their slots are taken, instead of evicting one of the most-represented address group")
	fl.IntVar(&f.maxPendingInbound, "max-pending-inbound", 0, "accepted connections still in TLS, WebSocket upgrade or handshake; -1 for no bound (default 64)")
	fl.IntVar(&f.maxPendingPerIP, "max-pending-per-ip", 0, "connections from one IP still in TLS, WebSocket upgrade or handshake; -1 for no bound (default 4)")
	fl.BoolVar(&f.allowPrivate, "allow-private", false, "admit private and loopback addresses from peers and DNS (always on for a private network)")
	fl.IntVar(&f.rpcPort, "rpc-port", 0, "port of the HTTPS RPC on self_hostname, 0 for any free port, -1 for none (default config.yaml's full_node.rpc_port, else 8555; none if start_rpc_server is false)")
	fl.IntVar(&f.daemonPort, "daemon-port", 0, "port of the daemon's WebSocket on self_hostname, 0 for any free port, -1 for none (default config.yaml's daemon_port, else 55400)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", `HOST:PORT to serve Prometheus metrics on at /metrics, e.g. 127.0.0.1:9914 (default none)`)
	fl.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn or error (default config.yaml's logging.log_level, else info)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
}

// runNode reads the configuration, applies the flags and runs the node
// until SIGINT, SIGTERM or SIGHUP (or the command's context) stops it.
func runNode(cmd *cobra.Command, f *nodeFlags) error {
	if f.logFormat != "text" && f.logFormat != "json" {
		return fmt.Errorf("--log-format: %q is not text or json", f.logFormat)
	}
	s, err := f.settings(cmd)
	if err != nil {
		return err
	}
	// The RPC's log-level routes change the logger's level.
	level := new(slog.LevelVar)
	level.Set(s.level)
	logger := newLogger(cmd.ErrOrStderr(), level, f.logFormat)
	cfg := s.node
	cfg.Logger = logger
	cfg.LogLevel = level
	if s.file != "" {
		logger.Info("configuration read", "file", s.file, "root", cfg.Root)
	} else {
		logger.Info("no config.yaml; using the defaults", "root", cfg.Root)
	}
	for _, w := range s.warnings {
		logger.Warn(w.msg, w.args...)
	}

	// SIGHUP (the terminal went away, or a supervisor's stop) ends the
	// node as SIGTERM does: with the peers saved.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// After the first signal, a second one kills the process the usual
	// way instead of waiting for the graceful shutdown.
	defer context.AfterFunc(ctx, stop)()

	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	return explainAddrInUse(n.Run(ctx), listenFlag{"--port", cfg.ListenAddr, ""}, listenFlag{"--rpc-port", cfg.RPCAddr, "-1"},
		listenFlag{"--daemon-port", cfg.DaemonAddr, "-1"}, listenFlag{"--metrics-addr", cfg.MetricsAddr, ""})
}

// nodeSettings are the node's configuration and log level, the
// config.yaml they came from ("" when there was none), and what to warn
// of once the logger is made.
type nodeSettings struct {
	node     node.Config
	level    slog.Level
	file     string
	warnings []logLine
}

// misspeltKeyMsg is the warning of a config.yaml key that is most likely
// a typo of one chianet reads (config.Misspellings).
const misspeltKeyMsg = "config.yaml: a key chianet does not read, so it is ignored; most likely a typo"

// logLine is a message and its slog attributes.
type logLine struct {
	msg  string
	args []any
}

// settings resolves the root, reads its config.yaml (or takes the
// defaults) and applies the flags.
func (f *nodeFlags) settings(cmd *cobra.Command) (nodeSettings, error) {
	if cmd.Flags().Changed("root") && f.root == "" {
		return nodeSettings{}, errors.New("--root must not be empty")
	}
	root, err := config.ResolveRoot(f.root)
	if err != nil {
		return nodeSettings{}, err
	}
	var s nodeSettings
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
	s.node, err = f.config(cmd, file, s.file != "", func(msg string, args ...any) {
		s.warnings = append(s.warnings, logLine{msg, args})
	})
	if err != nil {
		return s, err
	}
	// As the reference's start does, a certificate or key others may read
	// or write is reported, not refused.
	if problems, err := (chiatls.Tree{Root: s.node.Root, Files: s.node.CertFiles}).CheckPermissions(); err == nil {
		for _, p := range problems {
			s.warnings = append(s.warnings, logLine{"certificate file permissions too loose", []any{"file", p.Path, "fix", p.String()}})
		}
	}
	for _, m := range file.Misspellings() {
		s.warnings = append(s.warnings, logLine{misspeltKeyMsg, []any{"key", m.Key, "did_you_mean", m.Want, "line", m.Line}})
	}
	s.level = slog.LevelInfo
	s.node.ResetLogLevel = "INFO"
	if s.file != "" {
		// Validated by Load.
		s.level, _ = file.Logging.SlogLevel()
		s.node.ResetLogLevel = strings.ToUpper(file.Logging.LogLevel)
	}
	if cmd.Flags().Changed("log-level") {
		if err := s.level.UnmarshalText([]byte(f.logLevel)); err != nil {
			return s, fmt.Errorf("--log-level: %q is not debug, info, warn or error", f.logLevel)
		}
	}
	return s, nil
}

// config builds the node configuration from file (config.yaml when
// fromFile, else the defaults) and the flags, which win. Every error
// names the flag, or the config.yaml key, at fault. Entries skipped
// rather than refused are passed to warn.
func (f *nodeFlags) config(cmd *cobra.Command, file *config.Config, fromFile bool, warn func(msg string, args ...any)) (node.Config, error) {
	changed := cmd.Flags().Changed
	fn := &file.FullNode
	cfg := node.Config{Root: file.Root, CertFiles: certFiles(file), NoDefaultBootstrap: true}

	// The network.
	name := file.SelectedNetworkName()
	if changed("network") {
		if f.network == "" {
			return cfg, errors.New("--network must not be empty")
		}
		name = f.network
	}
	var nw config.Network
	var err error
	if f.private {
		nw, err = file.PrivateNetwork(name)
		if err != nil {
			return cfg, fmt.Errorf("--private: %w", err)
		}
	} else if nw, err = file.Network(name); err != nil {
		var unknown *config.UnknownNetworkError
		if errors.As(err, &unknown) {
			return cfg, unknownNetwork(unknown)
		}
		return cfg, fmt.Errorf("--network: %w", err)
	}
	selected := nw.Name == file.SelectedNetworkName()
	cfg.Network, cfg.Private, cfg.DefaultPort = nw.Name, nw.Private, nw.DefaultPort
	cfg.AllowPrivate = nw.AllowPrivate || f.allowPrivate
	cfg.NoEviction = f.noEviction
	cfg.MaxPendingInbound = f.maxPendingInbound
	cfg.MaxPendingPerIP = f.maxPendingPerIP

	// Where to listen: the file's port is the selected network's.
	port := int(nw.DefaultPort)
	if selected {
		port = fn.Port
	}
	if changed("port") {
		if f.port < 0 || f.port > 65535 {
			return cfg, fmt.Errorf("--port: %d is not a port number (0 to 65535)", f.port)
		}
		port = f.port
	}
	cfg.ListenAddr = net.JoinHostPort(f.listenHost, strconv.Itoa(port))
	if f.dialFrom != "" {
		a, err := netip.ParseAddr(f.dialFrom)
		if err != nil {
			return cfg, fmt.Errorf("--dial-from: %w", err)
		}
		cfg.DialFrom = a
	}

	// The peers file, and the reference node's to import from.
	cfg.PeersFile = f.peersFile
	if changed("peers-file") && f.peersFile == "" {
		return cfg, errors.New("--peers-file must not be empty")
	}
	if selected && fn.PeersFilePath != "" {
		own := cfg.PeersFile
		if own == "" {
			own = filepath.Join("db", node.DefaultPeersFileName(nw.Name))
		}
		if file.Path(fn.PeersFilePath) != file.Path(own) {
			cfg.ImportPeersFile = fn.PeersFilePath
		}
	}

	// Bootstrap sources.
	cfg.Introducer = nw.Introducer
	cfg.DNSIntroducers = nw.DNSServers
	if f.noDefaultBootstrap {
		cfg.Introducer, cfg.DNSIntroducers = "", nil
	}
	if changed("introducer") {
		if err := checkHostPort(f.introducer); err != nil {
			return cfg, fmt.Errorf("--introducer: %w", err)
		}
		cfg.Introducer = f.introducer
	}
	if changed("dns-introducer") {
		for _, h := range f.dnsIntroducers {
			if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " /:") {
				return cfg, fmt.Errorf("--dns-introducer: %q is not a host name", h)
			}
		}
		cfg.DNSIntroducers = f.dnsIntroducers
	}
	if cfg.DNSIntroducers == nil {
		cfg.DNSIntroducers = []string{} // none, rather than the network's
	}

	// Static peers.
	if changed("peer") {
		for _, p := range f.peers {
			if err := checkHostPort(p); err != nil {
				return cfg, fmt.Errorf("--peer: %w", err)
			}
		}
		cfg.StaticPeers = f.peers
	} else {
		for _, p := range fn.FullNodePeers {
			cfg.StaticPeers = append(cfg.StaticPeers, net.JoinHostPort(p.Host, strconv.Itoa(p.Port)))
		}
	}

	// Connection counts: a flag names itself in an error, a value from
	// the file names its key.
	counts := []struct {
		flag, key string
		v         *int
		file      int
		dst       *int
	}{
		{"--target-outbound", "full_node.target_outbound_peer_count", &f.targetOutbound, fn.TargetOutboundPeerCount, &cfg.TargetOutbound},
		{"--target-peer-count", "full_node.target_peer_count", &f.targetPeerCount, fn.TargetPeerCount, &cfg.TargetPeerCount},
		{"--max-inbound-wallet", "full_node.max_inbound_wallet", &f.maxInboundWallet, fn.MaxInboundWallet, &cfg.MaxInboundWallet},
		{"--max-inbound-farmer", "full_node.max_inbound_farmer", &f.maxInboundFarmer, fn.MaxInboundFarmer, &cfg.MaxInboundFarmer},
	}
	names := make([]string, len(counts))
	vals := make([]int, len(counts))
	for i, c := range counts {
		names[i], vals[i] = "the default "+c.flag, c.file
		if fromFile {
			names[i] = c.key + " in config.yaml"
		}
		if changed(c.flag[2:]) {
			if *c.v < 0 {
				return cfg, fmt.Errorf("%s: %d is negative", c.flag, *c.v)
			}
			names[i], vals[i] = c.flag, *c.v
		}
		// The node's zero means its default; none is negative there.
		*c.dst = vals[i]
		if vals[i] == 0 {
			*c.dst = -1
		}
	}
	if vals[0] > vals[1] {
		return cfg, fmt.Errorf("%s %d is more than %s %d: no inbound full node would ever be accepted", names[0], vals[0], names[1], vals[1])
	}

	// Exempt and trusted networks with host bits set (10.1.2.3/24) apply
	// as their network (10.1.2.0/24), with a warning, since the operator
	// may have meant one address: the reference masks exempt_peer_networks
	// silently and fails on such a trusted_cidrs entry whenever it checks
	// a peer against it.
	const hostBits = ": entry has host bits set; using its network"
	for _, h := range file.HostBitsEntries() {
		if h.Key == "full_node.exempt_peer_networks" && changed("exempt-network") {
			continue // not used
		}
		warn(h.Key+" in config.yaml"+hostBits, "entry", h.Entry, "network", h.Network.String())
	}

	// Exempt networks.
	exempt, source := fn.ExemptPeerNetworks, "full_node.exempt_peer_networks in config.yaml" // validated by Load
	if changed("exempt-network") {
		exempt, source = f.exemptNetworks, "--exempt-network"
	}
	for _, s := range exempt {
		p, err := parsePrefix(s)
		if err != nil {
			return cfg, fmt.Errorf("%s: %q is not an IP address or CIDR block", source, s)
		}
		if m := p.Masked(); m != p {
			if changed("exempt-network") {
				warn(source+hostBits, "entry", s, "network", m.String())
			}
			p = m
		}
		cfg.ExemptNetworks = append(cfg.ExemptNetworks, p)
	}

	// Trusted peers and networks. The reference does not refuse an entry
	// that can never match, so neither does the node: it is skipped.
	ids, invalid := file.TrustedNodeIDs()
	for _, id := range ids {
		cfg.TrustedNodeIDs = append(cfg.TrustedNodeIDs, protocol.Bytes32(id))
	}
	for _, e := range invalid {
		warn("full_node.trusted_peers in config.yaml: entry is not a node id (64 hex digits); skipped", "entry", e)
	}
	cfg.TrustedNetworks, invalid = file.TrustedNetworks()
	for _, e := range invalid {
		warn("full_node.trusted_cidrs in config.yaml: entry is not an IP address or CIDR block; skipped", "entry", e)
	}

	cfg.PeerConnectTimeout = time.Duration(fn.PeerConnectTimeout) * time.Second
	cfg.InboundRateLimitPercent, cfg.OutboundRateLimitPercent = file.InboundRateLimitPercent, file.OutboundRateLimitPercent
	cfg.DaemonMaxMessageBytes = file.DaemonMaxMessageSize
	cfg.DaemonHeartbeat = time.Duration(file.DaemonHeartbeat) * time.Second
	cfg.DaemonAllowTLS12 = file.DaemonAllowTLS12

	// The RPC and the daemon, on self_hostname.
	cfg.NetworkInfo = rpc.NetworkInfo{NetworkName: nw.Name, NetworkPrefix: nw.AddressPrefix, GenesisChallenge: nw.GenesisChallenge,
		AggSigMeAdditionalData: nw.AggSigMeAdditionalData}
	rpcPort := fn.RPCPort
	if fromFile && !fn.StartRPCServer {
		rpcPort = -1
	}
	for _, p := range []struct {
		flag string
		v    int
		dst  *string
		port int
	}{{"rpc-port", f.rpcPort, &cfg.RPCAddr, rpcPort}, {"daemon-port", f.daemonPort, &cfg.DaemonAddr, file.DaemonPort}} {
		if changed(p.flag) {
			if p.v < -1 || p.v > 65535 {
				return cfg, fmt.Errorf("--%s: %d is not a port number (0 to 65535) or -1", p.flag, p.v)
			}
			p.port = p.v
		}
		if p.port >= 0 {
			*p.dst = net.JoinHostPort(file.SelfHostname, strconv.Itoa(p.port)) // localhost: see rpc.Config.ListenAddr
		}
	}
	if changed("metrics-addr") {
		if _, _, err := net.SplitHostPort(f.metricsAddr); err != nil {
			return cfg, fmt.Errorf("--metrics-addr: %q is not HOST:PORT", f.metricsAddr)
		}
		cfg.MetricsAddr = f.metricsAddr
	}
	return cfg, nil
}

// localHost is the address to dial for self_hostname: localhost is
// taken as 127.0.0.1 rather than looked up, which the RPC and the daemon
// listen on whether or not they also listen on ::1.
func localHost(selfHostname string) string {
	if strings.EqualFold(selfHostname, "localhost") {
		return "127.0.0.1"
	}
	return selfHostname
}

// unknownNetwork is the error for a --network that is neither built in
// nor declared in config.yaml.
func unknownNetwork(e *config.UnknownNetworkError) error {
	known := strings.Join(e.Builtin, ", ") + " (built in)"
	if len(e.Declared) > 0 {
		known += ", " + strings.Join(e.Declared, ", ") + " (config.yaml's network_overrides)"
	}
	return fmt.Errorf("--network: unknown network %q; known networks: %s; run a network of your own with --private", e.Name, known)
}

// checkHostPort checks a HOST:PORT value.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return fmt.Errorf("%q is not HOST:PORT", s)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, port)
	}
	return nil
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
func newLogger(w io.Writer, level slog.Leveler, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
