// Package discovery keeps a Chia node at its outbound peer target: it
// decides whom to dial and when, and finds addresses to dial when it has
// none (the reference's node_discovery.py; spec discovery.md §2).
//
// It bootstraps from, in order:
//
//  1. the persisted peers (the address manager's peers file, package
//     addrman);
//  2. the DNS introducers: community-run DNS seeders that answer A and
//     AAAA queries with addresses of reliable full nodes (see
//     MainnetDNSIntroducers);
//  3. the introducer, a Chia peer that answers request_peers_introducer;
//  4. statically configured peers, which are dialled whatever the state
//     of discovery.
//
// Every bootstrap step that fails logs why, and the next one is tried.
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
// What the package does not do: it owns no sockets and dials nobody itself
// (package server does, at its request), it does not store addresses
// (package addrman does), and the DNS server of the seeder is package
// seeder.
package discovery
