// Package introducer is the Chia introducer service: the well-known
// address a new node asks for its first peers (the reference's
// chia/introducer; spec discovery.md §3). `chianet introducer` is its
// command line.
//
// An Introducer listens like a node (package server, node type
// INTRODUCER, DefaultPort 8445; mainnet, testnet11 or a private network)
// and:
//
//   - records every full node that completes an inbound handshake, at its
//     TCP address with the server_port of its handshake (one that
//     announces port 0 accepts no connections and is not recorded;
//     private and loopback addresses are recorded only on a private
//     network, Config.Private, or with Config.AllowPrivate);
//   - vets each recorded peer in the background by connecting to it and
//     completing a Chia handshake (TLS with a chia-CA certificate,
//     WebSocket, the same network id, node type FULL_NODE), then closing
//     normally; at most MaxConcurrentVets connections at once, each within
//     VetTimeout. A new peer is vetted at once, and each peer again no
//     sooner than RevetInterval (500 s) after its last try. A failure
//     stops the peer being handed out until it passes again; the
//     MaxFailures-th (7th) failure in a row forgets it;
//   - answers request_peers_introducer with up to MaxPeersToSend (20)
//     vetted peers seen within RecentPeerThreshold (6,000 s), chosen at
//     random (Config.Rand), never the requester's own address (its IP and
//     handshake server_port), each with timestamp 0 as the reference
//     sends.
//
// Vetting dials only the address a peer connected from, with the port
// it announced, so the introducer cannot be made to connect to a third
// party. A peer whose connection ends with a ban (package peer and
// server decide those) is forgotten with every other port of its IP.
//
// # Message flow
//
//	event                                   the introducer does
//	inbound FULL_NODE handshake             record (IP, server_port) or refresh its last-seen time;
//	                                        a new peer is vetted at once
//	request_peers_introducer (full node,    respond_peers_introducer: ≤ 20 vetted, seen ≤ 6,000 s ago,
//	  wallet, farmer)                       at random, not the requester; from memory only
//	vetting due (new, or 500 s after the    connect, Chia handshake, close (1000); failure 7 times in
//	  last try)                             a row forgets the peer
//	a peer not seen for 6,000 s             forgotten (it could no longer be handed out)
//
// # Where chianet differs from the reference (★)
//
//   - ★ Vetting completes a Chia handshake. The reference only opens a
//     TCP connection (3 s timeout) and closes it, so anything that
//     accepts TCP on that port (another service, a TLS server, a node of
//     another network) passes and is handed out.
//   - ★ Answers come from memory only. When it has fewer than 20 vetted
//     peers, the reference fills the answer from a DNS introducer, with a
//     lookup of up to 30 s inside the request handler whose errors are not
//     caught, so a slow or failing DNS server delays or kills the answer.
//     chianet answers with what it has; nodes ask DNS introducers
//     themselves.
//   - ★ A reconnecting peer refreshes its last-seen time. The reference
//     keeps the time it first saw the peer, so a node that keeps coming
//     back drops out of "recent" 6,000 s after its first visit.
//   - The reference re-vets a good peer once an hour (a failing one every
//     500 s) and marks it not vetted while it does; chianet re-vets every
//     peer 500 s after its last try and keeps a good peer eligible until
//     a vetting fails.
//   - Peers not seen within RecentPeerThreshold are forgotten, and at most
//     MaxPeers (10,000) are recorded, the one seen longest ago making room;
//     the reference keeps every peer until it fails vetting 7 times and
//     has no cap.
//
// Nothing is persisted: like the reference's, an introducer starts empty
// and learns its peers from the nodes that connect to it.
//
// # What it does not do
//
// It dials nobody but the peers it vets, keeps no address manager and
// gossips nothing (no request_peers, no relay), asks no DNS introducer,
// and serves no RPC.
//
// # Time and randomness
//
// Every time the introducer records, compares or schedules comes from
// Config.Clock and every random choice from Config.Rand, so the table and
// the vetting schedule are tested deterministically with a fake clock and
// a seeded generator.
//
// # Concurrency
//
// All methods of Introducer are safe for concurrent use. The request
// handler runs on the connections' goroutines and only reads the table
// under its lock; the vetting loop and its connections are goroutines of
// Run and have all returned when Run does.
package introducer
