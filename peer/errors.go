package peer

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chianet/chianet/protocol"
)

// WebSocket close codes used on Chia connections (transport spec §6.5).
const (
	// StatusNormal (1000) is the reference's default close: normal
	// closes, refused inbound peers, rate-limit disconnects, idle peers.
	StatusNormal = 1000
	// StatusProtocolError (1002) closes after handshake failures, bad
	// messages and failed handlers; the reason is the decimal Err value.
	StatusProtocolError = 1002
	// StatusAbnormal (1006) is never sent: it stands for a connection
	// that ended without a close frame (a dropped socket, or a heartbeat
	// that got no pong).
	StatusAbnormal = 1006
	// StatusMessageTooBig (1009) closes after a message of
	// protocol.MaxMessageSize bytes or more.
	StatusMessageTooBig = 1009
	// StatusInternalError (1011) is the reference's close for a local
	// error.
	StatusInternalError = 1011
)

// ErrClosed is wrapped by every error a Peer returns because the
// connection is closed or closing. The error itself is the connection's
// *CloseReason, so errors.As gives the code, reason and ban.
var ErrClosed = errors.New("peer: connection closed")

// Causes recorded in CloseReason.Err. Each names one of the close actions
// of the transport spec; errors.Is tells them apart.
var (
	// ErrInvalidHandshake: the first message was not a valid Handshake,
	// the v3 ConfigureWindowSizes exchange failed, or the connection broke
	// during the handshake (close 1002 "-6", ban 10 s).
	ErrInvalidHandshake = errors.New("peer: invalid handshake")
	// ErrNetworkID: the peer's handshake named another network (close
	// 1002 "110", ban 10 s).
	ErrNetworkID = errors.New("peer: incompatible network id")
	// ErrHandshakeValue: the handshake had an unknown node type or a
	// protocol version that is not PEP 440 (close 1002 "1", ban 10 s;
	// the reference's ValueError).
	ErrHandshakeValue = errors.New("peer: invalid handshake value")
	// ErrHandshakeTimeout: the handshake did not complete in time
	// (inbound: close 1002 "-6", ban 10 s; outbound: plain close).
	ErrHandshakeTimeout = errors.New("peer: handshake timed out")
	// ErrInvalidMessage: a binary frame did not parse as a Message, or
	// its type is unknown (close 1002 "-4", ban 10 s).
	ErrInvalidMessage = errors.New("peer: invalid protocol message")
	// ErrTextFrame: the peer sent a non-binary WebSocket message (plain
	// close, no ban).
	ErrTextFrame = errors.New("peer: unexpected WebSocket message type")
	// ErrMessageTooBig: a WebSocket message reached
	// protocol.MaxMessageSize (close 1009, ban 300 s).
	ErrMessageTooBig = errors.New("peer: message too big")
	// ErrRateLimited: an inbound message broke the v1/v2 rate limits
	// (close 1000, ban 300 s). The *ratelimit.Violation is wrapped too.
	ErrRateLimited = errors.New("peer: rate limit exceeded")
	// ErrWindowExceeded: the peer had more requests of one type in
	// flight than our v3 window allows (close 1000, ban 300 s).
	ErrWindowExceeded = errors.New("peer: v3 window exceeded")
	// ErrNoHandler: an inbound message of a type with no handler, such as
	// a second handshake or a late ConfigureWindowSizes (close 1002 "1",
	// ban 10 s).
	ErrNoHandler = errors.New("peer: no handler for message type")
	// ErrSenderNotAllowed: the peer's node type may not send this message
	// type (close 1002 "1", ban 10 s).
	ErrSenderNotAllowed = errors.New("peer: node type may not send message type")
	// ErrHandlerFailed: a handler returned an error, or an unsolicited
	// Error (255) did not decode (close 1002 "1", ban 10 s).
	ErrHandlerFailed = errors.New("peer: handler failed")
	// ErrWrongReply: a reply's type is not valid for its request (close
	// 1002 "-4", ban 10 s). Request returns a *ReplyTypeError.
	ErrWrongReply = errors.New("peer: wrong reply type")
	// ErrPongTimeout: the heartbeat ping got no pong in time (no close
	// frame, code 1006, no ban).
	ErrPongTimeout = errors.New("peer: no pong")
	// ErrIdle: a full node sent no message for the idle timeout (plain
	// close, no ban).
	ErrIdle = errors.New("peer: idle")
	// ErrNoRequestIDs: every request id of our half of the id space is
	// pending or timed out (plain close, no ban).
	ErrNoRequestIDs = errors.New("peer: no available request ids")
	// ErrSelfConnection: the peer's node id is our own (plain close).
	ErrSelfConnection = errors.New("peer: connected to self")
	// ErrRefused: the owner's Accept hook refused the peer (plain close,
	// no ban).
	ErrRefused = errors.New("peer: refused by owner")
	// ErrConnection: reading or writing the connection failed, or the
	// peer closed it.
	ErrConnection = errors.New("peer: connection lost")
)

// Errors returned to callers of Request, Send and Dial.
var (
	// ErrRequestTimeout: no reply arrived within Config.RequestTimeout.
	// The error returned also wraps context.DeadlineExceeded.
	ErrRequestTimeout = errors.New("peer: request timed out")
	// ErrEmptyReply: the reply had no data, which the reference treats as
	// no reply at all.
	ErrEmptyReply = errors.New("peer: empty reply")
	// ErrDropped: the message was not sent because it exceeded our own
	// outbound rate limit and is of a type that is dropped rather than
	// delayed (respond_peers).
	ErrDropped = errors.New("peer: message dropped by outbound rate limit")
	// ErrTooLarge: the message to send encodes to more than
	// protocol.MaxMessageLen (the reference refuses a message of
	// protocol.MaxMessageSize bytes or more).
	ErrTooLarge = errors.New("peer: message too large to send")
	// ErrUnknownType: the message to send has a type the reference does
	// not know.
	ErrUnknownType = errors.New("peer: unknown message type")
	// ErrNotAllowedSender: our node type may not send the message's type
	// (protocol.SenderAllowed), which the peer would answer with a close
	// and a 10 s ban. Nothing is sent and the connection stays open. The
	// error returned is a *NotAllowedSenderError.
	ErrNotAllowedSender = errors.New("peer: our node type may not send message type")
)

// NotAllowedSenderError is returned by Send, SendMessage, Request and the
// request helpers for a message type our node type (Config.NodeType) may
// not send. It wraps ErrNotAllowedSender.
type NotAllowedSenderError struct {
	// Type is the message type refused.
	Type protocol.MessageType
	// NodeType is our node type.
	NodeType protocol.NodeType
}

// Error returns e.g. "peer: node type WALLET may not send new_peak".
func (e *NotAllowedSenderError) Error() string {
	return fmt.Sprintf("peer: node type %v may not send %v", e.NodeType, e.Type)
}

// Unwrap returns ErrNotAllowedSender.
func (e *NotAllowedSenderError) Unwrap() error { return ErrNotAllowedSender }

// CloseReason says why a connection ended: what went over the wire, what
// the owner should do about the peer, and what caused it. It is the error
// returned by Err once Done is closed, by Dial when the handshake fails,
// and by every call pending at close; it wraps ErrClosed and Err.
type CloseReason struct {
	// Code is the WebSocket close code: the one we sent or, when Remote
	// is set, the one the peer sent. StatusAbnormal means no close frame
	// was exchanged.
	Code int
	// Reason is the close reason text: empty, or the decimal value of a
	// reference Err code ("-6", "110"); see ErrCode.
	Reason string
	// Ban is how long the owner should refuse the peer's address, as the
	// reference would ban it; zero means no ban. It is always zero for a
	// peer created with Exempt set. The owner applies it (it may still
	// skip trusted peers).
	Ban time.Duration
	// Remote is set when the peer closed the connection (or it broke)
	// rather than us.
	Remote bool
	// Err is the cause: one of the Err… values of this package, possibly
	// wrapping more detail, or whatever a handler or the owner gave.
	// Nil for a plain Close.
	Err error
}

// Error describes the close, e.g. `peer: closed (1002 "-4", ban 10s):
// peer: invalid protocol message: …`.
func (r *CloseReason) Error() string {
	s := "peer: closed ("
	if r.Remote {
		s = "peer: closed by peer ("
	}
	s += strconv.Itoa(r.Code)
	if r.Reason != "" {
		s += " " + strconv.Quote(r.Reason)
	}
	if r.Ban > 0 {
		s += ", ban " + r.Ban.String()
	}
	s += ")"
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// Unwrap returns ErrClosed and Err, so errors.Is(err, ErrClosed) holds for
// every close.
func (r *CloseReason) Unwrap() []error {
	if r.Err == nil {
		return []error{ErrClosed}
	}
	return []error{ErrClosed, r.Err}
}

// ErrCode returns the reference Err code carried in Reason, if any.
func (r *CloseReason) ErrCode() (protocol.ErrCode, bool) {
	return protocol.ParseCloseReason(r.Reason)
}

// NormalClose returns the reason of a plain close: code 1000, no reason
// text, no ban.
func NormalClose(cause error) *CloseReason {
	return &CloseReason{Code: StatusNormal, Err: cause}
}

// ProtocolViolation returns the reason the reference closes with for a
// protocol error: code 1002, the decimal value of code as reason text, and
// the given ban.
func ProtocolViolation(code protocol.ErrCode, ban time.Duration, cause error) *CloseReason {
	return &CloseReason{Code: StatusProtocolError, Reason: code.CloseReason(), Ban: ban, Err: cause}
}

// BanClose returns the reason of a plain close (code 1000, no reason
// text) with a ban, as the reference uses after rate-limit violations and
// unsolicited blocks.
func BanClose(ban time.Duration, cause error) *CloseReason {
	return &CloseReason{Code: StatusNormal, Ban: ban, Err: cause}
}

// APIError is an Error (255) message as a Go error. A Request whose reply
// is an Error returns it; a handler that returns one makes the peer send
// it as the reply (only to peers whose protocol version is at least
// 0.0.35, as the reference does; older peers get no reply).
type APIError struct {
	// Code is the reference Err value.
	Code int16
	// Message describes the error.
	Message string
	// Data is optional extra data; nil means none.
	Data []byte
}

// Error returns e.g. "peer: api error 1: unknown".
func (e *APIError) Error() string {
	return "peer: api error " + strconv.Itoa(int(e.Code)) + ": " + e.Message
}

// payload returns e as the wire Error payload.
func (e *APIError) payload() *protocol.Error {
	p := &protocol.Error{Code: e.Code, Message: e.Message}
	if e.Data != nil {
		d := e.Data
		p.Data = &d
	}
	return p
}

// apiErrorFrom converts a received Error payload.
func apiErrorFrom(p *protocol.Error) *APIError {
	e := &APIError{Code: p.Code, Message: p.Message}
	if p.Data != nil {
		e.Data = *p.Data
	}
	return e
}

// ReplyTypeError is returned by Request when the peer answered with a type
// that is not a valid reply to the request (the reference's
// message_response_ok). The connection is closed with 1002 "-4" and a
// 10 s ban.
type ReplyTypeError struct {
	// Request is the type of the request we sent.
	Request protocol.MessageType
	// Reply is the type the peer answered with.
	Reply protocol.MessageType
}

// Error returns e.g. "peer: request_peers answered with respond_block".
func (e *ReplyTypeError) Error() string {
	return fmt.Sprintf("peer: %v answered with %v", e.Request, e.Reply)
}

// Unwrap returns ErrWrongReply.
func (e *ReplyTypeError) Unwrap() error { return ErrWrongReply }

// RejectError is returned by the typed request helpers when the peer
// answered with a rejection (reject_block, reject_coin_state, …) instead
// of the data asked for.
type RejectError struct {
	// Type is the rejection's message type.
	Type protocol.MessageType
	// Payload is the decoded rejection, e.g. *protocol.RejectBlock.
	Payload protocol.Value
}

// Error returns e.g. "peer: request rejected with reject_block".
func (e *RejectError) Error() string { return "peer: request rejected with " + e.Type.String() }
