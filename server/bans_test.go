package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestBanList walks the ban list through its rules (transport spec §6.3):
// the later expiry wins, localhost, exempt and trusted networks are never
// banned, a ban holds while the clock is before its end, and purging
// drops exactly the expired entries.
func TestBanList(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) {
		c.ExemptNetworks = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
		c.TrustedNetworks = []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}
	})
	a, b := mustAddr("203.0.113.7"), mustAddr("2001:db9::1")
	start := n.clock.Now()

	type step struct {
		name    string
		advance time.Duration
		ban     netip.Addr
		d       time.Duration
		banned  bool // Ban's result
		purge   bool
		want    []Ban // the list afterwards
	}
	both := []Ban{{a, start.Add(601 * time.Second)}, {b, start.Add(11 * time.Second)}}
	steps := []step{
		{name: "first ban", ban: a, d: 10 * time.Second, banned: true,
			want: []Ban{{a, start.Add(10 * time.Second)}}},
		{name: "shorter ban keeps the later expiry", advance: time.Second, ban: a, d: 5 * time.Second, banned: true,
			want: []Ban{{a, start.Add(10 * time.Second)}}},
		{name: "longer ban extends", ban: a, d: 300 * time.Second, banned: true,
			want: []Ban{{a, start.Add(301 * time.Second)}}},
		{name: "IPv6", ban: b, d: 10 * time.Second, banned: true,
			want: []Ban{{a, start.Add(301 * time.Second)}, {b, start.Add(11 * time.Second)}}},
		{name: "IPv4-mapped is the same host", ban: mustAddr("::ffff:203.0.113.7"), d: 600 * time.Second, banned: true,
			want: both},
		{name: "localhost v4", ban: mustAddr("127.0.0.1"), d: time.Hour, want: both},
		{name: "localhost v6", ban: mustAddr("::1"), d: time.Hour, want: both},
		{name: "mapped localhost", ban: mustAddr("::ffff:127.0.0.1"), d: time.Hour, want: both},
		{name: "exempt network", ban: mustAddr("10.1.2.3"), d: time.Hour, want: both},
		{name: "trusted network", ban: mustAddr("2001:db8::5"), d: time.Hour, want: both},
		{name: "zero duration", ban: mustAddr("198.51.100.1"), d: 0, want: both},
		{name: "purge before expiry keeps both", advance: 9*time.Second + 999*time.Millisecond, purge: true,
			want: both},
		{name: "purge at expiry drops b", advance: time.Millisecond, purge: true,
			want: []Ban{{a, start.Add(601 * time.Second)}}},
		{name: "purge long after drops a", advance: time.Hour, purge: true},
	}
	for _, s := range steps {
		now := n.clock.Advance(s.advance)
		if s.ban.IsValid() {
			if got := n.Ban(s.ban, s.d); got != s.banned {
				t.Errorf("%s: Ban(%v, %v) = %v, want %v", s.name, s.ban, s.d, got, s.banned)
			}
		}
		if s.purge {
			n.purgeBans(now)
		}
		got := n.Bans()
		if len(got) != len(s.want) {
			t.Fatalf("%s: bans %v, want %v", s.name, got, s.want)
		}
		for i := range got {
			if got[i].IP != s.want[i].IP || !got[i].Until.Equal(s.want[i].Until) {
				t.Fatalf("%s: bans %v, want %v", s.name, got, s.want)
			}
			if want := now.Before(got[i].Until); n.IsBanned(got[i].IP) != want {
				t.Errorf("%s: IsBanned(%v) = %v, want %v", s.name, got[i].IP, !want, want)
			}
		}
	}

	// A ban that expired but was not purged yet no longer refuses.
	n.Ban(a, time.Second)
	n.clock.Advance(time.Second)
	if n.IsBanned(a) || len(n.Bans()) != 1 {
		t.Errorf("expired ban: IsBanned %v, list %v", n.IsBanned(a), n.Bans())
	}
	if !n.Unban(a) || n.Unban(a) || len(n.Bans()) != 0 {
		t.Error("Unban did not remove the entry exactly once")
	}
}

// TestBannedRefusedOnAccept: a banned address gets HTTP 403 before the
// WebSocket upgrade, until the ban expires.
func TestBannedRefusedOnAccept(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", noLocalhost)
	client := k.issue(t)
	if !n.Ban(mustAddr("127.0.0.1"), time.Minute) {
		t.Fatal("Ban refused")
	}

	tr := &http.Transport{TLSClientConfig: k.clientTLS(client), DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: failsafe}).Get("https://" + n.addr() + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "is banned") {
		t.Errorf("banned peer got %d %q, want 403 and the reason", resp.StatusCode, body)
	}

	if _, err := dialClient(t, n.addr(), clientConfig(k, client, protocol.NodeFullNode)); err == nil ||
		!strings.Contains(err.Error(), "403") {
		t.Errorf("banned peer's dial: %v, want a 403 refusal", err)
	}
	if got := n.InboundCount(0); got != 0 {
		t.Errorf("%d connections registered", got)
	}

	n.clock.Advance(time.Minute)
	if _, err := dialClient(t, n.addr(), clientConfig(k, client, protocol.NodeFullNode)); err != nil {
		t.Fatalf("dial after the ban expired: %v", err)
	}
	n.connected(client.id)
}

// TestBannedRefusedOnDial: Dial refuses a banned IP without connecting.
func TestBannedRefusedOnDial(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	target := startNode(t, k, k.issue(t), "127.0.0.2:0", nil)
	n.Ban(mustAddr("127.0.0.2"), 10*time.Second)

	_, err := n.Dial(context.Background(), target.addr())
	if !errors.Is(err, ErrBanned) {
		t.Fatalf("Dial of a banned IP: %v, want ErrBanned", err)
	}
	if got := target.accepted(); got != 0 {
		t.Errorf("the banned target saw %d connections", got)
	}

	n.clock.Advance(10 * time.Second)
	if _, err := n.Dial(context.Background(), target.addr()); err != nil {
		t.Fatalf("Dial after the ban expired: %v", err)
	}
	n.connected(target.id.id)
}

// TestCloseReasonBan: the ban carried by a misbehaving peer's close
// reason lands in the ban list (an incompatible network id: 10 s), in
// both directions, unless the peer is localhost, trusted or exempt.
func TestCloseReasonBan(t *testing.T) {
	k := testPKI(t)

	t.Run("outbound", func(t *testing.T) {
		n := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
		other := startNode(t, k, k.issue(t), "127.0.0.2:0", func(c *Config) { c.NetworkID = "othernet" })
		_, err := n.Dial(context.Background(), other.addr())
		// The listener refuses our handshake without answering, which
		// the dialer takes as an invalid handshake ("-6", 10 s).
		var r *peer.CloseReason
		if !errors.As(err, &r) || r.Code != peer.StatusProtocolError || r.Ban != protocol.InvalidProtocolBan {
			t.Fatalf("Dial to another network: %v", err)
		}
		want := []Ban{{mustAddr("127.0.0.2"), n.clock.Now().Add(10 * time.Second)}}
		if got := n.Bans(); len(got) != 1 || got[0] != want[0] {
			t.Errorf("bans %v, want %v", got, want)
		}
	})

	for _, tc := range []struct {
		name   string
		edit   func(*Config, identity)
		banned bool
	}{
		{"inbound", func(c *Config, _ identity) { noLocalhost(c) }, true},
		{"inbound localhost", func(*Config, identity) {}, false},
		{"inbound trusted", func(c *Config, id identity) {
			noLocalhost(c)
			c.TrustedNodeIDs = []protocol.Bytes32{id.id}
		}, false},
		{"inbound exempt", func(c *Config, _ identity) {
			noLocalhost(c)
			c.ExemptNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := k.issue(t)
			n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) { tc.edit(c, client) })
			cfg := clientConfig(k, client, protocol.NodeFullNode)
			cfg.NetworkID = "othernet"
			if _, err := dialClient(t, n.addr(), cfg); err == nil {
				t.Fatal("handshake with another network succeeded")
			}
			r := n.nextClose()
			if r.Code != peer.StatusProtocolError || r.Reason != "110" || !errors.Is(r, peer.ErrNetworkID) {
				t.Errorf("server closed with %v", r)
			}
			got := n.Bans()
			if !tc.banned {
				if len(got) != 0 {
					t.Errorf("bans %v, want none", got)
				}
				return
			}
			want := Ban{mustAddr("127.0.0.1"), n.clock.Now().Add(protocol.InvalidProtocolBan)}
			if len(got) != 1 || got[0] != want {
				t.Errorf("bans %v, want %v", got, want)
			}
		})
	}
}
