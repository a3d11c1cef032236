package peer

import (
	"context"
	"errors"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// route delivers an inbound message for the read loop: a reply to a
// pending request goes to its waiter, a late reply to a timed-out one is
// dropped, anything else is a new inbound call (the reference's
// _route_incoming_message).
func (p *Peer) route(m protocol.Message) *CloseReason {
	if p.deliver(m) {
		return nil
	}
	return p.dispatch(m)
}

// dispatch applies the checks of the reference's _api_call to an inbound
// call, in its order, and starts its handler on a goroutine of its own:
//
//  1. an unsolicited Error (255) is logged and dropped, or, if it does
//     not decode, closes the connection (1002 "1", ban 10 s);
//  2. a type without a handler, and
//  3. a type the peer's node type may not send, close the connection
//     (1002 "1", ban 10 s);
//  4. with v3 active, a request over our window for its type closes the
//     connection with a 300 s ban.
//
// While Config.MaxHandlers handlers run, it waits for one to finish, so
// the read loop reads nothing more meanwhile.
func (p *Peer) dispatch(m protocol.Message) *CloseReason {
	if m.Type == protocol.MsgError {
		var e protocol.Error
		if err := streamable.Unmarshal(m.Data, &e); err != nil {
			// The reference decodes it inside its handler's checks, where
			// any exception closes the connection.
			p.log.Warn("unsolicited undecodable error message; closing connection", "err", err)
			return ProtocolViolation(protocol.ErrCodeUnknown, protocol.APIExceptionBan,
				joinErr(ErrHandlerFailed, errUnhandled(err, m.Type)))
		}
		p.log.Warn("unsolicited error message", "code", e.Code, "message", e.Message)
		return nil
	}
	h := p.handler(m.Type)
	if h == nil {
		p.log.Warn("no handler for message type", "type", m.Type)
		return ProtocolViolation(protocol.ErrCodeUnknown, protocol.APIExceptionBan, errUnhandled(ErrNoHandler, m.Type))
	}
	if !protocol.SenderAllowed(m.Type, p.info.NodeType) {
		p.log.Warn("API call type mismatch", "type", m.Type, "node_type", p.info.NodeType)
		return ProtocolViolation(protocol.ErrCodeUnknown, protocol.APIExceptionBan, errUnhandled(ErrSenderNotAllowed, m.Type))
	}
	windowed := p.v3 && !p.info.Exempt
	if windowed && !p.windows.BeginInbound(m.Type) {
		p.log.Warn("peer exceeded the v3 window and will be disconnected", "type", m.Type)
		return BanClose(protocol.RateLimiterBan, errUnhandled(ErrWindowExceeded, m.Type))
	}
	select {
	case p.handling <- struct{}{}:
	case <-p.closing:
		if windowed {
			p.windows.EndInbound(m.Type)
		}
		return NormalClose(nil)
	}
	p.wg.Add(1)
	go p.handle(h, m, windowed)
	return nil
}

// errUnhandled wraps err with the message type.
func errUnhandled(err error, t protocol.MessageType) error {
	return &typedErr{err: err, t: t}
}

// typedErr is an error about one message type.
type typedErr struct {
	err error
	t   protocol.MessageType
}

func (e *typedErr) Error() string { return e.err.Error() + ": " + e.t.String() }
func (e *typedErr) Unwrap() error { return e.err }

// handle runs one handler and sends its reply. If the reply found no
// writer active, this goroutine becomes the writer, after it has given
// back its handler slot (and v3 window), so a write blocked on the socket
// never keeps the read loop from dispatching.
func (p *Peer) handle(h HandlerFunc, m protocol.Message, windowed bool) {
	defer p.wg.Done()
	if p.runHandler(h, m, windowed) {
		p.writeLoop()
	}
}

// runHandler runs one handler and queues its reply; it returns claim's
// result for it (false if there is none).
func (p *Peer) runHandler(h HandlerFunc, m protocol.Message, windowed bool) bool {
	defer func() { <-p.handling }()
	if windowed {
		defer p.windows.EndInbound(m.Type)
	}
	ctx := p.hctx
	if p.cfg.HandlerTimeout > 0 {
		hc := newHandlerContext(context.Background(), &p.deadlines, p.cfg.HandlerTimeout)
		defer hc.finish(&p.deadlines)
		ctx = hc
	}

	reply, err := h(ctx, p, m)
	if p.hctx.Err() != nil {
		return false // closing: nothing more to send
	}
	if ctx.Err() != nil {
		// The reference only logs a handler timeout; the late result is
		// not sent.
		p.log.Warn("handler timed out", "type", m.Type, "timeout", p.cfg.HandlerTimeout)
		return false
	}
	if err != nil {
		var apiErr *APIError
		var cr *CloseReason
		switch {
		case errors.As(err, &apiErr):
			p.log.Debug("handler returned an API error", "type", m.Type, "code", apiErr.Code, "message", apiErr.Message)
			if !p.errorReplies {
				return false
			}
			r, merr := protocol.MakeMessage(protocol.MsgError, apiErr.payload())
			if merr != nil {
				p.log.Error("encoding error reply", "err", merr)
				return false
			}
			reply = &r
		case errors.As(err, &cr):
			p.Close(cr)
			return false
		default:
			p.log.Warn("handler failed; closing connection", "type", m.Type, "err", err)
			p.Close(ProtocolViolation(protocol.ErrCodeUnknown, protocol.APIExceptionBan, joinErr(ErrHandlerFailed, err)))
			return false
		}
	}
	if reply == nil {
		return false
	}
	if !protocol.ReplyOK(m.Type, reply.Type) {
		p.log.Error("handler returned an invalid reply type; not sent", "request", m.Type, "reply", reply.Type)
		return false
	}
	if err := p.checkSender(reply.Type); err != nil {
		p.log.Error("handler returned a reply our node type may not send; not sent", "request", m.Type, "err", err)
		return false
	}
	out := protocol.Message{Type: reply.Type, HasID: m.HasID, ID: m.ID, Data: reply.Data}
	if out.Data == nil {
		out.Data = []byte{}
	}
	data, pooled, err := encode(&out)
	if err != nil {
		p.log.Error("encoding reply", "type", out.Type, "err", err)
		return false
	}
	if _, err := p.gateOutbound(p.hctx, nil, out.Type, len(out.Data), false, out.HasID); err != nil {
		return false
	}
	return p.claim(outItem{data: data, pooled: pooled})
}
