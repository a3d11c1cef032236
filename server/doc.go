// Package server keeps the set of live peer connections of one Chia node,
// as the reference's ChiaServer (chia/server/server.py) does: it accepts
// peers on a listener, dials peers when asked to, and decides which
// connections may stay.
//
// A Server is built from a Config (New), given its message handlers
// (Handle), started (Start) and closed (Close). Connections themselves
// (handshake, requests, rate limits, heartbeat, idle timeout, typed close
// reasons) are package peer's job; the Server owns the decisions that
// involve more than one connection or outlive one:
//
//   - Listening: one TLS listener ("wss://host:port/ws"), dual-stack when
//     the host is empty, on any port including 0; handshakes announce the
//     port actually bound (Server.Addr).
//   - Dialling: Server.Dial, with the checks below, registering the
//     connection as outbound; WithAdmit lets the caller refuse it after
//     the handshake, before it is registered (package discovery keeps
//     its outbound target that way).
//   - The registry: one connection per node id (the SHA-256 of the peer's
//     certificate). When a handshake completes with a node id that is
//     already registered, the older connection is closed (1000, no ban,
//     cause ErrReplaced) and the newer one kept.
//   - Self-connections: refused before TLS when Dial targets our own
//     listening address, and after TLS when the peer's node id is ours,
//     in both directions.
//   - Inbound limits, on a full node only: 32 full nodes
//     (TargetPeerCount − TargetOutboundPeerCount, 40 − 8), 20 wallets,
//     10 farmers, no other node type; peers in ExemptNetworks and a
//     timelord from localhost are always accepted. A refused peer sees a
//     completed handshake, then a plain close (1000, no reason, no ban).
//   - Eviction: when the inbound full-node slots are taken, a full node
//     from a less-represented address group (addrman.GroupOf: the /16 of
//     an IPv4 address, the /32 of an IPv6 one) takes the place of a peer
//     of the most-represented group instead of being refused. Never
//     evicted: outbound, trusted and exempt (localhost included) peers;
//     an eighth of the slots (4 of 32) that most recently sent a useful
//     message (new_peak, new_transaction, new_unfinished_block(2),
//     new_signage_point_or_end_of_sub_slot, new_compact_vdf); then a
//     quarter (8 of 32) connected longest. Of the rest, the newest peer
//     of the group with the most inbound full nodes goes, provided the
//     newcomer's group has at least two fewer (groups never swap back and
//     forth). The evicted peer gets a plain close (1000, no ban, cause
//     ErrEvicted) and the Server logs the groups and counts. The order is
//     by Config.Now, so it is deterministic under an injected clock.
//   - Accept pacing: a connection is pending from its TCP accept until
//     its Chia handshake is done (TLS handshake, HTTP request, WebSocket
//     upgrade, handshake). At most MaxPendingPerIP (4) are pending per IP:
//     more are closed as soon as they are accepted. At most
//     MaxPendingInbound (64) are pending in all: at the bound, a new
//     connection takes the place of the oldest pending one of the address
//     group with the most pending connections, which is closed (and not
//     banned for the handshake it could not finish). The listener never
//     stops accepting, so sockets that send nothing cannot queue honest
//     peers behind them in the kernel backlog; they only make way for
//     newer ones. Peers in ExemptNetworks are not counted. What was
//     refused is logged as one line every 10 s (DefaultAcceptLogInterval),
//     not one per socket.
//   - Bans: an IP → expiry list. A connection that closes with a ban (its
//     peer.CloseReason.Ban, e.g. 10 s for a wrong network id, 300 s for a
//     rate-limit violation) bans the peer's IP unless it is localhost,
//     trusted (TrustedNodeIDs, TrustedNetworks) or exempt; a second ban
//     keeps the later expiry; banned IPs get HTTP 403 before the
//     WebSocket upgrade and are not dialled; expired bans are purged every
//     BanPurgeInterval (600 s). The clock is Config.Now.
//   - Routing: inbound messages go to the handler registered for their
//     type (Handle, or the PeerConfig template's Handlers).
//   - Broadcast: one message to every connection a Filter selects,
//     refusing types that expect a reply (protocol.BroadcastAllowed).
//   - Events: Connected and Disconnected, in order, to every Subscribe
//     callback; Snapshot gives every field of the RPC's get_connections.
//
// # What it does not do
//
// It does not choose whom to dial or keep an outbound target: package
// discovery does, through Dial, Peers, Subscribe and the counts. It keeps
// no address book (package addrman), maps no UPnP port, does not look up
// our public IP, and does not check the HARD_FORK_2 capability of inbound
// peers (inactive on every network; it needs the chain's peak). It does
// not pause accept() at 32 sockets as the reference's event-loop policy
// does: established peers are limited after their handshake, as the
// reference's own server code does, and connections still setting up
// by the accept pacing above.
//
// # Reference behaviours kept
//
//   - localhost means exactly 127.0.0.1 and ::1 (is_localhost), not all of
//     127.0.0.0/8: a peer connecting from 127.N.0.1 is banned and limited
//     like a remote one. Localhost and exempt peers have no rate limits
//     and are never banned.
//   - The limits and exemptions of should_accept_inbound, counted over
//     registered inbound connections of the peer's node type.
//   - Dial refuses a target with the host and handshake server_port of a
//     registered connection (is_duplicate_or_self_connection) and a banned
//     IP.
//   - get_connections' local_port is our server port (0 without a
//     listener) for both directions.
//
// # Where chianet differs
//
//   - Our own address is recognised exactly: the bound IP and port, or any
//     loopback address and "localhost" when listening on every interface,
//     rather than "localhost with our port", which misses a listener on
//     127.N.0.1 and refuses 127.0.0.1 with our port when we are bound
//     elsewhere.
//   - A second Dial to a target while one is under way is refused
//     (ErrDuplicate) instead of racing it.
//   - A peer reconnecting with the node id of a registered connection is
//     not refused by the inbound limit: the connection it replaces does not
//     count.
//   - A full inbound full-node table evicts (above) where the reference
//     refuses every newcomer, so that peers from one address group cannot
//     hold all the slots (Bitcoin Core's rule, adapted: its protections by
//     ping time and by novel blocks and transactions need measures the
//     Server does not have; the inbound side of a Chia connection sends
//     no pings, and without a chain an announcement's novelty is a claim,
//     which is why only a few peers are protected for it).
//     Config.NoEviction restores the reference's refusal.
//   - Broadcasting a request type returns ErrNotBroadcastable; the
//     reference also closes every connection of the node type with a ban.
//   - Bans are keyed by the unmapped IP (an IPv4 peer reaching a dual-stack
//     listener is the same host as over IPv4), a dial by host name is
//     checked against the ban list once its address is known, and a ban
//     stops refusing at its expiry whether or not it was purged yet.
//   - Close is bounded by a context, also ends accepted connections still
//     in their handshake, and reports every connection's Disconnected
//     event before it returns.
//   - The handshake timeout (InboundHandshakeTimeout for accepted peers,
//     PeerConfig.HandshakeTimeout) applies to every peer, localhost and
//     ExemptNetworks included; the reference gives those none, so a local
//     process holding connections open without a handshake could pin
//     them for ever.
//
// # Running many servers in one process
//
// Nothing is global: each Server has its own listener address (e.g.
// "127.N.0.1:0"), certificates, logger and clock, so an in-process network
// is a matter of starting many. Close waits for every goroutine a Server
// started, which lets tests check for leaks.
package server
