package peer

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chianet/chianet/internal/ws"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/ratelimit"
)

// Info describes a connected peer as its handshake and TLS certificate
// present it. It does not change after the handshake.
type Info struct {
	// NodeID is the peer's node id: the SHA-256 of its TLS certificate.
	NodeID protocol.Bytes32
	// NodeType is the node type the peer announced.
	NodeType protocol.NodeType
	// ProtocolVersion is the protocol_version the peer announced.
	ProtocolVersion string
	// SoftwareVersion is the peer's software_version with Unicode control
	// and format characters removed, as the reference stores it.
	SoftwareVersion string
	// ServerPort is the port the peer says it accepts connections on; 0
	// for none.
	ServerPort uint16
	// Capabilities are the peer's active capabilities.
	Capabilities protocol.CapabilitySet
	// LocalCapabilities are ours as announced on this connection, after
	// mirroring RATE_LIMITS_V3 for an accepted peer.
	LocalCapabilities protocol.CapabilitySet
	// RemoteAddr is the address of the peer's socket; the zero value if
	// it is not an IP address.
	RemoteAddr netip.AddrPort
	// Outbound is set when we dialled the peer.
	Outbound bool
	// Exempt is set when the peer was exempt from limits and bans.
	Exempt bool
	// TLSVersion is the TLS version negotiated with the peer
	// (tls.VersionTLS13 or tls.VersionTLS12); zero if unknown.
	TLSVersion uint16
}

// RateLimitsV3 reports whether both sides have RATE_LIMITS_V3 active, so
// the v3 windows apply and the ConfigureWindowSizes exchange took place.
func (i Info) RateLimitsV3() bool {
	return i.Capabilities.Intersect(i.LocalCapabilities).Has(protocol.CapRateLimitsV3)
}

// Stats are a connection's counters. Bytes count whole WebSocket
// messages (encoded Message, header included), handshake messages too.
type Stats struct {
	// BytesRead and BytesWritten count the bytes of whole messages.
	BytesRead, BytesWritten uint64
	// MessagesRead and MessagesWritten count binary messages.
	MessagesRead, MessagesWritten uint64
	// Created is when the connection was set up.
	Created time.Time
	// LastMessage is when the last binary message was received; the zero
	// Time if none was. WebSocket pings and pongs do not count.
	LastMessage time.Time
}

// Peer is one connection to a Chia peer, after a successful handshake. It
// is created by Dial or by a Handler. All methods are safe for concurrent
// use.
type Peer struct {
	cfg  Config
	log  *slog.Logger
	ws   ws.Conn
	info Info
	// handlerFns[handlerIdx[t]-1] handles type t; index 0 means no
	// handler. (A [256]HandlerFunc would take 2 KiB per connection.)
	handlerIdx [256]uint8
	handlerFns []HandlerFunc

	// Negotiated at the handshake. The limiters are nil for an exempt
	// peer, the windows without v3.
	v3, v2           bool
	expect           protocol.MessageType // the handshake's next message; 0 once it is over
	inLimit          *ratelimit.Limiter
	outLimit         *ratelimit.Limiter
	windows          *ratelimit.Windows
	errorReplies     bool // the peer gets Error (255) replies
	windowMu         sync.Mutex
	windowFreed      chan struct{} // closed and replaced when an outbound window slot frees
	idleApplies      bool
	pingApplies      bool
	handshakeTimeout time.Duration

	// Lifecycle. run (or the handshake path) owns shutdown: it picks the
	// first reason from errc or closeReq, stores it in reason, closes
	// closing, closes the WebSocket, waits on wg and closes done.
	errc      chan *CloseReason
	closeReq  chan *CloseReason
	closing   chan struct{}
	done      chan struct{}
	reason    *CloseReason
	ioCtx     context.Context // for heartbeat pings; cancelled after the close frame went out
	ioCancel  context.CancelFunc
	hctx      context.Context // handlers' context without a HandlerTimeout; cancelled at closing
	hcancel   context.CancelFunc
	wg        sync.WaitGroup
	finishing sync.Once

	// Requests: mu guards pending, timedOut and nextID.
	mu       sync.Mutex
	pending  map[uint16]chan protocol.Message
	timedOut map[uint16]struct{}
	nextID   uint16
	spare    atomic.Pointer[reqState] // see reqState
	inFlight chan struct{}            // semaphore of MaxInFlight
	handling chan struct{}            // semaphore of MaxHandlers

	// deadlines times out requests and handlers.
	deadlines deadlines

	// Outgoing queue, drained by writeLoop or written directly.
	out outQueue

	// Counters.
	created                       time.Time
	bytesRead, bytesWritten       atomic.Uint64
	messagesRead, messagesWritten atomic.Uint64
	lastMessage                   atomic.Int64 // unix nanoseconds of the last binary message, 0 = none
	lastReceived                  atomic.Int64 // unix nanoseconds of the last frame of any kind
}

// newPeer makes a Peer around a connection that is not open yet; the
// WebSocket is attached with attach.
func newPeer(cfg Config, outbound, exempt bool) *Peer {
	p := &Peer{
		cfg:         cfg,
		errc:        make(chan *CloseReason, 4),
		closeReq:    make(chan *CloseReason, 1),
		closing:     make(chan struct{}),
		done:        make(chan struct{}),
		pending:     make(map[uint16]chan protocol.Message),
		timedOut:    make(map[uint16]struct{}),
		inFlight:    make(chan struct{}, cfg.MaxInFlight),
		handling:    make(chan struct{}, cfg.MaxHandlers),
		windowFreed: make(chan struct{}),
		created:     time.Now(),
	}
	p.info.Outbound = outbound
	p.info.Exempt = exempt
	if !outbound {
		p.nextID = 1 << 15
	}
	p.ioCtx, p.ioCancel = context.WithCancel(context.Background())
	p.hctx, p.hcancel = context.WithCancel(context.Background())
	for t, h := range cfg.Handlers {
		if h == nil || t == protocol.MsgHandshake || t == protocol.MsgConfigureWindowSizes {
			continue
		}
		p.handlerFns = append(p.handlerFns, h)
		p.handlerIdx[t] = uint8(len(p.handlerFns)) // at most 254 types get here
	}
	p.handshakeTimeout = cfg.HandshakeTimeout
	p.log = cfg.Logger
	return p
}

// handler returns the handler of type t, nil if there is none.
func (p *Peer) handler(t protocol.MessageType) HandlerFunc {
	if i := p.handlerIdx[t]; i != 0 {
		return p.handlerFns[i-1]
	}
	return nil
}

// wsOptions returns the WebSocket settings of p: pings and pongs count as
// signs of life for the heartbeat, and until the handshake is over the
// only message read is a Handshake of its own size limit (checkHeader).
func (p *Peer) wsOptions() ws.Options {
	o := ws.Options{
		OnControl:   func() { p.lastReceived.Store(time.Now().UnixNano()) },
		ReadLimit:   handshakeReadLimit,
		CheckHeader: p.checkHeader,
	}
	if p.cfg.ReceiveBudget != nil {
		o.Budget = p.cfg.ReceiveBudget.b
	}
	return o
}

// handshakeReadLimit is the largest WebSocket message read before the
// handshake is over: a Handshake (or ConfigureWindowSizes) of its largest
// allowed size with an id, which the WebSocket library refuses at the
// frame header.
var handshakeReadLimit = protocol.MaxPayloadSize(protocol.MsgHandshake, false) + 8

// checkHeader decides on a message from its header alone, before anything
// is allocated for it. An unknown type, or a size over the type's limit,
// closes the connection as reading the message would have (the reference
// reads it first, then closes); until the handshake is over, so does any
// message but the one the handshake expects (p.expect).
func (p *Peer) checkHeader(typ uint8, size int) error {
	t := protocol.MessageType(typ)
	if p.expect != 0 {
		// The reference reads the handshake's messages like any other:
		// type check, then the v1 rate limiter (the v1 and v2 sizes of
		// these types are the same), and only then looks at the type.
		limit := protocol.MaxPayloadSize(t, false)
		switch {
		case !t.Known():
			return ProtocolViolation(protocol.ErrCodeInvalidProtocolMessage, protocol.InternalProtocolErrorBan,
				joinErr(ErrInvalidMessage, errUnknownType(t)))
		case size > limit && !p.info.Exempt:
			return BanClose(protocol.RateLimiterBan, joinErr(ErrRateLimited, &ratelimit.Violation{
				Type: t, Reason: ratelimit.ReasonMaxSize, Limit: int64(limit), Observed: int64(size)}))
		case t != p.expect:
			return invalidHandshake("expected %v, got %v", p.expect, t)
		case size > limit:
			// An exempt peer's, which the reference would read whole.
			return &CloseReason{Code: StatusMessageTooBig, Err: fmt.Errorf("%w: %v of %d bytes", ErrMessageTooBig, t, size)}
		}
		return nil
	}
	if !t.Known() {
		return ProtocolViolation(protocol.ErrCodeInvalidProtocolMessage, protocol.InternalProtocolErrorBan,
			joinErr(ErrInvalidMessage, errUnknownType(t)))
	}
	if p.info.Exempt || (p.v3 && ratelimit.V3Handled(t)) {
		return nil
	}
	if limit := protocol.MaxPayloadSize(t, p.v2); size > limit {
		p.log.Warn("peer announced a message over its type's size limit", "type", t, "size", size, "limit", limit)
		return BanClose(protocol.RateLimiterBan, joinErr(ErrRateLimited, &ratelimit.Violation{
			Type: t, Reason: ratelimit.ReasonMaxSize, Limit: int64(limit), Observed: int64(size)}))
	}
	return nil
}

// attach records the open WebSocket and what the TLS layer tells about
// the peer.
func (p *Peer) attach(c ws.Conn, id protocol.Bytes32, remote string) {
	p.ws = c
	p.info.NodeID = id
	p.info.TLSVersion = c.TLS().Version
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		p.info.RemoteAddr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	p.log = p.log.With("peer", remote, "node_id", shortID(id))
	p.lastReceived.Store(time.Now().UnixNano())
}

// shortID is the first 8 bytes of a node id in hex, for logs.
func shortID(id protocol.Bytes32) string { return hex.EncodeToString(id[:8]) }

// Info returns what the handshake told about the peer.
func (p *Peer) Info() Info { return p.info }

// Stats returns the connection's counters.
func (p *Peer) Stats() Stats {
	s := Stats{
		BytesRead:       p.bytesRead.Load(),
		BytesWritten:    p.bytesWritten.Load(),
		MessagesRead:    p.messagesRead.Load(),
		MessagesWritten: p.messagesWritten.Load(),
		Created:         p.created,
	}
	if n := p.lastMessage.Load(); n != 0 {
		s.LastMessage = time.Unix(0, n)
	}
	return s
}

// String returns the peer's address and node id, for logs.
func (p *Peer) String() string {
	return p.info.RemoteAddr.String() + "/" + shortID(p.info.NodeID)
}

// Close starts closing the connection with reason; nil means a plain close
// (code 1000, no reason text, no ban). It returns at once: wait on Done to
// know when every goroutine of the peer has stopped, then Err gives the
// reason that won (a close already under way keeps its own). Close is
// idempotent and may be called from a handler.
func (p *Peer) Close(reason *CloseReason) {
	if reason == nil {
		reason = NormalClose(nil)
	}
	select {
	case p.closeReq <- reason:
	default:
	}
}

// Done returns a channel that is closed when the connection is closed and
// all its goroutines, handlers included, have returned.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err returns nil while the connection is open and the *CloseReason once
// Done is closed.
func (p *Peer) Err() error {
	select {
	case <-p.done:
		return p.reason
	default:
		return nil
	}
}

// closedErr returns the close reason as an error; it may be called only
// once closing is closed.
func (p *Peer) closedErr() error { return p.reason }

// fail reports a reason from one of p's goroutines; the first wins.
func (p *Peer) fail(r *CloseReason) {
	select {
	case p.errc <- r:
	default:
	}
}

// run starts the read loop of an established connection and owns its
// shutdown. It returns when the peer is done.
//
// The heartbeat and the idle timeout are timers of run rather than
// goroutines of their own, and messages are written by a goroutine that
// exists only while some are queued (outbound.go), so an idle connection
// has two goroutines (run, readLoop); a heartbeat ping runs in a goroutine
// of its own only while it waits for its pong.
func (p *Peer) run() {
	p.wg.Add(1)
	go p.readLoop()
	var pingC, idleC <-chan time.Time
	var pingTimer, idleTimer *time.Timer
	if p.pingApplies {
		pingTimer = time.NewTimer(p.cfg.PingInterval)
		defer pingTimer.Stop()
		pingC = pingTimer.C
	}
	if p.idleApplies {
		idleTimer = time.NewTimer(p.cfg.IdleTimeout)
		defer idleTimer.Stop()
		idleC = idleTimer.C
	}
	var pong chan error // the result of the heartbeat ping in flight
	var pingLast int64  // lastReceived when that ping was sent
	var r *CloseReason
	for r == nil {
		select {
		case r = <-p.errc:
		case r = <-p.closeReq:
		case <-pingC:
			// After PingInterval without receiving anything, ping; no
			// pong nor anything else within PongTimeout drops the
			// connection.
			pingLast = p.lastReceived.Load()
			if wait := time.Duration(pingLast + int64(p.cfg.PingInterval) - time.Now().UnixNano()); wait > 0 {
				pingTimer.Reset(wait)
				continue
			}
			pingC, pong = nil, make(chan error, 1)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				ctx, cancel := context.WithTimeout(p.ioCtx, p.cfg.PongTimeout)
				defer cancel()
				pong <- p.ws.Ping(ctx)
			}()
		case err := <-pong:
			pong = nil
			if err != nil && p.lastReceived.Load() == pingLast {
				p.log.Debug("no pong from peer", "err", err)
				r = &CloseReason{Code: StatusAbnormal, Err: ErrPongTimeout}
				continue
			}
			pingTimer.Reset(p.cfg.PingInterval)
			pingC = pingTimer.C
		case <-idleC:
			// A full-node connection that sent no message for
			// IdleTimeout is closed.
			last := p.lastMessage.Load()
			if wait := time.Duration(last + int64(p.cfg.IdleTimeout) - time.Now().UnixNano()); wait > 0 {
				idleTimer.Reset(wait)
				continue
			}
			p.log.Debug("closing idle connection", "idle", p.cfg.IdleTimeout)
			r = NormalClose(ErrIdle)
		}
	}
	p.shutdown(r)
}

// shutdown closes the connection with r and waits for everything.
func (p *Peer) shutdown(r *CloseReason) {
	p.finishing.Do(func() {
		rc := *r
		if p.info.Exempt {
			rc.Ban = 0
		}
		p.reason = &rc
		close(p.closing)
		p.closeQueue()
		p.hcancel()
		p.deadlines.close()
		// Closing the WebSocket ends the read loop's read and any write
		// blocked on the socket.
		if rc.Remote {
			p.ws.Close(StatusAbnormal, "")
		} else {
			p.ws.Close(rc.Code, rc.Reason)
		}
		p.ioCancel()
		p.wg.Wait()
		lvl := slog.LevelDebug
		if rc.Ban > 0 {
			lvl = slog.LevelWarn
		}
		p.log.Log(context.Background(), lvl, "connection closed",
			"code", rc.Code, "reason", rc.Reason, "ban", rc.Ban, "remote", rc.Remote, "err", rc.Err)
		if p.cfg.OnClose != nil {
			p.cfg.OnClose(p, p.reason)
		}
		close(p.done)
	})
}

// readLoop is the connection's only reader from the handshake's end to
// its close: it reads, checks and routes every inbound message.
func (p *Peer) readLoop() {
	defer p.wg.Done()
	for {
		m, r := p.readMessage()
		if r == nil {
			r = p.route(m)
		}
		if r != nil {
			p.fail(r)
			return
		}
	}
}

// readMessage reads the next message and applies the checks of the
// reference's _read_one_message: framing, known type, and the inbound
// v1/v2 rate limit. It returns a reason to close on any failure.
func (p *Peer) readMessage() (protocol.Message, *CloseReason) {
	m, r := p.readFrame()
	if r != nil {
		return m, r
	}
	if p.info.Exempt || (p.v3 && ratelimit.V3Handled(m.Type)) {
		return m, nil
	}
	if err := p.inLimit.Check(m.Type, len(m.Data)); err != nil {
		p.log.Warn("peer exceeded the rate limit", "type", m.Type, "size", len(m.Data), "err", err)
		return m, BanClose(protocol.RateLimiterBan, joinErr(ErrRateLimited, err))
	}
	return m, nil
}

// readFrame reads one WebSocket message and parses it as a Message of a
// known type. It is shared with the handshake.
func (p *Peer) readFrame() (protocol.Message, *CloseReason) {
	binary, data, err := p.ws.Read()
	if err != nil {
		return protocol.Message{}, p.readError(err)
	}
	if !binary {
		p.log.Debug("unexpected WebSocket message type")
		return protocol.Message{}, NormalClose(ErrTextFrame)
	}
	now := time.Now().UnixNano()
	p.lastMessage.Store(now)
	p.lastReceived.Store(now)
	p.bytesRead.Add(uint64(len(data)))
	p.messagesRead.Add(1)
	m, err := protocol.DecodeMessage(data)
	if o := p.cfg.Observer; o != nil && err == nil {
		o.MessageReceived(m.Type, len(data))
	}
	if err == nil && !m.Type.Known() {
		err = errUnknownType(m.Type)
	}
	if err != nil {
		p.log.Debug("disconnecting peer for an invalid message", "err", err)
		return m, ProtocolViolation(protocol.ErrCodeInvalidProtocolMessage, protocol.InternalProtocolErrorBan,
			joinErr(ErrInvalidMessage, err))
	}
	return m, nil
}

// readError converts a failed read into a close reason.
func (p *Peer) readError(err error) *CloseReason {
	select {
	case <-p.closing:
		// Our own close interrupted the read; the reason is already set.
		return NormalClose(nil)
	default:
	}
	var ce *ws.CloseError
	var cr *CloseReason
	switch {
	case asErr(err, &cr): // checkHeader refused the message
		return cr
	case asErr(err, &ce):
		p.log.Debug("peer closed the connection", "code", ce.Code, "reason", ce.Reason)
		return &CloseReason{Code: ce.Code, Reason: ce.Reason, Remote: true, Err: ErrConnection}
	case err == ws.ErrTooBig:
		p.log.Warn("peer sent a message over the size limit", "limit", protocol.MaxMessageLen)
		return &CloseReason{Code: StatusMessageTooBig, Ban: protocol.RateLimiterBan, Err: ErrMessageTooBig}
	default:
		p.log.Debug("reading from peer failed", "err", err)
		return &CloseReason{Code: StatusAbnormal, Remote: true, Err: joinErr(ErrConnection, err)}
	}
}

// writeLoop sends queued messages in order until the queue is empty; see
// outQueue.
func (p *Peer) writeLoop() {
	defer p.wg.Done()
	for {
		it, ok := p.out.next()
		if !ok {
			return
		}
		if !p.writeItem(it) {
			p.closeQueue()
			return
		}
	}
}

// wrote counts a message written.
func (p *Peer) wrote(data []byte) {
	p.bytesWritten.Add(uint64(len(data)))
	p.messagesWritten.Add(1)
	if o := p.cfg.Observer; o != nil {
		o.MessageSent(protocol.MessageType(data[0]), len(data))
	}
}

// writeItem writes one message. It returns false when the connection
// failed (the failure is reported).
func (p *Peer) writeItem(it outItem) bool {
	if it.request && p.droppedTimedOut(it.id) {
		return true
	}
	err := p.ws.Write(it.data)
	if it.pooled {
		putSendBuffer(it.data)
	}
	if err != nil {
		select {
		case <-p.closing:
		default:
			p.log.Debug("writing to peer failed", "err", err)
			p.fail(&CloseReason{Code: StatusAbnormal, Remote: true, Err: joinErr(ErrConnection, err)})
		}
		return false
	}
	p.wrote(it.data)
	return true
}
