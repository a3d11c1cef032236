package server

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/peer"
)

// silentPeer connects to addr over TLS, upgrades to WebSocket by hand
// and then says nothing: a peer that never sends its handshake.
func silentPeer(t *testing.T, addr string, conf *tls.Config) *tls.Conn {
	t.Helper()
	tc, err := tls.Dial("tcp", addr, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tc.Close() })
	req := "GET /ws HTTP/1.1\r\nHost: chia.net\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := tc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil || !strings.Contains(status, "101") {
		t.Fatalf("upgrade answered %q, %v", status, err)
	}
	return tc
}

// TestHandshakeTimeoutLocalhost: the handshake timeout applies to every
// peer, localhost and exempt networks included: one that never sends its
// handshake is closed once the timeout has passed, with the inbound
// timeout's close (1002 "-6"). Its other exemption stays: no ban.
func TestHandshakeTimeoutLocalhost(t *testing.T) {
	const timeout = 300 * time.Millisecond
	k := testPKI(t)
	cases := []struct {
		name string
		edit func(*Config)
	}{
		{"localhost", func(*Config) {}},
		{"exempt network", func(c *Config) {
			noLocalhost(c)
			c.ExemptNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(cfg *Config) {
				cfg.PeerConfig.HandshakeTimeout = timeout
				c.edit(cfg)
			})
			start := time.Now()
			tc := silentPeer(t, n.addr(), k.clientTLS(k.issue(t)))

			// The peer sees a close frame once the timeout has passed,
			// and answers it as a WebSocket client must (masked), so that
			// the close handshake completes.
			if err := tc.SetReadDeadline(time.Now().Add(failsafe)); err != nil {
				t.Fatal(err)
			}
			var hdr [2]byte
			if _, err := io.ReadFull(tc, hdr[:]); err != nil {
				t.Fatalf("reading the close frame: %v", err)
			}
			if d := time.Since(start); d < timeout {
				t.Errorf("closed after %v, before the %v timeout", d, timeout)
			}
			payload := make([]byte, hdr[1]&0x7f)
			if _, err := io.ReadFull(tc, payload); err != nil || hdr[0] != 0x88 || len(payload) < 2 {
				t.Fatalf("frame %x %x (%v), want a close frame", hdr, payload, err)
			}
			if code, reason := binary.BigEndian.Uint16(payload), string(payload[2:]); code != peer.StatusProtocolError || reason != "-6" {
				t.Errorf("close frame %d %q, want %d \"-6\"", code, reason, peer.StatusProtocolError)
			}
			if _, err := tc.Write([]byte{0x88, 0x80, 0, 0, 0, 0}); err != nil {
				t.Fatal(err)
			}

			r := n.nextClose()
			if !errors.Is(r, peer.ErrHandshakeTimeout) || r.Code != peer.StatusProtocolError || r.Reason != "-6" || r.Remote {
				t.Errorf("closed with %v, want our handshake timeout (1002 \"-6\")", r)
			}
			if r.Ban != 0 {
				t.Errorf("an exempt peer's close carries a %v ban", r.Ban)
			}
			if bans := n.Bans(); len(bans) != 0 {
				t.Errorf("banned %v", bans)
			}
		})
	}
}

// TestInboundHandshakeTimeout: InboundHandshakeTimeout (the reference's
// peer_connect_timeout, which bounds accepted peers' handshakes) applies
// to accepted peers without changing PeerConfig's, which dialled ones
// keep.
func TestInboundHandshakeTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(cfg *Config) {
		cfg.InboundHandshakeTimeout = timeout
	})
	start := time.Now()
	tc := silentPeer(t, n.addr(), k.clientTLS(k.issue(t)))
	if err := tc.SetReadDeadline(time.Now().Add(failsafe)); err != nil {
		t.Fatal(err)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(tc, hdr[:]); err != nil {
		t.Fatalf("no close frame within %v of a %v handshake timeout: %v", failsafe, timeout, err)
	}
	if d := time.Since(start); d < timeout {
		t.Errorf("closed after %v, before the %v timeout", d, timeout)
	}
	if _, err := tc.Write([]byte{0x88, 0x80, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if r := n.nextClose(); !errors.Is(r, peer.ErrHandshakeTimeout) || r.Reason != "-6" {
		t.Errorf("closed with %v, want the inbound handshake timeout", r)
	}
	if got := n.peerCfg.HandshakeTimeout; got != 0 {
		t.Errorf("the dialled peers' handshake timeout became %v", got)
	}
}
