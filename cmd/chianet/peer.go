package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
	"github.com/spf13/cobra"
)

// peerFlags are the flags shared by the peer subcommands.
type peerFlags struct {
	network  string
	nodeType string
	timeout  time.Duration
	root     string
}

func (f *peerFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.network, "network", "mainnet", "network id to handshake with, e.g. mainnet or testnet11")
	cmd.Flags().StringVar(&f.nodeType, "node-type", "full_node", "node type to announce: "+nodeTypeNames())
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "limit for the whole command: connection, handshake and exchange")
	cmd.Flags().StringVar(&f.root, "root", "", "CHIA_ROOT directory holding the certificate to dial with, created there if missing (default $CHIA_ROOT, else ~/.chia/mainnet, if it holds one; else a temporary certificate, nothing written)")
}

func nodeTypeNames() string {
	var names []string
	for n := protocol.NodeFullNode; n.Valid(); n++ {
		names = append(names, strings.ToLower(n.String()))
	}
	return strings.Join(names, ", ")
}

// parseAddr checks a HOST:PORT argument.
func parseAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "", fmt.Errorf("invalid address %q: want HOST:PORT, e.g. 203.0.113.7:8444 or [2001:db8::1]:8444", s)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", fmt.Errorf("invalid address %q: port %q is not a number from 1 to 65535", s, port)
	}
	return net.JoinHostPort(host, port), nil
}

// clientTLS returns the client TLS configuration of node type nt: the
// certificate of nt's service of the family the reference dials with
// (chiatls.ClientKind), or the public full_node certificate if the layout
// has no such certificate.
//
// With --root (rootGiven) it comes from that tree, and missing
// certificates are created there, with a note on stderr. Without it the
// root is $CHIA_ROOT, else ~/.chia/mainnet, which is only read: if it
// holds the certificate, that is used; if not, a temporary certificate
// is made in memory (signed by the public chia CA, or by a throwaway
// private CA for a private-CA node type), nothing is written, and a
// note says so.
func clientTLS(rootFlag string, rootGiven bool, nt protocol.NodeType, stderr io.Writer) (*tls.Config, error) {
	svc := server.ServiceOf(nt)
	kind := chiatls.ClientKind(svc)
	if !svc.HasCert(kind) {
		fmt.Fprintf(stderr, "chianet: note: the certificate layout has no %s %s certificate; using the public full_node one\n", kind, svc)
		svc, kind = chiatls.FullNode, chiatls.Public
	}
	if rootGiven {
		tree := chiatls.Tree{Root: expandHome(rootFlag)}
		created, err := createdBy(treeFiles(tree), func() error { return tree.EnsureService(svc) })
		if err != nil {
			return nil, err
		}
		if len(created) > 0 {
			fmt.Fprintf(stderr, "chianet: note: created %d certificate files for %s in %s (chianet certs init creates the rest)\n",
				len(created), svc, tree.SSLDir())
		}
		cert, pool, err := tree.Credentials(svc, kind)
		if err != nil {
			return nil, err
		}
		return chiatls.ClientConfig(cert, pool), nil
	}

	root, err := config.ResolveRoot("")
	if err != nil {
		return nil, err
	}
	tree := chiatls.Tree{Root: root}
	crt, key := tree.CertPaths(svc, kind)
	if fileExists(crt) && fileExists(key) {
		cert, pool, err := tree.Credentials(svc, kind)
		if err != nil {
			return nil, err
		}
		return chiatls.ClientConfig(cert, pool), nil
	}
	var ca *chiatls.KeyPair
	if kind == chiatls.Public {
		ca, err = chiatls.PublicCA()
	} else {
		ca, err = chiatls.NewPrivateCA(time.Now())
	}
	if err != nil {
		return nil, err
	}
	leaf, err := ca.IssueNodeCert(time.Now())
	if err != nil {
		return nil, err
	}
	why := "a peer that checks the private CA will refuse it"
	if kind == chiatls.Public {
		why = "its node id is new on every run"
	}
	fmt.Fprintf(stderr, "chianet: note: no %s %s certificate in %s; using a temporary one made for this run, nothing written (%s; --root DIR keeps one in DIR)\n",
		kind, svc, tree.SSLDir(), why)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return chiatls.ClientConfig(leaf.TLSCertificate(), pool), nil
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// session is one connection made by a peer subcommand.
type session struct {
	p       *peer.Peer
	addr    string
	network string
	// setup is how long the TCP, TLS, WebSocket and handshake took.
	setup time.Duration
}

// connect dials addr with the flags' settings. ctx carries the command's
// deadline.
func connect(ctx context.Context, cmd *cobra.Command, arg string, f *peerFlags) (*session, error) {
	addr, err := parseAddr(arg)
	if err != nil {
		return nil, err
	}
	nt, ok := protocol.ParseNodeType(f.nodeType)
	if !ok {
		return nil, fmt.Errorf("unknown node type %q (one of %s)", f.nodeType, nodeTypeNames())
	}
	if f.network == "" {
		return nil, errors.New("--network must not be empty")
	}
	rootGiven := cmd.Flags().Changed("root")
	if rootGiven && f.root == "" {
		return nil, errors.New("--root must not be empty")
	}
	conf, err := clientTLS(f.root, rootGiven, nt, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	p, err := peer.Dial(ctx, addr, peer.Config{
		NetworkID:        f.network,
		NodeType:         nt,
		TLS:              conf,
		Handlers:         quietHandlers(),
		ConnectTimeout:   f.timeout,
		HandshakeTimeout: f.timeout,
		RequestTimeout:   f.timeout,
	})
	if err != nil {
		return nil, explain(ctx, "connecting to "+addr, f, err)
	}
	return &session{p: p, addr: addr, network: f.network, setup: time.Since(start)}, nil
}

// failure returns why a call on the connection failed with err: the
// connection's close reason when the connection ended, which says who
// closed it and how (a call cut short by the peer's close may only have
// seen its write fail), else err. It waits a moment for the close to
// finish.
func (s *session) failure(ctx context.Context, err error) error {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-s.p.Done():
		return s.p.Err()
	case <-ctx.Done():
	case <-t.C:
	}
	return err
}

// close closes the connection politely (close code 1000) and waits for
// it to finish.
func (s *session) close() {
	s.p.Close(nil)
	<-s.p.Done()
}

// quietHandlers accepts every message a peer may send unasked, so the
// short session is not closed for lack of a handler: request_peers is
// answered with an empty list, everything else is ignored.
func quietHandlers() map[protocol.MessageType]peer.HandlerFunc {
	h := make(map[protocol.MessageType]peer.HandlerFunc)
	for _, t := range protocol.AllMessageTypes() {
		h[t] = peer.Ignore
	}
	h[protocol.MsgRequestPeers] = func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
		return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{})
	}
	return h
}

// explain turns a failure of step into a one-line error.
func explain(ctx context.Context, step string, f *peerFlags, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: timed out after %v", step, f.timeout)
	}
	cause := err
	var r *peer.CloseReason
	if errors.As(err, &r) && r.Err != nil {
		cause = r.Err
	}
	var op *net.OpError
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknownCA):
		hint := ""
		// Peer ports present a certificate of the public chia CA; a
		// private CA's is a node's RPC or daemon, which operators mistake
		// for its peer port. (A harvester dials the private CA itself.)
		if pub, perr := chiatls.PublicCA(); perr == nil && unknownCA.Cert != nil && f.nodeType != "harvester" &&
			unknownCA.Cert.CheckSignatureFrom(pub.Cert) != nil {
			hint = "; it is not of the public chia CA that peer ports use: is this a node's RPC or daemon port? (a full node's peer port is full_node.port, 8444 on mainnet)"
		}
		return fmt.Errorf("%s: the peer's certificate is not signed by the CA we dial with (%v)%s", step, unknownCA, hint)
	case errors.Is(err, peer.ErrNetworkID):
		return fmt.Errorf("%s: %v (--network is %q)", step, cause, f.network)
	case errors.Is(err, peer.ErrSelfConnection):
		return fmt.Errorf("%s: the peer has our own node id (the certificate under --root is its own; use another --root or --node-type)", step)
	case errors.As(err, &op):
		return fmt.Errorf("%s: %v", step, op)
	case r != nil && r.Remote && r.Code == peer.StatusNormal && r.Reason == "" && !strings.HasPrefix(step, "connecting"):
		// Closed at once after a successful handshake, saying nothing:
		// how the reference (and chianet) refuse a node type they do not
		// take, or one they have no free slot for.
		return fmt.Errorf("%s: the peer closed the connection right after the handshake without a reason (code 1000): it takes no %s connections from us, or has no free slot for one",
			step, strings.ToLower(f.nodeType))
	case r != nil && r.Remote && r.Code != peer.StatusAbnormal:
		why := ""
		if code, ok := r.ErrCode(); ok {
			why = fmt.Sprintf(", reason %d %s", int(code), code)
		}
		hint := ""
		if code, _ := r.ErrCode(); code == protocol.ErrCodeIncompatibleNetworkID {
			hint = fmt.Sprintf(" (--network is %q)", f.network)
		}
		return fmt.Errorf("%s: the peer closed the connection (code %d%s)%s", step, r.Code, why, hint)
	case r != nil:
		return fmt.Errorf("%s: %v (close code %d)", step, cause, r.Code)
	}
	return fmt.Errorf("%s: %v", step, err)
}

func newPeerCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peer",
		Short: "Talk to a Chia peer over the peer protocol, or have a running node add or remove one",
	}
	cmd.AddCommand(newPeerPingCmd(stdout), newPeerPeersCmd(stdout), newPeerAddCmd(stdout), newPeerRemoveCmd(stdout))
	return cmd
}

// runPeer runs fn on a connection to args[0] under the flags' timeout,
// and closes the connection afterwards.
func runPeer(cmd *cobra.Command, args []string, f *peerFlags, fn func(ctx context.Context, s *session) error) error {
	if f.timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, not %v", f.timeout)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	s, err := connect(ctx, cmd, args[0], f)
	if err != nil {
		return err
	}
	defer s.close()
	return fn(ctx, s)
}

func newPeerPingCmd(stdout io.Writer) *cobra.Command {
	var f peerFlags
	cmd := &cobra.Command{
		Use:   "ping HOST:PORT [--network mainnet] [--node-type full_node] [--timeout 10s] [--root DIR]",
		Short: "Connect to a peer, print its handshake and round-trip times, and close",
		Long: `Ping connects to the peer at HOST:PORT (wss://HOST:PORT/ws over mutual TLS),
handshakes as --node-type on --network, and prints what the peer announced:
network, protocol and software version, node type, server port, node id and
capabilities. Then it measures a WebSocket ping round trip and closes the
connection normally (code 1000).

The client certificate is the node type's (the public one, or the private one
for a harvester, as the reference dials). With --root it comes from that tree,
and is created there if missing. Without --root, $CHIA_ROOT (else
~/.chia/mainnet) is used if it holds that certificate and is never written;
otherwise a temporary certificate is made for the run, and a note says so.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPeer(cmd, args, &f, func(ctx context.Context, s *session) error {
				rtt, err := s.p.Ping(ctx)
				if err != nil {
					return explain(ctx, "ping "+s.addr, &f, s.failure(ctx, err))
				}
				return writeHandshake(stdout, s, rtt)
			})
		},
	}
	f.register(cmd)
	return cmd
}

// writeHandshake prints the peer's handshake and the round-trip times.
func writeHandshake(w io.Writer, s *session, rtt time.Duration) error {
	info := s.p.Info()
	addr := s.addr
	if info.RemoteAddr.IsValid() {
		addr = info.RemoteAddr.String()
	}
	var caps []string
	for _, c := range info.Capabilities.List() {
		caps = append(caps, fmt.Sprintf("%s (%d)", c, uint16(c)))
	}
	if len(caps) == 0 {
		caps = []string{"none"}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, row := range [][2]string{
		{"peer", addr},
		{"network", s.network},
		{"protocol version", info.ProtocolVersion},
		{"software version", info.SoftwareVersion},
		{"node type", fmt.Sprintf("%s (%d)", info.NodeType, uint8(info.NodeType))},
		{"server port", strconv.Itoa(int(info.ServerPort))},
		{"node id", protocol.Bytes32(info.NodeID).String()},
		{"capabilities", strings.Join(caps, ", ")},
		{"connect+handshake", roundDuration(s.setup).String()},
		{"ping rtt", roundDuration(rtt).String()},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

func roundDuration(d time.Duration) time.Duration { return d.Round(time.Microsecond) }

func newPeerPeersCmd(stdout io.Writer) *cobra.Command {
	var f peerFlags
	cmd := &cobra.Command{
		Use:   "peers HOST:PORT [--network mainnet] [--node-type full_node] [--timeout 10s] [--root DIR]",
		Short: "Ask a peer for the peers it knows and print them",
		Long: `Peers connects to the peer at HOST:PORT as ping does, sends request_peers
(request_peers_introducer when the peer is an introducer), and prints the
peers of the answer: host, port, and the time last seen as RFC 3339 (UTC)
and as Unix seconds, followed by their count.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPeer(cmd, args, &f, func(ctx context.Context, s *session) error {
				list, err := requestPeers(ctx, s.p)
				if err != nil {
					return explain(ctx, "request_peers to "+s.addr, &f, s.failure(ctx, err))
				}
				return writePeers(stdout, list)
			})
		},
	}
	f.register(cmd)
	return cmd
}

// requestPeers asks p for its peers with the request its node type
// answers.
func requestPeers(ctx context.Context, p *peer.Peer) ([]protocol.TimestampedPeerInfo, error) {
	if p.Info().NodeType != protocol.NodeIntroducer {
		r, err := p.RequestPeers(ctx)
		if err != nil {
			return nil, err
		}
		return r.PeerList, nil
	}
	v, err := p.Request(ctx, protocol.MsgRequestPeersIntroducer, &protocol.RequestPeersIntroducer{})
	if err != nil {
		return nil, err
	}
	r, ok := v.(*protocol.RespondPeersIntroducer)
	if !ok {
		return nil, fmt.Errorf("unexpected reply %s", v.TypeName())
	}
	return r.PeerList, nil
}

// maxRFC3339 is the last second RFC 3339 can write (9999-12-31T23:59:59Z).
const maxRFC3339 = 253402300799

// writePeers prints a peer list as a table and its count.
func writePeers(w io.Writer, list []protocol.TimestampedPeerInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(list) > 0 {
		fmt.Fprintln(tw, "HOST\tPORT\tLAST SEEN\tUNIX")
	}
	for _, pi := range list {
		seen := "-"
		if pi.Timestamp <= maxRFC3339 {
			seen = time.Unix(int64(pi.Timestamp), 0).UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\n", pi.Host, pi.Port, seen, pi.Timestamp)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	noun := "peers"
	if len(list) == 1 {
		noun = "peer"
	}
	_, err := fmt.Fprintf(w, "%d %s\n", len(list), noun)
	return err
}
