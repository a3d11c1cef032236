package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestDedupByNodeID: two connections with the same certificate; the
// newer replaces the older, which is closed normally (1000, no ban), as
// the reference's connection_added does (transport spec §6.4).
func TestDedupByNodeID(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	twin := k.issue(t)

	c1, err := dialClient(t, n.addr(), clientConfig(k, twin, protocol.NodeFullNode))
	if err != nil {
		t.Fatal(err)
	}
	s1 := n.connected(twin.id).Peer
	if _, err := dialClient(t, n.addr(), clientConfig(k, twin, protocol.NodeFullNode)); err != nil {
		t.Fatal(err)
	}
	s2 := n.connected(twin.id).Peer
	if s1 == s2 {
		t.Fatal("the second connection was not registered")
	}

	d := n.disconnected(s1)
	if !errors.Is(d.Reason, ErrReplaced) || d.Reason.Code != peer.StatusNormal || d.Reason.Ban != 0 || d.Reason.Remote {
		t.Errorf("old connection closed with %v, want a plain close for ErrReplaced", d.Reason)
	}
	if r := waitDone(t, c1); !r.Remote || r.Code != peer.StatusNormal || r.Reason != "" {
		t.Errorf("old client sees %v, want a plain close by the server", r)
	}
	if got := n.Peers(); len(got) != 1 || got[0] != s2 {
		t.Errorf("Peers() = %v, want only the new connection", got)
	}
	if p, ok := n.Peer(twin.id); !ok || p != s2 {
		t.Errorf("Peer(id) = %v, %v", p, ok)
	}
	if got := n.InboundCount(protocol.NodeFullNode); got != 1 {
		t.Errorf("inbound = %d, want 1", got)
	}
	if bans := n.Bans(); len(bans) != 0 {
		t.Errorf("bans %v", bans)
	}
}

// TestDedupOutbound: a dialled connection also replaces an inbound one
// with the same node id.
func TestDedupOutbound(t *testing.T) {
	k := testPKI(t)
	a := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	b := startNode(t, k, k.issue(t), "127.0.0.2:0", nil)
	// A lightweight client using b's certificate connects to a first.
	if _, err := dialClient(t, a.addr(), clientConfig(k, b.id, protocol.NodeFullNode)); err != nil {
		t.Fatal(err)
	}
	in := a.connected(b.id.id).Peer
	out, err := a.Dial(context.Background(), b.addr())
	if err != nil {
		t.Fatal(err)
	}
	if e := a.connected(b.id.id); e.Peer != out || !e.Info.Outbound {
		t.Errorf("connected event %+v, want the outbound connection", e)
	}
	if d := a.disconnected(in); !errors.Is(d.Reason, ErrReplaced) {
		t.Errorf("inbound connection closed with %v", d.Reason)
	}
	if a.InboundCount(0) != 0 || a.OutboundCount(protocol.NodeFullNode) != 1 {
		t.Errorf("inbound %d, outbound %d", a.InboundCount(0), a.OutboundCount(0))
	}
}

// TestDialDuplicate: Dial refuses a peer already connected with the same
// host and handshake server_port, in either direction, and a target a
// dial is already under way to.
func TestDialDuplicate(t *testing.T) {
	k := testPKI(t)
	a := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	b := startNode(t, k, k.issue(t), "127.0.0.2:0", nil)
	if _, err := a.Dial(context.Background(), b.addr()); err != nil {
		t.Fatal(err)
	}
	a.connected(b.id.id)
	b.connected(a.id.id)
	if _, err := a.Dial(context.Background(), b.addr()); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second dial a→b: %v, want ErrDuplicate", err)
	}
	// b sees a as 127.0.0.1 with server_port = a's port: dialling a's
	// address is a duplicate too.
	if _, err := b.Dial(context.Background(), a.addr()); !errors.Is(err, ErrDuplicate) {
		t.Errorf("dial b→a: %v, want ErrDuplicate", err)
	}
	if got := b.accepted(); got != 1 {
		t.Errorf("b accepted %d connections, want 1", got)
	}

	// A target that accepts TCP but never answers keeps the first dial
	// waiting; a second dial to it is refused.
	silent, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := a.Dial(ctx, silent.Addr().String())
		first <- err
	}()
	held, err := silent.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := a.Dial(context.Background(), silent.Addr().String()); !errors.Is(err, ErrDuplicate) {
		t.Errorf("dial while one is under way: %v, want ErrDuplicate", err)
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: %v", err)
	}
}

// TestSelfConnectionBeforeTLS: Dial refuses our own listening address
// without opening a connection (transport spec §2.4).
func TestSelfConnectionBeforeTLS(t *testing.T) {
	k := testPKI(t)
	for _, tc := range []struct {
		listen  string
		self    []string // dialled with our port
		notSelf []string // dialled with our port; nobody listens there
	}{
		{listen: "127.0.0.1:0", self: []string{"127.0.0.1", "localhost", "LocalHost", "::ffff:127.0.0.1"}, notSelf: []string{"127.0.0.9"}},
		{listen: "127.3.0.1:0", self: []string{"127.3.0.1"}, notSelf: []string{"127.0.0.1", "localhost"}},
		{listen: ":0", self: []string{"127.0.0.1", "127.5.0.1", "::1", "localhost", "0.0.0.0"}},
		{listen: "[::1]:0", self: []string{"::1", "localhost"}, notSelf: []string{"127.0.0.1"}},
	} {
		t.Run(tc.listen, func(t *testing.T) {
			n := startNode(t, k, k.issue(t), tc.listen, nil)
			port := n.Addr().Port()
			for _, host := range tc.self {
				_, err := n.Dial(context.Background(), net.JoinHostPort(host, strconv.Itoa(int(port))))
				if !errors.Is(err, ErrSelfAddress) || !errors.Is(err, peer.ErrSelfConnection) {
					t.Errorf("Dial(%s:%d): %v, want ErrSelfAddress", host, port, err)
				}
			}
			if got := n.accepted(); got != 0 {
				t.Errorf("our listener saw %d connections", got)
			}
			for _, host := range tc.notSelf {
				_, err := n.Dial(context.Background(), net.JoinHostPort(host, strconv.Itoa(int(port))))
				if err == nil || errors.Is(err, ErrSelfAddress) {
					t.Errorf("Dial(%s:%d): %v, want a failed connection attempt", host, port, err)
				}
			}
		})
	}
}

// TestSelfConnectionAfterTLS: a peer on another address with our own
// certificate is dropped in the TLS handshake, before any WebSocket, as
// soon as its certificate shows our node id, whether or not it checks
// for itself too.
func TestSelfConnectionAfterTLS(t *testing.T) {
	k := testPKI(t)
	me := k.issue(t)
	n := startNode(t, k, me, "127.0.0.1:0", nil)

	// A bare listener (no self check of its own) using our certificate.
	raw := startRawListener(t, "127.0.0.2:0", k.serverTLS(me), peer.Config{NetworkID: testNetwork})
	_, err := n.Dial(context.Background(), raw.addr)
	if !errors.Is(err, peer.ErrSelfConnection) || errors.Is(err, ErrSelfAddress) {
		t.Fatalf("Dial to our own node id: %v, want peer.ErrSelfConnection after TLS", err)
	}

	// Another Server with our certificate, which would refuse us at the
	// WebSocket upgrade (HTTP 403): we stop first, and know why.
	twin := startNode(t, k, me, "127.0.0.3:0", nil)
	if _, err := n.Dial(context.Background(), twin.addr()); !errors.Is(err, peer.ErrSelfConnection) {
		t.Errorf("Dial to a twin: %v, want peer.ErrSelfConnection", err)
	}
	select {
	case r := <-raw.closes:
		t.Errorf("the bare listener ran a connection (closed with %v)", r)
	default:
	}
	if len(n.Peers()) != 0 || len(twin.Peers()) != 0 || len(n.Bans()) != 0 || len(twin.Bans()) != 0 {
		t.Errorf("peers %v / %v, bans %v / %v", n.Peers(), twin.Peers(), n.Bans(), twin.Bans())
	}
}

// TestCloseDropsHandshakingPeers: Close does not wait for an accepted
// connection stuck before its handshake (its handshake timeout, 30 s, is
// far off), and reports every registered connection closed.
func TestCloseDropsHandshakingPeers(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	c1, id1 := mustConnect(t, n, k, protocol.NodeFullNode)
	other := startNode(t, k, k.issue(t), "127.0.0.2:0", nil)
	out, err := n.Dial(context.Background(), other.addr())
	if err != nil {
		t.Fatal(err)
	}
	n.connected(other.id.id)

	// Upgrade to WebSocket by hand, then say nothing.
	conf := k.clientTLS(k.issue(t))
	tc, err := tls.Dial("tcp", n.addr(), conf)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	req := "GET /ws HTTP/1.1\r\nHost: chia.net\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := tc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil || !strings.Contains(status, "101") {
		t.Fatalf("upgrade answered %q, %v", status, err)
	}

	var got []Event
	n.Subscribe(func(e Event) { got = append(got, e) })
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Close delivered every event before returning.
	closed := map[*peer.Peer]bool{}
	for _, e := range got {
		if e.Type == Disconnected && errors.Is(e.Reason, ErrServerClosed) {
			closed[e.Peer] = true
		}
	}
	in, _ := n.Peer(id1.id) // gone from the registry
	if in != nil || len(closed) != 2 || !closed[out] {
		t.Errorf("disconnected on close: %v (outbound %p)", closed, out)
	}
	if r := waitDone(t, c1); !r.Remote || r.Code != peer.StatusNormal {
		t.Errorf("client sees %v", r)
	}
	if _, err := n.Dial(context.Background(), other.addr()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Dial after Close: %v", err)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
