package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/rpc"
)

// `chianet node` with the default self_hostname, localhost, logs its RPC
// and daemon on 127.0.0.1, which chianet's own commands dial, and answers
// on ::1 with the same ports too, as the reference's do.
func TestNodeRPCOnIPv6Loopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("this machine has no IPv6 loopback (listening on [::1]:0: %v)", err)
	} else {
		ln.Close()
	}
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatch()
	exited := make(chan int, 1)
	go func() {
		exited <- runContext(ctx, []string{"node", "--network", "devnet", "--private", "--listen-host", "127.0.0.1", "--port", "0",
			"--rpc-port", "0", "--daemon-port", "0", "--root", root, "--log-format", "json"}, strings.NewReader(""), io.Discard, logs)
	}()
	logs.waitFor(t, `"msg":"node started"`, exited)

	onIPv6 := func(what string) string {
		host, port, err := net.SplitHostPort(logField(t, logs.String(), what, "addr"))
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("%s on %s:%s, want 127.0.0.1 (%v)", what, host, port, err)
		}
		return net.JoinHostPort("::1", port)
	}
	rpcAddr, daemonAddr := onIPv6("rpc server listening"), onIPv6("daemon listening")
	callCtx, callCancel := context.WithTimeout(ctx, 30*time.Second)
	defer callCancel()
	tc, err := rpc.ClientTLS(chiatls.Tree{Root: root}, chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewClient("https://"+rpcAddr, tc)
	info, err := c.NetworkInfo(callCtx)
	c.Close()
	if err != nil || info.NetworkName != "devnet" {
		t.Errorf("RPC on %s: NetworkInfo = %+v, %v", rpcAddr, info, err)
	}
	dtc, err := rpc.ClientTLS(chiatls.Tree{Root: root}, chiatls.Daemon)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rpc.DialDaemon(callCtx, "wss://"+daemonAddr, dtc, "test_ui")
	if err != nil {
		t.Errorf("daemon on %s: %v", daemonAddr, err)
	} else {
		info, err := d.Service(rpc.FullNodeService).NetworkInfo(callCtx)
		d.Close()
		if err != nil || info.NetworkName != "devnet" {
			t.Errorf("daemon on %s: NetworkInfo = %+v, %v", daemonAddr, info, err)
		}
	}

	cancel()
	logs.waitExit(t, "node", exited)
}
