package peer_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestNotAllowedSender checks that a wallet's sends and requests of types
// only a full node may send are refused before anything is written,
// without closing the connection, while request_peers, which wallets may
// send, still goes out; and that a full node's new_peak does.
func TestNotAllowedSender(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lcfg := listenerConfig()
		peaks := make(chan struct{}, 1)
		lcfg.Handlers[protocol.MsgNewPeak] = func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
			peaks <- struct{}{}
			return nil, nil
		}
		e := startMem(t, &peer.Handler{Config: lcfg})
		ccfg := e.clientConfig()
		ccfg.NodeType = protocol.NodeWallet
		wallet := e.dial(t, ccfg)
		srv := e.nextAccepted(t)
		read := srv.Stats().MessagesRead

		ctx := context.Background()
		check := func(what string, err error, typ protocol.MessageType) {
			t.Helper()
			var ne *peer.NotAllowedSenderError
			if !errors.Is(err, peer.ErrNotAllowedSender) || !errors.As(err, &ne) || ne.Type != typ || ne.NodeType != protocol.NodeWallet {
				t.Errorf("%s: %v, want a NotAllowedSenderError for %v", what, err, typ)
			}
		}
		check("Send(new_peak)", wallet.Send(ctx, protocol.MsgNewPeak, &protocol.NewPeak{}), protocol.MsgNewPeak)
		check("SendMessage(respond_peers)", wallet.SendMessage(ctx, protocol.Message{Type: protocol.MsgRespondPeers, Data: []byte{0, 0, 0, 0}}),
			protocol.MsgRespondPeers)
		_, err := wallet.RequestBlock(ctx, 1, false)
		check("RequestBlock", err, protocol.MsgRequestBlock)
		_, err = wallet.Request(ctx, protocol.MsgRequestMempoolTransactions, &protocol.RequestMempoolTransactions{})
		check("Request(request_mempool_transactions)", err, protocol.MsgRequestMempoolTransactions)
		if got := err.Error(); got != "peer: node type WALLET may not send request_mempool_transactions" {
			t.Errorf("error text %q", got)
		}

		// Messages go out in order: had one of those been sent, the full
		// node would have closed the connection before answering.
		if _, err := wallet.RequestPeers(ctx); err != nil {
			t.Fatalf("wallet's request_peers: %v", err)
		}
		if n := srv.Stats().MessagesRead - read; n != 1 {
			t.Errorf("the full node read %d messages, want 1 (request_peers)", n)
		}
		if err := wallet.Err(); err != nil {
			t.Errorf("wallet's connection: %v", err)
		}

		// A full node may send new_peak.
		full := e.dial(t, e.clientConfig())
		e.nextAccepted(t)
		if err := full.Send(ctx, protocol.MsgNewPeak, &protocol.NewPeak{}); err != nil {
			t.Fatalf("full node's new_peak: %v", err)
		}
		<-peaks
	})
}

// TestNotAllowedSenderReply checks that a handler's reply our node type
// may not send is not sent: a wallet answering request_peers with
// respond_peers (which only full nodes send) leaves the request to time
// out, and the connection open.
func TestNotAllowedSenderReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lcfg := listenerConfig()
		lcfg.NodeType = protocol.NodeWallet
		e := startMem(t, &peer.Handler{Config: lcfg})
		ccfg := e.clientConfig()
		ccfg.RequestTimeout = 10 * time.Second
		p := e.dial(t, ccfg)
		srv := e.nextAccepted(t)
		written := srv.Stats().MessagesWritten
		if _, err := p.RequestPeers(context.Background()); !errors.Is(err, peer.ErrRequestTimeout) {
			t.Fatalf("request_peers to a wallet: %v, want a timeout", err)
		}
		if n := srv.Stats().MessagesWritten - written; n != 0 {
			t.Errorf("the wallet wrote %d messages after the handshake, want none", n)
		}
		if err := p.Err(); err != nil {
			t.Errorf("connection: %v", err)
		}
	})
}
