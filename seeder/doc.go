// Package seeder is the DNS seeder of a Chia network, as the reference's
// chia_crawler and chia_seeder (chia/seeder; spec discovery.md §4): a
// crawler that connects to every full node it hears of and keeps
// reliability statistics about each, a store that keeps them, and a DNS
// server that hands out the reliable ones.
//
// # Use
//
//	store, err := seeder.Open(ctx, "seeder.sqlite") // or a PostgreSQL DSN
//	c, err := seeder.NewCrawler(seeder.CrawlerConfig{NetworkID: "mainnet", TLS: tlsConf, Store: store,
//		Bootstrap: []string{"node.chia.net:8444"}, Port: 8444, MinHeight: seeder.MainnetMinHeight})
//	go c.Run(ctx)                                   // batch after batch, 15 s apart
//	s, err := seeder.NewDNSServer(seeder.DNSConfig{Domain: "seeder.example.com.",
//		Nameserver: "ns1.example.com.", Peers: store})
//	err = s.Start(ctx)                              // …; s.Close(ctx)
//
// `chianet seeder crawl|dns|run` is the command line. The crawler's counts
// (PeerCounts, IPsAfterTimestamp) and its state changes (CrawlerConfig.
// OnEvent: loaded_initial_peers, crawl_batch_completed) are served by the
// reference's crawler RPC, service chia_crawler (Crawler.RPC for
// rpc.CrawlerRoutes, or Crawler.StartRPC, which serves them over HTTPS
// and, if asked, on a daemon WebSocket of its own whose metrics sockets
// receive the state changes through RPCServer.Notify):
//
//	rs, err := c.StartRPC(ctx, seeder.RPCConfig{RPCAddr: "127.0.0.1:8561", TLS: daemonTLS, Stop: cancel})
//
// # Crawling
//
// A batch takes every eligible record: on the crawled port (CrawlerConfig.
// Port, the network's default full-node port; any port on a private
// network), not ignored or banned (unless never tried), not put in a batch
// in the last 120 s, and neither tried nor reached in the last 1000 s
// (IPv4) or 600 s (IPv6). Each family is shuffled and cut to a tenth of
// the eligible IPv4 peers, clamped to [25,000, 250,000]. The first batch
// of a run adds the bootstrap peers. Up to 250 peers are crawled at once;
// each crawl
//
//	dials wss://host:port/ws as a FULL_NODE    2 s for TCP, TLS and WebSocket, 5 s for the handshake
//	sends request_peers                       3 s
//	waits for a new_peak                      until 2.5 s after the handshake
//	closes normally (1000)
//
// and counts as reachable when the peer is a full node that announced a
// peak of at least MinHeight (240,000 on mainnet). CrawlerConfig.
// ReachableOnHandshake, off by default and meant for private networks
// whose nodes keep no chain, counts a full node that answered
// request_peers as reachable without a peak (and waits for none).
//
// Every attempt updates the record's statistics (Reliability.Update) with
// age = the time since its previous attempt (1000 s for the first), and
// the handshake its node id, software version (in the reference's short
// form), protocol version, TLS version and handshake time; a peak its
// height. Addresses from respond_peers are recorded when new and seen in
// the last 5 days (an IP literal, port not 0 and on the crawled port, not
// private unless AllowPrivate), and raise the LastSeen of known records.
// Records without a sign of life for 90 days are pruned. Everything a
// batch changed is saved in one transaction (up to 4 attempts, 5 s apart);
// the crawler keeps its records in memory between batches.
//
// # Reliability
//
// A record's Reliability holds five exponentially decayed statistics
// (2 h, 8 h, 1 d, 1 w, 30 d), the reference's PeerReliability: a peer is
// reliable while young (1–3 tries, at least half reachable) or when a
// window's decayed reliability and attempt count pass its thresholds; a
// peer that is not reliable is ignored or banned for a while when a
// window's reliability − weight + 1 falls below its threshold (see
// Reliable, IgnoreTime, BanTime; the values are tested against vectors
// computed from the reference's formulas). A consequence of the formulas,
// kept as in the reference: a peer crawled every 1000 s is reliable for
// its first three tries, not from the 4th to the 13th (its 2 h reliability
// is still below 0.85), and again from the 14th.
//
// # Store
//
// Store is implemented twice over database/sql with one schema (schema.go)
// and versioned migrations: SQLite (modernc.org/sqlite, pure Go; WAL, write
// lock taken at BEGIN, commits synced) for one host, and PostgreSQL
// (github.com/jackc/pgx/v5) for one crawler feeding DNS servers on several
// hosts. A batch is one transaction, so a crawler killed at any point
// loses at most the batch in flight, and readers see whole batches only.
// The reliable flag is stored with each record, which is all a DNS server
// reads. A row that cannot be read (a value out of range or of the wrong
// type, as a damaged or hand-edited store can hold) is skipped, not
// fatal: Load returns the other records with a *SkippedRowsError, which
// the crawler logs once at Warn; the crawler then records nothing under
// that row's host, so no save writes over it or deletes it, and the DNS
// server's read skips it too.
//
// # DNS server
//
// The DNS server (github.com/miekg/dns) listens on UDP and TCP, IPv4 and
// IPv6, and answers for one zone:
//
//	query                    answer
//	the zone, A / AAAA       up to 32 reliable peers of the family, round-robin
//	the zone, ANY            16 A, 16 AAAA, SOA, NS
//	the zone, SOA / NS       that record
//	the zone, other types    no records (NOERROR)
//	a name under the zone    NXDOMAIN
//	a name outside the zone  REFUSED (no records, not authoritative)
//	not a QUERY; EDNS > 0    NOTIMP; BADVERS
//	a failure while building SERVFAIL, with nothing of the failure in it
//
// Answers in the zone are authoritative, carry NS and SOA in the authority
// section, and have TTL 300 (60 while there are no peers at all). Names are
// compared without regard to case and the question's spelling is kept in
// the answer. An EDNS0 query gets an OPT with its buffer size, between 512
// and 4096; a UDP answer larger than that (or than 512 without EDNS0) is
// truncated with TC set, for the client to ask again over TCP. The peers
// are read from the store at start, every 15 minutes, and every 10 s while
// the store has none or cannot be read (the previous peers are kept
// meanwhile); each read is shuffled and followed by the static peers.
//
// # Where chianet differs from the reference
//
// The reference's choices that the spec lists as problems (§7, §8) are
// decided so:
//
//   - The crawler announces server_port 0, as a node without a listener
//     does (the reference's crawler announces 8444 and refuses the
//     connections that follow). chianet nodes do not record an inbound
//     full node that announces port 0; reference nodes still record and
//     relay it, as (crawler IP, 0): an address that fails at once when
//     dialled and is terrible after three failures, as the reference
//     crawler's (IP, 8444) is (spec transport.md §7, discovery.md §2.6).
//   - The handshake has its own 5 s bound instead of the general 120 s.
//   - Bootstrap peers are not stored under their host names (which the
//     reference prunes after the first batch): a name is dialled and the
//     peer recorded under the address it was reached at.
//   - LastSeen also moves with our own successful crawls, not only with
//     gossip; advertised timestamps in the future count as now; only
//     addresses on the crawled port, and private ones only when allowed,
//     are recorded, so the store holds nothing the DNS server must not
//     hand out.
//   - Only records changed by a batch are written (the reference rewrites
//     every record and the good_peers table after each batch, then runs
//     VACUUM); the schema is chianet's own, without the reference's
//     missing-comma quirk.
//   - A respond_peers of more than 1000 addresses (discovery.
//     MaxPeersPerReply) is ignored whole, as a node ignores it; the
//     reference crawler takes every address of a reply up to the 1 MiB
//     message limit (some 17,000), so one peer could grow the store
//     without bound over crawls.
//   - A batch cut short by shutdown saves the attempts that finished and
//     records nothing about those it interrupted.
//   - An empty batch is not logged at info (§7 item 10: log spam with 0
//     peers to crawl), and emits no crawl_batch_completed (the reference
//     emits one after every pass of its loop, empty or not).
//   - The RPC's get_connections lists the crawls under way and
//     open_connection crawls the peer at once, recording the outcome.
//   - The DNS server answers at once from the store instead of after a
//     first sleep, serves TCP and IPv6, sets REFUSED, NXDOMAIN, BADVERS,
//     NOTIMP and SERVFAIL (§7 item 10), reads the peers at start and every
//     15 minutes rather than after growing sleeps, retries an empty read
//     after 10 s rather than 2 s, and never resolves static peers (they
//     are IP addresses).
//
// # Time, randomness and tests
//
// Record times come from CrawlerConfig.Clock and are kept in whole
// seconds; batch shuffles use CrawlerConfig.Rand, the DNS shuffle
// DNSConfig.Rand; pauses between batches and reloads go through the
// Clock. Network timeouts use real time. Tests run the crawler against
// in-process nodes on 127.x.y.z, the store suite against SQLite and a real
// PostgreSQL server (package internal/pgtest), a crawler process killed
// inside a batch's transaction, two DNS servers over one PostgreSQL store
// while a crawler writes it, and the DNS answers with miekg/dns and dig.
package seeder
