package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chianet/chianet/internal/testlog"
	"github.com/gorilla/websocket"
)

type testDaemon struct {
	*Daemon
	node  *fakeNode
	url   string
	exits atomic.Int32
}

func startDaemon(t testing.TB, edit func(*DaemonConfig)) *testDaemon {
	t.Helper()
	td := &testDaemon{node: newFakeNode()}
	cfg := DaemonConfig{
		ListenAddr:  "127.0.0.1:0",
		TLS:         serverTLSConfig(t),
		Version:     "2.7.3",
		NetworkInfo: td.node.info,
		Exit:        func() { td.exits.Add(1) },
		Logger:      testlog.New(t),
	}
	if edit != nil {
		edit(&cfg)
	}
	d, err := NewDaemon(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddService(FullNodeService, FullNodeRoutes(td.node, Options{Version: "2.7.3"})); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	td.Daemon = d
	td.url = "wss://" + d.Addr().String() + "/"
	return td
}

// rawWS is a bare WebSocket to the daemon, for checking exact messages.
type rawWS struct {
	t  testing.TB
	ws *websocket.Conn
}

func (d *testDaemon) dialRaw(t testing.TB) *rawWS {
	t.Helper()
	dialer := websocket.Dialer{TLSClientConfig: clientTLSConfig(t), HandshakeTimeout: failsafe}
	ws, resp, err := dialer.Dial(d.url, nil)
	if resp != nil {
		resp.Body.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &rawWS{t: t, ws: ws}
}

func (r *rawWS) send(m map[string]any) {
	r.t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		r.t.Fatal(err)
	}
}

// request sends a request from origin and returns the request id.
func (r *rawWS) request(origin, destination, command string, data any) string {
	r.t.Helper()
	id := newRequestID()
	m := map[string]any{"command": command, "ack": false, "request_id": id, "destination": destination, "origin": origin}
	if data != nil {
		m["data"] = data
	}
	r.send(m)
	return id
}

// next reads the next message, with its text.
func (r *rawWS) next() (map[string]any, string) {
	r.t.Helper()
	_ = r.ws.SetReadDeadline(time.Now().Add(failsafe))
	kind, b, err := r.ws.ReadMessage()
	if err != nil {
		r.t.Fatalf("reading: %v", err)
	}
	if kind != websocket.TextMessage {
		r.t.Fatalf("message of kind %d", kind)
	}
	return decodeObject(r.t, b), string(b)
}

// call sends a request and returns the response's data, checking the
// response envelope.
func (r *rawWS) call(origin, destination, command string, data any) map[string]any {
	r.t.Helper()
	id := r.request(origin, destination, command, data)
	m, text := r.next()
	want := map[string]any{"command": command, "ack": true, "request_id": id, "destination": origin, "origin": destination}
	for k, v := range want {
		if m[k] != v {
			r.t.Errorf("%s: response %s = %v, want %v (%s)", command, k, m[k], v, text)
		}
	}
	if got := keys(m); !reflect.DeepEqual(got, []string{"ack", "command", "data", "destination", "origin", "request_id"}) {
		r.t.Errorf("%s: envelope keys %v", command, got)
	}
	checkSorted(r.t.(*testing.T), command, []byte(text))
	return m["data"].(map[string]any)
}

func TestDaemonCommands(t *testing.T) {
	d := startDaemon(t, nil)
	c := d.dialRaw(t)
	for _, tc := range []struct {
		command string
		data    any
		want    map[string]any
	}{
		{"ping", nil, map[string]any{"success": true, "value": "pong"}},
		{"get_version", nil, map[string]any{"success": true, "version": "2.7.3"}},
		{"get_network_info", nil, map[string]any{"success": true, "network_name": "testnet11", "network_prefix": "txch",
			"genesis_challenge": d.node.info.GenesisChallenge}},
		{"get_status", nil, map[string]any{"success": true, "genesis_initialized": true}},
		{"get_routes", nil, map[string]any{"success": true, "routes": []any{"is_running", "running_services", "exit",
			"register_service", "get_status", "get_version", "get_routes", "get_network_info"}}},
		{"is_running", map[string]any{"service": "chia_full_node"},
			map[string]any{"success": true, "service_name": "chia_full_node", "is_running": true}},
		{"is_running", map[string]any{"service": "chia_wallet"},
			map[string]any{"success": true, "service_name": "chia_wallet", "is_running": false}},
		{"is_running", nil, map[string]any{"success": false, "error": `is_running requires "data"`}},
		{"register_service", map[string]any{}, map[string]any{"success": false, "error": `register_service requires "data"`}},
		{"register_service", map[string]any{"x": 1}, map[string]any{"success": false,
			"error": "register_service: data.service must be a service name"}},
		{"register_service", map[string]any{"service": "chia_full_node"}, map[string]any{"success": false,
			"error": "register_service: chia_full_node is served by chianet itself and cannot be registered by a socket"}},
		{"register_service", map[string]any{"service": "wallet_ui"}, map[string]any{"success": true}},
		{"is_running", map[string]any{"service": "wallet_ui"},
			map[string]any{"success": true, "service_name": "wallet_ui", "is_running": true}},
		{"running_services", nil, map[string]any{"success": true, "running_services": []any{"chia_full_node", "wallet_ui"}}},
		{"get_keys", nil, map[string]any{"success": false,
			"error": "unknown_command get_keys (chianet's daemon starts no processes and keeps no keys or plots)"}},
		{"start_service", map[string]any{"service": "chia_wallet"}, map[string]any{"success": false,
			"error": "unknown_command start_service (chianet's daemon starts no processes and keeps no keys or plots)"}},
		{"frobnicate", nil, map[string]any{"success": false, "error": "unknown_command frobnicate"}},
		{"get_version", []any{1}, map[string]any{"success": false,
			"error": "data: the request must be a JSON object, not an array"}},
		{"exit", nil, map[string]any{"success": true, "services_stopped": []any{"chia_full_node"}}},
	} {
		got := c.call("client", "daemon", tc.command, tc.data)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %v = %v, want %v", tc.command, tc.data, got, tc.want)
		}
	}
	if n := d.exits.Load(); n != 1 {
		t.Errorf("Exit called %d times", n)
	}
	// A message that is not JSON gets an error answer.
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte("{nope")); err != nil {
		t.Fatal(err)
	}
	m, _ := c.next()
	if data := m["data"].(map[string]any); data["success"] != false || !strings.HasPrefix(data["error"].(string), "invalid message") {
		t.Errorf("invalid message answered %v", m)
	}
}

// A request to a service runs its route; the answer goes to the sockets
// registered under the request's origin, and to the sender.
func TestDaemonRoutesToService(t *testing.T) {
	d := startDaemon(t, nil)
	a, b, other := d.dialRaw(t), d.dialRaw(t), d.dialRaw(t)
	for _, c := range []*rawWS{a, b} {
		if got := c.call("client", "daemon", "register_service", map[string]any{"service": "ui_x"}); got["success"] != true {
			t.Fatal(got)
		}
	}
	data := a.call("ui_x", FullNodeService, "get_connections", map[string]any{"node_type": 1})
	conns := data["connections"].([]any)
	if data["success"] != true || len(conns) != 1 || conns[0].(map[string]any)["node_id"] != fill32(0xab).String() {
		t.Errorf("get_connections through the daemon = %v", data)
	}
	// b, also registered as ui_x, gets the same answer, as the reference
	// routes answers by name.
	m, _ := b.next()
	if m["command"] != "get_connections" || m["ack"] != true || m["destination"] != "ui_x" {
		t.Errorf("b got %v", m)
	}
	// A sender registered under no name still gets its answer.
	if data := other.call("nobody", FullNodeService, "get_blockchain_state", nil); data["success"] != true ||
		data["blockchain_state"] == nil {
		t.Errorf("get_blockchain_state = %v", data)
	}
	// The service's ping, unknown commands and bad data.
	if data := other.call("nobody", FullNodeService, "ping", nil); !reflect.DeepEqual(data, map[string]any{"success": true}) {
		t.Errorf("service ping = %v", data)
	}
	data = other.call("nobody", FullNodeService, "frobnicate", nil)
	if data["success"] != false || data["error"] != "unknown_command frobnicate" || data["structuredError"] == nil {
		t.Errorf("unknown service command = %v", data)
	}
	data = other.call("nobody", FullNodeService, "get_block_record_by_height", map[string]any{"height": "x"})
	if data["success"] != false || !strings.HasPrefix(data["error"].(string), "height: want an integer") {
		t.Errorf("bad field = %v", data)
	}
	// An ack to a service is ignored: the next message is the answer to
	// the ping sent after it.
	other.send(map[string]any{"command": "get_connections", "ack": true, "request_id": "r1",
		"destination": FullNodeService, "origin": "nobody", "data": map[string]any{}})
	other.call("nobody", FullNodeService, "ping", nil)
}

// Messages for a registered name are forwarded to its sockets; for an
// unknown one, dropped.
func TestDaemonForwards(t *testing.T) {
	d := startDaemon(t, nil)
	ui, sender := d.dialRaw(t), d.dialRaw(t)
	ui.call("ui", "daemon", "register_service", map[string]any{"service": "some_service"})
	sender.request("me", "nobody_here", "hello", map[string]any{"x": 1})
	id := sender.request("me", "some_service", "hello", map[string]any{"z": 1, "a": 2})
	m, text := ui.next()
	want := map[string]any{"command": "hello", "ack": false, "request_id": id, "destination": "some_service", "origin": "me",
		"data": map[string]any{"a": json.Number("2"), "z": json.Number("1")}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("forwarded %v, want %v", m, want)
	}
	if !strings.Contains(text, `"data":{"a":2,"z":1}`) {
		t.Errorf("forwarded message not re-serialized with sorted keys: %s", text)
	}
	// The dropped one produced nothing: the sender's next message is the
	// answer to its ping.
	if data := sender.call("me", "daemon", "ping", nil); data["value"] != "pong" {
		t.Error(data)
	}
}

func TestNotifyFullNode(t *testing.T) {
	d := startDaemon(t, nil)
	stop := NotifyFullNode(d.Daemon, d.node)
	defer stop()
	ui, metrics := d.dialRaw(t), d.dialRaw(t)
	ui.call("x", "daemon", "register_service", map[string]any{"service": WalletUI})
	metrics.call("y", "daemon", "register_service", map[string]any{"service": Metrics})

	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	expect := func(c *rawWS, destination, command string) map[string]any {
		t.Helper()
		m, _ := c.next()
		if m["command"] != command || m["ack"] != false || m["origin"] != FullNodeService || m["destination"] != destination ||
			!hex64.MatchString(m["request_id"].(string)) {
			t.Fatalf("got %v, want %s to %s", m, command, destination)
		}
		data := m["data"].(map[string]any)
		if data["success"] != true {
			t.Errorf("%s: data %v", command, data)
		}
		return data
	}

	d.node.emit(ConnectionsChanged)
	data := expect(ui, WalletUI, "get_connections")
	if len(data["connections"].([]any)) != 2 {
		t.Errorf("connections %v", data)
	}
	data = expect(ui, WalletUI, "get_blockchain_state")
	if want := noChainState("4"); !reflect.DeepEqual(data["blockchain_state"], want) {
		t.Errorf("blockchain_state %v, want %v", data["blockchain_state"], want)
	}
	expect(metrics, Metrics, "get_blockchain_state")

	d.node.emit(PeakChanged)
	expect(ui, WalletUI, "get_blockchain_state")
	expect(metrics, Metrics, "get_blockchain_state")

	d.node.emit(PeerPeakChanged)
	expect(ui, WalletUI, "get_connections")
	// metrics got nothing for it: its next message is a ping's answer.
	if data := metrics.call("y", "daemon", "ping", nil); data["value"] != "pong" {
		t.Error(data)
	}
	stop()
	stop()
}

// The notifier does not wait for a node call once stopped.
func TestNotifyFullNodeStopsDuringCall(t *testing.T) {
	d := startDaemon(t, nil)
	d.node.blocking = make(chan struct{})
	ui := d.dialRaw(t)
	ui.call("x", "daemon", "register_service", map[string]any{"service": WalletUI})
	stop := NotifyFullNode(d.Daemon, d.node)
	d.node.emit(PeakChanged)
	stop() // returns although BlockchainState is blocked
}

func TestDaemonClosesBadConnections(t *testing.T) {
	d := startDaemon(t, func(c *DaemonConfig) { c.MaxMessageBytes = 1000 })
	for name, frame := range map[string]func(*websocket.Conn) error{
		"binary":    func(ws *websocket.Conn) error { return ws.WriteMessage(websocket.BinaryMessage, []byte("{}")) },
		"too large": func(ws *websocket.Conn) error { return ws.WriteMessage(websocket.TextMessage, make([]byte, 2000)) },
	} {
		c := d.dialRaw(t)
		c.call("x", "daemon", "register_service", map[string]any{"service": "victim"})
		if err := frame(c.ws); err != nil {
			t.Fatal(err)
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(failsafe))
		_, _, err := c.ws.ReadMessage()
		if err == nil || isTimeout(err) {
			t.Errorf("%s: read %v, want the connection closed", name, err)
		}
	}
	waitFor(t, "registrations dropped", func() bool { return d.Listeners("victim") == 0 })
}

// A socket that does not read its notifications is dropped; the others
// go on.
func TestDaemonDropsSlowReader(t *testing.T) {
	d := startDaemon(t, func(c *DaemonConfig) {
		c.QueueLength = 4
		c.WriteTimeout = 200 * time.Millisecond
		c.onAccept = func(c net.Conn) { _ = c.(*net.TCPConn).SetWriteBuffer(4096) }
	})
	// stuck never reads; its small receive buffer fills soon.
	dialer := websocket.Dialer{TLSClientConfig: clientTLSConfig(t), HandshakeTimeout: failsafe,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(4096)
			}
			return c, err
		}}
	ws, resp, err := dialer.Dial(d.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer ws.Close()
	stuck, ok := &rawWS{t: t, ws: ws}, d.dialRaw(t)
	stuck.call("x", "daemon", "register_service", map[string]any{"service": "slow"})
	ok.call("y", "daemon", "register_service", map[string]any{"service": "fine"})
	big := map[string]any{"blob": strings.Repeat("x", 8<<10)}
	for d.Listeners("slow") > 0 {
		if _, err := d.Notify("test", "slow", "blob", big); err != nil {
			t.Fatal(err)
		}
	}
	if data := ok.call("y", "daemon", "ping", nil); data["value"] != "pong" {
		t.Error(data)
	}
}

func TestDaemonConnectionCap(t *testing.T) {
	d := startDaemon(t, func(c *DaemonConfig) { c.MaxConnections = 1 })
	first, err := DialDaemon(context.Background(), d.url, clientTLSConfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = DialDaemon(context.Background(), d.url, clientTLSConfig(t), "")
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("second connection: %v, want HTTP 503", err)
	}
}

// Close ends every connection and its goroutines.
func TestDaemonClose(t *testing.T) {
	d := startDaemon(t, nil)
	c, err := DialDaemon(context.Background(), d.url, clientTLSConfig(t), "me")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(failsafe):
		t.Fatal("client still connected after Close")
	}
	if _, err := c.Request(context.Background(), DaemonName, "ping", nil); !errors.Is(err, ErrClientClosed) {
		t.Errorf("request after close: %v", err)
	}
}

func TestDaemonNotFound(t *testing.T) {
	d := startDaemon(t, nil)
	hc := httpClient(t, clientTLSConfig(t))
	base := strings.Replace(strings.TrimSuffix(d.url, "/"), "wss://", "https://", 1)
	for path, status := range map[string]int{"/x": 404, "/": 400} {
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, status)
		}
	}
}
