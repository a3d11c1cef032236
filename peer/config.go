package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/chianet/chianet/internal/ws"
	"github.com/chianet/chianet/protocol"
)

// DefaultSoftwareVersion is the Handshake.software_version sent when
// Config.SoftwareVersion is empty: the reference release whose behaviour
// this package follows. Reference full nodes parse it (below 2.6.0, or
// unparsable, marks an "old peer"), so it should stay a PEP 440 version.
const DefaultSoftwareVersion = "2.7.3"

// Defaults of the zero Config fields (transport spec §1.6, §3.3, §4.3).
const (
	// DefaultRequestTimeout is the reference's call_api timeout.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultInboundHandshakeTimeout is the reference's
	// peer_connect_timeout, applied to accepted peers' handshakes.
	DefaultInboundHandshakeTimeout = 30 * time.Second
	// DefaultOutboundHandshakeTimeout is the reference's
	// outbound_handshake_timeout.
	DefaultOutboundHandshakeTimeout = 120 * time.Second
	// DefaultConnectTimeout is the reference's peer_connect_timeout,
	// applied to the connection setup of Dial.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultHandlerTimeout is the reference's timeout of an inbound call.
	DefaultHandlerTimeout = 600 * time.Second
	// DefaultPingInterval is the reference dialer's aiohttp heartbeat.
	DefaultPingInterval = 60 * time.Second
	// DefaultPongTimeout is half the heartbeat, as aiohttp waits.
	DefaultPongTimeout = 30 * time.Second
	// DefaultIdleTimeout is the reference's inactivity limit for
	// full-node connections.
	DefaultIdleTimeout = 1800 * time.Second
	// DefaultMaxInFlight caps our outstanding requests per connection.
	DefaultMaxInFlight = 4096
	// DefaultMaxHandlers caps the handlers running per connection.
	DefaultMaxHandlers = 256
)

// outboundRetryInterval is how long a message held back by our own
// outbound v1/v2 limit waits before it is checked again (the reference
// requeues after 1 s).
const outboundRetryInterval = time.Second

// HandlerFunc handles one inbound message that is not a reply to one of
// our requests. It runs in its own goroutine; up to Config.MaxHandlers run
// at once. ctx is cancelled when the connection closes or after
// Config.HandlerTimeout.
//
// It returns the reply to send, or nil to send none. The reply's id is
// set by the peer from msg (an id-less request gets an id-less reply), so
// only its Type and Data matter; see Reply. The error decides what else
// happens:
//
//   - nil: nothing.
//   - *APIError: an Error (255) reply is sent instead of reply, if the
//     peer's protocol version is at least 0.0.35.
//   - *CloseReason: the connection is closed with it (for example a 600 s
//     ban for a consensus error, see BanClose and ProtocolViolation).
//   - anything else: the connection is closed with 1002 "1" and a 10 s
//     ban, as the reference does when a handler raises.
//
// msg.Data is not shared with anything else and may be kept.
type HandlerFunc func(ctx context.Context, p *Peer, msg protocol.Message) (reply *protocol.Message, err error)

// Reply builds a reply for a HandlerFunc to return: a message of type t
// carrying payload.
func Reply(t protocol.MessageType, payload protocol.Value) (*protocol.Message, error) {
	m, err := protocol.MakeMessage(t, payload)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// Config configures one connection. The zero value of every field but
// NetworkID (and TLS for Dial) has a documented default. A Config may be
// reused for many connections; the peer copies what it needs and never
// modifies it.
type Config struct {
	// NetworkID is the network name sent in and required of handshakes,
	// e.g. "mainnet" or "testnet11". Required.
	NetworkID string
	// NodeType is our node type. Zero means protocol.NodeFullNode.
	NodeType protocol.NodeType
	// SoftwareVersion is our Handshake.software_version. Empty means
	// DefaultSoftwareVersion.
	SoftwareVersion string
	// ServerPort is the port we accept connections on, announced in the
	// handshake; zero means we accept none (as wallets announce).
	ServerPort uint16
	// Capabilities is our handshake capability list. Nil means
	// protocol.DefaultCapabilities(NodeType).
	Capabilities []protocol.HandshakeCapability
	// RateLimitsV3 adds RATE_LIMITS_V3 (7, "1") to Capabilities (the
	// reference's rate_limits >= 3 setting). An accepted peer that
	// advertises it gets it mirrored whatever this says.
	RateLimitsV3 bool
	// TLS is the client TLS configuration for Dial, e.g. from
	// chiatls.Tree.ClientConfig. Required by Dial, unused by Handler (the
	// listener's TLS is the http.Server's).
	TLS *tls.Config
	// NodeID is our own node id. A peer with the same id is refused as a
	// self-connection. Zero means: Dial takes it from the first
	// certificate of TLS; Handler does not check.
	NodeID protocol.Bytes32
	// Exempt marks the peer of a Dial as localhost or inside the exempt
	// networks: no rate limits or v3 windows in either direction, and a
	// zero CloseReason.Ban. The handshake timeout still applies. The
	// caller decides
	// (the reference: localhost and exempt_peer_networks). Handler uses
	// Handler.Exempt instead.
	Exempt bool
	// Handlers maps the message types we handle to their handlers. A
	// message of any other type that is not a reply to our request closes
	// the connection (1002 "1", ban 10 s), as in the reference, so
	// register a handler (Ignore will do) for everything the peer may
	// announce. Entries for handshake and configure_window_sizes are
	// ignored: those are only valid during the handshake. The map is read
	// when the connection starts; later changes are not seen.
	Handlers map[protocol.MessageType]HandlerFunc

	// RequestTimeout bounds every Request, on top of its context. Zero
	// means DefaultRequestTimeout (the reference's 60 s); negative means
	// only the context bounds it.
	RequestTimeout time.Duration
	// HandshakeTimeout bounds the handshake, ConfigureWindowSizes
	// exchange included. Zero means DefaultInboundHandshakeTimeout for
	// accepted peers and DefaultOutboundHandshakeTimeout for dialled ones;
	// negative means none. It applies to exempt peers too.
	HandshakeTimeout time.Duration
	// ConnectTimeout bounds the TCP, TLS and WebSocket setup of Dial.
	// Zero means DefaultConnectTimeout; negative means only ctx bounds it.
	ConnectTimeout time.Duration
	// HandlerTimeout bounds each handler through its context. Zero means
	// DefaultHandlerTimeout (the reference's 600 s); negative means none.
	HandlerTimeout time.Duration
	// MaxInFlight caps our requests awaiting replies; further Requests
	// wait for a slot. Zero means DefaultMaxInFlight.
	MaxInFlight int
	// MaxHandlers caps the handlers running at once; while all are busy
	// the connection reads nothing more. Zero means DefaultMaxHandlers.
	MaxHandlers int
	// PingInterval is how long a dialled connection may go without
	// receiving anything before it sends a WebSocket ping (the
	// reference's aiohttp heartbeat). Accepted connections never ping.
	// Zero means DefaultPingInterval; negative turns the heartbeat off.
	PingInterval time.Duration
	// PongTimeout is how long the heartbeat waits for a pong (or any
	// other data) before dropping the connection. Zero means
	// DefaultPongTimeout.
	PongTimeout time.Duration
	// IdleTimeout closes a connection to a FULL_NODE peer that has sent
	// no message for that long, when our NodeType is FULL_NODE or WALLET.
	// WebSocket pings and pongs do not count. Zero means
	// DefaultIdleTimeout; negative turns it off.
	IdleTimeout time.Duration
	// InboundRateLimitPercent scales the inbound v1/v2 limits. Zero means
	// protocol.InboundRateLimitPercent (100).
	InboundRateLimitPercent int
	// OutboundRateLimitPercent scales our own outbound v1/v2 limits.
	// Zero means protocol.OutboundRateLimitPercent (30), or
	// protocol.WalletOutboundRateLimitPercent (60) for a wallet.
	OutboundRateLimitPercent int

	// Logger receives the connection's log records, with the peer's
	// address and node id attached. Remote misbehaviour is logged at
	// debug or warn level. Nil discards.
	Logger *slog.Logger
	// DialContext opens the TCP connection of Dial, for example from a
	// chosen local address (a node bound to one address of a multi-homed
	// host, or many nodes on 127.0.0.0/8 in one process). Nil means a
	// net.Dialer with no local address.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// OnClose, if set, is called once for every connection that got past
	// the WebSocket upgrade, failed handshakes included, after all of its
	// goroutines have stopped and before Done is closed. The reason's Ban
	// is how the owner learns whom to ban.
	OnClose func(p *Peer, reason *CloseReason)

	// ReceiveBudget, if set, bounds the memory of the large messages
	// being received on every connection that shares it (see
	// ReceiveBudget). Nil means each connection is bounded only by
	// protocol.MaxMessageSize.
	ReceiveBudget *ReceiveBudget

	// Observer, if set, is told of every message and request of the
	// connection, for metrics. Its methods are called from the
	// connection's goroutines and must be quick.
	Observer Observer

	// lib is the WebSocket library; nil means ws.Gorilla. The benchmarks
	// set it (export_test.go) to compare libraries under the same code.
	lib ws.Library
}

// withDefaults returns a copy of c with the zero fields filled in.
// outbound selects the handshake-timeout default.
func (c Config) withDefaults(outbound bool) Config {
	if c.NodeType == 0 {
		c.NodeType = protocol.NodeFullNode
	}
	if c.SoftwareVersion == "" {
		c.SoftwareVersion = DefaultSoftwareVersion
	}
	if c.Capabilities == nil {
		c.Capabilities = protocol.DefaultCapabilities(c.NodeType)
	} else {
		c.Capabilities = append([]protocol.HandshakeCapability(nil), c.Capabilities...)
	}
	if c.RateLimitsV3 && !protocol.ActiveCapabilities(c.Capabilities).Has(protocol.CapRateLimitsV3) {
		c.Capabilities = append(c.Capabilities, protocol.HandshakeCapability{
			Capability: uint16(protocol.CapRateLimitsV3), Value: protocol.CapabilityEnabled,
		})
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultInboundHandshakeTimeout
		if outbound {
			c.HandshakeTimeout = DefaultOutboundHandshakeTimeout
		}
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.HandlerTimeout == 0 {
		c.HandlerTimeout = DefaultHandlerTimeout
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxHandlers <= 0 {
		c.MaxHandlers = DefaultMaxHandlers
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = DefaultPongTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.InboundRateLimitPercent <= 0 {
		c.InboundRateLimitPercent = protocol.InboundRateLimitPercent
	}
	if c.OutboundRateLimitPercent <= 0 {
		c.OutboundRateLimitPercent = protocol.OutboundRateLimitPercent
		if c.NodeType == protocol.NodeWallet {
			c.OutboundRateLimitPercent = protocol.WalletOutboundRateLimitPercent
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.lib == nil {
		c.lib = ws.Gorilla
	}
	return c
}

// validate reports a Config that cannot work.
func (c *Config) validate() error {
	switch {
	case c.NetworkID == "":
		return errors.New("peer: Config.NetworkID is required")
	case !c.NodeType.Valid():
		return errors.New("peer: Config.NodeType is not a valid node type")
	case len(c.SoftwareVersion) > protocol.MaxVersionStringBytes:
		return errors.New("peer: Config.SoftwareVersion is longer than 128 bytes")
	}
	return nil
}

// Ignore is a HandlerFunc that accepts a message and does nothing, for
// announcements we do not care about but must not be disconnected for.
func Ignore(context.Context, *Peer, protocol.Message) (*protocol.Message, error) { return nil, nil }

// ReceiveBudget bounds the memory of the messages being received across
// the connections that share it, so that many peers sending large
// messages slowly cannot make a node hold many times
// protocol.MaxMessageSize. A message of 64 KiB or more reserves the size
// its header announces before anything is allocated for it, and gives it
// back once it has arrived whole; while the budget is spent, such a
// message waits (its connection reads nothing meanwhile, so its sender is
// held back by TCP) until bytes are given back or the connection closes.
// Smaller messages take nothing from it: a connection reads one message at
// a time, so they hold at most 64 KiB each. A single message larger than
// the whole budget still goes through when nothing else is reserved.
//
// The memory of messages being received is thus at most the budget plus
// 64 KiB per connection (plus, for a budget below protocol.MaxMessageSize,
// one message of up to that size). A ReceiveBudget is safe for concurrent
// use.
type ReceiveBudget struct{ b *ws.Budget }

// NewReceiveBudget returns a budget of the given number of bytes.
func NewReceiveBudget(bytes int64) *ReceiveBudget {
	return &ReceiveBudget{b: ws.NewBudget(bytes)}
}

// Used returns the bytes reserved now by messages being received.
func (r *ReceiveBudget) Used() int64 { return r.b.Used() }

// Observer watches the traffic of connections, for metrics. One Observer
// may serve many connections, concurrently.
type Observer interface {
	// MessageReceived is called for every Message received: its type and
	// encoded size (header included).
	MessageReceived(t protocol.MessageType, size int)
	// MessageSent is called for every Message written.
	MessageSent(t protocol.MessageType, size int)
	// RequestDone is called when a Request of type t ends after d, with
	// its error (nil for a reply).
	RequestDone(t protocol.MessageType, d time.Duration, err error)
}
