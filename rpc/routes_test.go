package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chianet/chianet/protocol"
)

func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	if got := keys(m); !reflect.DeepEqual(got, sortedStrings(want...)) {
		t.Errorf("%s keys = %v, want %v", what, got, sortedStrings(want...))
	}
}

func wantSuccess(t *testing.T, route string, m map[string]any) {
	t.Helper()
	if m["success"] != true {
		t.Fatalf("%s: success = %v: %v", route, m["success"], m)
	}
}

func TestSharedRouteShapes(t *testing.T) {
	s := startServer(t, nil)

	m := s.call(t, "get_network_info", "{}")
	wantKeys(t, "get_network_info", m, "success", "network_name", "network_prefix", "genesis_challenge")
	if m["network_name"] != "testnet11" || m["network_prefix"] != "txch" ||
		m["genesis_challenge"] != "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615" {
		t.Errorf("get_network_info = %v", m)
	}

	m = s.call(t, "get_connections", "{}")
	wantKeys(t, "get_connections", m, "success", "connections")
	conns := m["connections"].([]any)
	if len(conns) != 2 {
		t.Fatalf("%d connections", len(conns))
	}
	c0 := conns[0].(map[string]any)
	wantKeys(t, "connection", c0, "type", "local_port", "peer_host", "peer_port", "peer_server_port", "node_id",
		"creation_time", "bytes_read", "bytes_written", "last_message_time", "peak_height", "peak_weight", "peak_hash")
	want := map[string]any{
		"type": json.Number("1"), "local_port": json.Number("8444"), "peer_host": "127.0.0.2",
		"peer_port": json.Number("58444"), "peer_server_port": json.Number("58444"),
		"node_id": "0x" + strings.Repeat("ab", 32), "creation_time": json.Number("1700000000.5"),
		"bytes_read": json.Number("10"), "bytes_written": json.Number("20"),
		"last_message_time": json.Number("1700000100.0"), "peak_height": json.Number("4"),
		"peak_weight": json.Number("340282366920938463463374607431768211455"),
		"peak_hash":   "0x" + strings.Repeat("44", 32),
	}
	if !reflect.DeepEqual(want, c0) {
		t.Errorf("connection = %v, want %v", c0, want)
	}
	c1 := conns[1].(map[string]any)
	if c1["peak_height"] != nil || c1["peak_weight"] != nil || c1["peak_hash"] != nil || c1["peer_host"] != "::1" ||
		c1["last_message_time"] != json.Number("0.0") {
		t.Errorf("connection without a peak = %v", c1)
	}
	for _, tc := range []struct {
		body string
		want int
	}{{`{"node_type": 1}`, 1}, {`{"node_type": 6}`, 1}, {`{"node_type": "6"}`, 1}, {`{"node_type": 3}`, 0}} {
		m = s.call(t, "get_connections", tc.body)
		if got := len(m["connections"].([]any)); got != tc.want {
			t.Errorf("get_connections %s: %d connections, want %d", tc.body, got, tc.want)
		}
	}

	m = s.call(t, "get_version", "")
	wantKeys(t, "get_version", m, "success", "version")
	if m["version"] != "2.7.3" {
		t.Errorf("version %v", m["version"])
	}
	m = s.call(t, "healthz", "{}")
	wantKeys(t, "healthz", m, "success")
	wantSuccess(t, "healthz", m)

	m = s.call(t, "get_routes", "{}")
	var routes []string
	for _, r := range m["routes"].([]any) {
		routes = append(routes, r.(string))
	}
	if len(routes) != 5+24+3+11 {
		t.Errorf("%d routes: %v", len(routes), routes)
	}
	for _, r := range []string{"/get_blockchain_state", "/get_coin_record_by_name", "/list_bans", "/get_network_info",
		"/get_connections", "/open_connection", "/close_connection", "/stop_node", "/get_routes", "/get_version",
		"/healthz", "/get_log_level", "/set_log_level", "/reset_log_level"} {
		if !slices.Contains(routes, r) {
			t.Errorf("get_routes lacks %s", r)
		}
	}
	if routes[0] != "/get_blockchain_state" || routes[len(routes)-1] != "/reset_log_level" {
		t.Errorf("routes not in the reference's order: %v", routes)
	}

	m = s.call(t, "open_connection", `{"host": "127.0.0.9", "port": 8444}`)
	wantKeys(t, "open_connection", m, "success")
	wantSuccess(t, "open_connection", m)
	m = s.call(t, "open_connection", `{"host": "unreachable.invalid", "port": 8444}`)
	wantKeys(t, "failed open_connection", m, "success", "error")
	if m["success"] != false || !strings.HasPrefix(m["error"].(string), "could not connect to unreachable.invalid:8444") {
		t.Errorf("failed open_connection = %v", m)
	}

	m = s.call(t, "stop_node", "{}")
	wantSuccess(t, "stop_node", m)
	s.node.mu.Lock()
	stopped := s.node.stopped
	s.node.mu.Unlock()
	if stopped != 1 {
		t.Errorf("Stop called %d times", stopped)
	}
}

func TestCloseConnection(t *testing.T) {
	s := startServer(t, nil)
	for _, tc := range []struct {
		id      string
		success bool
		err     string
	}{
		{"0x" + strings.Repeat("ab", 32), true, ""},
		{strings.Repeat("AB", 32), true, ""},
		{"0xabab", true, ""},
		{"ac", true, ""},
		{"a", false, "node_id a matches 2 connections; give more of its digits"},
		{"ff", false, "Connection with node_id ff does not exist"},
		{"xyz", false, `node_id: want a node id or its first hex digits, got "xyz"`},
	} {
		m := s.call(t, "close_connection", fmt.Sprintf(`{"node_id": %q}`, tc.id))
		if m["success"] != tc.success || (tc.err != "" && m["error"] != tc.err) {
			t.Errorf("close_connection %q = %v", tc.id, m)
		}
	}
	s.node.mu.Lock()
	defer s.node.mu.Unlock()
	want := []protocol.Bytes32{fill32(0xab), fill32(0xab), fill32(0xab), fill32(0xac)}
	if !reflect.DeepEqual(want, s.node.closed) {
		t.Errorf("closed = %v, want %v", s.node.closed, want)
	}
}

func TestLogLevelRoutes(t *testing.T) {
	s := startServer(t, nil)
	levels := []any{"CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"}
	m := s.call(t, "get_log_level", "{}")
	wantKeys(t, "get_log_level", m, "success", "level", "available_levels")
	if m["level"] != "WARNING" || !reflect.DeepEqual(m["available_levels"], levels) {
		t.Errorf("get_log_level = %v", m)
	}
	m = s.call(t, "set_log_level", `{"level": "DEBUG"}`)
	wantKeys(t, "set_log_level", m, "success", "level", "available_levels", "errors")
	if m["level"] != "DEBUG" || m["success"] != true || len(m["errors"].([]any)) != 0 {
		t.Errorf("set_log_level DEBUG = %v", m)
	}
	if m = s.call(t, "get_log_level", "{}"); m["level"] != "DEBUG" {
		t.Errorf("level after set: %v", m["level"])
	}
	m = s.call(t, "set_log_level", `{"level": "LOUD"}`)
	if m["success"] != false || m["level"] != "WARNING" || len(m["errors"].([]any)) != 1 || m["error"] == nil {
		t.Errorf("set_log_level LOUD = %v", m)
	}
	s.call(t, "set_log_level", `{"level": "info"}`)
	m = s.call(t, "reset_log_level", `{}`)
	if m["success"] != true || m["level"] != "WARNING" {
		t.Errorf("reset_log_level = %v", m)
	}
	m = s.call(t, "set_log_level", `{}`)
	if m["success"] != false || m["error"] != "level: missing" {
		t.Errorf("set_log_level without level = %v", m)
	}
}

func TestBanRoutes(t *testing.T) {
	s := startServer(t, nil)
	m := s.call(t, "list_bans", "{}")
	wantKeys(t, "list_bans", m, "success", "bans")
	if len(m["bans"].([]any)) != 0 {
		t.Errorf("bans %v", m["bans"])
	}
	if m = s.call(t, "ban", `{"ip": "203.0.113.7", "seconds": 600}`); m["success"] != true {
		t.Fatalf("ban = %v", m)
	}
	if m = s.call(t, "ban", `{"ip": "::ffff:198.51.100.1", "seconds": "60"}`); m["success"] != true {
		t.Fatalf("ban = %v", m)
	}
	m = s.call(t, "ban", `{"ip": "127.0.0.1", "seconds": 600}`)
	if m["success"] != false || !strings.Contains(m["error"].(string), "127.0.0.1 was not banned") {
		t.Errorf("ban localhost = %v", m)
	}
	for _, body := range []string{`{"ip": "nonsense", "seconds": 1}`, `{"ip": "1.2.3.4"}`, `{"ip": "1.2.3.4", "seconds": 0}`,
		`{"ip": 5, "seconds": 1}`, `{"seconds": 1}`} {
		if m = s.call(t, "ban", body); m["success"] != false {
			t.Errorf("ban %s = %v", body, m)
		}
	}
	m = s.call(t, "list_bans", "{}")
	want := []any{
		map[string]any{"ip": "198.51.100.1", "until": json.Number("1800000060.0")},
		map[string]any{"ip": "203.0.113.7", "until": json.Number("1800000600.0")},
	}
	if !reflect.DeepEqual(want, m["bans"]) {
		t.Errorf("bans = %v, want %v", m["bans"], want)
	}
	m = s.call(t, "unban", `{"ip": "203.0.113.7"}`)
	wantKeys(t, "unban", m, "success", "was_banned")
	if m["was_banned"] != true {
		t.Errorf("unban = %v", m)
	}
	if m = s.call(t, "unban", `{"ip": "203.0.113.7"}`); m["was_banned"] != false {
		t.Errorf("second unban = %v", m)
	}
	if bans := s.node.Bans(); len(bans) != 1 || bans[0].IP != netip.MustParseAddr("198.51.100.1") {
		t.Errorf("node's bans: %v", bans)
	}
}

func TestNotServedRoutes(t *testing.T) {
	s := startServer(t, nil)
	if len(unservedFullNodeRoutes) != 24 {
		t.Fatalf("%d unserved routes", len(unservedFullNodeRoutes))
	}
	for _, r := range unservedFullNodeRoutes {
		m := s.call(t, r, `{"header_hash": "00", "puzzle_hash": "00"}`)
		if m["success"] != false {
			t.Errorf("%s succeeded: %v", r, m)
			continue
		}
		wantKeys(t, r, m, "success", "error", "structuredError")
		if msg := m["error"].(string); !strings.HasPrefix(msg, r+" is not served: chianet keeps no blockchain") {
			t.Errorf("%s: error %q", r, msg)
		}
		se := m["structuredError"].(map[string]any)
		if se["code"] != "UNKNOWN" || !reflect.DeepEqual(se["data"], map[string]any{"route": r, "reason": "no_chain"}) {
			t.Errorf("%s: structuredError %v", r, se)
		}
	}
}

// A route that panics answers INTERNAL_ERROR and the server goes on.
func TestPanickingRoute(t *testing.T) {
	node := newFakeNode()
	s := startServer(t, func(c *Config) {
		c.Routes = SharedRoutes(node, Options{}, []Route{{"boom", func(context.Context, Params) (any, error) { panic("kaboom") }},
			{"not_object", func(context.Context, Params) (any, error) { return []int{1}, nil }}})
	})
	m := s.call(t, "boom", "{}")
	if m["success"] != false || m["structuredError"].(map[string]any)["code"] != "INTERNAL_ERROR" ||
		!strings.Contains(m["error"].(string), "kaboom") {
		t.Errorf("boom = %v", m)
	}
	m = s.call(t, "not_object", "{}")
	if m["success"] != false || m["structuredError"].(map[string]any)["code"] != "INTERNAL_ERROR" {
		t.Errorf("not_object = %v", m)
	}
	wantSuccess(t, "healthz", s.call(t, "healthz", "{}"))
}
