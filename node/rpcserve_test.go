package node

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/rpc"
)

// rpcClient returns an HTTPS RPC client of r with the root's private
// full node certificate, as the reference's CLI would use.
func rpcClient(t *testing.T, r *running) *rpc.Client {
	t.Helper()
	tc, err := rpc.ClientTLS(chiatls.Tree{Root: r.cfg.Root}, chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewClient("https://"+r.RPCAddr(), tc)
	t.Cleanup(c.Close)
	return c
}

func TestRunServesRPC(t *testing.T) {
	var level slog.LevelVar
	a := startNode(t, "a", func(c *Config) {
		c.RPCAddr = "127.0.0.1:0"
		c.DaemonAddr = "127.0.0.1:0"
		c.LogLevel = &level
		c.ResetLogLevel = "INFO"
	})
	b := startNode(t, "b", func(c *Config) { c.StaticPeers = []string{a.addr()} })
	a.waitFor("a connected to b", func() bool { return a.connectedTo(b) })
	if a.RPCAddr() == "" || a.DaemonAddr() == "" {
		t.Fatalf("RPCAddr %q, DaemonAddr %q", a.RPCAddr(), a.DaemonAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	c := rpcClient(t, a)

	info, err := c.NetworkInfo(ctx)
	if err != nil || info.NetworkName != "devnet" {
		t.Fatalf("NetworkInfo = %+v, %v", info, err)
	}
	conns, err := c.Connections(ctx, 0)
	if err != nil || len(conns) != 1 || conns[0].NodeID != b.NodeID() {
		t.Fatalf("Connections = %+v, %v", conns, err)
	}

	// The log-level routes change the level the logger uses.
	if err := c.SetLogLevel(ctx, "DEBUG"); err != nil {
		t.Fatal(err)
	}
	if level.Level() != slog.LevelDebug {
		t.Errorf("after set_log_level DEBUG the level is %v", level.Level())
	}

	// The daemon serves the same node as chia_full_node.
	d := dialDaemon(ctx, t, a)
	dconns, err := d.Service(rpc.FullNodeService).Connections(ctx, 0)
	if err != nil || len(dconns) != 1 {
		t.Fatalf("Connections through the daemon = %+v, %v", dconns, err)
	}

	// stop_node ends Run on its own, cleanly.
	if err := c.StopNode(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.done:
		close(a.done)
		if err != nil {
			t.Fatalf("Run after stop_node: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after stop_node")
	}
	if _, err := c.NetworkInfo(ctx); err == nil {
		t.Error("the RPC still answers after the node stopped")
	}
}

func TestDaemonExitStopsNode(t *testing.T) {
	a := startNode(t, "a", func(c *Config) { c.DaemonAddr = "127.0.0.1:0" })
	if a.RPCAddr() != "" {
		t.Errorf("RPCAddr = %q without Config.RPCAddr", a.RPCAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	d := dialDaemon(ctx, t, a)
	if _, err := d.Request(ctx, rpc.DaemonName, "exit", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.done:
		close(a.done)
		if err != nil {
			t.Fatalf("Run after exit: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after the daemon's exit")
	}
}

func TestRPCAddrInUse(t *testing.T) {
	a := startNode(t, "a", func(c *Config) { c.RPCAddr = "127.0.0.1:0" })
	n, err := New(Config{Network: "devnet", Private: true, Root: t.TempDir(), ListenAddr: "127.0.0.1:0",
		RPCAddr: a.RPCAddr(), Logger: testLogger(t, "b")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	err = n.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "RPC") {
		t.Fatalf("Run with the RPC port taken = %v", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}

// A node whose RPC and daemon are on localhost answers over 127.0.0.1
// and ::1 with the same port, as the reference's bound to localhost
// does, and releases every port when it stops.
func TestRPCOnLocalhost(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("this machine has no IPv6 loopback (listening on [::1]:0: %v)", err)
	} else {
		ln.Close()
	}
	a := startNode(t, "a", func(c *Config) {
		c.RPCAddr = "localhost:0"
		c.DaemonAddr = "localhost:0"
	})
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	var released []string
	for _, hp := range []string{a.RPCAddr(), a.DaemonAddr()} {
		host, port, err := net.SplitHostPort(hp)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("listening on %q, want 127.0.0.1", hp)
		}
		released = append(released, hp, net.JoinHostPort("::1", port))
	}
	rpcTLS, err := rpc.ClientTLS(chiatls.Tree{Root: a.cfg.Root}, chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	daemonTLS, err := rpc.ClientTLS(chiatls.Tree{Root: a.cfg.Root}, chiatls.Daemon)
	if err != nil {
		t.Fatal(err)
	}
	for _, hp := range released[:2] {
		c := rpc.NewClient("https://"+hp, rpcTLS)
		info, err := c.NetworkInfo(ctx)
		c.Close()
		if err != nil || info.NetworkName != "devnet" {
			t.Errorf("RPC on %s: NetworkInfo = %+v, %v", hp, info, err)
		}
	}
	for _, hp := range released[2:] {
		d, err := rpc.DialDaemon(ctx, "wss://"+hp, daemonTLS, "test_client")
		if err != nil {
			t.Errorf("daemon on %s: %v", hp, err)
			continue
		}
		info, err := d.Service(rpc.FullNodeService).NetworkInfo(ctx)
		d.Close()
		if err != nil || info.NetworkName != "devnet" {
			t.Errorf("daemon on %s: NetworkInfo = %+v, %v", hp, info, err)
		}
	}
	if err := a.shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, hp := range released {
		ln, err := net.Listen("tcp", hp)
		if err != nil {
			t.Errorf("after the node stopped: %v", err)
			continue
		}
		ln.Close()
	}
}

// Config.DaemonMaxMessageBytes reaches the daemon: a message over it
// closes the connection, one under it is answered.
func TestDaemonMaxMessageBytes(t *testing.T) {
	a := startNode(t, "a", func(c *Config) { c.DaemonAddr, c.DaemonMaxMessageBytes = "127.0.0.1:0", 1000 })
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	d := dialDaemon(ctx, t, a)
	if _, err := d.Request(ctx, rpc.DaemonName, "ping", map[string]string{"pad": strings.Repeat("x", 100)}); err != nil {
		t.Fatalf("small message: %v", err)
	}
	if _, err := d.Request(ctx, rpc.DaemonName, "ping", map[string]string{"pad": strings.Repeat("x", 2000)}); err == nil {
		t.Error("a 2,000-byte message was answered with a 1,000-byte limit")
	}
}

// Config.DaemonAllowTLS12 reaches the daemon: a TLS 1.2 client is
// answered with it, and refused without it.
func TestDaemonAllowTLS12(t *testing.T) {
	for _, allow := range []bool{false, true} {
		a := startNode(t, "a", func(c *Config) { c.DaemonAddr, c.DaemonAllowTLS12 = "127.0.0.1:0", allow })
		tc, err := rpc.ClientTLS(chiatls.Tree{Root: a.cfg.Root}, chiatls.Daemon)
		if err != nil {
			t.Fatal(err)
		}
		tc.MinVersion, tc.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		d, err := rpc.DialDaemon(ctx, "wss://"+a.DaemonAddr(), tc, "test_client")
		if err == nil {
			_, err = d.Request(ctx, rpc.DaemonName, "ping", nil)
			d.Close()
		}
		cancel()
		if allow != (err == nil) {
			t.Errorf("DaemonAllowTLS12 %v: TLS 1.2 client: %v", allow, err)
		}
		if err := a.shutdown(); err != nil {
			t.Fatal(err)
		}
	}
}

// dialDaemon connects to a's daemon with a's daemon certificate; the test
// closes the connection when it ends.
func dialDaemon(ctx context.Context, t *testing.T, a *running) *rpc.DaemonClient {
	t.Helper()
	tc, err := rpc.ClientTLS(chiatls.Tree{Root: a.cfg.Root}, chiatls.Daemon)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rpc.DialDaemon(ctx, "wss://"+a.DaemonAddr(), tc, "test_client")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
