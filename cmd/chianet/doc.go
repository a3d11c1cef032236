// Command chianet is the chianet command-line tool: one binary, one
// subcommand per job. The commands are thin: they turn flags into calls of
// the library packages.
//
// The subcommands:
//
//	decode --type NAME [--hex] [FILE]   serialized bytes → reference JSON (streamable, protocol)
//	encode --type NAME [FILE]           reference JSON → serialized bytes as hex
//	hash --type NAME [--hex] [FILE]     header hash, spend bundle name, coin id or SHA-256
//	types                               every wire type and message id
//	init [--root DIR]                   create CHIA_ROOT's config.yaml and ssl tree where missing (config, chiatls)
//	certs init [--root DIR]             create the missing files of CHIA_ROOT/config/ssl (chiatls)
//	peer ping HOST:PORT                 connect, print the peer's handshake and round-trip times (peer)
//	peer peers HOST:PORT                request_peers, print the peers and their count (peer)
//	node [--network NAME] [--peer HOST:PORT]...
//	                                    run a networking-only full node until SIGINT/SIGTERM (node)
//	seeder crawl [--once]               crawl the network into the seeder's store (seeder)
//	seeder dns --domain D --nameserver N
//	                                    answer DNS queries with the store's reliable peers (seeder)
//	seeder run ...                      both in one process
//
// The peer commands take --network (mainnet), --node-type (full_node),
// --timeout (10s, for the whole command) and --root. --root defaults, as
// in the reference, to $CHIA_ROOT, else ~/.chia/mainnet; the peer commands
// dial with the node type's certificate from that tree (the one the
// reference dials with: public, private for a harvester) and create it
// there if it is missing.
//
// node listens on the network's default port (--port, --listen-host),
// keeps its outbound connections with discovery (persisted peers, DNS
// introducers, the introducer) and stays connected to every --peer; it
// answers request_peers and records each peer's new_peak. It takes its
// certificates and peers file (db/peers.dat, db/peers-NETWORK.dat off
// mainnet) from --root, defaulting like the peer commands'. mainnet and
// testnet11 come with their bootstrap defaults; any other --network (e.g.
// devnet) has none and admits private addresses, so it talks only to the
// peers it is given. It logs with log/slog to standard error (--log-level,
// --log-format text|json) and on SIGINT or SIGTERM saves the peers file,
// closes every connection normally and exits 0.
//
// The seeder commands share --root, --network and --db: the store is an
// SQLite file (default ROOT/db/seeder-NETWORK.sqlite) or a PostgreSQL
// database (a postgres:// URL or a "host=… dbname=…" string). crawl takes
// --bootstrap-peer (default the network's), --port (default the network's
// full-node port, any port on a private network), --min-height (240000 on
// mainnet, else 0), --reachable-on-handshake (private networks whose nodes
// announce no peak), --concurrency, --peak-wait, --recrawl-after and
// --batch-interval; it dials with the full node certificate of --root. With
// --once it stops when a batch finds no new address and prints a table of
// the batches and the counts. dns takes --dns-listen (default ":53", IPv4
// and IPv6), --domain, --nameserver, --soa-mbox, --ttl and --static-peer. A
// progress bar is drawn on standard error when it is a terminal.
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
