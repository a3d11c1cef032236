package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/chianet/chianet/internal/testlog"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// pacedNode starts a node whose listener reports every accept on the
// returned channel and whose log of refused connections is written only
// when the test sends on ticks.
func pacedNode(t *testing.T, k *pki, edit func(*Config)) (n *node, accepts <-chan struct{}, ticks chan<- time.Time, logs *recordHandler) {
	t.Helper()
	acc := make(chan struct{}, 4096)
	tk := make(chan time.Time)
	logs = newRecordHandler(testlog.New(t).Handler())
	n = startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) {
		c.Logger = slog.New(logs)
		c.onAccept = func() { acc <- struct{}{} }
		c.acceptLogTicks = tk
		if edit != nil {
			edit(c)
		}
	})
	return n, acc, tk, logs
}

// waitAccepts waits until the listener has dealt with count more
// connections.
func waitAccepts(t *testing.T, accepts <-chan struct{}, count int) {
	t.Helper()
	deadline := time.NewTimer(failsafe)
	defer deadline.Stop()
	for range count {
		select {
		case <-accepts:
		case <-deadline.C:
			t.Fatalf("the listener did not deal with %d connections", count)
		}
	}
}

// idleConn opens a TCP connection from src to addr that never sends a
// byte; it is closed when the test ends.
func idleConn(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: failsafe}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closedByServer reports whether the server has closed c: a read returns
// at once with an error instead of blocking. It is only asked of
// connections the server has closed already (or is about to, when the
// server decides before the test looks), so it does not wait for a
// timeout to pass.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(failsafe))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestAcceptPacingFlood opens 300 idle TCP sockets that never send a byte
// from 150 addresses of 127.10.0.0/16 and 127.11.0.0/16, and halfway
// through a real chianet peer from 127.20.0.1. The connections still
// setting up never exceed the bound (16 here), every socket over it is
// closed, and the real peer connects during the attack, without any
// timeout having to pass.
func TestAcceptPacingFlood(t *testing.T) {
	const bound, attack = 16, 300
	k := testPKI(t)
	n, accepts, _, _ := pacedNode(t, k, func(c *Config) {
		c.MaxPendingInbound = bound
		c.MaxPendingPerIP = 4
	})

	id := k.issue(t)
	honest := make(chan *peer.Peer, 1)
	honestErr := make(chan error, 1)
	conns := make([]net.Conn, 0, attack)
	for i := range attack {
		if i == attack/2 {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), failsafe)
				defer cancel()
				p, err := peer.Dial(ctx, n.addr(), dialFrom(k, id, protocol.NodeFullNode, "127.20.0.1"))
				honest <- p
				honestErr <- err
			}()
		}
		src := fmt.Sprintf("127.%d.0.%d", 10+i%2, 1+(i/2)%(attack/4))
		conns = append(conns, idleConn(t, src, n.addr()))
	}
	p := <-honest
	if err := <-honestErr; err != nil {
		t.Fatalf("real peer did not connect during the attack: %v", err)
	}
	t.Cleanup(func() {
		p.Close(nil)
		<-p.Done()
	})
	n.connected(id.id)

	waitAccepts(t, accepts, attack+1)
	now, high := n.ln.pendingCount()
	if high > bound {
		t.Errorf("%d connections were setting up at once, bound %d", high, bound)
	}
	overIP, displaced := n.ln.takeRefused()
	if now != bound || overIP != 0 || int(displaced) != attack-bound {
		t.Errorf("pending %d, closed over the per-IP bound %d, displaced %d; want %d, 0, %d",
			now, overIP, displaced, bound, attack-bound)
	}
	// The oldest sockets of each group made way first.
	for i, c := range conns[:attack-bound] {
		if !closedByServer(c) {
			t.Fatalf("idle socket %d is still open", i)
		}
	}
	if bans := n.Bans(); len(bans) != 0 {
		t.Errorf("idle sockets banned %v", bans)
	}
}

// TestAcceptPacingPerIP: one IP has at most 4 connections setting up;
// further ones are closed as soon as they are accepted (a real peer from
// that IP too), while another IP of the same /16 still connects, and
// exempt networks are not counted. The refusals are logged as one line
// per interval.
func TestAcceptPacingPerIP(t *testing.T) {
	k := testPKI(t)
	n, accepts, ticks, logs := pacedNode(t, k, func(c *Config) {
		c.MaxPendingInbound = 16
		c.MaxPendingPerIP = 4
		c.ExemptNetworks = []netip.Prefix{netip.MustParsePrefix("127.13.0.0/16")}
	})
	var conns []net.Conn
	for range 10 {
		conns = append(conns, idleConn(t, "127.12.0.1", n.addr()))
	}
	waitAccepts(t, accepts, 10)
	if now, _ := n.ln.pendingCount(); now != 4 {
		t.Errorf("%d connections of one IP pending, want 4", now)
	}
	for i, c := range conns[4:] {
		if !closedByServer(c) {
			t.Errorf("connection %d over the per-IP bound is open", 4+i)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	if p, err := peer.Dial(ctx, n.addr(), dialFrom(k, k.issue(t), protocol.NodeFullNode, "127.12.0.1")); err == nil {
		p.Close(nil)
		<-p.Done()
		t.Error("a fifth connection from one IP was let through")
	}
	waitAccepts(t, accepts, 1)
	id := k.issue(t)
	if _, err := dialClient(t, n.addr(), dialFrom(k, id, protocol.NodeFullNode, "127.12.0.2")); err != nil {
		t.Fatalf("a peer from another IP of the group: %v", err)
	}
	n.connected(id.id)
	waitAccepts(t, accepts, 1)

	for range 6 {
		idleConn(t, "127.13.0.1", n.addr())
	}
	waitAccepts(t, accepts, 6)
	if now, _ := n.ln.pendingCount(); now != 4 {
		t.Errorf("%d connections pending after exempt ones, want 4", now)
	}

	ticks <- time.Now()
	recs := logs.wait("refused connections while accepting", 1)
	if len(recs) == 0 {
		t.Fatal("refused connections were not logged")
	}
	if got := recs[0]["count"]; got != "7" || recs[0]["over_per_ip_bound"] != "7" {
		t.Errorf("log line %v, want count 7 (6 idle sockets and a peer over the per-IP bound)", recs[0])
	}
	ticks <- time.Now() // nothing refused since: no line
	ticks <- time.Now()
	if recs := logs.find("refused connections while accepting"); len(recs) != 1 {
		t.Errorf("%d log lines, want 1", len(recs))
	}
}

// TestAcceptPacingNoBanForDisplaced: a connection displaced while in the
// Chia handshake (WebSocket open, no Handshake sent) fails its handshake
// because the server closed it, and its IP is not banned for that.
func TestAcceptPacingNoBanForDisplaced(t *testing.T) {
	k := testPKI(t)
	n, accepts, _, _ := pacedNode(t, k, func(c *Config) {
		c.MaxPendingInbound = 2
	})
	conf := k.clientTLS(k.issue(t))
	d := &tls.Dialer{NetDialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.14.0.1")}}, Config: conf}
	ws, err := d.DialContext(context.Background(), "tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	req := "GET /ws HTTP/1.1\r\nHost: " + n.addr() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := ws.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(ws), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %s", resp.Status)
	}
	waitAccepts(t, accepts, 1)

	// Two idle sockets of another group: the second takes the place of
	// the oldest pending connection, the WebSocket one.
	idleConn(t, "127.15.0.1", n.addr())
	idleConn(t, "127.15.0.2", n.addr())
	waitAccepts(t, accepts, 2)
	r := n.nextClose()
	if !errors.Is(r, peer.ErrInvalidHandshake) {
		t.Errorf("displaced connection closed with %v, want a failed handshake", r)
	}
	if bans := n.Bans(); len(bans) != 0 {
		t.Errorf("displaced connection banned: %v", bans)
	}
	if _, displaced := n.ln.takeRefused(); displaced != 1 {
		t.Errorf("%d connections displaced, want 1", displaced)
	}
}
