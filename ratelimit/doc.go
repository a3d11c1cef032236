// Package ratelimit decides whether a Chia peer message may pass the
// reference's rate limits (chia-blockchain chia/server/rate_limits.py,
// rate_limit_numbers.py and rate_limits_v3.py; transport spec §3.6 and §5).
// The numbers themselves are data in package protocol (RateLimitFor,
// WindowV3, AggregateMaxMessages, …); this package only applies them.
//
// It holds two kinds of state, both per connection:
//
//   - Limiter: the v1/v2 per-type and aggregate limits over fixed 60 s
//     buckets, for one direction. A connection has two: inbound and
//     outbound.
//   - Windows: the v3 in-flight accounting, used when both peers advertise
//     RATE_LIMITS_V3 (capability 7). It tracks our outbound requests
//     against the windows the peer announced in its ConfigureWindowSizes
//     (ParsePeerWindows checks that message) and the peer's requests
//     against our own windows (protocol.WindowV3).
//
// What it does not do: it starts no goroutines, does no I/O, never sleeps
// and never closes or bans anybody. It returns decisions; the peer layer
// acts on them. Time comes from an injected clock (Config.Now), so tests
// are deterministic.
//
// # How the peer layer uses it
//
// Selection, once per connection after the handshake (transport §5.1):
// Config.V2 is set when both peers' active capabilities contain
// RATE_LIMITS_V2, Config.V3 when both contain RATE_LIMITS_V3 (after the
// reference's inbound mirroring of capability 7).
//
//	direction   Limiter config                               on violation
//	inbound     Percent 100 (inbound_rate_limit_percent),    close (code 1000, no reason)
//	            CountRejected true                           and ban 300 s (protocol.RateLimiterBan)
//	outbound    Percent 30 (outbound_rate_limit_percent;     do not send; retry after 1 s,
//	            60 for the wallet), CountRejected false      except respond_peers, which is dropped
//
// Inbound, CountRejected makes a rejected message still use up quota, as
// the reference does for messages it has already received; outbound, a
// message we did not send uses none.
//
// With v3 active, the types of the v3 table skip the Limiter (Check
// returns nil for them when Config.V3 is set; V3Handled tells them apart)
// and go through Windows instead:
//
//	event                                Windows call           on false
//	peer's request of a v3 type arrives  BeginInbound           close and ban 300 s
//	  its handler returns                EndInbound
//	we send a request with an id         TryAcquireOutbound     requeue after 1 s
//	  its reply arrives or it times out  ReleaseOutbound
//
// The reference routes outbound v3 traffic by the peer's settings rather
// than by its own table: a message skips the outbound limiter only when
// it is a request with an id of a type the peer listed, or a reply with
// an id of a type the peer listed with window 0 (chia/server/ws_connection.py
// _send_message). A peer layer that wants that exact routing creates its
// outbound Limiter with V3 false and skips Check itself when
// Windows.PeerWindow reports the type as listed.
//
// Peers on localhost and in exempt_peer_networks are never limited in
// either direction: the caller simply does not call this package for them
// (the reference still takes v3 types off the v2 limiter for them, which
// is the same thing as not limiting them).
//
// Unknown message types: the peer layer must reject them before calling
// Check, as the reference does (disconnect and 10 s ban,
// INVALID_PROTOCOL_MESSAGE, in ws_connection.py _read_one_message). Check
// still answers a Violation with ReasonUnknownType for them, as a
// backstop; the reference's limiter itself would let them through
// uncounted, but it never sees one.
//
// Both Limiter and Windows are safe for concurrent use.
package ratelimit
