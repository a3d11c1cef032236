package peer_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// misbehaviour is one row of the matrix: a raw client does something
// wrong, and the listener must close with exactly the reference's action.
type misbehaviour struct {
	name string
	// act misbehaves on r; the returned func, if any, is called after the
	// close to finish and check what act started.
	act    func(t *testing.T, e *env, r *rawConn) func()
	code   int    // close code the client must see
	reason string // close reason the client must see
	ban    time.Duration
	cause  error // errors.Is on the listener's CloseReason
	// after, if set, is how long after act the close must come (timed
	// rows run in a synctest bubble, where this is exact).
	after time.Duration
}

const (
	ban10  = 10 * time.Second
	ban300 = 300 * time.Second
)

// afterHandshake wraps act with a plain full-node handshake first.
func afterHandshake(act func(t *testing.T, e *env, r *rawConn)) func(*testing.T, *env, *rawConn) func() {
	return func(t *testing.T, e *env, r *rawConn) func() {
		r.clientHandshake(handshakeMsg(protocol.NodeFullNode))
		act(t, e, r)
		return nil
	}
}

// sendHandshake wraps a handshake change.
func sendHandshake(change func(*protocol.Handshake)) func(*testing.T, *env, *rawConn) func() {
	return func(t *testing.T, e *env, r *rawConn) func() {
		hs := handshakeMsg(protocol.NodeFullNode)
		change(hs)
		r.writeMsg(protocol.MsgHandshake, false, 0, hs)
		return nil
	}
}

var misbehaviours = []misbehaviour{
	{
		name: "bad framing",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			r.writeBytes([]byte{byte(protocol.MsgRequestPeers), 2, 0, 0, 0, 0}) // presence byte 2
		}),
		code: peer.StatusProtocolError, reason: "-4", ban: ban10, cause: peer.ErrInvalidMessage,
	},
	{
		name: "trailing bytes",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			r.writeBytes([]byte{byte(protocol.MsgRequestPeers), 0, 0, 0, 0, 0, 9})
		}),
		code: peer.StatusProtocolError, reason: "-4", ban: ban10, cause: peer.ErrInvalidMessage,
	},
	{
		name: "unknown message type",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			r.writeBytes([]byte{2, 0, 0, 0, 0, 0}) // the removed handshake_ack
		}),
		code: peer.StatusProtocolError, reason: "-4", ban: ban10, cause: peer.ErrInvalidMessage,
	},
	{
		name: "text frame",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			if err := r.c.Write(context.Background(), websocket.MessageText, []byte("hello")); err != nil {
				t.Fatal(err)
			}
		}),
		code: peer.StatusNormal, reason: "", ban: 0, cause: peer.ErrTextFrame,
	},
	{
		name: "message over 50 MiB",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.clientHandshake(handshakeMsg(protocol.NodeFullNode))
			big := make([]byte, protocol.MaxMessageSize+1)
			copy(big, []byte{byte(protocol.MsgRespondBlocks), 0, 0xff, 0xff, 0xff, 0xff})
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = r.c.Write(context.Background(), websocket.MessageBinary, big) // fails once the listener closes
			}()
			return func() { <-done }
		},
		code: peer.StatusMessageTooBig, reason: "", ban: ban300, cause: peer.ErrMessageTooBig,
	},
	{
		// aiohttp refuses a whole message of max_message_size bytes, not
		// only larger ones.
		name: "message of exactly 50 MiB",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.clientHandshake(handshakeMsg(protocol.NodeFullNode))
			m := protocol.Message{Type: protocol.MsgRespondBlocks, Data: make([]byte, protocol.MaxMessageSize-6)}
			b, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = r.c.Write(context.Background(), websocket.MessageBinary, b) // fails once the listener closes
			}()
			return func() { <-done }
		},
		code: peer.StatusMessageTooBig, reason: "", ban: ban300, cause: peer.ErrMessageTooBig,
	},
	{
		name: "per-type max size exceeded",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			// request_peers may carry at most 100 bytes of data.
			r.writeBytes(append([]byte{byte(protocol.MsgRequestPeers), 1, 0, 1, 0, 0, 0, 101}, make([]byte, 101)...))
		}),
		code: peer.StatusNormal, reason: "", ban: ban300, cause: peer.ErrRateLimited,
	},
	{
		name: "rate limit exceeded",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			// request_peers: 10 per minute.
			for i := range 11 {
				r.writeMsg(protocol.MsgRequestPeers, true, uint16(i), &protocol.RequestPeers{})
			}
		}),
		code: peer.StatusNormal, reason: "", ban: ban300, cause: peer.ErrRateLimited,
	},
	{
		name: "v3 window exceeded",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			reply := r.clientHandshake(handshakeMsg(protocol.NodeFullNode, protocol.CapRateLimitsV3))
			if !protocol.ActiveCapabilities(reply.Capabilities).Has(protocol.CapRateLimitsV3) {
				t.Fatal("listener did not mirror RATE_LIMITS_V3")
			}
			// The listener handles height 999 until it closes; its window
			// for request_block is 2.
			for i := range 3 {
				r.writeMsg(protocol.MsgRequestBlock, true, uint16(i), &protocol.RequestBlock{Height: 999})
			}
			return nil
		},
		code: peer.StatusNormal, reason: "", ban: ban300, cause: peer.ErrWindowExceeded,
	},
	{
		name: "wrong network id",
		act:  sendHandshake(func(hs *protocol.Handshake) { hs.NetworkID = "mainnet" }),
		code: peer.StatusProtocolError, reason: "110", ban: ban10, cause: peer.ErrNetworkID,
	},
	{
		name: "software version over 128 bytes",
		act:  sendHandshake(func(hs *protocol.Handshake) { hs.SoftwareVersion = strings.Repeat("9", 129) }),
		code: peer.StatusProtocolError, reason: "-6", ban: ban10, cause: peer.ErrInvalidHandshake,
	},
	{
		name: "protocol version not PEP 440",
		act:  sendHandshake(func(hs *protocol.Handshake) { hs.ProtocolVersion = "0.0.x" }),
		code: peer.StatusProtocolError, reason: "1", ban: ban10, cause: peer.ErrHandshakeValue,
	},
	{
		name: "unknown node type",
		act:  sendHandshake(func(hs *protocol.Handshake) { hs.NodeType = 9 }),
		code: peer.StatusProtocolError, reason: "1", ban: ban10, cause: peer.ErrHandshakeValue,
	},
	{
		name: "first message not a handshake",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.writeMsg(protocol.MsgRequestPeers, true, 1, &protocol.RequestPeers{})
			return nil
		},
		code: peer.StatusProtocolError, reason: "-6", ban: ban10, cause: peer.ErrInvalidHandshake,
	},
	{
		// The reference reads the first message through its rate limiter
		// (v1: a handshake carries at most 10 KiB) and closes as for any
		// rate-limit violation.
		name: "handshake over its size limit",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.writeBytes(append([]byte{byte(protocol.MsgHandshake), 0, 0, 0, 0x28, 0x01}, make([]byte, 10*1024+1)...))
			return nil
		},
		code: peer.StatusNormal, reason: "", ban: ban300, cause: peer.ErrRateLimited,
	},
	{
		name: "first message over its type's size limit",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.writeBytes(append([]byte{byte(protocol.MsgRequestPeers), 0, 0, 0, 0, 101}, make([]byte, 101)...))
			return nil
		},
		code: peer.StatusNormal, reason: "", ban: ban300, cause: peer.ErrRateLimited,
	},
	{
		name: "first message of an unknown type",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.writeBytes([]byte{2, 0, 0, 0, 0, 0})
			return nil
		},
		code: peer.StatusProtocolError, reason: "-4", ban: ban10, cause: peer.ErrInvalidMessage,
	},
	{
		name: "empty ConfigureWindowSizes",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.writeMsg(protocol.MsgHandshake, false, 0, handshakeMsg(protocol.NodeFullNode, protocol.CapRateLimitsV3))
			r.readMsg() // handshake
			r.readMsg() // the listener's ConfigureWindowSizes
			r.writeMsg(protocol.MsgConfigureWindowSizes, false, 0, &protocol.ConfigureWindowSizes{})
			return nil
		},
		code: peer.StatusProtocolError, reason: "-6", ban: ban10, cause: peer.ErrInvalidHandshake,
	},
	{
		name: "wrong reply type",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.clientHandshake(handshakeMsg(protocol.NodeFullNode))
			srv := e.nextAccepted(t)
			errc := make(chan error, 1)
			go func() {
				_, err := srv.RequestPeers(context.Background())
				errc <- err
			}()
			req := r.readMsg()
			if req.Type != protocol.MsgRequestPeers || !req.HasID || req.ID < idHalf {
				t.Errorf("listener request %v id %v/%d", req.Type, req.HasID, req.ID)
			}
			r.writeMsg(protocol.MsgRejectBlock, true, req.ID, &protocol.RejectBlock{Height: 1})
			return func() {
				var rte *peer.ReplyTypeError
				if err := <-errc; !errors.As(err, &rte) || rte.Reply != protocol.MsgRejectBlock {
					t.Errorf("listener's request returned %v, want a *ReplyTypeError", err)
				}
			}
		},
		code: peer.StatusProtocolError, reason: "-4", ban: ban10, cause: peer.ErrWrongReply,
	},
	{
		name: "sender type not allowed",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.clientHandshake(handshakeMsg(protocol.NodeWallet))
			r.writeMsg(protocol.MsgRespondBlock, false, 0, &protocol.RejectBlock{}) // data is not looked at
			return nil
		},
		code: peer.StatusProtocolError, reason: "1", ban: ban10, cause: peer.ErrSenderNotAllowed,
	},
	{
		name: "second handshake",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			r.writeMsg(protocol.MsgHandshake, false, 0, handshakeMsg(protocol.NodeFullNode))
		}),
		code: peer.StatusProtocolError, reason: "1", ban: ban10, cause: peer.ErrNoHandler,
	},
	{
		name: "late ConfigureWindowSizes",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			r.writeMsg(protocol.MsgConfigureWindowSizes, false, 0, protocol.LocalConfigureWindowSizes())
		}),
		code: peer.StatusProtocolError, reason: "1", ban: ban10, cause: peer.ErrNoHandler,
	},
	{
		// The reference decodes an unsolicited error inside the checks of
		// _api_call, so a payload that does not decode is an exception
		// there (transport spec §4.5, step 7).
		name: "undecodable unsolicited error",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			r.writeBytes([]byte{byte(protocol.MsgError), 0, 0, 0, 0, 1, 0xff}) // one byte of an int16 code
		}),
		code: peer.StatusProtocolError, reason: "1", ban: ban10, cause: peer.ErrHandlerFailed,
	},
	{
		name: "unhandled message type",
		act: afterHandshake(func(t *testing.T, e *env, r *rawConn) {
			r.writeMsg(protocol.MsgNewPeak, false, 0, &protocol.RequestPeers{})
		}),
		code: peer.StatusProtocolError, reason: "1", ban: ban10, cause: peer.ErrNoHandler,
	},
}

// timedMisbehaviours need the clock: each runs in a synctest bubble.
var timedMisbehaviours = []misbehaviour{
	{
		name: "handshake timeout",
		act:  func(*testing.T, *env, *rawConn) func() { return nil },
		code: peer.StatusProtocolError, reason: "-6", ban: ban10, cause: peer.ErrHandshakeTimeout,
		after: peer.DefaultInboundHandshakeTimeout,
	},
	{
		name: "silent full node",
		act: func(t *testing.T, e *env, r *rawConn) func() {
			r.clientHandshake(handshakeMsg(protocol.NodeFullNode))
			return nil
		},
		code: peer.StatusNormal, reason: "", ban: 0, cause: peer.ErrIdle,
		after: peer.DefaultIdleTimeout,
	},
}

// matrixListener is the listener of the matrix: limits apply to everybody
// (nobody is exempt), and request_block 999 is handled until the
// connection closes.
func matrixListener() *peer.Handler {
	cfg := listenerConfig()
	cfg.Handlers[protocol.MsgRequestBlock] = func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
		var req protocol.RequestBlock
		if err := streamable.Unmarshal(m.Data, &req); err != nil {
			return nil, err
		}
		if req.Height == 999 {
			<-ctx.Done()
			return nil, nil
		}
		return echoBlock(ctx, p, m)
	}
	return &peer.Handler{Config: cfg, Exempt: func(*http.Request) bool { return false }}
}

// runMisbehaviour drives one row against e and then checks that a healthy
// client still gets served.
func runMisbehaviour(t *testing.T, e *env, row misbehaviour) {
	r := e.dialRaw(t)
	start := time.Now()
	finish := row.act(t, e, r)
	code, reason := r.waitClose()
	elapsed := time.Since(start)
	if finish != nil {
		finish()
	}
	if code != row.code || reason != row.reason {
		t.Errorf("client saw close %d %q, want %d %q", code, reason, row.code, row.reason)
	}
	lr := e.nextClose(t)
	if lr.Code != row.code || lr.Reason != row.reason || lr.Ban != row.ban || lr.Remote {
		t.Errorf("listener closed with %v, want %d %q ban %v", lr, row.code, row.reason, row.ban)
	}
	if !errors.Is(lr, row.cause) {
		t.Errorf("listener close cause %v, want %v", lr.Err, row.cause)
	}
	if row.after != 0 && elapsed != row.after {
		t.Errorf("closed after %v, want %v", elapsed, row.after)
	}
	r.close()
	for len(e.accepted) > 0 {
		<-e.accepted
	}
	e.healthy(t)
}

// TestMisbehaviour runs the matrix on one loopback listener.
func TestMisbehaviour(t *testing.T) {
	e := startLoopback(t, matrixListener())
	for _, row := range misbehaviours {
		t.Run(row.name, func(t *testing.T) { runMisbehaviour(t, e, row) })
	}
}

// TestMisbehaviourTimed runs the rows that need time to pass, each in a
// synctest bubble with its own in-memory listener.
func TestMisbehaviourTimed(t *testing.T) {
	for _, row := range timedMisbehaviours {
		t.Run(row.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := startMem(t, matrixListener())
				runMisbehaviour(t, e, row)
			})
		})
	}
}

// TestExemptPeer checks that an exempt peer is not limited and never
// banned.
func TestExemptPeer(t *testing.T) {
	h := matrixListener()
	h.Exempt = func(*http.Request) bool { return true }
	e := startLoopback(t, h)
	r := e.dialRaw(t)
	r.clientHandshake(handshakeMsg(protocol.NodeFullNode))
	for i := range 20 { // twice the request_peers limit
		r.writeMsg(protocol.MsgRequestPeers, true, uint16(i), &protocol.RequestPeers{})
	}
	for range 20 {
		if m := r.readMsg(); m.Type != protocol.MsgRespondPeers {
			t.Fatalf("reply %v", m.Type)
		}
	}
	r.writeBytes([]byte{2, 0, 0, 0, 0, 0}) // unknown type: closed, but no ban
	if code, reason := r.waitClose(); code != peer.StatusProtocolError || reason != "-4" {
		t.Fatalf("close %d %q", code, reason)
	}
	if lr := e.nextClose(t); lr.Ban != 0 || !errors.Is(lr, peer.ErrInvalidMessage) {
		t.Fatalf("exempt peer closed with %v", lr)
	}
}

// TestUnsolicitedError checks that a well-formed error (255) that answers
// none of our requests is only logged: the connection stays up and is
// served (transport spec §4.4).
func TestUnsolicitedError(t *testing.T) {
	e := startLoopback(t, matrixListener())
	r := e.dialRaw(t)
	r.clientHandshake(handshakeMsg(protocol.NodeFullNode))
	r.writeMsg(protocol.MsgError, false, 0, &protocol.Error{Code: 1, Message: "unknown"})
	r.writeMsg(protocol.MsgRequestPeers, true, 3, &protocol.RequestPeers{})
	if m := r.readMsg(); m.Type != protocol.MsgRespondPeers || !m.HasID || m.ID != 3 {
		t.Fatalf("after an unsolicited error the listener answered %v (id %v/%d)", m.Type, m.HasID, m.ID)
	}
}
