package rpc

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/chianet/chianet/chiatls"
)

// dialTLS opens a WebSocket to d with client TLS config tc; the test
// closes it when it ends.
func (d *testDaemon) dialTLS(t *testing.T, tc *tls.Config) (*rawWS, error) {
	t.Helper()
	dialer := websocket.Dialer{TLSClientConfig: tc, HandshakeTimeout: failsafe}
	ws, resp, err := dialer.Dial(d.url, nil)
	if resp != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { ws.Close() })
	return &rawWS{t: t, ws: ws}, nil
}

// tls12Only returns a copy of tc that speaks TLS 1.2 alone, offering
// suites (nil: Go's defaults).
func tls12Only(tc *tls.Config, suites ...uint16) *tls.Config {
	c := tc.Clone()
	c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	c.CipherSuites = suites
	return c
}

// TestDaemonTLS12 checks DaemonConfig.AllowTLS12, the reference's
// daemon_allow_tls_1_2: by default a TLS 1.2 client is refused; with it,
// the handshake completes with one of the reference's ECDHE AEAD suites
// and the daemon answers, while a client certificate is still required
// and CBC suites are still refused.
func TestDaemonTLS12(t *testing.T) {
	c := getCerts(t)
	good := clientTLSConfig(t)
	noCert := tls12Only(good)
	noCert.Certificates, noCert.GetClientCertificate = nil, nil

	def := startDaemon(t, nil)
	_, err := def.dialTLS(t, tls12Only(good))
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.2 client with the default config: %v, want a protocol version failure", err)
	}

	d := startDaemon(t, func(c *DaemonConfig) { c.AllowTLS12 = true })
	for _, tc := range []struct {
		name string
		conf *tls.Config
		want uint16 // negotiated version; 0: refused
	}{
		{"TLS 1.2", tls12Only(good), tls.VersionTLS12},
		{"TLS 1.2, ChaCha20 only", tls12Only(good, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256), tls.VersionTLS12},
		{"TLS 1.3", good, tls.VersionTLS13},
		{"TLS 1.2 without a client certificate", noCert, 0},
		{"TLS 1.2 with a certificate of another CA", tls12Only(chiatls.ClientConfig(c.otherClient.TLSCertificate(), c.pool)), 0},
		{"TLS 1.2, CBC suites only", tls12Only(good, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA), 0},
	} {
		r, err := d.dialTLS(t, tc.conf)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("%s: accepted, want a TLS failure", tc.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		st := r.ws.UnderlyingConn().(*tls.Conn).ConnectionState()
		if st.Version != tc.want {
			t.Errorf("%s: negotiated %s", tc.name, tls.VersionName(st.Version))
		}
		if st.Version == tls.VersionTLS12 && !slices.Contains(tls12Suites(), st.CipherSuite) {
			t.Errorf("%s: suite %s is not in the allowed list", tc.name, tls.CipherSuiteName(st.CipherSuite))
		}
		if got := r.call("test", DaemonName, "ping", nil); got["value"] != "pong" {
			t.Errorf("%s: ping answered %v", tc.name, got)
		}
	}
}
