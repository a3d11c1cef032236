package rpc

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

// TestClients runs the typed helpers against a server over HTTPS and
// through the daemon's WebSocket.
func TestClients(t *testing.T) {
	s := startServer(t, nil)
	d := startDaemon(t, nil)
	httpsClient := NewClient(s.url, clientTLSConfig(t))
	defer httpsClient.Close()
	dc, err := DialDaemon(context.Background(), d.url, clientTLSConfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if !strings.HasPrefix(dc.Origin(), "chianet_client_") {
		t.Errorf("origin %q", dc.Origin())
	}
	for name, tc := range map[string]struct {
		c    *Client
		node *fakeNode
	}{
		"https":     {httpsClient, s.node},
		"websocket": {dc.Service(FullNodeService), d.node},
	} {
		t.Run(name, func(t *testing.T) { testClient(t, tc.c, tc.node) })
	}
}

func testClient(t *testing.T, c *Client, node *fakeNode) {
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()

	// AggSigMeAdditionalData is not part of get_network_info's answer.
	wantInfo := node.info
	wantInfo.AggSigMeAdditionalData = ""
	ni, err := c.NetworkInfo(ctx)
	if err != nil || ni != wantInfo {
		t.Errorf("NetworkInfo = %+v, %v", ni, err)
	}
	if v, err := c.Version(ctx); err != nil || v != "2.7.3" {
		t.Errorf("Version = %q, %v", v, err)
	}
	if routes, err := c.Routes(ctx); err != nil || len(routes) != 43 {
		t.Errorf("Routes = %d routes, %v", len(routes), err)
	}
	if err := c.Healthz(ctx); err != nil {
		t.Error(err)
	}

	conns, err := c.Connections(ctx, 0)
	if err != nil || len(conns) != 2 {
		t.Fatalf("Connections = %v, %v", conns, err)
	}
	want := node.Connections()
	for i := range want {
		got, w := conns[i], want[i]
		if !got.CreationTime.Equal(w.CreationTime) || !got.LastMessageTime.Equal(w.LastMessageTime) {
			t.Errorf("connection %d times %v %v, want %v %v", i, got.CreationTime, got.LastMessageTime,
				w.CreationTime, w.LastMessageTime)
		}
		got.CreationTime, got.LastMessageTime, w.CreationTime, w.LastMessageTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if (got.Peak == nil) != (w.Peak == nil) || (got.Peak != nil && *got.Peak != *w.Peak) {
			t.Errorf("connection %d peak %+v, want %+v", i, got.Peak, w.Peak)
		}
		got.Peak, w.Peak = nil, nil
		if got != w {
			t.Errorf("connection %d = %+v, want %+v", i, got, w)
		}
	}
	if conns, err = c.Connections(ctx, protocol.NodeWallet); err != nil || len(conns) != 1 || conns[0].NodeID != fill32(0xac) {
		t.Errorf("wallet connections = %v, %v", conns, err)
	}

	if err := c.OpenConnection(ctx, "127.0.0.3", 8444); err != nil {
		t.Error(err)
	}
	err = c.OpenConnection(ctx, "unreachable.invalid", 8444)
	var re *Error
	if !errors.As(err, &re) || !strings.HasPrefix(re.Message, "could not connect to unreachable.invalid:8444") || re.Code != "" {
		t.Errorf("failed OpenConnection: %#v", err)
	}
	if err := c.CloseConnection(ctx, "0xac"); err != nil {
		t.Error(err)
	}
	if err := c.CloseConnection(ctx, "ff"); !errors.As(err, &re) || re.Code != CodeUnknown {
		t.Errorf("CloseConnection of nobody: %v", err)
	}
	if err := c.StopNode(ctx); err != nil {
		t.Error(err)
	}

	bs, err := c.BlockchainState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (BlockchainState{NodeID: fill32(0x11), Sync: SyncState{SyncTipHeight: 4}}); !reflect.DeepEqual(bs, want) {
		t.Errorf("BlockchainState = %+v, want %+v", bs, want)
	}

	rec, err := c.BlockRecordByHeight(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	hh, ok := rec.HeaderHash()
	if !ok || hh != mustHeaderHash(node.chain[2]) {
		t.Errorf("record header hash %v", hh)
	}
	_, err = c.BlockRecordByHeight(ctx, 99)
	if !errors.As(err, &re) || re.Code != CodeBlockHeightNotFound || re.Message != "Block height 99 not found in chain" ||
		re.Data["height"] == nil {
		t.Errorf("BlockRecordByHeight(99): %#v", err)
	}
	b, err := c.Block(ctx, hh)
	if err != nil || mustHeaderHash(b) != hh {
		t.Errorf("Block = %v, %v", b, err)
	}
	blocks, err := c.Blocks(ctx, 0, 5)
	if err != nil || len(blocks) != 5 {
		t.Fatalf("Blocks = %d, %v", len(blocks), err)
	}
	for i, b := range blocks {
		if mustHeaderHash(b) != mustHeaderHash(node.chain[i]) {
			t.Errorf("block %d differs", i)
		}
	}

	ip := netip.MustParseAddr("192.0.2.1")
	if err := c.Ban(ctx, ip, time.Hour); err != nil {
		t.Error(err)
	}
	if bans, err := c.Bans(ctx); err != nil || len(bans) != 1 || bans[0].IP != ip ||
		!bans[0].Until.Equal(time.Unix(1_800_003_600, 0)) {
		t.Errorf("Bans = %v, %v", bans, err)
	}
	if was, err := c.Unban(ctx, ip); err != nil || !was {
		t.Errorf("Unban = %v, %v", was, err)
	}
	if err := c.Ban(ctx, netip.MustParseAddr("127.0.0.1"), time.Hour); err == nil {
		t.Error("banned localhost")
	}

	if err := c.SetLogLevel(ctx, "INFO"); err != nil {
		t.Error(err)
	}
	if l, err := c.LogLevel(ctx); err != nil || l.Level != "INFO" || len(l.AvailableLevels) != 8 {
		t.Errorf("LogLevel = %+v, %v", l, err)
	}
	if err := c.SetLogLevel(ctx, "LOUD"); !errors.As(err, &re) {
		t.Errorf("SetLogLevel(LOUD): %v", err)
	}

	err = c.Call(ctx, "get_coin_record_by_name", map[string]any{"name": "00"}, nil)
	if !errors.As(err, &re) || re.Data["reason"] != "no_chain" {
		t.Errorf("unserved route: %v", err)
	}
	var resp map[string]any
	if err := c.Call(ctx, "get_network_info", struct{}{}, &resp); err != nil || resp["network_name"] != "testnet11" {
		t.Errorf("Call = %v, %v", resp, err)
	}
}

func TestClientHTTPErrors(t *testing.T) {
	s := startServer(t, nil)
	c := NewClient(s.url+"/", clientTLSConfig(t))
	defer c.Close()
	ctx := context.Background()
	var re *Error
	err := c.Call(ctx, "no_such_route", nil, nil)
	if !errors.As(err, &re) || re.Status != http.StatusNotFound || !strings.Contains(err.Error(), "404 Not Found") {
		t.Errorf("unknown route: %v", err)
	}
	err = c.Call(ctx, "get_network_info", map[string]any{"pad": strings.Repeat("x", 2<<20)}, nil)
	if !errors.As(err, &re) || re.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB request: %v", err)
	}
	if err := c.Call(ctx, "get_network_info", func() {}, nil); err == nil {
		t.Error("unencodable request sent")
	}
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{200, `{"success": true}`, ""},
		{200, `{}`, `rpc: response has no "success"`},
		{200, `[1]`, "rpc: response is not a JSON object"},
		{500, `500: Internal Server Error`, "rpc: 500 Internal Server Error: 500: Internal Server Error"},
		{200, `{"success": false}`, "rpc: call failed without an error message"},
	} {
		err := checkResponse(tc.status, []byte(tc.body))
		if (err == nil) != (tc.want == "") || (err != nil && !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("checkResponse(%d, %s) = %v, want %q", tc.status, tc.body, err, tc.want)
		}
	}
}

// A client registered for wallet_ui gets the notifications.
func TestDaemonClientNotifications(t *testing.T) {
	d := startDaemon(t, nil)
	stop := NotifyFullNode(d.Daemon, d.node)
	defer stop()
	dc, err := DialDaemon(context.Background(), d.url, clientTLSConfig(t), "ui")
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	if err := dc.Register(ctx, WalletUI); err != nil {
		t.Fatal(err)
	}
	r, err := dc.Request(ctx, DaemonName, "ping", nil)
	if err != nil || string(r.Data) != `{"success":true,"value":"pong"}` || r.Origin != DaemonName || r.Destination != "ui" {
		t.Errorf("ping = %+v, %v", r, err)
	}
	d.node.emit(PeerPeakChanged)
	select {
	case m := <-dc.Notifications():
		if m.Command != "get_connections" || m.Ack || m.Origin != FullNodeService || m.Destination != WalletUI {
			t.Errorf("notification %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("no notification")
	}
	if dc.Dropped() != 0 {
		t.Errorf("%d dropped", dc.Dropped())
	}
}
