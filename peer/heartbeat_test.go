package peer_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// rawServer is a hand-driven listener: it answers a chianet dialer's
// handshake and request_peers, and answers WebSocket pings only if pong
// says so for the connection's number (1, 2, …). pings counts the pings
// received.
func rawServer(t *testing.T, pong func(n int32) bool, pings *atomic.Int32) http.Handler {
	var conns atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := pong(conns.Add(1))
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			OnPingReceived: func(context.Context, []byte) bool {
				pings.Add(1)
				return answer
			},
		})
		if err != nil {
			t.Errorf("raw accept: %v", err)
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		write := func(m protocol.Message) bool {
			b, err := m.MarshalBinary()
			return err == nil && c.Write(ctx, websocket.MessageBinary, b) == nil
		}
		for first := true; ; first = false {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			m, err := protocol.DecodeMessage(b)
			if err != nil {
				t.Errorf("raw server: %v", err)
				return
			}
			var reply protocol.Message
			switch {
			case first:
				reply, _ = protocol.MakeMessage(protocol.MsgHandshake, handshakeMsg(protocol.NodeFullNode))
			case m.Type == protocol.MsgRequestPeers:
				reply, _ = protocol.MakeReply(&m, protocol.MsgRespondPeers, &protocol.RespondPeers{})
			default:
				continue
			}
			if !write(reply) {
				return
			}
		}
	})
}

// TestHeartbeat checks the dialer's heartbeat: with no pong it drops the
// connection 60 + 30 s after the last data; with pongs it keeps it.
func TestHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pings atomic.Int32
		k := fakePKI(t)
		ln := serveMem(t, rawServer(t, func(n int32) bool { return n != 1 }, &pings), k.serverTLS(k.listener))
		cfg := peer.Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), DialContext: ln.dial}

		deaf, err := peer.Dial(context.Background(), "127.0.0.1:8444", cfg)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		<-deaf.Done()
		if d := time.Since(start); d != peer.DefaultPingInterval+peer.DefaultPongTimeout {
			t.Errorf("closed after %v, want %v", d, peer.DefaultPingInterval+peer.DefaultPongTimeout)
		}
		r := mustCloseReason(t, deaf.Err())
		if r.Code != peer.StatusAbnormal || r.Ban != 0 || r.Remote || !errors.Is(r, peer.ErrPongTimeout) {
			t.Errorf("close reason %v", r)
		}
		if pings.Load() != 1 {
			t.Errorf("%d pings, want 1", pings.Load())
		}

		pings.Store(0)
		alive, err := peer.Dial(context.Background(), "127.0.0.1:8444", cfg)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10*time.Minute + time.Second) // fake time: ten heartbeats
		if err := alive.Err(); err != nil {
			t.Fatalf("healthy connection closed: %v", err)
		}
		if n := pings.Load(); n != 10 {
			t.Errorf("%d pings in 10 minutes, want 10", n)
		}
		if _, err := alive.RequestPeers(context.Background()); err != nil {
			t.Fatalf("RequestPeers: %v", err)
		}
		alive.Close(nil)
		<-alive.Done()
	})
}

// TestIdleOnlyForFullNodes checks that the idle close applies to full-node
// peers of full nodes and wallets only, and that data resets it.
func TestIdleOnlyForFullNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := listenerConfig()
		cfg.NodeType = protocol.NodeFarmer
		e := startMem(t, &peer.Handler{Config: cfg})
		ccfg := e.clientConfig()
		ccfg.PingInterval = -1
		p := e.dial(t, ccfg) // a full node talking to a farmer: no idle close
		time.Sleep(2 * peer.DefaultIdleTimeout)
		if err := p.Err(); err != nil {
			t.Fatalf("closed: %v", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, &peer.Handler{Config: listenerConfig()})
		ccfg := e.clientConfig()
		ccfg.NodeType = protocol.NodeWallet
		ccfg.Handlers = map[protocol.MessageType]peer.HandlerFunc{protocol.MsgNewPeakWallet: peer.Ignore}
		p := e.dial(t, ccfg)
		srv := e.nextAccepted(t)
		start := time.Now()
		time.Sleep(peer.DefaultIdleTimeout / 2)
		// The full node's announcement resets the wallet's idle timer; the
		// full node itself never closes a wallet for idleness.
		if err := srv.Send(context.Background(), protocol.MsgNewPeakWallet, &protocol.NewPeakWallet{}); err != nil {
			t.Fatal(err)
		}
		<-p.Done()
		if d := time.Since(start); d != peer.DefaultIdleTimeout*3/2 {
			t.Errorf("wallet closed its full node after %v, want %v", d, peer.DefaultIdleTimeout*3/2)
		}
		if r := mustCloseReason(t, p.Err()); !errors.Is(r, peer.ErrIdle) || r.Code != peer.StatusNormal || r.Ban != 0 {
			t.Errorf("close reason %v", r)
		}
	})
}
