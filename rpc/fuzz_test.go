package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
)

// errorCounter is a slog handler that counts the records at error level:
// a route that panics is logged there (protect) and answered
// INTERNAL_ERROR, which a fuzz target must not mistake for a typed error.
type errorCounter struct{ n atomic.Int64 }

func (c *errorCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (c *errorCounter) Handle(_ context.Context, r slog.Record) error {
	c.n.Add(1)
	return nil
}
func (c *errorCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *errorCounter) WithGroup(string) slog.Handler      { return c }

// fuzzBodies are request bodies of the right and wrong shapes.
var fuzzBodies = []string{
	``,
	`{}`,
	`null`,
	`[]`,
	`"x"`,
	`{"height": 3}`,
	`{"height": "3"}`,
	`{"height": -1}`,
	`{"height": 1e400}`,
	`{"height": 99999999999999999999999999999}`,
	`{"start": 0, "end": 4, "exclude_header_hash": true}`,
	`{"start": 4294967295, "end": 0}`,
	`{"header_hash": "0x` + strings.Repeat("ab", 32) + `"}`,
	`{"header_hash": "zz"}`,
	`{"host": "127.0.0.1", "port": 8444}`,
	`{"host": "", "port": 70000}`,
	`{"node_id": "ab"}`,
	`{"node_id": ""}`,
	`{"ip": "10.1.2.3", "seconds": 60}`,
	`{"ip": "::1", "seconds": 18446744073709551615}`,
	`{"ip": "not an ip"}`,
	`{"level": "DEBUG"}`,
	`{"level": {"a": [1, 2]}}`,
	`{"after": 0, "offset": 0, "limit": 10}`,
	`{"after": 1e308, "offset": -5, "limit": 1e9}`,
	`{"height": 1, "height": "x"}`,
	`{"a": ` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}`,
	`{"a": "\ud800"}`,
	"{\"\xff\": 1}",
	`{} trailing`,
}

// checkEnvelope requires b to be the reference's envelope: a JSON object
// with a boolean "success" and, on failure, a string "error".
func checkEnvelope(t *testing.T, what string, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		t.Fatalf("%s: answer is not a JSON object (%v): %q", what, err, b)
	}
	ok, isBool := m["success"].(bool)
	if !isBool {
		t.Fatalf("%s: answer has no boolean success: %s", what, b)
	}
	if _, isString := m["error"].(string); !ok && !isString {
		t.Fatalf("%s: failure without an error message: %s", what, b)
	}
	return m
}

// FuzzRoute posts arbitrary bodies to every route of a full node's and a
// crawler's RPC server: each answer must be 200 (the route's answer) or
// 400 (a body that is not an object), always the JSON envelope, and no
// route may panic.
func FuzzRoute(f *testing.F) {
	node := newFakeNode()
	crawler := newFakeCrawler()
	logs := &errorCounter{}
	log := slog.New(logs)
	tls := serverTLSConfig(f)
	var servers []*Server
	var names []string
	for _, routes := range [][]Route{
		FullNodeRoutes(node, Options{Version: "2.7.3"}),
		CrawlerRoutes(crawler, Options{Version: "2.7.3"}),
	} {
		s, err := NewServer(Config{Routes: routes, ListenAddr: "127.0.0.1:0", TLS: tls, Logger: log})
		if err != nil {
			f.Fatal(err)
		}
		servers = append(servers, s)
		for _, r := range routes {
			names = append(names, r.Name)
		}
	}
	nFull := len(FullNodeRoutes(node, Options{}))
	for i := range names {
		for _, b := range fuzzBodies {
			f.Add(uint16(i), []byte(b))
		}
	}
	f.Add(uint16(len(names)), []byte(`{}`)) // an unknown route
	f.Fuzz(func(t *testing.T, route uint16, body []byte) {
		i := int(route) % (len(names) + 1)
		s, path := servers[0], "/no_such_route"
		if i < len(names) {
			path = "/" + names[i]
			if i >= nFull {
				s = servers[1]
			}
		}
		// The fakes keep what they were asked; forget it.
		node.mu.Lock()
		node.opened, node.closed, node.bans = nil, nil, map[netip.Addr]time.Time{}
		node.mu.Unlock()
		crawler.mu.Lock()
		crawler.calls = nil
		crawler.mu.Unlock()

		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		switch {
		case logs.n.Load() != 0:
			t.Fatalf("%s logged an error (a panic?) for %q: %s", path, body, w.Body.Bytes())
		case i == len(names) && w.Code != http.StatusNotFound:
			t.Fatalf("unknown route answered %d", w.Code)
		case i < len(names) && w.Code != http.StatusOK && w.Code != http.StatusBadRequest:
			t.Fatalf("%s answered %d to %q: %s", path, w.Code, body, w.Body.Bytes())
		}
		checkEnvelope(t, path, w.Body.Bytes())
	})
}

// FuzzDaemonMessage feeds arbitrary WebSocket text messages to the
// daemon, as its read loop takes them: whatever arrives, every message
// the daemon sends back is a JSON envelope whose data is valid JSON, and
// nothing panics.
func FuzzDaemonMessage(f *testing.F) {
	for _, m := range []string{
		`{"command":"ping","ack":false,"data":{},"request_id":"1","destination":"daemon","origin":"ui"}`,
		`{"command":"register_service","data":{"service":"wallet_ui"},"request_id":"2","destination":"daemon","origin":"ui"}`,
		`{"command":"register_service","data":{"service":"chia_full_node"},"destination":"daemon"}`,
		`{"command":"register_service","data":{},"destination":"daemon"}`,
		`{"command":"is_running","data":{"service":7},"destination":"daemon"}`,
		`{"command":"running_services","destination":"daemon"}`,
		`{"command":"get_routes","destination":"daemon"}`,
		`{"command":"exit","destination":"daemon"}`,
		`{"command":"start_service","data":{"service":"x"},"destination":"daemon"}`,
		`{"command":"get_connections","data":{},"request_id":"3","destination":"chia_full_node","origin":"ui"}`,
		`{"command":"get_block_record_by_height","data":{"height":"2"},"destination":"chia_full_node","origin":"ui"}`,
		`{"command":"get_blocks","data":[1,2],"destination":"chia_full_node"}`,
		`{"command":"ping","destination":"chia_full_node","ack":true}`,
		`{"command":"state_changed","data":{"b":1,"a":[{"d":2,"c":3}]},"destination":"wallet_ui","origin":"x"}`,
		`{"command":"state_changed","data":12,"destination":"wallet_ui"}`,
		`{"command":"x","data":` + strings.Repeat(`{"a":`, 3000) + `1` + strings.Repeat(`}`, 3000) + `,"destination":"daemon"}`,
		`{"command":1}`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(m))
	}
	node := newFakeNode()
	logs := &errorCounter{}
	d, err := NewDaemon(DaemonConfig{ListenAddr: "127.0.0.1:0", TLS: serverTLSConfig(f), Version: "2.7.3",
		NetworkInfo: node.info, Logger: slog.New(logs), QueueLength: 64})
	if err != nil {
		f.Fatal(err)
	}
	if err := d.AddService(FullNodeService, FullNodeRoutes(node, Options{Version: "2.7.3"})); err != nil {
		f.Fatal(err)
	}
	d.base = context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newWSConn(d, nil, "fuzz")
		// A socket registered under wallet_ui, to receive what is
		// forwarded there.
		sub := newWSConn(d, nil, "subscriber")
		d.register(sub, WalletUI)
		defer func() {
			d.remove(c)
			d.remove(sub)
		}()
		// As readLoop does.
		var m Message
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(Message{}, map[string]any{"success": false, "error": "invalid message: " + err.Error()})
		} else {
			d.handle(c, m)
		}
		c.handlers.Wait()
		if logs.n.Load() != 0 {
			t.Fatalf("the daemon logged an error (a panic?) for %q", data)
		}
		for _, conn := range []*wsConn{c, sub} {
			for len(conn.out) > 0 {
				b := <-conn.out
				var back Message
				if err := json.Unmarshal(b, &back); err != nil {
					t.Fatalf("sent a message that does not parse (%v): %q", err, b)
				}
				if !json.Valid(back.Data) {
					t.Fatalf("sent data that is not JSON: %q", b)
				}
				if conn == c {
					if !back.Ack {
						t.Fatalf("answer without ack: %s", b)
					}
					checkEnvelope(t, back.Command, back.Data)
				}
			}
		}
	})
}

// FuzzClientJSON feeds arbitrary JSON to the types a Client reads from a
// server's answers (the first byte picks the type): decoding must not
// panic, and a value it accepts must write JSON that reads back to the
// same value.
func FuzzClientJSON(f *testing.F) {
	for i, s := range []string{
		`{"type":1,"local_port":8444,"peer_host":"127.0.0.2","peer_port":58444,"peer_server_port":58444,"node_id":"0x` + strings.Repeat("ab", 32) + `","creation_time":1700000000.5,"bytes_read":10,"bytes_written":20,"last_message_time":1700000100.0,"peak_height":4,"peak_weight":340282366920938463463374607431768211455,"peak_hash":"0x` + strings.Repeat("44", 32) + `"}`,
		`{"peak":null,"genesis_challenge_initialized":true,"sync":{"sync_mode":false,"synced":true,"sync_tip_height":0,"sync_progress_height":0},"difficulty":0,"sub_slot_iters":0,"space":1,"mempool_size":0,"node_id":"` + strings.Repeat("11", 32) + `"}`,
		`{"ip":"10.1.2.3","until":1800000060.25}`,
		`1700000000.123456789`,
		`"340282366920938463463374607431768211455"`,
		`"0x` + strings.Repeat("cd", 32) + `"`,
	} {
		f.Add(byte(i), []byte(s))
	}
	f.Add(byte(3), []byte(`1e300`))
	f.Add(byte(3), []byte(`-1e18`))
	f.Add(byte(2), []byte(`{"ip":"fe80::1%eth0","until":null}`))
	f.Add(byte(0), []byte(`{"peer_host":"::ffff:1.2.3.4","creation_time":-0.0000000001}`))
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		var v any
		switch which % 6 {
		case 0:
			v = new(Connection)
		case 1:
			v = new(BlockchainState)
		case 2:
			v = new(Ban)
		case 3:
			v = new(unixTime)
		case 4:
			v = new(uint128)
		case 5:
			v = new(hash32)
		}
		if json.Unmarshal(data, v) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%T from %q does not encode: %v", v, data, err)
		}
		back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := json.Unmarshal(out, back); err != nil {
			t.Fatalf("%T from %q writes %s, which does not read back: %v", v, data, out, err)
		}
		// A time comes back within the precision of a float of seconds
		// (the epoch itself is written 0, which reads as no time).
		if u, ok := v.(*unixTime); ok {
			t1, t2 := time.Time(*u), time.Time(*back.(*unixTime))
			if d := t1.Sub(t2); (d > time.Microsecond || d < -time.Microsecond) && !t1.Equal(time.Unix(0, 0)) {
				t.Fatalf("time %q read as %v, written %s, read back as %v", data, t1, out, t2)
			}
		}
		if again, _ := json.Marshal(back); !bytes.Equal(again, out) {
			t.Fatalf("%T from %q: %s then %s", v, data, out, again)
		}
	})
}

// FuzzClientResponse hands arbitrary response bodies and statuses to every
// Client method, as a misbehaving server could send them: nothing may
// panic, and a call fails with an error or returns what it decoded.
func FuzzClientResponse(f *testing.F) {
	node := newFakeNode()
	srv, err := NewServer(Config{Routes: FullNodeRoutes(node, Options{Version: "2.7.3"}), ListenAddr: "127.0.0.1:0",
		TLS: serverTLSConfig(f)})
	if err != nil {
		f.Fatal(err)
	}
	// The real server's answers to each call are the seeds.
	for i, route := range []string{"get_network_info", "get_version", "get_routes", "healthz", "get_connections",
		"get_blockchain_state", "get_block_record_by_height", "get_block", "get_blocks", "list_bans", "unban",
		"get_log_level"} {
		body := `{}`
		switch route {
		case "get_block_record_by_height":
			body = `{"height": 2}`
		case "get_block":
			body = `{"header_hash": "` + mustHeaderHash(node.chain[1]).String() + `"}`
		case "get_blocks":
			body = `{"start": 0, "end": 5}`
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/"+route, strings.NewReader(body)))
		f.Add(uint8(i), uint16(http.StatusOK), w.Body.Bytes())
	}
	f.Add(uint8(0), uint16(500), []byte(strings.Repeat("é", 150)))
	f.Add(uint8(7), uint16(200), []byte(`{"success": true, "block": {"foliage": 1}}`))
	f.Add(uint8(8), uint16(200), []byte(`{"success": true, "blocks": [null, 1]}`))
	f.Add(uint8(1), uint16(200), []byte(`{"success": false, "structuredError": {"code": 7, "data": []}}`))
	f.Add(uint8(1), uint16(404), []byte(`{"error": "x"}`))
	f.Fuzz(func(t *testing.T, which uint8, status uint16, body []byte) {
		c := &Client{call: func(context.Context, string, []byte) ([]byte, error) {
			return body, checkResponse(int(status), body)
		}}
		ctx := context.Background()
		var err error
		switch which % 12 {
		case 0:
			_, err = c.NetworkInfo(ctx)
		case 1:
			_, err = c.Version(ctx)
		case 2:
			_, err = c.Routes(ctx)
		case 3:
			err = c.Healthz(ctx)
		case 4:
			_, err = c.Connections(ctx, 0)
		case 5:
			_, err = c.BlockchainState(ctx)
		case 6:
			var r BlockRecord
			if r, err = c.BlockRecordByHeight(ctx, 2); err == nil {
				_, _ = r.Decode()
				r.HeaderHash()
				r.Height()
				r.Weight()
			}
		case 7:
			_, err = c.Block(ctx, protocol.Bytes32{})
		case 8:
			_, err = c.Blocks(ctx, 0, 5)
		case 9:
			_, err = c.Bans(ctx)
		case 10:
			_, err = c.Unban(ctx, netip.MustParseAddr("10.0.0.1"))
		case 11:
			_, err = c.LogLevel(ctx)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
	})
}

// TestUnixTimeRange: times beyond what UnixNano holds are refused rather
// than read as a wrapped-around date.
func TestUnixTimeRange(t *testing.T) {
	for _, s := range []string{`1e300`, `-1e18`, `9.3e9`, `-9.3e9`} {
		var u unixTime
		if err := json.Unmarshal([]byte(s), &u); err == nil {
			t.Errorf("%s read as %v", s, time.Time(u))
		}
	}
	var u unixTime
	if err := json.Unmarshal([]byte(`4102444800.5`), &u); err != nil || !time.Time(u).Equal(time.Unix(4102444800, 5e8)) {
		t.Errorf("4102444800.5 read as %v (%v)", time.Time(u), err)
	}
}
