package rpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
)

func TestBadRequests(t *testing.T) {
	s := startServer(t, nil)
	for _, tc := range []struct {
		route, body string
		status      int
		err         string // start of the error message
	}{
		{"get_blockchain_state", `{"height":`, 400, "the request is not valid JSON"},
		{"get_blockchain_state", `{} {}`, 400, "the request is not valid JSON"},
		{"get_blockchain_state", `[1, 2]`, 400, "the request must be a JSON object, not an array"},
		{"get_blockchain_state", `"x"`, 400, "the request must be a JSON object, not a string"},
		{"no_such_route", `{}`, 404, `unknown route "/no_such_route"`},
		{"", `{}`, 404, `unknown route "/"`},
		{"get_block_record_by_height", `{"height": "abc"}`, 200, `height: want an integer from 0 to 4294967295, got "abc"`},
		{"get_block_record_by_height", `{"height": -1}`, 200, `height: want an integer from 0 to 4294967295, got "-1"`},
		{"get_block_record_by_height", `{"height": 1.5}`, 200, `height: want an integer`},
		{"get_block_record_by_height", `{"height": 4294967296}`, 200, `height: want an integer`},
		{"get_block_record_by_height", `{"height": true}`, 200, `height: want an integer from 0 to 4294967295, got a boolean`},
		{"get_block_record_by_height", `{"height": null}`, 200, `height: want an integer from 0 to 4294967295, got null`},
		{"get_block", `{"header_hash": 5}`, 200, "header_hash: want a string, got a number"},
		{"get_block", `{"header_hash": "0x12"}`, 200, "header_hash: want 32 bytes of hex, got 1 bytes"},
		{"get_block", `{"header_hash": "zz"}`, 200, `header_hash: want hex, got "zz"`},
		{"get_blocks", `{"start": 0, "end": 2, "exclude_header_hash": "yes"}`, 200, "exclude_header_hash: want true or false, got a string"},
		{"get_blocks", `{"start": [], "end": 2}`, 200, "start: want an integer from 0 to 4294967295, got an array"},
		{"open_connection", `{"host": 1, "port": 1}`, 200, "host: want a string, got a number"},
		{"open_connection", `{"host": "h", "port": 70000}`, 200, `port: want an integer from 0 to 65535, got "70000"`},
		{"open_connection", `{"port": 1}`, 200, "host: missing"},
		{"get_connections", `{"node_type": 9}`, 200, "node_type: 9 is not a valid NodeType"},
		{"get_connections", `{"node_type": {}}`, 200, "node_type: want an integer from 0 to 255, got an object"},
		{"close_connection", `{"node_id": 7}`, 200, "node_id: want a string, got a number"},
	} {
		status, body := s.post(t, tc.route, tc.body)
		m := decodeObject(t, body)
		msg, _ := m["error"].(string)
		if status != tc.status || m["success"] != false || !strings.HasPrefix(msg, tc.err) {
			t.Errorf("%s %s: HTTP %d %s; want %d and error %q", tc.route, tc.body, status, body, tc.status, tc.err)
			continue
		}
		se, _ := m["structuredError"].(map[string]any)
		if se == nil || se["code"] != "UNKNOWN" || se["message"] != msg {
			t.Errorf("%s %s: structuredError %v", tc.route, tc.body, se)
		}
	}
	// No body at all, and null, are {}.
	for _, body := range []string{"", "  ", "null"} {
		if m := s.call(t, "healthz", body); m["success"] != true {
			t.Errorf("healthz with body %q = %v", body, m)
		}
	}
}

func TestGetIsRefused(t *testing.T) {
	s := startServer(t, nil)
	hc := httpClient(t, clientTLSConfig(t))
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodHead} {
		req, err := http.NewRequest(method, s.url+"/get_network_info", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s: HTTP %d, Allow %q", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
		if method != http.MethodHead && !bytes.Contains(body, []byte(`takes POST, not `+method)) {
			t.Errorf("%s: body %s", method, body)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	s := startServer(t, nil)
	hc := httpClient(t, clientTLSConfig(t))
	pad := func(total int) string {
		prefix := `{"pad": "`
		return prefix + strings.Repeat("x", total-len(prefix)-2) + `"}`
	}
	// Exactly 1 MiB is served.
	if m := s.call(t, "healthz", pad(1<<20)); m["success"] != true {
		t.Fatalf("1 MiB body: %v", m)
	}
	// 2 MiB gets a prompt 413, with and without a Content-Length.
	for _, chunked := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		var body io.Reader = strings.NewReader(pad(2 << 20))
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/get_network_info", body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusRequestEntityTooLarge ||
			!bytes.Contains(b, []byte(`"error":"the request body is over the 1048576-byte limit"`)) {
			t.Errorf("chunked=%v: HTTP %d %s", chunked, resp.StatusCode, b)
		}
	}
	// The server goes on.
	if m := s.call(t, "healthz", "{}"); m["success"] != true {
		t.Fatal(m)
	}
}

func TestClientCertificates(t *testing.T) {
	s := startServer(t, nil)
	c := getCerts(t)
	good := clientTLSConfig(t)
	noCert := good.Clone()
	noCert.Certificates = nil
	noCert.GetClientCertificate = nil
	otherCA := chiatls.ClientConfig(c.otherClient.TLSCertificate(), c.pool)
	tls12 := good.Clone()
	tls12.MinVersion, tls12.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	for name, tc := range map[string]*tls.Config{"no client certificate": noCert,
		"certificate from another CA": otherCA, "TLS 1.2": tls12} {
		hc := httpClient(t, tc)
		resp, err := hc.Post(s.url+"/healthz", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: HTTP %d, want a TLS failure", name, resp.StatusCode)
		}
	}
	// A client checking the server against another CA refuses it.
	wrongRoots := chiatls.ClientConfig(c.client.TLSCertificate(), c.otherPool)
	if resp, err := httpClient(t, wrongRoots).Post(s.url+"/healthz", "", nil); err == nil {
		resp.Body.Close()
		t.Error("server certificate from another CA accepted")
	}
	if m := s.call(t, "healthz", "{}"); m["success"] != true {
		t.Fatal(m)
	}
}

// Slow clients hold no more than their own connection: 200 of them,
// stalled at every stage of a request, do not stop another client from
// being served.
func TestSlowClients(t *testing.T) {
	s := startServer(t, nil)
	addr := s.Addr().String()
	const slow = 200
	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, slow)
	for i := range slow {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, failsafe)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			switch i % 3 {
			case 0: // TCP only: no TLS handshake
				return
			case 1: // headers cut short
				tc := tls.Client(c, clientTLSConfig(t))
				if err := tc.Handshake(); err != nil {
					errs <- err
					return
				}
				_, err = io.WriteString(tc, "POST /healthz HTTP/1.1\r\nHost: x\r\n")
			case 2: // body cut short
				tc := tls.Client(c, clientTLSConfig(t))
				if err := tc.Handshake(); err != nil {
					errs <- err
					return
				}
				_, err = io.WriteString(tc, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("slow client: %v", err)
	}
	client := NewClient(s.url, clientTLSConfig(t))
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	for i := range 20 {
		if _, err := client.NetworkInfo(ctx); err != nil {
			t.Fatalf("call %d with %d slow clients: %v", i, slow, err)
		}
	}
}

// A client that does not finish its headers in time is disconnected.
func TestReadHeaderTimeout(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ReadHeaderTimeout = 100 * time.Millisecond })
	for _, stage := range []string{"tcp", "headers"} {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = c
		if stage == "headers" {
			tc := tls.Client(c, clientTLSConfig(t))
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(tc, "POST /healthz HTTP/1.1\r\n"); err != nil {
				t.Fatal(err)
			}
			r = tc
		}
		_ = c.SetReadDeadline(time.Now().Add(failsafe))
		_, err = io.ReadAll(r)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: not disconnected after %v", stage, failsafe)
		}
		c.Close()
	}
}

// Connections over the cap are closed at once; the ones under it are
// served.
func TestConnectionCap(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxConnections = 3 })
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = extra.SetReadDeadline(time.Now().Add(failsafe))
	if _, err := extra.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("connection over the cap: read %v, want it closed", err)
	}
	extra.Close()
	for _, c := range held {
		c.Close()
	}
	// Once the held connections are gone, calls are served again.
	client := NewClient(s.url, clientTLSConfig(t))
	defer client.Close()
	waitFor(t, "served after the held connections closed", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		defer cancel()
		return client.Healthz(ctx) == nil
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestNewServerErrors(t *testing.T) {
	good := Config{Routes: []Route{{"a", func(context.Context, Params) (any, error) { return nil, nil }}},
		ListenAddr: "127.0.0.1:0", TLS: serverTLSConfig(t)}
	noVerify := good.TLS.Clone()
	noVerify.ClientAuth = tls.RequestClientCert
	for name, edit := range map[string]func(*Config){
		"no address":  func(c *Config) { c.ListenAddr = "" },
		"no routes":   func(c *Config) { c.Routes = nil },
		"no TLS":      func(c *Config) { c.TLS = nil },
		"no mTLS":     func(c *Config) { c.TLS = noVerify },
		"bad name":    func(c *Config) { c.Routes = append(c.Routes, Route{"a/b", good.Routes[0].Handler}) },
		"duplicate":   func(c *Config) { c.Routes = append(c.Routes, good.Routes[0]) },
		"nil handler": func(c *Config) { c.Routes = append(c.Routes, Route{Name: "b"}) },
	} {
		cfg := good
		edit(&cfg)
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	s, err := NewServer(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// ServerTLS and ClientTLS work from a CHIA_ROOT tree: the daemon's
// certificate on the server, another service's on the client.
func TestTLSFromTree(t *testing.T) {
	tree := chiatls.Tree{Root: t.TempDir()}
	for _, svc := range []chiatls.Service{chiatls.Daemon, chiatls.Crawler} {
		if err := tree.EnsureService(svc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ServerTLS(chiatls.Tree{Root: t.TempDir()}, chiatls.Daemon); err == nil {
		t.Error("ServerTLS of an empty tree succeeded")
	}
	stc, err := ServerTLS(tree, chiatls.Daemon)
	if err != nil {
		t.Fatal(err)
	}
	ctc, err := ClientTLS(tree, chiatls.Crawler)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(c *Config) { c.TLS = stc })
	client := NewClient(s.url, ctc)
	defer client.Close()
	if err := client.Healthz(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The test CA's client is refused by the tree's server.
	other := NewClient(s.url, clientTLSConfig(t))
	defer other.Close()
	if err := other.Healthz(context.Background()); err == nil {
		t.Error("client of another CA served")
	}
}
