package server

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/internal/testlog"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// cand describes one evictCandidate of a table case: a name (its node id
// is the name's bytes), its address, when it connected and was last
// useful (seconds after an epoch; 0 = never useful), and its flags.
type cand struct {
	name      string
	ip        string
	connected int
	useful    int
	flags     string // any of "outbound", "trusted", "exempt"
}

func (c cand) candidate() evictCandidate {
	epoch := time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)
	var id protocol.Bytes32
	copy(id[:], c.name)
	ec := evictCandidate{
		nodeID:    id,
		group:     addrman.GroupOf(netip.MustParseAddr(c.ip)),
		connected: epoch.Add(time.Duration(c.connected) * time.Second),
		outbound:  strings.Contains(c.flags, "outbound"),
		trusted:   strings.Contains(c.flags, "trusted"),
		exempt:    strings.Contains(c.flags, "exempt"),
	}
	if c.useful > 0 {
		ec.lastUseful = epoch.Add(time.Duration(c.useful) * time.Second)
	}
	return ec
}

// crowd returns n candidates a1…an from 10.1.0.0/16 connected at seconds
// 1…n.
func crowd(n int) []cand {
	out := make([]cand, n)
	for i := range out {
		out[i] = cand{name: "a" + string(rune('1'+i)), ip: "10.1.0." + string(rune('1'+i)), connected: i + 1}
	}
	return out
}

// with returns cs with the candidate named name changed by edit.
func with(cs []cand, name string, edit func(*cand)) []cand {
	cs = slices.Clone(cs)
	for i := range cs {
		if cs[i].name == name {
			edit(&cs[i])
		}
	}
	return cs
}

// TestSelectEviction checks the eviction rule over candidate records: who
// is protected, which group makes way, which of its peers goes, and when
// the newcomer is refused instead. want is the evicted candidate's name,
// "" for a refusal.
func TestSelectEviction(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cands    []cand
		newcomer string
		useful   int // protectUseful
		oldest   int // protectOldest
		want     string
	}{
		{
			name:  "no candidates",
			cands: nil, newcomer: "10.2.0.1", useful: 1, oldest: 2, want: "",
		},
		{
			name:  "one crowded group makes way for another group: its newest goes",
			cands: crowd(8), newcomer: "10.2.0.1", useful: 1, oldest: 2, want: "a8",
		},
		{
			name:  "a newcomer from the crowded group is refused",
			cands: crowd(8), newcomer: "10.1.9.9", useful: 1, oldest: 2, want: "",
		},
		{
			name: "every peer in its own group: refused",
			cands: []cand{
				{name: "p1", ip: "10.1.0.1", connected: 1}, {name: "p2", ip: "10.2.0.1", connected: 2},
				{name: "p3", ip: "10.3.0.1", connected: 3}, {name: "p4", ip: "10.4.0.1", connected: 4},
			},
			newcomer: "10.9.0.1", useful: 0, oldest: 0, want: "",
		},
		{
			name: "two of a group for a new group: the newer goes",
			cands: []cand{
				{name: "p1", ip: "10.1.0.1", connected: 1}, {name: "p2", ip: "10.2.0.1", connected: 2},
				{name: "p3", ip: "10.1.0.2", connected: 3}, {name: "p4", ip: "10.4.0.1", connected: 4},
			},
			newcomer: "10.9.0.1", useful: 0, oldest: 0, want: "p3",
		},
		{
			name: "a group one smaller does not trade places",
			cands: append(crowd(4),
				cand{name: "b1", ip: "10.2.0.1", connected: 11}, cand{name: "b2", ip: "10.2.0.2", connected: 12},
				cand{name: "b3", ip: "10.2.0.3", connected: 13}),
			newcomer: "10.2.0.4", useful: 0, oldest: 0, want: "",
		},
		{
			name: "a group two smaller evens out",
			cands: append(crowd(5),
				cand{name: "b1", ip: "10.2.0.1", connected: 11}, cand{name: "b2", ip: "10.2.0.2", connected: 12},
				cand{name: "b3", ip: "10.2.0.3", connected: 13}),
			newcomer: "10.2.0.4", useful: 0, oldest: 0, want: "a5",
		},
		{
			name: "outbound peers take no slot and are never evicted",
			cands: append(crowd(3),
				cand{name: "o1", ip: "10.1.1.1", connected: 20, flags: "outbound"},
				cand{name: "o2", ip: "10.1.1.2", connected: 21, flags: "outbound"},
				cand{name: "o3", ip: "10.2.1.1", connected: 22, flags: "outbound"}),
			newcomer: "10.2.0.1", useful: 0, oldest: 0, want: "a3",
		},
		{
			name: "outbound peers do not make a group crowded",
			cands: append(crowd(1),
				cand{name: "o1", ip: "10.1.1.1", connected: 20, flags: "outbound"},
				cand{name: "o2", ip: "10.1.1.2", connected: 21, flags: "outbound"}),
			newcomer: "10.2.0.1", useful: 0, oldest: 0, want: "",
		},
		{
			name: "trusted and exempt peers are counted but never evicted",
			cands: append(crowd(2),
				cand{name: "t1", ip: "10.1.1.1", connected: 20, flags: "trusted"},
				cand{name: "e1", ip: "10.1.1.2", connected: 21, flags: "exempt"}),
			newcomer: "10.2.0.1", useful: 0, oldest: 0, want: "a2",
		},
		{
			name: "a group of trusted and exempt peers only: refused",
			cands: []cand{
				{name: "t1", ip: "10.1.0.1", connected: 1, flags: "trusted"},
				{name: "t2", ip: "10.1.0.2", connected: 2, flags: "trusted"},
				{name: "e1", ip: "10.1.0.3", connected: 3, flags: "exempt"},
				{name: "e2", ip: "10.1.0.4", connected: 4, flags: "exempt trusted"},
			},
			newcomer: "10.2.0.1", useful: 0, oldest: 0, want: "",
		},
		{
			name:  "the longest connected are protected",
			cands: crowd(4), newcomer: "10.2.0.1", useful: 0, oldest: 4, want: "",
		},
		{
			name:  "the most recently useful is protected",
			cands: with(crowd(6), "a6", func(c *cand) { c.useful = 50 }), newcomer: "10.2.0.1", useful: 1, oldest: 2, want: "a5",
		},
		{
			name:     "only the most recently useful are protected",
			cands:    with(with(crowd(6), "a6", func(c *cand) { c.useful = 50 }), "a5", func(c *cand) { c.useful = 60 }),
			newcomer: "10.2.0.1", useful: 1, oldest: 2, want: "a6",
		},
		{
			name:  "never useful is not protected as useful",
			cands: crowd(6), newcomer: "10.2.0.1", useful: 4, oldest: 0, want: "a6",
		},
		{
			name: "protection is taken by the useful before the oldest",
			// a1 is useful and the oldest: the two oldest protected are
			// then a2 and a3, leaving a4 to go.
			cands:    with(crowd(4), "a1", func(c *cand) { c.useful = 9 }),
			newcomer: "10.2.0.1", useful: 1, oldest: 2, want: "a4",
		},
		{
			name: "the most represented group goes first even if mostly protected",
			cands: append(with(crowd(5), "a5", func(c *cand) { c.connected = 20 }),
				cand{name: "b1", ip: "10.2.0.1", connected: 5}, cand{name: "b2", ip: "10.2.0.2", connected: 6},
				cand{name: "b3", ip: "10.2.0.3", connected: 7}),
			newcomer: "10.3.0.1", useful: 0, oldest: 4, want: "a5",
		},
		{
			name: "equal groups: the one with the newest connection goes",
			cands: []cand{
				{name: "a1", ip: "10.1.0.1", connected: 1}, {name: "a2", ip: "10.1.0.2", connected: 2},
				{name: "a3", ip: "10.1.0.3", connected: 9},
				{name: "b1", ip: "10.2.0.1", connected: 3}, {name: "b2", ip: "10.2.0.2", connected: 4},
				{name: "b3", ip: "10.2.0.3", connected: 5},
			},
			newcomer: "10.3.0.1", useful: 0, oldest: 0, want: "a3",
		},
		{
			name: "equal times: node ids decide",
			cands: []cand{
				{name: "a2", ip: "10.1.0.2", connected: 1}, {name: "a4", ip: "10.1.0.4", connected: 1},
				{name: "a1", ip: "10.1.0.1", connected: 1}, {name: "a3", ip: "10.1.0.3", connected: 1},
			},
			newcomer: "10.3.0.1", useful: 0, oldest: 1, want: "a4",
		},
		{
			name: "IPv6 peers are grouped by /32",
			cands: []cand{
				{name: "v1", ip: "2001:db8:1::1", connected: 1}, {name: "v2", ip: "2001:db8:2::1", connected: 2},
				{name: "w1", ip: "2001:db9::1", connected: 3},
			},
			newcomer: "2001:dba::1", useful: 0, oldest: 0, want: "v2",
		},
		{
			name: "an IPv4-mapped address is its IPv4 group",
			cands: []cand{
				{name: "a1", ip: "::ffff:10.1.0.1", connected: 1}, {name: "a2", ip: "10.1.0.2", connected: 2},
			},
			newcomer: "::ffff:10.1.0.3", useful: 0, oldest: 0, want: "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The order of the records must not matter: try several.
			rng := rand.New(rand.NewPCG(1, 2))
			for range 8 {
				cs := slices.Clone(tc.cands)
				rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
				ecs := make([]evictCandidate, len(cs))
				for i, c := range cs {
					ecs[i] = c.candidate()
				}
				i := selectEviction(ecs, addrman.GroupOf(netip.MustParseAddr(tc.newcomer)), tc.useful, tc.oldest)
				got := ""
				if i >= 0 {
					got = cs[i].name
				}
				if got != tc.want {
					t.Fatalf("evicted %q, want %q (order %v)", got, tc.want, cs)
				}
			}
		})
	}
}

// TestProtectedCounts: of the reference's 32 inbound full-node slots, 4
// are protected by usefulness and 8 by age.
func TestProtectedCounts(t *testing.T) {
	if u, o := protectedUseful(32), protectedOldest(32); u != 4 || o != 8 {
		t.Errorf("protected of 32: %d useful, %d oldest; want 4, 8", u, o)
	}
}

// recordHandler is a slog.Handler keeping every record of the Server's
// own logger (not of its child loggers) and passing it on to next.
type recordHandler struct {
	next    slog.Handler
	notify  chan struct{}
	mu      sync.Mutex
	records []slog.Record
}

func newRecordHandler(next slog.Handler) *recordHandler {
	return &recordHandler{next: next, notify: make(chan struct{}, 1)}
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}
func (h *recordHandler) WithAttrs(as []slog.Attr) slog.Handler { return h.next.WithAttrs(as) }
func (h *recordHandler) WithGroup(g string) slog.Handler       { return h.next.WithGroup(g) }

// find returns the attributes of the records whose message contains msg.
func (h *recordHandler) find(msg string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.records {
		if !strings.Contains(r.Message, msg) {
			continue
		}
		m := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			m[a.Key] = a.Value.String()
			return true
		})
		out = append(out, m)
	}
	return out
}

// wait waits until count records contain msg and returns them.
func (h *recordHandler) wait(msg string, count int) []map[string]string {
	deadline := time.NewTimer(failsafe)
	defer deadline.Stop()
	for {
		if recs := h.find(msg); len(recs) >= count {
			return recs
		}
		select {
		case <-h.notify:
		case <-deadline.C:
			return nil
		}
	}
}

// dialFrom is clientConfig for a client whose connections leave from
// source address src (a 127.x.y.z address, so that it is seen in that
// address group).
func dialFrom(k *pki, id identity, typ protocol.NodeType, src string) peer.Config {
	cfg := clientConfig(k, id, typ)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	cfg.DialContext = d.DialContext
	return cfg
}

// TestEvictionLoopback runs the eviction rule on loopback. The 8 inbound
// full-node slots of a node are held by peers of 127.1.0.0/16: five
// plain ones, one that sent a new_peak, a trusted one and an exempt one;
// the node also has an outbound connection into 127.1.0.0/16. Newcomers
// from 127.2.0.0/16 and 127.3.0.0/16 then evict, one each, the newest
// unprotected peers of the most-represented group with a plain close and
// a logged reason, until the groups are even enough and the next
// newcomer is refused. The clock is injected and advanced by a second
// before each connection, so every decision is determined.
func TestEvictionLoopback(t *testing.T) {
	k := testPKI(t)
	trusted := k.issue(t)
	logs := newRecordHandler(testlog.New(t).Handler())
	useful := make(chan struct{}, 1)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) {
		c.TargetPeerCount = 10
		c.TargetOutboundPeerCount = 2 // 8 inbound full-node slots: 1 protected as useful, 2 as oldest
		c.TrustedNodeIDs = []protocol.Bytes32{trusted.id}
		c.ExemptNetworks = []netip.Prefix{netip.MustParsePrefix("127.1.0.9/32")}
		c.Logger = slog.New(logs)
		c.PeerConfig.Handlers = map[protocol.MessageType]peer.HandlerFunc{
			protocol.MsgNewPeak: func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
				useful <- struct{}{}
				return nil, nil
			},
		}
	})

	type client struct {
		name string
		p    *peer.Peer
		id   identity
	}
	connect := func(name, src string, id identity) client {
		t.Helper()
		n.clock.Advance(time.Second)
		p, err := dialClient(t, n.addr(), dialFrom(k, id, protocol.NodeFullNode, src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n.connected(id.id)
		return client{name, p, id}
	}
	a1 := connect("a1", "127.1.0.3", k.issue(t))
	a2 := connect("a2", "127.1.0.4", k.issue(t))
	a3 := connect("a3", "127.1.0.5", k.issue(t))
	a4 := connect("a4", "127.1.0.6", k.issue(t))
	u := connect("useful", "127.1.0.10", k.issue(t))
	if err := u.p.Send(context.Background(), protocol.MsgNewPeak, &protocol.NewPeak{Height: 1}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-useful:
	case <-time.After(failsafe):
		t.Fatal("new_peak did not arrive")
	}
	a5 := connect("a5", "127.1.0.7", k.issue(t))
	tr := connect("trusted", "127.1.0.2", trusted)
	ex := connect("exempt", "127.1.0.9", k.issue(t))
	out := startNode(t, k, k.issue(t), "127.1.0.11:0", nil)
	n.clock.Advance(time.Second)
	if _, err := n.Dial(context.Background(), out.addr()); err != nil {
		t.Fatal(err)
	}
	n.connected(out.id.id)
	if got := n.InboundCount(protocol.NodeFullNode); got != 8 {
		t.Fatalf("inbound full nodes = %d, want 8", got)
	}

	evicted := func(newcomer string, victim client) client {
		t.Helper()
		c := connect(newcomer, newcomer, k.issue(t))
		e := n.waitEvent(func(e Event) bool { return e.Type == Disconnected && e.Info.NodeID == victim.id.id })
		if r := e.Reason; !errors.Is(r, ErrEvicted) || r.Code != peer.StatusNormal || r.Reason != "" || r.Ban != 0 {
			t.Errorf("%s evicted with %v, want a plain close for ErrEvicted", victim.name, r)
		}
		if r := waitDone(t, victim.p); !r.Remote || r.Code != peer.StatusNormal || r.Reason != "" || r.Ban != 0 {
			t.Errorf("%s sees %v, want a plain close by the server", victim.name, r)
		}
		want := e.Info.RemoteAddr.String()
		found := false
		for _, rec := range logs.find("evicting inbound peer") {
			found = found || rec["peer"] == want
		}
		if !found {
			t.Errorf("no log line gives the reason %s was evicted", victim.name)
		}
		return c
	}
	evicted("127.2.0.1", a5)
	evicted("127.2.0.2", a4)
	b3 := evicted("127.2.0.3", a3)
	// 127.1.0.0/16 has only protected peers left (a1, a2 oldest, the
	// useful one, trusted, exempt); 127.2.0.0/16 is now the most
	// represented with three.
	evicted("127.3.0.1", b3)
	// 127.2 has two, 127.3 one: a second peer of 127.3 is refused.
	n.clock.Advance(time.Second)
	p, err := dialClient(t, n.addr(), dialFrom(k, k.issue(t), protocol.NodeFullNode, "127.3.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	if r := waitDone(t, p); !r.Remote || r.Code != peer.StatusNormal || r.Ban != 0 {
		t.Errorf("refused newcomer sees %v", r)
	}
	if r := n.nextCloseWith(ErrInboundLimit); r == nil {
		t.Error("the last newcomer was not refused for the inbound limit")
	}

	for _, c := range []client{a1, a2, u, tr, ex} {
		if _, ok := n.Peer(c.id.id); !ok {
			t.Errorf("protected peer %s was evicted", c.name)
		}
	}
	if _, ok := n.Peer(out.id.id); !ok {
		t.Error("the outbound peer was evicted")
	}
	if got := n.InboundCount(protocol.NodeFullNode); got != 8 {
		t.Errorf("inbound full nodes = %d, want 8", got)
	}
	if bans := n.Bans(); len(bans) != 0 {
		t.Errorf("eviction banned %v", bans)
	}
}

// TestNoEviction: with Config.NoEviction a newcomer from another group is
// refused, as the reference does.
func TestNoEviction(t *testing.T) {
	k := testPKI(t)
	n := startNode(t, k, k.issue(t), "127.0.0.1:0", func(c *Config) {
		c.TargetPeerCount = 10
		c.TargetOutboundPeerCount = 8
		c.NoEviction = true
	})
	for _, src := range []string{"127.1.0.1", "127.1.0.2"} {
		id := k.issue(t)
		if _, err := dialClient(t, n.addr(), dialFrom(k, id, protocol.NodeFullNode, src)); err != nil {
			t.Fatal(err)
		}
		n.connected(id.id)
	}
	p, err := dialClient(t, n.addr(), dialFrom(k, k.issue(t), protocol.NodeFullNode, "127.2.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
	if r := n.nextCloseWith(ErrInboundLimit); r == nil {
		t.Error("the newcomer was not refused for the inbound limit")
	}
}

// nextCloseWith waits for the next connection of the node to close with
// a reason wrapping target, skipping others.
func (n *node) nextCloseWith(target error) *peer.CloseReason {
	n.t.Helper()
	deadline := time.NewTimer(failsafe)
	defer deadline.Stop()
	for {
		select {
		case r := <-n.closes:
			if errors.Is(r, target) {
				return r
			}
		case <-deadline.C:
			n.t.Fatalf("no connection closed with %v", target)
			return nil
		}
	}
}
