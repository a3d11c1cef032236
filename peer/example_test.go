package peer_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// Example runs a full-node listener and dials it as a wallet: the
// handshake, a typed request answered with a rejection, and a close.
func Example() {
	ctx := context.Background()

	// One CA and a node certificate for each side (a real node loads
	// them with chiatls.Tree).
	now := time.Now()
	ca, err := chiatls.NewPrivateCA(now)
	if err != nil {
		log.Fatal(err)
	}
	serverCert, _ := ca.IssueNodeCert(now)
	clientCert, _ := ca.IssueNodeCert(now)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)

	// The listener: a full node that rejects every block header request.
	handler := &peer.Handler{Config: peer.Config{
		NetworkID: "testnet11",
		NodeType:  protocol.NodeFullNode,
		Handlers: map[protocol.MessageType]peer.HandlerFunc{
			protocol.MsgRequestBlockHeader: func(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
				var req protocol.RequestBlockHeader
				if err := streamable.Unmarshal(m.Data, &req); err != nil {
					return nil, err
				}
				return peer.Reply(protocol.MsgRejectHeaderRequest, &protocol.RejectHeaderRequest{Height: req.Height})
			},
		},
	}}
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = chiatls.ServerConfig(serverCert.TLSCertificate(), pool)
	srv.StartTLS()
	defer srv.Close()

	// The dialer: a wallet.
	p, err := peer.Dial(ctx, srv.Listener.Addr().String(), peer.Config{
		NetworkID: "testnet11",
		NodeType:  protocol.NodeWallet,
		TLS:       chiatls.ClientConfig(clientCert.TLSCertificate(), pool),
	})
	if err != nil {
		log.Fatal(err)
	}
	info := p.Info()
	fmt.Println("connected to", info.NodeType, "speaking", info.ProtocolVersion)

	_, err = p.RequestBlockHeader(ctx, 42)
	var rej *peer.RejectError
	if errors.As(err, &rej) {
		fmt.Println(rej.Type, rej.Payload.(*protocol.RejectHeaderRequest).Height)
	}

	p.Close(nil)
	<-p.Done()
	fmt.Println(p.Err())
	// Output:
	// connected to FULL_NODE speaking 0.0.38
	// reject_header_request 42
	// peer: closed (1000)
}
