// Package metrics exposes a node's state and traffic to Prometheus: the
// connections by node type and direction, messages and bytes per message
// type and direction, request latency, rate-limit events, bans and
// handshake failures by reason, dial outcomes, the known and tried
// addresses, and the heaviest peak seen.
//
// A Metrics is fed by the layers below without them importing it: it is
// a peer.Observer (messages, requests), its Closed method is a
// peer.Config.OnClose (rate-limit events, bans, handshake failures) and
// its Dialed method a server.Config.OnDial (dial outcomes); connections,
// addresses and the peak are read at scrape time from the functions given
// in Sources, so nothing is counted twice or goes stale. Handler serves
// the registry in Prometheus' text format.
//
// What it does not do: it starts no server and imports no node; the
// node decides where (if anywhere) /metrics is served. Every name starts
// with "chianet_".
package metrics
