package peer

import (
	"context"
	"fmt"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// The two halves of the request id space: the dialer uses the low one and
// the listener the high one, so the ids of the two sides never collide.
const (
	idHalf = 1 << 15
)

// nextIDAfter returns the id after id in p's half, wrapping inside it.
func (p *Peer) nextIDAfter(id uint16) uint16 {
	if p.info.Outbound {
		if id == idHalf-1 {
			return 0
		}
		return id + 1
	}
	if id == 1<<16-1 {
		return idHalf
	}
	return id + 1
}

// reqState is what one Request needs besides its message: the channel its
// reply is delivered on and its timeout. One whose channel is known to
// be empty and whose timeout never fired is kept for the connection's
// next request (Peer.spare), which saves three allocations per request
// when requests follow one another. It is kept per connection rather
// than in a sync.Pool so its channels stay with the connection.
type reqState struct {
	ch  chan protocol.Message
	exp expiry
	// timed is set when the request has a timeout (exp is scheduled);
	// reusable is cleared when a reply may still be sent on ch.
	timed, reusable bool
}

// getReqState returns the spare reqState, or a new one.
func (p *Peer) getReqState() *reqState {
	if c := p.spare.Swap(nil); c != nil {
		return c
	}
	return &reqState{ch: make(chan protocol.Message, 1), exp: expiry{done: make(chan struct{})}}
}

// register allocates a request id that is neither pending nor timed out,
// as the reference's _select_request_nonce does, and records ch as its
// reply channel. ok is false when the whole half is in use.
func (p *Peer) register(ch chan protocol.Message) (id uint16, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := p.nextID
	id = start
	for {
		_, busy := p.pending[id]
		_, late := p.timedOut[id]
		if !busy && !late {
			break
		}
		id = p.nextIDAfter(id)
		if id == start {
			return 0, false
		}
	}
	p.nextID = p.nextIDAfter(id)
	p.pending[id] = ch
	return id, true
}

// deliver hands m to the request waiting for its id and reports whether
// m was a reply: false when it has no id or an id nobody waits for. A late
// reply to a timed-out request is dropped (and its id freed).
func (p *Peer) deliver(m protocol.Message) bool {
	if !m.HasID {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ch, ok := p.pending[m.ID]; ok {
		delete(p.pending, m.ID)
		ch <- m // buffered; nothing else sends on it
		return true
	}
	if _, late := p.timedOut[m.ID]; late {
		delete(p.timedOut, m.ID)
		p.log.Debug("ignoring late reply", "type", m.Type, "id", m.ID)
		return true
	}
	return false
}

// abandon gives up waiting for id: if its reply has not been delivered,
// the id moves to the timed-out set, so a late reply is dropped and the id
// is not reused meanwhile. It returns the reply if one was delivered after
// all.
func (p *Peer) abandon(id uint16, ch chan protocol.Message) (protocol.Message, bool) {
	p.mu.Lock()
	if _, ok := p.pending[id]; ok {
		delete(p.pending, id)
		p.timedOut[id] = struct{}{}
		p.mu.Unlock()
		return protocol.Message{}, false
	}
	p.mu.Unlock()
	return <-ch, true
}

// droppedTimedOut reports (for the write loop) whether a queued request
// timed out before it could be written; its id is then freed, as the
// reference does.
func (p *Peer) droppedTimedOut(id uint16) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, late := p.timedOut[id]; late {
		delete(p.timedOut, id)
		return true
	}
	return false
}

// RequestMessage sends req as a request with a fresh id and returns the
// reply: the message the peer sent back with the same id. req's own id is
// ignored.
//
// It waits until the reply arrives, ctx is done, Config.RequestTimeout
// passes (ErrRequestTimeout) or the connection closes (the *CloseReason,
// which wraps ErrClosed). A timed-out request's id is not reused until its
// late reply arrives. While our outbound limits (v1/v2 rate, or the
// peer's v3 window for the type) hold the request back, it waits too, and
// at most Config.MaxInFlight requests are outstanding at once.
//
// The reply is checked as the reference does: empty data gives
// ErrEmptyReply; an Error (255) reply gives an *APIError; a type that is
// not a valid reply to req (protocol.ReplyOK) gives a *ReplyTypeError and
// closes the connection with 1002 "-4" and a 10 s ban.
func (p *Peer) RequestMessage(ctx context.Context, req protocol.Message) (protocol.Message, error) {
	if o := p.cfg.Observer; o != nil {
		start := time.Now()
		rep, err := p.request(ctx, req)
		o.RequestDone(req.Type, time.Since(start), err)
		return rep, err
	}
	return p.request(ctx, req)
}

// request is RequestMessage.
func (p *Peer) request(ctx context.Context, req protocol.Message) (protocol.Message, error) {
	req.HasID, req.ID = true, 0
	if err := checkSendable(&req); err != nil {
		return protocol.Message{}, err
	}
	if err := p.checkSender(req.Type); err != nil {
		return protocol.Message{}, err
	}
	if err := p.checkOpen(); err != nil {
		return protocol.Message{}, err
	}
	// The timeout runs from here: waiting for an in-flight slot and for
	// our outbound limits counts against it, as in the reference.
	c := p.startRequest()
	defer p.endRequest(c)
	release, err := p.admit(ctx, c, req)
	if err != nil {
		return protocol.Message{}, err
	}
	defer release()
	id, err := p.sendRequest(c, &req)
	if err != nil {
		return protocol.Message{}, err
	}
	rep, err := p.await(ctx, c, req.Type, id)
	if err != nil {
		return protocol.Message{}, err
	}
	return p.checkReply(req.Type, rep)
}

// startRequest returns the state of a new request with its timeout
// running.
func (p *Peer) startRequest() *reqState {
	c := p.getReqState()
	c.reusable = true
	c.timed = p.cfg.RequestTimeout > 0
	if c.timed {
		c.exp.at = time.Now().Add(p.cfg.RequestTimeout)
		p.deadlines.add(&c.exp)
	}
	return c
}

// expired returns the channel closed at c's timeout; nil (never ready) when
// the request has none.
func (c *reqState) expired() <-chan struct{} {
	if c.timed {
		return c.exp.done
	}
	return nil
}

// endRequest keeps c for the next request if nothing can still use it: a
// deadline the sweep took out of the set has fired or is about to (its
// done channel is spent), and a request given up at the close may still
// get its reply on c.ch.
func (p *Peer) endRequest(c *reqState) {
	if (!c.timed || p.deadlines.remove(&c.exp)) && c.reusable {
		p.spare.Store(c)
	}
}

// admit waits for an in-flight slot and for our outbound limits to let
// req go. release gives both back once the reply came or the request was
// given up.
func (p *Peer) admit(ctx context.Context, c *reqState, req protocol.Message) (release func(), err error) {
	select {
	case p.inFlight <- struct{}{}:
	case <-ctx.Done():
		return nil, requestTimeout(ctx, req.Type)
	case <-c.expired():
		return nil, requestTimeout(ctx, req.Type)
	case <-p.closing:
		return nil, p.closedErr()
	}
	window, err := p.gateOutbound(ctx, c.expired(), req.Type, len(req.Data), true, true)
	if err != nil {
		<-p.inFlight
		if ctx.Err() != nil || err == errExpired {
			return nil, requestTimeout(ctx, req.Type)
		}
		return nil, err
	}
	return func() { window(); <-p.inFlight }, nil
}

// sendRequest registers a fresh id for req with c's reply channel and
// writes (or queues) the request.
func (p *Peer) sendRequest(c *reqState, req *protocol.Message) (uint16, error) {
	id, ok := p.register(c.ch)
	if !ok {
		p.log.Info("no available request ids; disconnecting")
		p.Close(NormalClose(ErrNoRequestIDs))
		return 0, ErrNoRequestIDs
	}
	req.ID = id
	data, err := req.MarshalBinary()
	if err != nil { // cannot happen: checkSendable bounds the length
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
		return 0, err
	}
	p.pushDirect(outItem{data: data, request: true, id: id})
	return id, nil
}

// await waits for the reply to id, which the read loop delivers on c.ch.
// A reply that raced a cancellation or timeout is still returned.
func (p *Peer) await(ctx context.Context, c *reqState, t protocol.MessageType, id uint16) (protocol.Message, error) {
	select {
	case rep := <-c.ch:
		return rep, nil
	case <-ctx.Done():
		if rep, late := p.abandon(id, c.ch); late {
			return rep, nil
		}
		p.log.Debug("request cancelled", "type", t, "id", id)
	case <-c.expired():
		if rep, late := p.abandon(id, c.ch); late {
			return rep, nil
		}
		p.log.Debug("request timed out", "type", t, "id", id)
	case <-p.closing:
		c.reusable = false
		return protocol.Message{}, p.closedErr()
	}
	return protocol.Message{}, requestTimeout(ctx, t)
}

// requestTimeout is the error of a request of type t given up because
// ctx ended or, when it has not, because of Config.RequestTimeout.
func requestTimeout(ctx context.Context, t protocol.MessageType) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("peer: %v request: %w", t, err)
	}
	return fmt.Errorf("peer: %v request: %w: %w", t, ErrRequestTimeout, context.DeadlineExceeded)
}

// checkReply applies the reference's call_api checks to a reply.
func (p *Peer) checkReply(sent protocol.MessageType, rep protocol.Message) (protocol.Message, error) {
	if len(rep.Data) == 0 {
		return protocol.Message{}, fmt.Errorf("peer: %v reply %v: %w", sent, rep.Type, ErrEmptyReply)
	}
	if rep.Type == protocol.MsgError {
		var e protocol.Error
		if err := streamable.Unmarshal(rep.Data, &e); err != nil {
			return protocol.Message{}, fmt.Errorf("peer: %v reply: %w", sent, err)
		}
		return protocol.Message{}, apiErrorFrom(&e)
	}
	if !protocol.ReplyOK(sent, rep.Type) {
		err := &ReplyTypeError{Request: sent, Reply: rep.Type}
		p.log.Warn("banning peer for a wrong reply type", "request", sent, "reply", rep.Type)
		p.Close(ProtocolViolation(protocol.ErrCodeInvalidProtocolMessage, protocol.InternalProtocolErrorBan, err))
		return protocol.Message{}, err
	}
	return rep, nil
}

// Request sends payload as a request of type t and returns the decoded
// reply payload, e.g. a *protocol.RespondBlock or *protocol.RejectBlock
// for a request_block. Errors are those of RequestMessage, or a decoding
// error of the reply.
func (p *Peer) Request(ctx context.Context, t protocol.MessageType, payload protocol.Value) (protocol.Value, error) {
	m, err := protocol.MakeMessage(t, payload)
	if err != nil {
		return nil, err
	}
	rep, err := p.RequestMessage(ctx, m)
	if err != nil {
		return nil, err
	}
	v, err := rep.Payload()
	if err != nil {
		return nil, fmt.Errorf("peer: decoding %v reply: %w", rep.Type, err)
	}
	return v, nil
}

// call is Request for the typed helpers: the reply must be of type R;
// any other valid reply is a rejection.
func call[R protocol.Value](ctx context.Context, p *Peer, t protocol.MessageType, payload protocol.Value) (R, error) {
	var zero R
	m, err := protocol.MakeMessage(t, payload)
	if err != nil {
		return zero, err
	}
	rep, err := p.RequestMessage(ctx, m)
	if err != nil {
		return zero, err
	}
	v, err := rep.Payload()
	if err != nil {
		return zero, fmt.Errorf("peer: decoding %v reply: %w", rep.Type, err)
	}
	if r, ok := v.(R); ok {
		return r, nil
	}
	return zero, &RejectError{Type: rep.Type, Payload: v}
}

// RequestPeers asks for the peer's known peers (request_peers).
func (p *Peer) RequestPeers(ctx context.Context) (*protocol.RespondPeers, error) {
	return call[*protocol.RespondPeers](ctx, p, protocol.MsgRequestPeers, &protocol.RequestPeers{})
}

// RequestBlock asks for the block at height (request_block). A
// reject_block answer is a *RejectError.
func (p *Peer) RequestBlock(ctx context.Context, height uint32, includeTransactionBlock bool) (*protocol.RespondBlock, error) {
	return call[*protocol.RespondBlock](ctx, p, protocol.MsgRequestBlock,
		&protocol.RequestBlock{Height: height, IncludeTransactionBlock: includeTransactionBlock})
}

// RequestBlocks asks for the blocks from start to end inclusive
// (request_blocks). A reject_blocks answer is a *RejectError.
func (p *Peer) RequestBlocks(ctx context.Context, start, end uint32, includeTransactionBlock bool) (*protocol.RespondBlocks, error) {
	return call[*protocol.RespondBlocks](ctx, p, protocol.MsgRequestBlocks,
		&protocol.RequestBlocks{StartHeight: start, EndHeight: end, IncludeTransactionBlock: includeTransactionBlock})
}

// RequestBlockHeader asks for the header block at height
// (request_block_header). A reject_header_request answer is a
// *RejectError.
func (p *Peer) RequestBlockHeader(ctx context.Context, height uint32) (*protocol.RespondBlockHeader, error) {
	return call[*protocol.RespondBlockHeader](ctx, p, protocol.MsgRequestBlockHeader,
		&protocol.RequestBlockHeader{Height: height})
}

// RequestBlockHeaders asks for the header blocks from start to end
// inclusive (request_block_headers). A reject_block_headers or
// reject_header_blocks answer is a *RejectError.
func (p *Peer) RequestBlockHeaders(ctx context.Context, start, end uint32, returnFilter bool) (*protocol.RespondBlockHeaders, error) {
	return call[*protocol.RespondBlockHeaders](ctx, p, protocol.MsgRequestBlockHeaders,
		&protocol.RequestBlockHeaders{StartHeight: start, EndHeight: end, ReturnFilter: returnFilter})
}

// RequestPuzzleState asks for the coin states of puzzle hashes
// (request_puzzle_state). A reject_puzzle_state answer is a *RejectError.
func (p *Peer) RequestPuzzleState(ctx context.Context, req *protocol.RequestPuzzleState) (*protocol.RespondPuzzleState, error) {
	return call[*protocol.RespondPuzzleState](ctx, p, protocol.MsgRequestPuzzleState, req)
}

// RequestCoinState asks for the states of coins (request_coin_state). A
// reject_coin_state answer is a *RejectError.
func (p *Peer) RequestCoinState(ctx context.Context, req *protocol.RequestCoinState) (*protocol.RespondCoinState, error) {
	return call[*protocol.RespondCoinState](ctx, p, protocol.MsgRequestCoinState, req)
}
