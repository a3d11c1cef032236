package discovery

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// Discovery keeps a node at its outbound target and gossips addresses.
// See the package documentation. Its methods are safe for concurrent use.
type Discovery struct {
	cfg      Config
	net      network
	am       *addrman.Manager
	log      *slog.Logger
	clock    Clock
	fullNode bool
	relayKey [32]byte

	// slots holds one token per dial under way (capacity MaxPendingDials).
	slots chan struct{}
	// wake is signalled (capacity 1) when an outbound full node leaves,
	// so that the connect loop replaces it without waiting out its pause.
	wake   chan struct{}
	relayQ chan relayItem

	// dials counts the dial goroutines; Run waits for them.
	dials sync.WaitGroup

	mu sync.Mutex
	// running is set by Run.
	running bool
	// received counts the addresses taken from each source host since
	// the last daily reset.
	received map[string]int
	// known holds, per neighbour (its IP and server port), the hosts it
	// told us or we told it, so that they are not relayed to it.
	known map[netip.AddrPort]map[string]struct{}
	// pending maps the IP of each dial under way to its kind.
	pending map[netip.Addr]pendingDial
	// self holds addresses that turned out to be ourselves.
	self map[netip.AddrPort]struct{}
	// streak counts the bootstrap rounds, less those before the last
	// kept outbound connection but one; lastRound is when the last round
	// ended. The next round
	// may start backoffAfter(streak) after lastRound.
	streak    int
	lastRound time.Time
	stats     Stats

	// hooks are test probes; nil fields do nothing.
	hooks hooks
}

// hooks lets tests observe decisions without parsing logs.
type hooks struct {
	// step is called after every bootstrap step.
	step func(round int, step string, n int, err error)
	// dialStart is called when a dial starts.
	dialStart func(ap netip.AddrPort, kind dialKind)
}

// Stats are counters of a Discovery since New.
type Stats struct {
	// BootstrapRounds counts the bootstrap rounds started, the first
	// (which may only find persisted peers) included; BootstrapFailures
	// counts those in which no step found anything.
	BootstrapRounds, BootstrapFailures int
	// Dials counts the dials started by the connect loop and the static
	// step; DialFailures those that failed; Feelers and CollisionTests
	// the feeler and tried-collision test dials among them.
	Dials, DialFailures, Feelers, CollisionTests int
	// PendingDials is the number of dials under way; MaxPendingSeen its
	// highest value.
	PendingDials, MaxPendingSeen int
	// Closed counts the connections closed after their handshake:
	// feelers and connections beyond the target or in a taken group.
	Closed int
	// RepliesIgnored counts respond_peers and respond_peers_introducer
	// messages ignored whole (over MaxPeersPerReply, or a source over
	// MaxPeersPerSource).
	RepliesIgnored int
	// Relayed counts the addresses sent to neighbours by the relay.
	Relayed int
}

// Errors of New and Run.
var (
	// ErrRunning: Run was called twice.
	ErrRunning = errors.New("discovery: already running")
)

// New checks cfg and returns a Discovery. It registers nothing: call
// Register (or install Handlers) before the server starts, and Run after.
func New(cfg Config) (*Discovery, error) {
	if cfg.Server == nil {
		return nil, errors.New("discovery: Config.Server is required")
	}
	return newDiscovery(cfg, serverNet{cfg.Server}, cfg.Server.NodeType())
}

// newDiscovery is New over any network (tests pass a fake).
func newDiscovery(cfg Config, net network, nodeType protocol.NodeType) (*Discovery, error) {
	if cfg.AddrMan == nil {
		return nil, errors.New("discovery: Config.AddrMan is required")
	}
	cfg = cfg.withDefaults(nodeType)
	switch cfg.NodeType {
	case protocol.NodeFullNode, protocol.NodeWallet:
	default:
		return nil, errors.New("discovery: Config.NodeType must be FULL_NODE or WALLET")
	}
	d := &Discovery{
		cfg:      cfg,
		net:      net,
		am:       cfg.AddrMan,
		log:      cfg.Logger,
		clock:    cfg.Clock,
		fullNode: cfg.NodeType == protocol.NodeFullNode,
		slots:    make(chan struct{}, cfg.MaxPendingDials),
		wake:     make(chan struct{}, 1),
		relayQ:   make(chan relayItem, relayQueueSize),
		received: make(map[string]int),
		known:    make(map[netip.AddrPort]map[string]struct{}),
		pending:  make(map[netip.Addr]pendingDial),
		self:     make(map[netip.AddrPort]struct{}),
	}
	for i := 0; i < len(d.relayKey); i += 8 {
		binary.BigEndian.PutUint64(d.relayKey[i:], cfg.Rand.Uint64())
	}
	return d, nil
}

// Handlers returns the message handlers of discovery: request_peers
// (answered by a full node only), respond_peers and
// respond_peers_introducer. Install them on the server before it starts
// (Register does).
func (d *Discovery) Handlers() map[protocol.MessageType]peer.HandlerFunc {
	return map[protocol.MessageType]peer.HandlerFunc{
		protocol.MsgRequestPeers:           d.handleRequestPeers,
		protocol.MsgRespondPeers:           d.handleRespondPeers,
		protocol.MsgRespondPeersIntroducer: d.handleRespondPeersIntroducer,
	}
}

// Register installs Handlers on Config.Server. Like server.Handle it must
// be called before the server starts.
func (d *Discovery) Register() {
	if d.cfg.Server == nil {
		panic("discovery: Register without Config.Server")
	}
	for t, h := range d.Handlers() {
		d.cfg.Server.Handle(t, h)
	}
}

// Stats returns the counters.
func (d *Discovery) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stats
	s.PendingDials = len(d.pending)
	return s
}

// Run keeps the outbound target until ctx ends: it runs the connect loop
// (bootstrap, selection, dials, feelers, collision tests), the address
// relay and the daily self-advertisement (full nodes), the daily reset of
// the per-source counts, the periodic address-table maintenance, and, if
// Config.PeersFile is set, the periodic and final saves of the address
// table. It returns once all of them have stopped, with the final save's
// error. The server must be started; Run may be called once.
func (d *Discovery) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return ErrRunning
	}
	d.running = true
	d.mu.Unlock()

	cancel := d.net.Subscribe(d.onEvent)
	defer cancel()

	d.log.Info("peer discovery starting", "node_type", d.cfg.NodeType, "target_outbound", d.cfg.TargetOutbound,
		"known_addresses", d.am.Size())
	var wg sync.WaitGroup
	wg.Go(func() { d.connectLoop(ctx) })
	wg.Go(func() { d.dailyLoop(ctx) })
	wg.Go(func() { d.maintenanceLoop(ctx) })
	if d.fullNode {
		wg.Go(func() { d.relayLoop(ctx) })
	}
	// The saver gets a context of its own so that the final save comes
	// after recordLive below.
	saveCtx, stopSaving := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSaving()
	var saver sync.WaitGroup
	var saveErr error
	if d.cfg.PeersFile != "" {
		saver.Go(func() { saveErr = d.am.Run(saveCtx, d.cfg.PeersFile) })
	}
	wg.Wait()
	d.dials.Wait()
	d.recordLive()
	stopSaving()
	saver.Wait()
	d.log.Info("peer discovery stopped", "save_err", saveErr)
	return saveErr
}

// now returns the clock's time.
func (d *Discovery) now() time.Time { return d.clock.Now() }

// sleep waits for dur, ctx's end or, if wake is not nil, a signal on it.
// It reports false if ctx ended.
func (d *Discovery) sleep(ctx context.Context, dur time.Duration, wake <-chan struct{}) bool {
	if dur <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-d.clock.After(dur):
	case <-wake:
	}
	return true
}

// signalWake wakes the connect loop if it is pausing.
func (d *Discovery) signalWake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// onEvent reacts to connections joining and leaving the server.
func (d *Discovery) onEvent(connected bool, l link) {
	info := l.Info()
	if !connected {
		d.mu.Lock()
		delete(d.known, neighbourOf(info))
		d.mu.Unlock()
		if info.Outbound && info.NodeType == protocol.NodeFullNode {
			d.signalWake()
		}
		return
	}
	if info.NodeType != protocol.NodeFullNode {
		return
	}
	if info.Outbound {
		d.onOutboundFullNode(l, info)
	} else if d.fullNode {
		d.onInboundFullNode(info)
	}
}

// onOutboundFullNode asks a new outbound full node for its peers, id-less
// as the reference does (the reply comes as an ordinary respond_peers),
// and advertises our public address to it.
func (d *Discovery) onOutboundFullNode(l link, info peer.Info) {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	if err := l.Send(ctx, protocol.MsgRequestPeers, &protocol.RequestPeers{}); err != nil {
		d.log.Debug("request_peers not sent", "peer", info.RemoteAddr, "err", err)
		return
	}
	if d.fullNode && d.cfg.PublicAddr.IsValid() {
		self := d.selfAdvertisement()
		d.markKnown(neighbourOf(info), self)
		if err := l.Send(ctx, protocol.MsgRespondPeers, &protocol.RespondPeers{PeerList: self}); err != nil {
			d.log.Debug("self-advertisement not sent", "peer", info.RemoteAddr, "err", err)
		}
	}
}

// onInboundFullNode records an inbound full node's listening address
// (its IP and handshake server port, seen now, as its own source) and
// relays it to one neighbour.
func (d *Discovery) onInboundFullNode(info peer.Info) {
	ip := info.RemoteAddr.Addr().Unmap()
	if info.ServerPort == 0 || !ip.IsValid() || !d.admissible(ip) || d.wrongNetworkPort(info.ServerPort) {
		return
	}
	ap := netip.AddrPortFrom(ip, info.ServerPort)
	tp := protocol.TimestampedPeerInfo{Host: ip.String(), Port: info.ServerPort, Timestamp: uint64(d.now().Unix())}
	d.am.Add([]protocol.TimestampedPeerInfo{tp}, addrman.PeerInfoFrom(ap), 0)
	// It knows its own address: never relay it back.
	d.markKnown(ap, []protocol.TimestampedPeerInfo{tp})
	d.enqueueRelay(tp, 1)
}

// recordLive records the address of every inbound full node still
// connected that the address manager lacks. Events reach onEvent on a
// goroutine of their own, so a peer that connected just before shutdown
// may not have been recorded yet; the final save must not miss it.
func (d *Discovery) recordLive() {
	if !d.fullNode {
		return
	}
	for _, l := range d.net.Links() {
		info := l.Info()
		if info.Outbound || info.NodeType != protocol.NodeFullNode {
			continue
		}
		ip := info.RemoteAddr.Addr().Unmap()
		if _, ok := d.am.Lookup(addrman.PeerInfo{Host: ip.String(), Port: info.ServerPort}); !ok {
			d.onInboundFullNode(info)
		}
	}
}

// backoffAfter returns the least wait between the end of the last
// bootstrap round and the next, after streak rounds (none before the
// first round): 1, 2, 4, … 512 s, and 512 s from then on. A kept outbound
// connection sets streak back to 1, so the waits start over at 1 s.
func backoffAfter(streak int) time.Duration {
	if streak <= 0 {
		return 0
	}
	if streak > 10 {
		return MaxBootstrapBackoff
	}
	return min(MinBootstrapBackoff<<(streak-1), MaxBootstrapBackoff)
}

// poissonDelay returns the delay to the next feeler: an exponential
// variate with mean FeelerMean, drawn as the reference does
// (−ln(1 − U)·mean).
func poissonDelay(r *rand.Rand, mean time.Duration) time.Duration {
	u := r.Float64()
	return time.Duration(-math.Log1p(-u) * float64(mean))
}
