// Package peer is one connection to a Chia peer, compatible with the
// reference implementation (chia-blockchain's WSChiaConnection): the
// WebSocket over mutual TLS at wss://host:port/ws, the handshake, the
// RATE_LIMITS_V3 ConfigureWindowSizes exchange, request ids and replies,
// timeouts, handler dispatch with the reference's checks, rate limits,
// the heartbeat, and closing with the reference's close codes and bans.
//
// Dial connects to a peer; a Handler (an http.Handler for the "/ws"
// route of a TLS http.Server) accepts them. Either way the result is a
// *Peer after a successful handshake, whose Info, Request, Send and
// typed helpers (RequestPeers, RequestBlock, RequestCoinState, …) the
// owner uses, and which calls the Config.Handlers for inbound messages.
//
// What it does not do: it knows nothing about other connections. Keeping
// the set of peers, inbound limits per node type, deduplication by node
// id, the ban list, trusted and exempt networks, and choosing whom to dial
// belong to the server package one layer up. The peer reports what the
// reference would do — a CloseReason with a Ban duration, through
// Config.OnClose and Err — and takes the owner's decisions through
// Config.Exempt / Handler.Exempt, Handler.Admit and Handler.Accept.
//
// # Message flow
//
//	phase            dialer                                   listener
//	upgrade          GET /ws (TLS 1.3, client certificate)    Admit(node id) → 101, or 403
//	handshake        Handshake(own type's protocol_version,
//	                 own capabilities) ───────────────────────►
//	                                                          validate; reply Handshake(the
//	                 ◄─────────────────────────────────────── dialer type's protocol_version,
//	                                                          capabilities + mirrored 7)
//	                 validate
//	v3 exchange      (only if both have RATE_LIMITS_V3)
//	                 ConfigureWindowSizes ─────────────────►  ◄── ConfigureWindowSizes
//	                 (each side sends first, then reads the other's; both checked)
//	accept                                                    Accept(p): nil → serve; error → close 1000
//	requests         request, id 0–32767 ─────────────────►   handler → reply with the same id
//	                 ◄──────── reply with the same id          request, id 32768–65535
//	                 an id-less request gets an id-less reply, dispatched by its type
//	heartbeat        after 60 s without data: WebSocket ping; no pong in 30 s → drop
//	close            close frame (code, reason) ◄────────────► echoed; Ban reported to the owner
//
// Every inbound message is routed like the reference's: a reply to one of
// our pending requests goes to its caller, a late reply to a timed-out one
// is dropped, anything else is a new inbound call for its handler.
//
// A message whose type our node type may not send (protocol.SenderAllowed),
// which the peer would answer with a close and a 10 s ban, is refused
// before it is queued: Send and Request return a *NotAllowedSenderError,
// and such a handler reply is logged and not sent.
//
// # Close actions
//
// Each failure closes the connection as the reference does (transport
// spec §1.1, §3.3, §4.2, §4.5, §5.3, §6.5). Code and reason are what the
// peer receives; Ban is reported in the CloseReason (zero for Exempt
// peers).
//
//	failure                                          code  reason  ban
//	handshake: not a handshake, undecodable, v3      1002  "-6"    10 s
//	  exchange failed, software_version > 128 bytes
//	handshake: another network_id                    1002  "110"   10 s
//	handshake: unknown node type, protocol_version   1002  "1"     10 s
//	  not PEP 440
//	handshake timeout, inbound (30 s)                1002  "-6"    10 s
//	handshake timeout, outbound (120 s)              1000  ""      —
//	frame not a Message, unknown message type        1002  "-4"    10 s
//	text (non-binary) frame                          1000  ""      —
//	message of 50 MiB or more                        1009  ""      300 s
//	inbound v1/v2 rate limit or per-type max size    1000  ""      300 s
//	  (handshake messages too: 10 KiB for a Handshake)
//	inbound v3 window exceeded                       1000  ""      300 s
//	no handler for the type (a second handshake, a   1002  "1"     10 s
//	  late ConfigureWindowSizes), sender type not
//	  allowed, handler returned an error, an
//	  unsolicited error (255) that does not decode
//	reply type not valid for the request             1002  "-4"    10 s
//	no pong within 30 s of a heartbeat ping          (no close frame; 1006)
//	full-node peer silent for 1,800 s                1000  ""      —
//	owner refused the peer (Accept)                  1000  ""      —
//
// A read failure during the handshake (a bad frame, a close by the peer)
// keeps the close of the read path but bans for at least 10 s, because
// the reference then also fails the handshake.
//
// # Concurrency
//
// Each connection has one reader for its whole life, as go-ethereum's
// p2p peers do: run starts readLoop and owns shutdown. readLoop reads
// every message; a reply goes to the channel of the Request waiting for
// it, and an inbound call starts its handler on a goroutine of its own
// (at most Config.MaxHandlers at once; while all are busy the read loop
// waits for one). Writes go through a FIFO queue: a sender writes itself
// when nothing else is being written, otherwise a write goroutine, which
// exists only while the queue is not empty, drains it. run also keeps the
// heartbeat and idle timers (a heartbeat ping waits for its pong on a
// goroutine of its own); the first error reported by the read loop, a
// writer or a timer, or the first Close, wins: run closes the WebSocket
// with that reason (which ends the read loop's read), cancels the
// handlers' contexts, waits for every goroutine and then closes Done.
// Dialled and accepted connections behave the same; an accepted peer's
// goroutines are its own (Handler.ServeHTTP returns once it is accepted).
// An idle connection has two goroutines: run and readLoop.
//
// One mutex owns the request-id map; each request has its own reply
// channel, and every pending Request returns the CloseReason, which
// wraps ErrClosed, when the connection closes. Request and handler
// timeouts share one timer per connection, armed for the earliest
// deadline (timeouts.go), and large outgoing messages are encoded into
// pooled buffers (sendbuf.go). All methods of Peer are safe for concurrent
// use; calls that can block take a context. Time comes from the time
// package alone, so tests run the package in testing/synctest bubbles.
//
// The WebSocket library (github.com/gorilla/websocket, chosen over
// github.com/coder/websocket by the benchmarks recorded in BENCHMARKS.md)
// is used only through the small interface of internal/ws.
//
// # Where chianet differs from the reference
//
// The wire behaviour above is the reference's. These are the deliberate
// differences in how it is reached:
//
//   - The whole handshake is validated before the listener replies. The
//     reference sends its reply and only then rejects a protocol_version
//     that is not PEP 440; the close code, reason and ban are the same.
//   - Our own outbound limits delay the sender's goroutine, bounded by
//     its context and Config.RequestTimeout, instead of dropping the
//     message and re-queueing it from an untracked task every second. A
//     request waiting for a v3 window slot is woken when a slot frees
//     rather than polling; v1/v2 excess is re-checked every second.
//     respond_peers is still dropped, as in the reference.
//   - Idle full-node connections are closed by a per-connection timer at
//     exactly Config.IdleTimeout, not by a sweep every 600 s (which closes
//     them anywhere between 1,800 and 2,400 s).
//   - The heartbeat is configurable (Config.PingInterval, PongTimeout)
//     with the reference's aiohttp values as defaults; the reference's
//     ping_interval setting, which it reads but never uses, has no
//     counterpart.
//   - Requests in flight (Config.MaxInFlight) and running handlers
//     (Config.MaxHandlers) are capped; the reference bounds neither.
//   - A handler's reply whose type is not valid for the request is not
//     sent (it would get us banned) and is logged as a local error.
//   - A self-connection is refused before the WebSocket upgrade (HTTP 403)
//     when Config.NodeID is set, instead of upgrading and dropping it.
//   - The listener never negotiates permessage-deflate (the reference's
//     server would accept it if offered; no Chia client offers it).
//   - The reference sends every message as one frame. An accepted
//     connection sends a message over 16 MiB (internal/ws MaxFrame) in
//     frames of at most 16 MiB, because Rust light clients on tungstenite
//     (chia-wallet-sdk) refuse larger frames; smaller messages go out as
//     one frame. A dialled connection, which must mask what it sends,
//     sends messages over 64 KiB in frames of 64 KiB (the WebSocket
//     library's write buffer). Every receiver reassembles fragments.
//   - Bans are not applied here: they are reported to the owner, who
//     keeps the ban list.
//   - Messages are judged by their headers before they are read, with the
//     close the reference makes once it has read them: an unknown type
//     (1002 "-4"), a size over the type's limit (1000, ban 300 s, as its
//     rate limiter does) and, during the handshake, any type but the one
//     expected (1002 "-6"). Until the handshake is over a WebSocket frame
//     over 10 KiB (a Handshake's limit) is refused at its frame header
//     with 1009 and a 300 s ban, where the reference reads up to 50 MiB
//     and closes with 1000; after it, a frame or a Message announcing
//     50 MiB or more is refused at its header (1009, ban 300 s). Exempt
//     peers, whom the reference does not rate limit, are still held to
//     these sizes during the handshake (1009, no ban).
//   - Config.ReceiveBudget bounds what the large messages being received
//     hold across connections; the reference has no such bound.
//   - The handshake timeout applies to exempt peers too (localhost and
//     exempt_peer_networks, Config.Exempt and Handler.Exempt), which the
//     reference leaves without one: a local process that connects and
//     never completes its handshake is closed like any other. The close
//     has the same code and reason, and no ban, as ever for them.
package peer
