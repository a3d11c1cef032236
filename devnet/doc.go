// Package devnet runs a whole Chia network on loopback in one process: an
// introducer, a DNS seeder (crawler, SQLite store and DNS server) and any
// number of full nodes (package node), each node at its own 127.X.Y.1
// address with its own CHIA_ROOT, on a private network. `chianet devnet`
// is its command line; a benchmark can start a thousand nodes the same
// way.
//
// # Use
//
//	n, err := devnet.Start(ctx, devnet.Config{Nodes: 24})
//	defer n.Close()                   // stops everything, removes the root
//	st := n.Snapshot()                // connections, addresses, crawler, DNS
//
// # How the network forms
//
// Nothing is hard-wired into the nodes: each knows only the DNS
// introducer's name (DNSName) and the introducer's address, and
// bootstraps the way a node of a public network does (package discovery):
// a DNS lookup first, then the introducer, then gossip.
//
//	service     address                  what it does
//	introducer  127.0.0.2, any port      records the nodes that ask it, vets them, hands them out
//	seeder      127.0.0.3, any port      crawls from node 0; its DNS server answers DNSName with
//	                                     the reliable nodes; the crawler dials from this address
//	node i      NodeIP(i), one port P    a full node (node.Node) with its own root and certificate
//
// DNS introducers answer with bare addresses, which a node combines with
// the network's default port, so every node listens on the same port P
// at its own address; P is found free on all of them at start. The nodes
// resolve DNSName through a net.Resolver that dials only the seeder's
// DNS server (node.Config.Resolver), never the system's resolver.
//
// The nodes start in two waves. The first half meets through the
// introducer, since the seeder knows nobody yet. The crawler's bootstrap
// peer is node 0, as a seeder's configuration names a few known nodes (the
// reference's bootstrap_peers); it starts once node 0 is connected to
// another node (crawled before that, node 0 would name no address seen
// recently: those from the introducer carry no time; a peer node 0 dialled
// is stamped, one that dialled node 0 advertised itself). It counts a node
// that completed the handshake and answered request_peers as reachable
// (seeder.CrawlerConfig.ReachableOnHandshake: these nodes keep no chain
// and announce no peak), crawls every Config.CrawlInterval (1 s; a public
// seeder pauses 15 s), and the DNS server reads the reliable nodes after
// every batch. The second half starts once the DNS server hands out a
// node, so those nodes bootstrap from their first DNS lookup, as nodes
// joining a network with a seeder do.
//
// A crawler recrawls a node only 1,000 s after trying it, so one run
// sees only the nodes that were connected when it went by. The seeder
// therefore runs twice over its store, as an operator starts it against
// a network and restarts it later: once every node has reached its
// outbound target (or 30 s after the DNS server first answered), the
// second run starts from node 0 and every node the first run reached
// (a crawl is answered with a random quarter of the addresses a node
// knows, so one bootstrap peer could name only nodes crawled already),
// and crawls the whole network. A node the crawler tried once or twice is reliable ("young"),
// so it is handed out for the devnet's first 1,000 s at least; after
// that the reference's reliability rules, kept as they are, stop handing
// out a node crawled every 1,000 s from its 4th try to its 13th.

// # Sizes and limits
//
// Every node keeps the reference's outbound target of 8 and accepts up to
// 32 inbound full nodes, both lowered for a devnet of fewer than 25 nodes
// (Config.TargetOutbound, Config.MaxInbound; 7 and 16 for 24 nodes): with
// n nodes a node has at most n−1 connections, a connection counts towards
// its dialler's target only, a node connected inbound to every other node
// would have nobody left to dial, and a node whose inbound slots are all
// taken refuses newcomers (the server's eviction makes room only for a
// less represented address group, and every node has a group of its
// own), so each node needs more candidates than its target. A node
// tries an address again after Config.RetryInterval (10 s) instead of
// the reference's 30 minutes, and a dial
// holds its slot of the target until it ends (no address drops packets
// on loopback). The introducer's and the crawler's connections are
// exempt from the inbound limits (node.Config.ExemptNetworks), so that
// they never take a node's slot or evict a node.
//
// # Certificates
//
// Each root holds the reference's certificate layout. The private CA is
// made once and copied into every root, as `chia init -c` imports one
// CA into several installs; each node's own certificates (its node id)
// are made under its root by node.New, GOMAXPROCS roots at a time, since
// RSA-2048 keys take tens of milliseconds each.
//
// # Measuring
//
// Snapshot reports what the services report and the devnet observed:
// each node's connections come from its server's events
// (node.Node.Subscribe), so the time a node first reached its target and
// the most outbound connections it ever held are exact, not sampled; its
// known addresses from its address manager; the crawler's counts from
// its records; DNS lookups and their answers are counted by the nodes'
// resolver, and the queries the DNS server answered by the server.
//
// TestScale (CHIANET_SCALE=1000) runs a devnet of that many nodes until
// every node has reached its target, for BENCHMARKS.md. At that size a
// crawl can take seconds while hundreds of nodes handshake at once, so
// the crawler waits up to 15 s for each step of a crawl (the seeder's
// defaults are 2, 5 and 3 s): timed out, a node would not be crawled
// again for 1,000 s, and the DNS seeder would hand out almost nobody.
//
// # Shutting down
//
// Close stops the crawler, the DNS server, the nodes (each saves its
// peers file and closes its connections with a normal close) and the
// introducer, and removes the root unless Config.Keep. With Config.RPC
// each node also serves its RPC at its own address, and its root holds a
// config.yaml naming it, so `chianet show --root ROOT` works on it while
// the devnet runs.
package devnet
