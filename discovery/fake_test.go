package discovery

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// errRefused is what a fake dial to a dead or unknown address returns.
var errRefused = errors.New("fake: connection refused")

// fakeNode is what answers at one address of a fakeNet.
type fakeNode struct {
	typ  protocol.NodeType
	id   protocol.Bytes32
	dead bool
	// block makes dials hang until their context ends.
	block bool
	// delay makes dials take that long (a slow handshake).
	delay time.Duration
	// self makes dials fail as a connection to ourselves.
	self bool
	// introducer is the reply to request_peers_introducer.
	introducer []protocol.TimestampedPeerInfo
}

// dialRec is one dial seen by a fakeNet.
type dialRec struct {
	addr netip.AddrPort
	at   time.Time
}

// fakeNet is an in-memory network for tests under testing/synctest:
// dials succeed or fail at once (or hang, for block), events are
// delivered synchronously.
type fakeNet struct {
	mu          sync.Mutex
	listen      netip.AddrPort
	nodes       map[netip.AddrPort]*fakeNode
	links       map[*fakeLink]struct{}
	subs        map[int]func(bool, link)
	nextSub     int
	dials       []dialRec
	banned      map[netip.Addr]bool
	inflight    int
	maxInflight int
}

func newFakeNet() *fakeNet {
	return &fakeNet{
		nodes:  make(map[netip.AddrPort]*fakeNode),
		links:  make(map[*fakeLink]struct{}),
		subs:   make(map[int]func(bool, link)),
		banned: make(map[netip.Addr]bool),
	}
}

// add makes a live full node answer at ap.
func (n *fakeNet) add(ap netip.AddrPort) *fakeNode {
	n.mu.Lock()
	defer n.mu.Unlock()
	node := &fakeNode{typ: protocol.NodeFullNode, id: sha256.Sum256([]byte(ap.String()))}
	n.nodes[ap] = node
	return node
}

// set changes the node at ap under the lock.
func (n *fakeNet) set(ap netip.AddrPort, f func(*fakeNode)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f(n.nodes[ap])
}

func (n *fakeNet) emit(connected bool, l *fakeLink) {
	n.mu.Lock()
	subs := make([]func(bool, link), 0, len(n.subs))
	for _, k := range slices.Sorted(maps.Keys(n.subs)) {
		subs = append(subs, n.subs[k])
	}
	n.mu.Unlock()
	for _, fn := range subs {
		fn(connected, l)
	}
}

func (n *fakeNet) Dial(ctx context.Context, addr string, admit func(peer.Info) error) (link, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.dials = append(n.dials, dialRec{ap, time.Now()})
	n.inflight++
	n.maxInflight = max(n.maxInflight, n.inflight)
	node := n.nodes[ap]
	var dup bool
	for l := range n.links {
		if l.addr == ap {
			dup = true
		}
	}
	var block, self, dead bool
	var delay time.Duration
	if node != nil {
		block, self, dead, delay = node.block, node.self, node.dead, node.delay
	}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.inflight--
		n.mu.Unlock()
	}()
	if delay > 0 && !block {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, fmt.Errorf("fake dial %s: %w", ap, ctx.Err())
		}
	}
	switch {
	case block:
		<-ctx.Done()
		return nil, fmt.Errorf("fake dial %s: %w", ap, ctx.Err())
	case dup:
		return nil, fmt.Errorf("fake dial %s: %w", ap, server.ErrDuplicate)
	case self:
		return nil, fmt.Errorf("fake dial %s: %w", ap, server.ErrSelfAddress)
	case node == nil || dead:
		return nil, fmt.Errorf("fake dial %s: %w", ap, errRefused)
	}
	if admit != nil {
		if err := admit(linkInfo(ap, node, true)); err != nil {
			return nil, fmt.Errorf("fake dial %s: %w: %w", ap, server.ErrNotAdmitted, err)
		}
	}
	l := n.connect(ap, node, true)
	return l, nil
}

// linkInfo is the Info of a link to node at ap.
func linkInfo(ap netip.AddrPort, node *fakeNode, outbound bool) peer.Info {
	return peer.Info{
		NodeID:     node.id,
		NodeType:   node.typ,
		ServerPort: ap.Port(),
		RemoteAddr: ap,
		Outbound:   outbound,
	}
}

// connect registers a link to node at ap and emits its event.
func (n *fakeNet) connect(ap netip.AddrPort, node *fakeNode, outbound bool) *fakeLink {
	l := &fakeLink{
		net:  n,
		addr: ap,
		node: node,
		done: make(chan struct{}),
		info: linkInfo(ap, node, outbound),
	}
	n.mu.Lock()
	n.links[l] = struct{}{}
	n.mu.Unlock()
	n.emit(true, l)
	return l
}

// inbound makes a peer at ip (with server port port) connect to us.
func (n *fakeNet) inbound(ip netip.Addr, port uint16, typ protocol.NodeType) *fakeLink {
	node := &fakeNode{typ: typ, id: sha256.Sum256([]byte("in " + ip.String()))}
	l := n.connect(netip.AddrPortFrom(ip, port), node, false)
	l.info.RemoteAddr = netip.AddrPortFrom(ip, 40000) // an ephemeral port
	return l
}

func (n *fakeNet) Links() []link {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]link, 0, len(n.links))
	for l := range n.links {
		out = append(out, l)
	}
	return out
}

func (n *fakeNet) IsBanned(ip netip.Addr) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.banned[ip]
}

func (n *fakeNet) ListenAddr() netip.AddrPort { return n.listen }

func (n *fakeNet) Subscribe(fn func(bool, link)) func() {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := n.nextSub
	n.nextSub++
	n.subs[k] = fn
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.subs, k)
	}
}

// outbound returns the open outbound links.
func (n *fakeNet) outbound() []*fakeLink {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []*fakeLink
	for l := range n.links {
		if l.info.Outbound {
			out = append(out, l)
		}
	}
	return out
}

// dialsTo returns the times of the dials to ap.
func (n *fakeNet) dialsTo(ap netip.AddrPort) []time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []time.Time
	for _, d := range n.dials {
		if d.addr == ap {
			out = append(out, d.at)
		}
	}
	return out
}

// sentMsg is one message sent on a fakeLink.
type sentMsg struct {
	t protocol.MessageType
	v protocol.Value
}

// fakeLink is a connection of a fakeNet.
type fakeLink struct {
	net  *fakeNet
	addr netip.AddrPort
	node *fakeNode
	info peer.Info
	done chan struct{}
	once sync.Once

	mu   sync.Mutex
	sent []sentMsg
}

func (l *fakeLink) Info() peer.Info { return l.info }

func (l *fakeLink) Send(_ context.Context, t protocol.MessageType, v protocol.Value) error {
	select {
	case <-l.done:
		return peer.ErrClosed
	default:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, sentMsg{t, v})
	return nil
}

func (l *fakeLink) Request(_ context.Context, t protocol.MessageType, _ protocol.Value) (protocol.Value, error) {
	if t != protocol.MsgRequestPeersIntroducer || l.node.introducer == nil {
		return nil, fmt.Errorf("fake: no reply to %v", t)
	}
	return &protocol.RespondPeersIntroducer{PeerList: slices.Clone(l.node.introducer)}, nil
}

func (l *fakeLink) Close() {
	l.once.Do(func() {
		close(l.done)
		l.net.mu.Lock()
		delete(l.net.links, l)
		l.net.mu.Unlock()
		l.net.emit(false, l)
	})
}

func (l *fakeLink) Done() <-chan struct{} { return l.done }

// messages returns what was sent on l.
func (l *fakeLink) messages() []sentMsg {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

// stepRec is one bootstrap step seen through the hook.
type stepRec struct {
	round int
	step  string
	n     int
	err   error
	at    time.Duration // since the harness started
}

// harness runs a Discovery over a fakeNet; use it inside synctest.Test.
type harness struct {
	t     *testing.T
	net   *fakeNet
	am    *addrman.Manager
	d     *Discovery
	start time.Time

	mu    sync.Mutex
	steps []stepRec
	kinds map[netip.AddrPort][]dialKind

	cancel context.CancelFunc
	done   chan error
}

// newHarness makes a Discovery over a new fakeNet with a fresh address
// manager (seeded) and a seeded Rand, unless cfg sets them.
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, net: newFakeNet(), start: time.Now(), kinds: make(map[netip.AddrPort][]dialKind)}
	if cfg.AddrMan == nil {
		cfg.AddrMan = addrman.New(addrman.Config{Rand: rand.New(rand.NewPCG(1, 2)), AllowPrivate: cfg.AllowPrivate})
	}
	h.am = cfg.AddrMan
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(3, 4))
	}
	nt := cfg.NodeType
	if nt == 0 {
		nt = protocol.NodeFullNode
	}
	d, err := newDiscovery(cfg, h.net, nt)
	if err != nil {
		t.Fatal(err)
	}
	d.hooks.step = func(round int, step string, n int, err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.steps = append(h.steps, stepRec{round, step, n, err, time.Since(h.start)})
	}
	d.hooks.dialStart = func(ap netip.AddrPort, kind dialKind) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.kinds[ap] = append(h.kinds[ap], kind)
	}
	h.d = d
	return h
}

// run starts Discovery.Run; stop ends it.
func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.d.Run(ctx) }()
}

func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run: %v", err)
	}
}

// recordedSteps returns the steps seen so far.
func (h *harness) recordedSteps() []stepRec {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.steps)
}

// dialKinds returns the kinds of the dials started to ap.
func (h *harness) dialKinds(ap netip.AddrPort) []dialKind {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.kinds[ap])
}

// pub returns a public address in a /16 group of its own for each n.
func pub(n int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(11 + n/200), byte(n % 200), 0, 1}), config.MainnetPort)
}

// inGroup returns the address of host n inside the one group 50.50/16.
func inGroup(n int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{50, 50, byte(n / 200), byte(1 + n%200)}), config.MainnetPort)
}

// tpi returns a TimestampedPeerInfo for ap seen at ts.
func tpi(ap netip.AddrPort, ts time.Time) protocol.TimestampedPeerInfo {
	var u uint64
	if !ts.IsZero() {
		u = uint64(ts.Unix())
	}
	return protocol.TimestampedPeerInfo{Host: ap.Addr().String(), Port: ap.Port(), Timestamp: u}
}

// addKnown adds addresses to am as if a full node had told us at now.
func addKnown(t *testing.T, am *addrman.Manager, aps ...netip.AddrPort) {
	t.Helper()
	list := make([]protocol.TimestampedPeerInfo, len(aps))
	for i, ap := range aps {
		list[i] = tpi(ap, time.Now())
	}
	if _, rejected := am.Add(list, addrman.PeerInfo{}, 0); rejected > 0 {
		t.Fatalf("%d of %d addresses rejected", rejected, len(aps))
	}
}

// outboundMonitor records the most outbound full-node links a fakeNet
// held at once, counted each time a link joins.
type outboundMonitor struct {
	mu   sync.Mutex
	most int
}

func (m *outboundMonitor) max() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.most
}

// watchOutbound subscribes a monitor to n's events.
func (n *fakeNet) watchOutbound() *outboundMonitor {
	m := &outboundMonitor{}
	n.Subscribe(func(connected bool, _ link) {
		if !connected {
			return
		}
		c := 0
		for _, l := range n.outbound() {
			if l.info.NodeType == protocol.NodeFullNode {
				c++
			}
		}
		m.mu.Lock()
		m.most = max(m.most, c)
		m.mu.Unlock()
	})
	return m
}
