package rpc_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
)

// tinyService answers the shared routes for a service without peers.
type tinyService struct{}

func (tinyService) NetworkInfo() rpc.NetworkInfo {
	return rpc.NetworkInfo{NetworkName: "mainnet", NetworkPrefix: "xch",
		GenesisChallenge: "ccd5bb71183532bff220ba46c268991a3ff07eb358e8255a65c30a2dce0e5fbb"}
}
func (tinyService) Connections() []rpc.Connection { return nil }
func (tinyService) OpenConnection(context.Context, string, uint16) error {
	return fmt.Errorf("no network here")
}
func (tinyService) CloseConnection(context.Context, protocol.Bytes32) error { return nil }
func (tinyService) Stop()                                                   {}

// A service's routes served over HTTPS with mutual TLS, and called with
// the Go client. A real node takes its certificates from CHIA_ROOT (see
// ServerTLS and ClientTLS).
func ExampleServer() {
	now := time.Now()
	ca, _ := chiatls.NewPrivateCA(now)
	serverCert, _ := ca.IssueNodeCert(now)
	clientCert, _ := ca.IssueNodeCert(now)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)

	srv, err := rpc.NewServer(rpc.Config{
		Name:       "example",
		Routes:     rpc.SharedRoutes(tinyService{}, rpc.Options{Version: "2.7.3"}, nil),
		ListenAddr: "127.0.0.1:0",
		TLS:        chiatls.ServerConfig(serverCert.TLSCertificate(), pool),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := srv.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)

	c := rpc.NewClient("https://"+srv.Addr().String(), chiatls.ClientConfig(clientCert.TLSCertificate(), pool))
	defer c.Close()
	info, _ := c.NetworkInfo(ctx)
	version, _ := c.Version(ctx)
	fmt.Println(info.NetworkName, info.NetworkPrefix, version)
	err = c.OpenConnection(ctx, "192.0.2.1", 8444)
	fmt.Println(err)
	// Output:
	// mainnet xch 2.7.3
	// rpc: could not connect to 192.0.2.1:8444: no network here
}
