// Package discovery keeps a Chia node at its outbound peer target: it
// decides whom to dial and when, finds addresses to dial when it has none,
// and gossips addresses with its neighbours (the reference's
// node_discovery.py; spec discovery.md §2).
//
// # Use
//
// Load the address table (addrman.Load), make the server, then:
//
//	d, err := discovery.New(discovery.Config{Server: srv, AddrMan: am, DNS: …, Introducer: …})
//	d.Register()           // request_peers, respond_peers, respond_peers_introducer; before srv.Start
//	srv.Start(ctx)
//	err = d.Run(ctx)       // until ctx ends; saves the table to Config.PeersFile on the way out
//
// Run runs the connect loop (bootstrap, selection, dials, feelers,
// tried-collision tests), the address relay and daily self-advertisement
// (full nodes), the daily reset of the per-source counts, the table
// maintenance (timestamps of live peers every 10 min, Cleanup every
// 30 min) and the periodic and final saves (addrman.Manager.Run). Stats
// reports counters. Config documents every setting and its default: the
// outbound target (8 for a full node, 3 for a wallet), 70 dials pending at
// most, one attempt per address per 30 min, feelers every 240 s on
// average.
//
// What the package does not do: it owns no sockets and dials nobody
// itself (package server does, at its request; deduplication by node id,
// bans and inbound limits are the server's), it does not store addresses
// (package addrman does), the introducer service is package introducer,
// the DNS server of the seeder is package seeder, and keeping permanent
// connections to configured peers (the reference's full_node_peers) is
// the node's job.
//
// # Message flow
//
//	event                                  discovery does
//	outbound FULL_NODE connected           send request_peers (id-less, as the reference), and
//	                                       respond_peers([PublicAddr, now]) if a full node with one
//	request_peers (full node only)         reply respond_peers: addrman Sample(23%, ≤1,000) less
//	                                       private and other networks' default ports
//	respond_peers                          ignore if > 1,000 or the sender's host is past 3,000
//	                                       since the daily reset; drop bad entries; normalise
//	                                       timestamps; Add(sender = IP + server_port, 2 h penalty);
//	                                       a lone address seen ≤ 10 min ago: relay to 2
//	inbound FULL_NODE connected            Add(IP + server_port, now; itself as source); relay to 1
//	  (full node)
//	request_peers_introducer (bootstrap)   reply respond_peers_introducer: Add(timestamp 0, no
//	                                       source); close the connection
//	respond_peers_introducer pushed        the same, then close the connection
//	every 24 h                             reset per-source counts and relay memory; full node
//	                                       with PublicAddr: respond_peers([self]) to all full nodes
//
// A relayed address goes, in a respond_peers of its own, to the first 1 or
// 2 full-node neighbours (either direction) ordered by SHA-256(relay key ‖
// neighbour address key ‖ day), skipping, but counting, neighbours that
// already know it (they told us, or we told them).
//
// An advertised address is dropped unless its host is an IP literal of at
// most 45 bytes (no host names, no zones), its port is neither 0 nor
// another network's default full-node port (8444, 58444, 58445 other than
// Config.DefaultPort), and its IP is not unspecified, multicast or
// broadcast, nor private, loopback, link-local or reserved (the
// reference's is_private list) unless Config.AllowPrivate. A timestamp
// below 100,000,000 or more than 10 minutes ahead becomes now − 5 days.
//
// # Bootstrap
//
// Bootstrap rounds run when the address table is empty and when nothing
// known can be dialled any more (the reference's retry_introducers: the
// table gave nothing, or 10, 25 or 50 picks in a row were refused, while
// peers are still needed). A round tries, in this fixed order, and stops at
// the first step that finds something:
//
//	step        runs                          succeeds when                 fails because
//	persisted   first round only; later       the table loaded from the     the table is empty; or (later
//	            rounds log why it is          peers file is not empty       rounds) every known address
//	            passed over                                                 failed, is connected or was
//	                                                                        tried in the last 30 min
//	dns         DNS.Servers set               a new usable address          every server's every failure
//	            (all servers, shuffled,                                     (timeouts, SERVFAIL, no
//	            A and AAAA in parallel,                                     records), or all answers known
//	            3 s per server)                                             or refused
//	introducer  Introducer set                its reply gave a new usable   resolve, dial, handshake or
//	            (dialled as our node type,    address                       request error; timeout; or all
//	            request_peers_introducer                                    addresses known or refused
//	            with an id, 20 s bound)
//	static      StaticPeers set               a static peer was reachable   each peer's resolve or dial
//	            (added to the table, dialled                                error
//	            directly, outside the retry
//	            rule)
//
// A step that is not configured is logged as skipped, at debug (the
// static step says so when the owner keeps its static peers itself,
// Config.KeptPeers). Failures, and a round that found nothing, are logged
// at warn only while the node has no full-node connection at all and some
// source (DNS, the introducer, static peers) was tried; otherwise at info:
// a connected node runs rounds whenever nothing it knows can be dialled,
// which on a small network is routine. Rounds
// that follow one another without a kept outbound connection in between
// are spaced 1, 2, 4, … 256, 512 s and then 512 s again; a kept outbound
// connection restarts the spacing at 1 s. While a round is not due, the
// connect loop keeps dialling whatever becomes usable.
//
// # Connect loop
//
// Each round: resolve tried-table collisions; at most once a minute test
// the old entry of a queued collision with a connection; otherwise, while
// outbound full nodes are missing, pick an address (Select) and dial it,
// refusing an address in the /16 (IPv6 /32) group of an outbound
// connection or outbound dial, one connected, being dialled, ourselves,
// banned, not admissible, or tried in the last RetryInterval. Once the
// target is met, a feeler is due at exponentially distributed intervals
// (mean FeelerMean): a new-table address is dialled, exempt from the group
// rule, and closed after the handshake. The pause between rounds is the
// reference's: max(0.25 s, 0.5 s per outbound group), plus 15 s when
// nothing was wanted, at most ConnectInterval (30 s; 60 s for a wallet).
//
// Dial outcomes update the address manager as the reference does:
//
//	outcome                                 address manager        connection
//	connected to a full node                Good, then Connect     kept, unless a feeler, the target
//	                                                               is met or its group is taken: closed
//	                                                               unregistered (server.WithAdmit)
//	connected to another node type          Attempt (a failure)    closed unregistered
//	duplicate, ourselves, banned            Attempt (no failure)   —
//	failed                                  Attempt (a failure)    —
//	cancelled by shutdown                   nothing                —
//
// # Decisions
//
// Where the reference behaves in a way the spec lists as a user pain
// (§7) or a behaviour to decide on (§8), chianet chose:
//
//   - All DNS introducers every round, in parallel, A and AAAA together,
//     with a short per-server timeout (§7 items 1–4): see below. The
//     reference asks one server per round, A then AAAA with 30 s each,
//     and skips AAAA when A fails.
//   - The persisted peers come first and a round stops at the first step
//     that finds something, so a node with a usable table asks no DNS
//     server or introducer (privacy, load; §7 item 2).
//   - The backoff resets only when an outbound connection is kept. The
//     reference resets it whenever the table is not empty, so a node whose
//     addresses are all dead asks the introducer every few seconds.
//   - Every step logs its outcome and the reason it failed, and Stats
//     counts the rounds (§7 items 3, 5, 7). A node whose every address is
//     dead re-bootstraps instead of waiting (§7 item 7).
//   - The introducer is asked with a request id and its reply awaited
//     within IntroducerTimeout, instead of a fire-and-forget request and a
//     fixed 5 s sleep; a pushed id-less reply is handled too. A thin or
//     failed introducer falls through to the static peers (§7 item 10).
//   - Static peers are the last bootstrap step, with the same backoff,
//     dialled whatever their address class: they were configured on
//     purpose (§7 item 5).
//   - A full node with Config.PublicAddr advertises it to every new
//     outbound full node as well as to all full nodes every 24 h, so that
//     a reachable node is learned about soon after it starts (§7 item 6);
//     the reference advertises only every 24 h.
//   - Other networks' default ports are dropped from DNS, introducer and
//     gossip input and from request_peers answers (§7 item 9).
//   - The per-source count of 3,000 resets every 24 h for wallets too;
//     the reference's wallet never resets it (§8).
//   - request_peers is answered for inbound peers as well, as the
//     reference really does (its comment says otherwise; §8): wallets only
//     ever connect inbound. Only full nodes answer.
//   - DNS and introducer addresses keep timestamp 0 (terrible until a
//     connection stamps them, never gossiped before), as in the reference
//     and package addrman (§8).
//   - The table is saved on shutdown (addrman.Manager.Run; §8).
//   - An outbound dial takes a free slot of the target when it starts
//     and holds it for DialGrace (5 s), so no more addresses are dialled
//     meanwhile; a dial that hangs longer lets another address be tried
//     in its place, so up to MaxPendingDials dead addresses can be tried
//     at once. The reference counts none: it overshoots, and every extra
//     connection costs the remote an inbound slot and us the address for
//     30 minutes.
//   - The target and the one-per-group rule are enforced after the
//     handshake and before the connection joins the server's connections
//     (server.WithAdmit), under one lock: a node never holds more
//     outbound full nodes than the target through its own dials, or two
//     in one group, not even for a moment, and an extra connection never
//     replaces a connection with the same node id, is never announced in
//     a server event and never gossips. It is closed after its handshake
//     and still counts as a success (Good). Feelers are closed the same
//     way. Outbound connections made outside discovery (the node's static
//     peers) count toward the target but are not bounded by it.
//   - The selection makes its 10/25/50 picks without the reference's
//     0.1–2 s sleep before each (a pick is cheap; the pause between rounds
//     paces the dials). With nothing to dial the loop pauses a full
//     ConnectInterval, and it wakes early when an outbound full node
//     leaves.
//   - A dialled address that turns out to be ourselves is remembered and
//     not picked again; one that turns out not to be a full node is closed
//     and counted as a failure.
//   - Inbound full nodes that announce server_port 0 are not recorded.
//   - Addresses are judged after unmapping IPv4-mapped IPv6, as package
//     addrman stores them. A lone relayed address is judged fresh by its
//     normalised timestamp, so a future-dated one is not relayed.
//   - The relay queue is bounded (1,024; excess dropped), and what is
//     queued is relayed as one batch over one scan of the neighbours (the
//     order does not depend on the address), so a node that thousands of
//     peers dial does not scan them all once per newcomer; what each
//     neighbour knows is forgotten when it disconnects as well as daily,
//     and an inbound node's own address counts as known to it.
//   - Live outbound full nodes have their address timestamp refreshed
//     every 10 minutes (addrman Connect), instead of on a received message
//     at most every 10 minutes.
//
// # DNS introducers
//
// dns.go is the DNS-introducer client. LookupDNSIntroducers queries every
// configured server, in an order shuffled per call (DNSConfig.Rand), with
// each server's A and AAAA queries in parallel and both bounded by a short
// per-server timeout (DNSConfig.Timeout, 3 s by default), and returns the
// deduplicated union of the addresses, each with the network's default
// full-node port, plus a per-server report (DNSResult). It differs from the
// reference, which asks one server per bootstrap round, A then AAAA, with
// 30 s each, and skips AAAA when the A query fails (spec §2.3, §7 items
// 2–4):
//
//   - all servers are tried, so one dead or censored seeder (or a home
//     router that answers SERVFAIL for it) does not leave the node without
//     peers;
//   - a server that times out costs its own timeout and delays no other;
//   - a missing or failed family (no AAAA records, an A SERVFAIL) does not
//     discard the other family's answer;
//   - each failed query is logged at warn with the server, the family, the
//     error and the time it took, except a family without records when the
//     other family answered, which is normal and logged at debug.
//
// Unspecified, multicast and broadcast addresses are always dropped;
// private ones (the reference's is_private list) only pass with
// DNSConfig.AllowPrivate, the reference's enable_private_networks.
//
// # Time, randomness and tests
//
// Every wait and every "now" goes through Config.Clock and every random
// choice through Config.Rand; the address manager has its own clock and
// generator, which should agree. Unit tests run the whole loop over an
// in-memory network under testing/synctest; the in-process network test
// runs 40 servers on 127.N.0.1 with a clock running 20 times faster than
// real time.
//
// # Concurrency
//
// All methods of Discovery are safe for concurrent use. The handlers run
// on the connections' goroutines; Run's goroutines and the dials it starts
// have all returned when Run does.
package discovery
