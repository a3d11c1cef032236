package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
)

// rpcFlags are the flags of the commands that talk to a running node's
// RPC: show, peer add, peer remove, stop.
type rpcFlags struct {
	root    string
	rpcPort int
	timeout time.Duration
}

func (f *rpcFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "", "CHIA_ROOT of the node: its config/config.yaml gives self_hostname and full_node.rpc_port, its config/ssl the private CA and certificate (default $CHIA_ROOT, else ~/.chia/mainnet)")
	fl.IntVar(&f.rpcPort, "rpc-port", 0, "port of the node's RPC (default config.yaml's full_node.rpc_port, else 8555)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this long")
}

// rpcTarget is where a node's RPC is and the client to reach it.
type rpcTarget struct {
	url    string
	root   string
	client *rpc.Client
}

// dial returns a client of the RPC of the node on the root: its
// self_hostname and rpc_port (unless --rpc-port), the private CA and the
// daemon's private certificate (else the full node's), as the
// reference's CLI uses, where config.yaml places them. Nothing is created
// or written.
func (f *rpcFlags) dial(cmd *cobra.Command) (*rpcTarget, error) {
	if cmd.Flags().Changed("root") && f.root == "" {
		return nil, errors.New("--root must not be empty")
	}
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--timeout must be positive, not %v", f.timeout)
	}
	root, err := config.ResolveRoot(f.root)
	if err != nil {
		return nil, err
	}
	// Without this, a mistyped root is reported as a missing certificate
	// "(config.yaml ...)" of a config.yaml that is not there either.
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the root %s does not exist: name the running node's root with --root (else $CHIA_ROOT, else ~/.chia/mainnet is used)", root)
	}
	file, err := config.Load(root)
	if errors.Is(err, fs.ErrNotExist) {
		file, err = config.Default(root)
	}
	if err != nil {
		return nil, err
	}
	port := file.FullNode.RPCPort
	if cmd.Flags().Changed("rpc-port") {
		if f.rpcPort < 1 || f.rpcPort > 65535 {
			return nil, fmt.Errorf("--rpc-port: %d is not a port number (1 to 65535)", f.rpcPort)
		}
		port = f.rpcPort
	}
	tree := chiatls.Tree{Root: root, Files: certFiles(file)}
	svc := chiatls.Daemon
	crt, key := tree.CertPaths(svc, chiatls.Private)
	dCrt, dKey := chiatls.Tree{Root: root}.CertPaths(svc, chiatls.Private)
	moved := crt != dCrt || key != dKey
	// A daemon certificate config.yaml places elsewhere is the one meant:
	// if it is missing, the error names the key.
	if !moved && (!fileExists(crt) || !fileExists(key)) {
		svc = chiatls.FullNode
	}
	tc, err := rpc.ClientTLS(tree, svc)
	if err != nil {
		return nil, fmt.Errorf("the node's RPC needs a private certificate of %s: %w", tree.SSLDir(), err)
	}
	u := "https://" + net.JoinHostPort(localHost(file.SelfHostname), strconv.Itoa(port))
	return &rpcTarget{url: u, root: root, client: rpc.NewClient(u, tc)}, nil
}

// runRPC runs fn with a client of the node's RPC under the timeout.
func runRPC(cmd *cobra.Command, f *rpcFlags, fn func(ctx context.Context, t *rpcTarget) error) error {
	t, err := f.dial(cmd)
	if err != nil {
		return err
	}
	defer t.client.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	if err := fn(ctx, t); err != nil {
		var re *rpc.Error
		var ue *url.Error
		switch {
		case errors.As(err, &re):
			return fmt.Errorf("the node at %s: %v", t.url, re)
		case errors.As(err, &ue):
			return fmt.Errorf("the node's RPC at %s: %w (%s)", t.url, ue.Err, wrongServerHint(ue.Err, t.root))
		}
		return err
	}
	return nil
}

// wrongServerHint says what most likely went wrong when the RPC could
// not be reached: a certificate of the public chia CA is a node's peer
// port, which operators mistake for the RPC's; one of another CA is a node
// started with another root.
func wrongServerHint(err error, root string) string {
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) && ua.Cert != nil {
		if pub, perr := chiatls.PublicCA(); perr == nil && ua.Cert.CheckSignatureFrom(pub.Cert) == nil {
			return "that port serves the peer protocol, not the RPC: --rpc-port is the node's RPC port, config.yaml's full_node.rpc_port, 8555 by default"
		}
		return "the server there has another private CA than " + root + ": --root must be the running node's root"
	}
	return "is chianet node running on this root?"
}

func newShowCmd(stdout io.Writer) *cobra.Command {
	f := &rpcFlags{}
	cmd := &cobra.Command{
		Use:   "show [--root DIR] [--rpc-port PORT]",
		Short: "Show a running node: network, peak, sync state and connections",
		Long: `show asks a running node's RPC (get_network_info, get_blockchain_state,
get_connections) and prints its network, the heaviest peak its peers
announced, its sync state, and a table of its connections as chia peer -c
does: type, address, ports (the socket's/the announced server port), node id
prefix, bytes up and down, connected since (UTC), and each peer's announced
peak height and header hash.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRPC(cmd, f, func(ctx context.Context, t *rpcTarget) error { return show(ctx, stdout, t.client) })
		},
	}
	f.register(cmd)
	return cmd
}

// show prints what `chianet show` prints.
func show(ctx context.Context, w io.Writer, c *rpc.Client) error {
	info, err := c.NetworkInfo(ctx)
	if err != nil {
		return err
	}
	state, err := c.BlockchainState(ctx)
	if err != nil {
		return err
	}
	conns, err := c.Connections(ctx, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Network: %s\n", info.NetworkName)
	fmt.Fprintf(w, "Node ID: %v\n", state.NodeID)
	// get_blockchain_state's peak is the node's own chain's (null for
	// chianet), so the heaviest announced peak comes from the peers.
	if p := heaviestPeak(conns); p != nil {
		fmt.Fprintf(w, "Peak: height %d, weight %s, hash %v (the heaviest a peer announced)\n", p.Height, p.Weight.AppendDecimal(nil), p.HeaderHash)
	} else {
		fmt.Fprintln(w, "Peak: none (no connected peer has announced one)")
	}
	switch {
	case state.Sync.Synced:
		fmt.Fprintln(w, "Sync: synced")
	case state.Sync.SyncMode:
		fmt.Fprintf(w, "Sync: syncing, %d of %d\n", state.Sync.SyncProgressHeight, state.Sync.SyncTipHeight)
	default:
		fmt.Fprintln(w, "Sync: not synced (chianet keeps no chain)")
	}
	fmt.Fprintf(w, "Connections: %d\n", len(conns))
	if len(conns) == 0 {
		return nil
	}
	slices.SortFunc(conns, func(a, b rpc.Connection) int { return a.CreationTime.Compare(b.CreationTime) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tADDRESS\tPORTS\tNODE ID\tUP\tDOWN\tSINCE\tPEAK HEIGHT\tPEAK HASH")
	for _, c := range conns {
		height, hash := "-", "-"
		if c.Peak != nil {
			height, hash = strconv.FormatUint(uint64(c.Peak.Height), 10), c.Peak.HeaderHash.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.NodeType, c.PeerHost, c.PeerPort, c.PeerServerPort,
			c.NodeID.String()[2:10], byteCount(c.BytesWritten), byteCount(c.BytesRead),
			c.CreationTime.UTC().Format(time.DateTime), height, hash)
	}
	return tw.Flush()
}

// heaviestPeak returns the heaviest peak (by weight, then height) that a
// connection announced, or nil.
func heaviestPeak(conns []rpc.Connection) *rpc.Peak {
	var best *rpc.Peak
	for _, c := range conns {
		p := c.Peak
		if p == nil {
			continue
		}
		if best == nil {
			best = p
			continue
		}
		if w := p.Weight.Cmp(best.Weight); w > 0 || (w == 0 && p.Height > best.Height) {
			best = p
		}
	}
	return best
}

// byteCount formats n bytes as B, KiB, MiB or GiB.
func byteCount(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

func newPeerAddCmd(stdout io.Writer) *cobra.Command {
	f := &rpcFlags{}
	cmd := &cobra.Command{
		Use:   "add HOST:PORT [--root DIR] [--rpc-port PORT]",
		Short: "Have a running node connect to a full node (open_connection)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, portStr, err := net.SplitHostPort(args[0])
			if err != nil || host == "" {
				return fmt.Errorf("%q is not HOST:PORT", args[0])
			}
			port, err := strconv.ParseUint(portStr, 10, 16)
			if err != nil || port == 0 {
				return fmt.Errorf("%q: port %q is not a number from 1 to 65535", args[0], portStr)
			}
			return runRPC(cmd, f, func(ctx context.Context, t *rpcTarget) error {
				if err := t.client.OpenConnection(ctx, host, uint16(port)); err != nil {
					return err
				}
				_, err := fmt.Fprintf(stdout, "connected to %s\n", args[0])
				return err
			})
		},
	}
	f.register(cmd)
	return cmd
}

func newPeerRemoveCmd(stdout io.Writer) *cobra.Command {
	f := &rpcFlags{}
	cmd := &cobra.Command{
		Use:   "remove NODE-ID-PREFIX [--root DIR] [--rpc-port PORT]",
		Short: "Have a running node close a connection (close_connection), given the start of the peer's node id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			prefix := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(args[0], "0x"), "0X"))
			if prefix == "" || strings.Trim(prefix, "0123456789abcdef") != "" {
				return fmt.Errorf("%q is not the start of a node id (hex)", args[0])
			}
			return runRPC(cmd, f, func(ctx context.Context, t *rpcTarget) error {
				conns, err := t.client.Connections(ctx, 0)
				if err != nil {
					return err
				}
				var match []rpc.Connection
				for _, c := range conns {
					if strings.HasPrefix(c.NodeID.String()[2:], prefix) {
						match = append(match, c)
					}
				}
				switch len(match) {
				case 0:
					return fmt.Errorf("no connection with a node id starting with %s", prefix)
				case 1:
				default:
					return fmt.Errorf("%d connections have a node id starting with %s: give more of it", len(match), prefix)
				}
				c := match[0]
				if err := t.client.CloseConnection(ctx, c.NodeID.String()); err != nil {
					return err
				}
				_, err = fmt.Fprintf(stdout, "closed the connection to %v (%s)\n", c.NodeID,
					net.JoinHostPort(c.PeerHost.String(), strconv.Itoa(int(c.PeerPort))))
				return err
			})
		},
	}
	f.register(cmd)
	return cmd
}

func newStopCmd(stdout io.Writer) *cobra.Command {
	f := &rpcFlags{}
	cmd := &cobra.Command{
		Use:   "stop [--root DIR] [--rpc-port PORT]",
		Short: "Stop a running node (stop_node): it saves its peers and closes its connections, as on SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRPC(cmd, f, func(ctx context.Context, t *rpcTarget) error {
				if err := t.client.StopNode(ctx); err != nil {
					return err
				}
				_, err := fmt.Fprintln(stdout, "the node is stopping")
				return err
			})
		},
	}
	f.register(cmd)
	return cmd
}

// version is chianet's version line.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("chianet %s (handshakes announce software version %s, protocol version %s)",
		v, peer.DefaultSoftwareVersion, protocol.ProtocolVersion(protocol.NodeFullNode))
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print chianet's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(stdout, version())
			return err
		},
	}
}
