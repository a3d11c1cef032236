// Command chianet is the chianet command-line tool: one binary, one
// subcommand per job. The commands are thin: they turn flags into calls of
// the library packages.
//
// The subcommands:
//
//	decode --type NAME [--hex] [FILE]   serialized bytes → reference JSON (streamable, protocol)
//	encode --type NAME [FILE]           reference JSON → serialized bytes as hex
//	hash --type NAME [--hex|--json] [FILE]
//	                                    header hash, spend bundle name, coin id or SHA-256
//	types                               every wire type and message id
//	init [--root DIR]                   create CHIA_ROOT's config.yaml and ssl tree where missing (config, chiatls)
//	certs init [--root DIR]             create the missing files of CHIA_ROOT/config/ssl (chiatls)
//	peer ping HOST:PORT                 connect, print the peer's handshake and round-trip times (peer)
//	peer peers HOST:PORT                request_peers, print the peers and their count (peer)
//	node [--network NAME [--private]] [--peer HOST:PORT]...
//	                                    run a networking-only full node until SIGINT/SIGTERM/SIGHUP (node, config)
//	introducer [--network NAME [--private]] [--listen-host H] [--port P] [--root R]
//	                                    run an introducer until SIGINT/SIGTERM (introducer)
//	show                                a running node's network, peak, sync state and connections (rpc)
//	peer add HOST:PORT                  have a running node connect to a peer (rpc: open_connection)
//	peer remove NODE-ID-PREFIX          have a running node close a connection (rpc: close_connection)
//	stop                                stop a running node (rpc: stop_node)
//	version, --version                  chianet's version
//	seeder crawl [--once]               crawl the network into the seeder's store and serve the crawler's RPC (seeder, rpc)
//	seeder dns --domain D --nameserver N
//	                                    answer DNS queries with the store's reliable peers (seeder)
//	seeder run ...                      both in one process
//
// The peer commands take --network (mainnet), --node-type (full_node),
// --timeout (10s, for the whole command) and --root. They dial with the
// node type's certificate (the one the reference dials with: public,
// private for a harvester): from the tree at --root, created there if
// missing; without --root from $CHIA_ROOT, else ~/.chia/mainnet, if that
// tree holds it (it is never written), else from a temporary certificate
// made in memory for the run, with a note on standard error. A peer that
// closes the connection right after the handshake without a reason is
// reported as refusing the node type (or full).
//
// node resolves the root as package config does (--root, else
// $CHIA_ROOT, else ~/.chia/mainnet) and reads its config/config.yaml when
// there is one: selected_network, network_overrides, logging.log_level
// and the full_node section's port, full_node_peers, target_peer_count,
// target_outbound_peer_count, max_inbound_wallet, max_inbound_farmer,
// exempt_peer_networks, trusted_peers (node ids never banned),
// trusted_cidrs (networks never banned), dns_servers, introducer_peer
// and peer_connect_timeout, the top-level inbound_rate_limit_percent and
// outbound_rate_limit_percent (the scaling of peers' rate limits),
// daemon_max_message_size, daemon_heartbeat and daemon_allow_tls_1_2
// (TLS 1.2 clients of the daemon), and the certificates' places:
// private_ssl_ca, chia_ssl_ca, daemon_ssl (the RPC's) and full_node.ssl;
// flags override the file, and without a file the reference's defaults
// apply. An entry of trusted_peers or trusted_cidrs that is not a node id
// or network is skipped with a warning. An entry of exempt_peer_networks,
// trusted_cidrs or --exempt-network with host bits set (10.1.2.3/24)
// applies as its network (10.1.2.0/24), with a warning naming the key,
// the entry and the network: the reference masks exempt_peer_networks
// without a word and fails on such a trusted_cidrs entry each time it
// checks a peer against it. mainnet and testnet11 are built in;
// network_overrides may declare more; any other --network is an error
// listing the known ones unless --private runs it as a network of one's
// own (no default port, DNS introducers or introducer; private addresses
// admitted). A --listen-host that is one IP address is also the source
// of the node's outbound connections unless --dial-from names another.
// The node keeps its outbound connections with discovery
// (persisted peers, DNS introducers, the introducer), stays connected to
// every --peer, answers request_peers and records each peer's new_peak.
// Certificate paths are relative to the root unless absolute, as the
// reference reads them. Where config.yaml names the default layout
// (its template's values), missing certificates are created there; a
// file it names elsewhere must exist, or the command fails naming the
// key and the path, and nothing is created.
// Its certificates and peers file (db/chianet-peers.dat,
// db/chianet-peers-NETWORK.dat off mainnet; the reference node's
// db/peers.dat is only ever read, to import it once) live under the
// root, whose db/chianet.lock it holds while it runs. It logs with
// log/slog to standard error (--log-level, --log-format text|json) and
// on SIGINT, SIGTERM or SIGHUP saves the peers file, closes every
// connection normally and exits 0; stop_node and the daemon's exit do the
// same. It serves the HTTPS RPC on self_hostname:rpc_port (--rpc-port) and
// the daemon's WebSocket on self_hostname:daemon_port (--daemon-port), 0
// for any free port and -1 for none (localhost: 127.0.0.1 and ::1), and
// Prometheus metrics on --metrics-addr. A bad flag value exits 1 with one line naming the flag.
//
// show, peer add, peer remove and stop call a running node's RPC: the
// root (--root, else $CHIA_ROOT, else ~/.chia/mainnet) gives
// self_hostname and full_node.rpc_port (--rpc-port overrides it), the
// private CA and the daemon's private certificate (else the full
// node's), where its config.yaml places them (private_ssl_ca,
// daemon_ssl, full_node.ssl); nothing is written. A node that does not answer is reported
// with the address tried.
//
// introducer listens on port 8445 (--port, --listen-host; vetting
// connections leave from the listen host when it is one IP address unless
// --dial-from names another), records the full nodes that connect, vets
// them and answers request_peers_introducer (package introducer;
// --max-peers-to-send, --recent-peer-threshold, --allow-private).
// mainnet and testnet11 are built in; any other --network needs
// --private. Its certificate comes from the root, resolved as for node:
// where the root's config.yaml places it (introducer.ssl and
// chia_ssl_ca), else introducer/public_introducer; it is created if
// missing, as for node. The reference's template points introducer.ssl at
// the full node's public certificate, which gives an introducer and a
// node on one root the same node id, so that the introducer refuses to
// vet that node; chianet's introducer keeps its own certificate when
// introducer.ssl names the full node's. It logs like
// node and on SIGINT, SIGTERM or SIGHUP closes every connection normally
// and exits 0.
//
// The seeder commands share --root, --network [--private] and --db, and
// read the root's config.yaml as node does: self_hostname,
// network_overrides, logging.log_level and the seeder section (its
// selected_network; bootstrap_peers, other_peers_port, minimum_height and
// crawler_db_path for that network only, where the file has them;
// peer_connect_timeout, minimum_version_count, dns_port, domain_name,
// nameserver, ttl, static_peers, soa and crawler's start_rpc_server,
// rpc_port and prune_peer_days), and the certificates' places as node
// does (the crawler dials with full_node.ssl, as the reference's crawler
// runs as a full node; seeder.crawler.ssl is read but, as in the
// reference, unused), flags overriding the file; an unknown
// --network is an error unless --private runs it as one's own. The store
// is an SQLite file (default crawler_db_path, else
// ROOT/db/seeder-NETWORK.sqlite) or a PostgreSQL database (a postgres://
// URL or a "host=… dbname=…" string).
// crawl takes --bootstrap-peer, --port (the crawled port; any on a
// private network), --min-height (240000 on mainnet, else 0),
// --reachable-on-handshake (private networks whose nodes announce no
// peak), --concurrency, --peak-wait, --recrawl-after and
// --batch-interval; it dials with the full node certificate of --root.
// With --once it stops when a batch finds no new address and prints a
// table of the batches and the counts. Otherwise crawl and run serve the
// crawler's HTTPS RPC (chia_crawler) on self_hostname:--rpc-port (8561)
// and, only with --daemon-port, a daemon WebSocket of their own whose
// metrics sockets receive crawl_batch_completed and loaded_initial_peers
// (chianet node holds the host's daemon_port); stop_node and the
// daemon's exit stop them as SIGTERM does. dns takes --dns-listen
// (default ":53", IPv4 and IPv6), --domain, --nameserver, --soa-mbox,
// --ttl and --static-peer. A progress bar is drawn on standard error when
// it is a terminal.
//
// init resolves the root as package config does (--root, else
// $CHIA_ROOT, else ~/.chia/mainnet, made absolute), writes config.yaml from
// chianet's template unless the file exists (an existing one is only
// checked, never rewritten) and creates the missing certificate files, and
// lists what it created.
//
// Every other command writes its result to standard output; failures exit
// with status 1 and one line on standard error, "chianet: " and the error.
package main
