// Package node composes the networking stack into a running Chia full node
// without a chain: package server accepts and dials peers, package
// discovery keeps the outbound connections at their target and answers
// request_peers, package addrman holds the known addresses and persists
// them in the peers file, and the node records the latest peak each peer
// announces. One Config, with the reference's defaults for mainnet and
// testnet11, describes all of it; `chianet node` is its command line.
//
// # Lifecycle
//
// New checks the Config, takes the root's lock, loads the peers file,
// creates the full node's certificates under Config.Root if they are
// missing (the reference's CHIA_ROOT layout, package chiatls; those
// Config.CertFiles places elsewhere, as config.yaml's full_node.ssl,
// daemon_ssl and CA keys may, must exist instead) and registers the
// handlers. Run binds the listener, starts the HTTPS RPC
// (Config.RPCAddr), the daemon's WebSocket (Config.DaemonAddr) and the
// Prometheus metrics (Config.MetricsAddr, package metrics) when they are
// configured, starts discovery (which also saves the peers file
// every 15–30 minutes), dials the static peers, and waits for its
// context, stop_node or the daemon's exit. Then it shuts down in this
// order:
//
//  0. the RPC's notifications stop, the daemon and the RPC server close
//     (calls under way answer first);
//  1. discovery and the static peers stop: no new dials;
//  2. the peers file is saved (the reference never saves on shutdown);
//  3. every connection is closed with a normal close (1000, no reason, no
//     ban), waiting at most Config.ShutdownTimeout for the close
//     handshakes;
//  4. the root's lock is released.
//
// # Source address
//
// A node listening on one IP address (Config.ListenAddr) dials from it too
// (Config.DialFrom, server.Config.DialFrom), so a peer sees it, records it
// in its address manager and gossips it at the address it listens on:
// nodes sharing a multi-homed host or 127.0.0.0/8 are each seen at their
// own address and address group instead of at the kernel's choice
// (127.0.0.1 on loopback). Targets that address cannot reach get the
// kernel's choice.
//
// # Rate limits
//
// Config.InboundRateLimitPercent and OutboundRateLimitPercent (config.yaml's
// inbound_rate_limit_percent and outbound_rate_limit_percent) scale the
// limiters of every connection, accepted or dialled, except those of
// localhost (127.0.0.1, ::1) and Config.ExemptNetworks. A peer over an
// inbound limit is closed (1000, no reason) and banned for 300 s; a
// message of ours over an outbound limit waits for the next 60 s bucket,
// except respond_peers, which is dropped, as in the reference: at the
// default 30 % a peer gets three answers to request_peers a minute.
//
// # Static peers
//
// Config.StaticPeers are kept connected by the node itself, as the
// reference's Service keeps full_node_peers: each is dialled at start and
// again StaticRetryInterval (3 s) after a failure or a drop. They count
// towards the outbound target but are outside discovery's one outbound
// connection per address group (/16) rule, which would otherwise leave
// nodes on one host or one LAN with a single outbound connection between
// them. Discovery's own static bootstrap step is not used.
//
// # Messages
//
// A message of a type without a handler closes its connection with a ban
// (transport spec §4.5), so the node handles everything a reference full
// node sends a full-node peer in normal operation:
//
//	message                                   handling
//	new_peak                                  recorded per connection (Peaks)
//	request_peers, respond_peers,
//	respond_peers_introducer                  discovery
//	request_mempool_transactions, new_transaction,
//	new_unfinished_block(2), new_signage_point_or_end_of_sub_slot,
//	new_compact_vdf, respond_transaction (unsolicited),
//	new_peak_wallet, coin_state_update,
//	mempool_items_added, mempool_items_removed   ignored
//
// The node never announces a peak, blocks or transactions of its own, so
// peers have no reason to ask it for any. Nor does it send anything on its
// own accord besides discovery's request_peers and address relay, so two
// chianet nodes with nothing to say to each other drop their connection
// after the reference's idle timeout of 30 minutes (package peer); static
// peers are dialled again at once.
//
// # Networks
//
// mainnet and testnet11 are built in (their facts come from package
// config): default port (8444, 58444), DNS introducers and introducer.
// Any other name is refused unless Config.Private declares it a network
// of the operator's own ("devnet"), so that a misspelt name is an error
// rather than an isolated network. A private network has no default
// port unless Config.DefaultPort gives one (port 0 takes any free one),
// no DNS introducers and no introducer, so the node makes no connection
// the user did not configure, and private addresses (loopback, RFC 1918,
// …) are admitted into the address manager. With nothing to bootstrap
// from, the node listens and says so in its log. (`chianet node` reads
// networks declared in config.yaml's network_overrides through package
// config and passes them on the same way.)
//
// # The root
//
// New locks Root/db/chianet.lock (an flock) so that a second process on
// the same root fails at once (ErrLocked), and checks that the peers
// file's directory is writable, so that a peers file that could not be
// saved is found at start rather than at shutdown. The peers file is
// chianet's own, db/chianet-peers.dat (db/chianet-peers-NETWORK.dat off
// mainnet): a reference node's db/peers.dat in the same root is never
// written. When chianet has no peers file yet, Config.ImportPeersFile
// (the reference node's, as `chianet node` sets it) is read once, and
// its addresses are taken if the whole file parses.
//
// # What it does not do
//
// It keeps no blockchain, validates nothing it is told, and relays no
// transactions or blocks; its RPC answers from its peers (Node.RPC).
// Peaks are recorded as
// announced, not checked.
//
// # Logging
//
// Everything logs through Config.Logger (log/slog), with a "component"
// attribute for the packages below (server, addrman, discovery, chiatls);
// connections coming and going are logged at info level with the peer's
// address and node id, remote misbehaviour at debug or warn.
package node
