package discovery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// The in-process network: networkSize full nodes on 127.N.0.1 (N = 1…40),
// each its own /16 group, and an introducer-style peer on 127.100.0.1.
const (
	networkSize = 40
	networkID   = "discovery-test"
	clockFactor = 20 // simulated seconds per real second
	// networkTimeout bounds each phase. Unloaded, bootstrap takes about
	// 15 s and recovery 10 s; on a busy 2-core machine (the race detector,
	// other tests beside) each can take three times as long. It is longer
	// than the 30-minute retry rule on this clock (90 s), so a node whose
	// last live candidate was tried early in a phase can try it again.
	networkTimeout = DefaultRetryInterval/clockFactor + 60*time.Second
)

// fastClock is a Clock that runs clockFactor times faster than real
// time, and that a test can move forward (Advance): every wait of
// discovery (connect-loop pauses, bootstrap backoff, feelers, the
// 30-minute retry rule) shrinks by that factor, while the network, TLS
// and handshakes run in real time. All nodes share one, as do their
// address managers, so they agree on what "now" is.
type fastClock struct {
	base, realBase time.Time

	mu     sync.Mutex
	offset time.Duration
}

func newFastClock() *fastClock {
	now := time.Now()
	return &fastClock{base: now, realBase: now}
}

func (c *fastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.realBase)*clockFactor + c.offset)
}

// Advance moves the clock forward by d at once. Waits under way are not
// shortened; the connect loop's are at most a fraction of a second.
func (c *fastClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func (c *fastClock) After(d time.Duration) <-chan time.Time {
	return time.After(d / clockFactor)
}

// testPKI is the public chia CA and its pool; issueAll makes node
// certificates (distinct node ids).
type testPKI struct {
	ca   *chiatls.KeyPair
	pool *x509.CertPool
}

// issueAll makes n node certificates, two at a time.
func (k *testPKI) issueAll(n int) ([]tls.Certificate, error) {
	certs := make([]tls.Certificate, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range certs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			kp, err := k.ca.IssueNodeCert(time.Now())
			if err == nil {
				certs[i] = kp.TLSCertificate()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return certs, errors.Join(errs...)
}

// testCerts are the node certificates of the tests over real servers:
// made once per test binary (RSA keys are slow to make under the race
// detector), shared by the tests, which never run at the same time.
var testCerts struct {
	once  sync.Once
	pki   *testPKI
	certs []tls.Certificate
	err   error
}

// sharedCerts returns the PKI and n ≤ networkSize+2 node certificates.
func sharedCerts(t *testing.T, n int) (*testPKI, []tls.Certificate) {
	t.Helper()
	testCerts.once.Do(func() {
		ca, err := chiatls.PublicCA()
		if err != nil {
			testCerts.err = err
			return
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca.Cert)
		testCerts.pki = &testPKI{ca: ca, pool: pool}
		testCerts.certs, testCerts.err = testCerts.pki.issueAll(networkSize + 2)
	})
	if testCerts.err != nil {
		t.Fatal(testCerts.err)
	}
	return testCerts.pki, testCerts.certs[:n]
}

// logBuf keeps the last logKeep lines of one node's log; a failure
// prints the last logTail lines of one node.
type logBuf struct {
	mu    sync.Mutex
	lines []string // a ring of logKeep lines once full
	next  int
}

// logKeep is how many log lines a node keeps; logTail how many of them a
// failure prints.
const (
	logKeep = 200
	logTail = 20
)

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if len(b.lines) < logKeep {
			b.lines = append(b.lines, line)
			continue
		}
		b.lines[b.next] = line
		b.next = (b.next + 1) % logKeep
	}
	return len(p), nil
}

// tail returns the last n lines kept.
func (b *logBuf) tail(n int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := append(slices.Clone(b.lines[b.next:]), b.lines[:b.next]...)
	return all[max(0, len(all)-n):]
}

// registry mirrors one server's connections from its events, in the
// order the server registered and removed them, and checks at every
// connection that joins that the node holds at most the target of
// outbound full nodes, one per group. A Connected event replaces the
// connection with the same node id, as the server does; a Disconnected
// event removes the connection if it is still the registered one.
type registry struct {
	self   protocol.Bytes32
	ip     netip.Addr
	began  time.Time
	notify func()

	mu    sync.Mutex
	conns map[protocol.Bytes32]server.Event
	most  int // the most outbound full nodes held at once
	// broken lists the first few moments the rules were broken.
	broken []string
}

func newRegistry(self protocol.Bytes32, ip netip.Addr, began time.Time, notify func()) *registry {
	return &registry{self: self, ip: ip, began: began, notify: notify, conns: make(map[protocol.Bytes32]server.Event)}
}

// event is the server's Subscribe callback.
func (r *registry) event(e server.Event) {
	r.mu.Lock()
	switch e.Type {
	case server.Connected:
		r.conns[e.Info.NodeID] = e
		out, groups := r.outboundLocked()
		r.most = max(r.most, len(out))
		var why string
		switch {
		case len(out) > DefaultTargetOutboundFullNode:
			why = fmt.Sprintf("%d outbound full nodes %v", len(out), out)
		case groups < len(out):
			why = fmt.Sprintf("two outbound full nodes in one group %v", out)
		}
		if why != "" && len(r.broken) < 3 {
			r.broken = append(r.broken, fmt.Sprintf("at %v, %s joined: %s",
				time.Since(r.began).Round(time.Millisecond), e.Info.RemoteAddr, why))
		}
	case server.Disconnected:
		if c, ok := r.conns[e.Info.NodeID]; ok && c.Peer == e.Peer {
			delete(r.conns, e.Info.NodeID)
		}
	}
	r.mu.Unlock()
	r.notify()
}

// outboundLocked returns the outbound full nodes (their addresses,
// sorted) and how many groups they are in. r.mu is held.
func (r *registry) outboundLocked() ([]netip.AddrPort, int) {
	var out []netip.AddrPort
	groups := make(map[addrman.Group]bool)
	for _, c := range r.conns {
		if c.Info.Outbound && c.Info.NodeType == protocol.NodeFullNode {
			out = append(out, c.Info.RemoteAddr)
			groups[addrman.GroupOf(c.Info.RemoteAddr.Addr())] = true
		}
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return out, len(groups)
}

// counts returns the outbound full nodes and inbound connections held
// now, and the most outbound full nodes held at once.
func (r *registry) counts() (outbound, inbound, most int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		switch {
		case !c.Info.Outbound:
			inbound++
		case c.Info.NodeType == protocol.NodeFullNode:
			outbound++
		}
	}
	return outbound, inbound, r.most
}

// rulesBroken returns the moments the bound or the group rule was broken.
func (r *registry) rulesBroken() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.broken)
}

// netNode is one full node of the network: server, address manager and
// discovery.
type netNode struct {
	n      int
	ip     netip.Addr
	srv    *server.Server
	am     *addrman.Manager
	d      *Discovery
	file   string
	log    *logBuf
	reg    *registry
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	steps  []stepRec
	closed bool
}

// newServer makes a server of type typ listening on ip (any port) with
// its own certificate.
func newServer(t *testing.T, k *testPKI, cert tls.Certificate, ip netip.Addr, typ protocol.NodeType, clk Clock, lg *slog.Logger) *server.Server {
	t.Helper()
	srv, err := server.New(server.Config{
		NetworkID:  networkID,
		NodeType:   typ,
		ListenAddr: netip.AddrPortFrom(ip, 0).String(),
		DialFrom:   ip, // seen by others at 127.N.0.1, not 127.0.0.1
		ServerTLS:  chiatls.ServerConfig(cert, k.pool),
		ClientTLS:  chiatls.ClientConfig(cert, k.pool),
		Now:        clk.Now,
		Logger:     lg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// startNode starts node n (on 127.n.0.1) bootstrapping from introducer;
// seed, if not nil, fills its address table first.
func startNode(t *testing.T, k *testPKI, cert tls.Certificate, n int, env *netEnv, seed func(*addrman.Manager)) *netNode {
	t.Helper()
	ip := netip.AddrFrom4([4]byte{127, byte(n), 0, 1})
	clk := env.clk
	nd := &netNode{n: n, ip: ip, log: &logBuf{}, file: filepath.Join(env.dir, fmt.Sprintf("peers-%d.dat", n))}
	lg := slog.New(slog.NewTextHandler(nd.log, &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", n)
	for {
		nd.srv = newServer(t, k, cert, ip, protocol.NodeFullNode, clk, lg.With("pkg", "server"))
		nd.am = addrman.New(addrman.Config{AllowPrivate: true, Now: clk.Now, Rand: rand.New(rand.NewPCG(uint64(n), 1)), Logger: lg})
		if seed != nil {
			seed(nd.am)
		}
		d, err := New(Config{
			Server:       nd.srv,
			AddrMan:      nd.am,
			Introducer:   env.introducer,
			AllowPrivate: true,
			DefaultPort:  config.MainnetPort,
			PeersFile:    nd.file,
			// Nothing here drops packets: a slow handshake only means a
			// busy machine, and must not make a node dial more.
			DialGrace: -1,
			Logger:    lg.With("pkg", "discovery"),
			Clock:     clk,
			Rand:      rand.New(rand.NewPCG(uint64(n), 2)),
		})
		if err != nil {
			t.Fatal(err)
		}
		d.hooks.step = func(round int, step string, cnt int, err error) {
			nd.mu.Lock()
			defer nd.mu.Unlock()
			nd.steps = append(nd.steps, stepRec{round: round, step: step, n: cnt, err: err})
		}
		nd.d = d
		d.Register()
		nd.reg = newRegistry(nd.srv.NodeID(), ip, env.began, env.changed)
		nd.srv.Subscribe(nd.reg.event)
		if err := nd.srv.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		// An ephemeral port may be another network's default port,
		// which gossip drops: take another.
		if p := nd.srv.Addr().Port(); slices.Contains(networkPorts[:], p) && p != config.MainnetPort {
			_ = nd.srv.Close(t.Context())
			continue
		}
		break
	}
	ctx, cancel := context.WithCancel(context.Background())
	nd.cancel, nd.done = cancel, make(chan error, 1)
	go func() { nd.done <- nd.d.Run(ctx) }()
	return nd
}

// stopAll stops the nodes, all at once.
func stopAll(t *testing.T, nodes []*netNode) {
	var wg sync.WaitGroup
	for _, nd := range nodes {
		wg.Go(func() { nd.stop(t) })
	}
	wg.Wait()
}

// stop ends the node's discovery and closes its server.
func (nd *netNode) stop(t *testing.T) {
	t.Helper()
	nd.mu.Lock()
	if nd.closed {
		nd.mu.Unlock()
		return
	}
	nd.closed = true
	nd.mu.Unlock()
	nd.cancel()
	if err := <-nd.done; err != nil {
		t.Errorf("node %d: Run: %v", nd.n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := nd.srv.Close(ctx); err != nil {
		t.Errorf("node %d: Close: %v", nd.n, err)
	}
}

// check returns why the node is not at its target with the invariants
// kept: exactly the target of outbound full nodes, one per /16 group, no
// connection to itself or its own IP. "" means all is well. A node that
// is already connected to all liveOthers other live nodes may have fewer
// outbound ones: with most of them connected to it inbound, no address is
// left to dial (a small network after 30 % of it stopped can leave a
// popular node there).
func (nd *netNode) check(liveOthers int) string {
	nd.reg.mu.Lock()
	defer nd.reg.mu.Unlock()
	for id, c := range nd.reg.conns {
		switch {
		case id == nd.reg.self:
			return "connected to itself"
		case c.Info.RemoteAddr.Addr() == nd.ip:
			return "connected to its own IP"
		}
	}
	out, groups := nd.reg.outboundLocked()
	switch {
	case groups < len(out):
		return fmt.Sprintf("two outbound connections in one group %v", out)
	case len(out) < DefaultTargetOutboundFullNode && len(nd.reg.conns) >= liveOthers:
		// Connected to every live node: nothing left to dial.
	case len(out) != DefaultTargetOutboundFullNode:
		return fmt.Sprintf("%d outbound full nodes", len(out))
	}
	return ""
}

// summary describes the node in one line: its outbound and inbound
// connections, the most outbound it ever held, and its discovery counters.
func (nd *netNode) summary() string {
	out, in, most := nd.reg.counts()
	s := nd.d.Stats()
	return fmt.Sprintf("node %d (outbound %d, at most %d; inbound %d; %d bootstrap rounds, %d empty; "+
		"%d dials: %d failed, %d closed after the handshake, %d under way)",
		nd.n, out, most, in, s.BootstrapRounds, s.BootstrapFailures, s.Dials, s.DialFailures, s.Closed, s.PendingDials)
}

// netEnv is what the nodes of a network share.
type netEnv struct {
	clk        *fastClock
	dir        string
	introducer string
	began      time.Time
	// wake is signalled (capacity 1) whenever a node's connections change.
	wake chan struct{}
}

func (e *netEnv) changed() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// report fails the test with a short summary: what went wrong, one line
// per node that is not well, and the last log lines of the first of them.
func report(t *testing.T, what string, nodes []*netNode, bad map[*netNode]string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d nodes not well\n", what, len(bad), len(nodes))
	var first *netNode
	for _, nd := range nodes {
		if why, ok := bad[nd]; ok {
			fmt.Fprintf(&b, "  %s: %s\n", nd.summary(), why)
			if first == nil {
				first = nd
			}
		}
	}
	fmt.Fprintf(&b, "last %d log lines of node %d:\n", logTail, first.n)
	for _, line := range first.log.tail(logTail) {
		fmt.Fprintf(&b, "  | %s\n", line)
	}
	t.Fatal(b.String())
}

// testIntroducer is an introducer-style peer: a server of node type
// INTRODUCER that remembers every full node that connects (its IP and
// handshake server port, as the reference's introducer does) and answers
// request_peers_introducer with up to 20 of them at random, never the
// requester, with timestamp 0. Unlike the reference's it does not vet
// the addresses first (the package introducer will).
type testIntroducer struct {
	srv *server.Server

	mu    sync.Mutex
	rand  *rand.Rand
	peers []netip.AddrPort
}

func startIntroducer(t *testing.T, k *testPKI, cert tls.Certificate, clk Clock) *testIntroducer {
	t.Helper()
	in := &testIntroducer{rand: rand.New(rand.NewPCG(100, 100))}
	in.srv = newServer(t, k, cert, netip.AddrFrom4([4]byte{127, 100, 0, 1}), protocol.NodeIntroducer, clk,
		slog.New(slog.DiscardHandler))
	in.srv.Handle(protocol.MsgRequestPeersIntroducer, in.handle)
	if err := in.srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *testIntroducer) handle(_ context.Context, p *peer.Peer, _ protocol.Message) (*protocol.Message, error) {
	info := p.Info()
	own := netip.AddrPortFrom(info.RemoteAddr.Addr(), info.ServerPort)
	in.mu.Lock()
	if info.NodeType == protocol.NodeFullNode && info.ServerPort != 0 && !slices.Contains(in.peers, own) {
		in.peers = append(in.peers, own)
	}
	var list []protocol.TimestampedPeerInfo
	for _, i := range in.rand.Perm(len(in.peers)) {
		if ap := in.peers[i]; ap != own && len(list) < 20 {
			list = append(list, protocol.TimestampedPeerInfo{Host: ap.Addr().String(), Port: ap.Port()})
		}
	}
	in.mu.Unlock()
	return peer.Reply(protocol.MsgRespondPeersIntroducer, &protocol.RespondPeersIntroducer{PeerList: list})
}

// waitAll waits until every node in nodes passes check, re-checking
// whenever a connection joins or leaves, and fails the test with a
// summary after networkTimeout, or at once if any node of all ever held
// more outbound full nodes than its target or two in one group. live is
// how many nodes of the network are running.
func waitAll(t *testing.T, env *netEnv, what string, nodes, all []*netNode, live int) {
	t.Helper()
	deadline := time.NewTimer(networkTimeout)
	defer deadline.Stop()
	for {
		broken := make(map[*netNode]string)
		for _, nd := range all {
			if b := nd.reg.rulesBroken(); len(b) > 0 {
				broken[nd] = strings.Join(b, "; ")
			}
		}
		if len(broken) > 0 {
			report(t, what+": outbound target or group rule broken", all, broken)
		}
		bad := make(map[*netNode]string)
		for _, nd := range nodes {
			if why := nd.check(live - 1); why != "" {
				bad[nd] = why
			}
		}
		if len(bad) == 0 {
			return
		}
		select {
		case <-env.wake:
		case <-deadline.C:
			report(t, fmt.Sprintf("%s: after %v", what, networkTimeout), nodes, bad)
		}
	}
}

// TestNetwork bootstraps 40 nodes from one introducer-style peer on
// loopback and checks that every node reaches its outbound target with
// one connection per group and no duplicate or self connection, and never
// holds more than the target or two in one group (checked at every
// connection that joins a node's server, from its events); that
// after 30% of the nodes stop the survivors restore their targets; and
// that a node whose every known address is dead re-bootstraps from the
// introducer. Waits are driven by a clock running 20 times faster than
// real time, which the test also moves forward.
//
// Choice: the nodes bootstrap through the introducer step (Config.
// Introducer, request_peers_introducer), the path a fresh node takes,
// rather than through a static peer answering request_peers; gossip
// (request_peers on every outbound connection, inbound-peer relay) does
// the rest.
func TestNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("40-node network")
	}
	began := time.Now()
	k, certs := sharedCerts(t, networkSize+2)
	clk := newFastClock()
	env := &netEnv{clk: clk, dir: t.TempDir(), began: began, wake: make(chan struct{}, 1)}
	in := startIntroducer(t, k, certs[networkSize+1], clk)
	defer func() { _ = in.srv.Close(context.Background()) }()
	env.introducer = in.srv.Addr().String()

	nodes := make([]*netNode, networkSize)
	for i := range nodes {
		nodes[i] = startNode(t, k, certs[i], i+1, env, nil)
	}
	defer func() { stopAll(t, nodes) }()
	setup := time.Since(began)

	// 1. Everybody reaches the target.
	waitAll(t, env, "bootstrap", nodes, nodes, len(nodes))
	phase1 := time.Since(began)

	// 2. Stop 30% of the nodes (12 of 40); the survivors make up for the
	// connections they lost. In a network this small they have already
	// tried most live addresses (feelers, and connections lost when two
	// nodes dialled each other at once: each server keeps the newer of
	// two connections with one node id), and an address is tried once
	// per 30 minutes: move the clock past that window.
	var stopped, survivors []*netNode
	for i, nd := range nodes {
		if i%10 < 3 {
			stopped = append(stopped, nd)
		} else {
			survivors = append(survivors, nd)
		}
	}
	stopAll(t, stopped)
	clk.Advance(DefaultRetryInterval)
	for _, nd := range stopped {
		m, err := addrman.Load(nd.file, addrman.Config{AllowPrivate: true})
		if err != nil || m.Size() == 0 {
			t.Errorf("node %d: peers file after shutdown: %d addresses, %v", nd.n, m.Size(), err)
		}
	}
	waitAll(t, env, "recovery", survivors, nodes, len(survivors))
	phase2 := time.Since(began)

	// 3. A new node that knows only the stopped nodes' addresses:
	// round 1 takes them (persisted peers), every dial fails, round 2
	// asks the introducer and the node reaches its target.
	dead := make([]protocol.TimestampedPeerInfo, len(stopped))
	for i, nd := range stopped {
		dead[i] = protocol.TimestampedPeerInfo{Host: nd.ip.String(), Port: nd.srv.Addr().Port(), Timestamp: uint64(clk.Now().Unix())}
	}
	lonely := startNode(t, k, certs[networkSize], networkSize+1, env, func(m *addrman.Manager) {
		if added, _ := m.Add(dead, addrman.PeerInfo{}, 0); added != len(dead) {
			t.Fatalf("seeded %d of %d dead addresses", added, len(dead))
		}
	})
	nodes = append(nodes, lonely)
	waitAll(t, env, "re-bootstrap", []*netNode{lonely}, nodes, len(survivors)+1)
	lonely.mu.Lock()
	steps := slices.Clone(lonely.steps)
	lonely.mu.Unlock()
	if len(steps) < 2 || steps[0].round != 1 || steps[0].step != StepPersisted || steps[0].err != nil || steps[0].n != len(dead) {
		t.Fatalf("lonely node's first round = %+v, want its %d persisted addresses", steps, len(dead))
	}
	var intro2 *stepRec
	for i, s := range steps {
		if s.round >= 2 && s.step == StepIntroducer && s.err == nil {
			intro2 = &steps[i]
			break
		}
	}
	if intro2 == nil {
		t.Fatalf("lonely node never got peers from the introducer in a later round: %+v", steps)
	}
	if s := lonely.d.Stats(); s.BootstrapRounds < 2 {
		t.Errorf("lonely node: %d bootstrap rounds, want at least 2", s.BootstrapRounds)
	}
	for _, ap := range dead {
		e, _ := lonely.am.Lookup(addrman.PeerInfo{Host: ap.Host, Port: ap.Port})
		if e.Attempts == 0 {
			t.Errorf("dead %s:%d never counted as failed", ap.Host, ap.Port)
		}
	}
	phase3 := time.Since(began)
	t.Logf("setup %v, bootstrap at %v, recovery at %v, re-bootstrap at %v (simulated time %v)",
		setup.Round(time.Millisecond), phase1.Round(time.Millisecond), phase2.Round(time.Millisecond),
		phase3.Round(time.Millisecond), clk.Now().Sub(clk.base).Round(time.Second))
}

// TestRealPeerHandlers runs the handlers installed by Register over real
// connections: a full node answers request_peers from the addresses it
// knows, and an introducer that pushes an id-less
// respond_peers_introducer gets its addresses stored with timestamp 0
// and its connection closed.
func TestRealPeerHandlers(t *testing.T) {
	k, certs := sharedCerts(t, 3)
	clk := newFastClock()
	lg := slog.New(slog.DiscardHandler)
	ip := func(n byte) netip.Addr { return netip.AddrFrom4([4]byte{127, 200, n, 1}) }

	// A full node with discovery's handlers, not running its loops.
	full := newServer(t, k, certs[0], ip(1), protocol.NodeFullNode, clk, lg)
	// A fixed key and seed: with a random key two of the addresses below
	// can land in the same new-table slot, and one is then not stored.
	am := addrman.New(addrman.Config{AllowPrivate: true, Now: clk.Now, Key: [32]byte{7}, Rand: rand.New(rand.NewPCG(7, 7))})
	d, err := New(Config{Server: full, AddrMan: am, AllowPrivate: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	d.Register()
	if err := full.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = full.Close(context.Background()) }()
	var known []protocol.TimestampedPeerInfo
	for i := range 40 {
		known = append(known, protocol.TimestampedPeerInfo{
			Host: netip.AddrFrom4([4]byte{127, byte(210 + i), 0, 1}).String(), Port: 8444, Timestamp: uint64(clk.Now().Unix()),
		})
	}
	if added, _ := am.Add(known, addrman.PeerInfo{}, 0); added != len(known) {
		t.Fatalf("stored %d of %d addresses", added, len(known))
	}

	// A wallet asks it for peers.
	wallet := newServer(t, k, certs[1], ip(2), protocol.NodeWallet, clk, lg)
	wallet.Handle(protocol.MsgRespondPeers, peer.Ignore)
	if err := wallet.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = wallet.Close(context.Background()) }()
	p, err := wallet.Dial(t.Context(), full.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rp, err := p.RequestPeers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rp.PeerList) != 10 { // 23% of 40, rounded up
		t.Errorf("request_peers answered %d addresses, want 10", len(rp.PeerList))
	}

	// An introducer pushes its list as soon as the full node connects.
	intro := newServer(t, k, certs[2], ip(3), protocol.NodeIntroducer, clk, lg)
	pushed := []protocol.TimestampedPeerInfo{
		{Host: "127.202.0.1", Port: 8444, Timestamp: uint64(clk.Now().Unix())},
		{Host: "127.202.1.1", Port: 8444, Timestamp: uint64(clk.Now().Unix())},
	}
	cancel := intro.Subscribe(func(e server.Event) {
		if e.Type == server.Connected {
			_ = e.Peer.Send(context.Background(), protocol.MsgRespondPeersIntroducer,
				&protocol.RespondPeersIntroducer{PeerList: pushed})
		}
	})
	defer cancel()
	if err := intro.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = intro.Close(context.Background()) }()
	// The reply can arrive, and the full node close the connection, before
	// Dial has returned; a normal close is then Dial's result.
	ip2, err := full.Dial(t.Context(), intro.Addr().String())
	switch {
	case err == nil:
		select {
		case <-ip2.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the introducer connection was not closed after its reply")
		}
	case errors.Is(err, peer.ErrClosed):
	default:
		t.Fatal(err)
	}
	for _, tp := range pushed {
		e, ok := am.Lookup(addrman.PeerInfo{Host: tp.Host, Port: tp.Port})
		if !ok || !e.Timestamp.IsZero() {
			t.Errorf("%s: stored %v with timestamp %v, want stored with 0", tp.Host, ok, e.Timestamp)
		}
	}
}
