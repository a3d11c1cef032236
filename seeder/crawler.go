package seeder

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/discovery"
	"github.com/chianet/chianet/internal/pep440"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// DefaultIPsLimit is the page size of IPsAfterTimestamp when none is
// given (the reference's get_ips_after_timestamp default).
const DefaultIPsLimit = 10_000

// Crawler crawls a Chia network: it connects to every known full node as
// a full node would, asks it for peers, waits briefly for its peak, and
// keeps reliability statistics per peer in a Store. See the package
// documentation for the algorithm.
//
// All methods are safe for concurrent use, but batches run one at a time:
// Batch, Run and RunOnce wait for each other.
type Crawler struct {
	cfg  CrawlerConfig
	log  *slog.Logger
	pcfg peer.Config

	batchMu sync.Mutex // held while a batch runs
	live    liveSet    // the crawl connections open now

	mu           sync.Mutex
	loaded       bool
	bootstrapped bool // the bootstrap peers were put in a batch
	records      map[string]*Record
	selected     map[string]time.Time // host → when it was last put in a batch
	dirty        map[string]struct{}  // hosts changed since the last save
	deleted      map[string]struct{}  // hosts pruned since the last save
	last         BatchInfo            // the latest saved batch
	// unreadable are the hosts of the rows Load skipped: the crawler
	// records nothing under them, so no save writes over those rows.
	unreadable map[string]struct{}
}

// NewCrawler checks cfg and returns a Crawler that has loaded nothing yet.
func NewCrawler(cfg CrawlerConfig) (*Crawler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Crawler{
		cfg:      cfg,
		log:      cfg.Logger,
		records:  map[string]*Record{},
		selected: map[string]time.Time{},
		dirty:    map[string]struct{}{},
		deleted:  map[string]struct{}{},
	}
	c.pcfg = peer.Config{
		NetworkID:        cfg.NetworkID,
		NodeType:         protocol.NodeFullNode,
		SoftwareVersion:  cfg.SoftwareVersion,
		TLS:              cfg.TLS,
		ConnectTimeout:   cfg.ConnectTimeout,
		HandshakeTimeout: cfg.HandshakeTimeout,
		RequestTimeout:   cfg.PeersTimeout,
		PingInterval:     -1,
		IdleTimeout:      -1,
		DialContext:      cfg.DialContext,
		Logger:           cfg.Logger.With("component", "peer"),
	}
	return c, nil
}

// now is the clock's time in whole seconds, as records keep it.
func (c *Crawler) now() time.Time { return c.cfg.Clock.Now().Truncate(time.Second).UTC() }

// Load reads the records from the store, replacing what the crawler
// holds, and emits EventLoadedInitialPeers. Batch, Run and RunOnce call it
// first if it was not called.
func (c *Crawler) Load(ctx context.Context) error {
	c.batchMu.Lock()
	defer c.batchMu.Unlock()
	return c.load(ctx)
}

func (c *Crawler) load(ctx context.Context) error {
	recs, last, err := c.cfg.Store.Load(ctx)
	var skipped *SkippedRowsError
	if errors.As(err, &skipped) {
		c.log.Warn("store rows that cannot be read are skipped and left as they are", "rows", skipped.Count, "err", err)
	} else if err != nil {
		return err
	}
	c.mu.Lock()
	c.records = make(map[string]*Record, len(recs))
	c.unreadable = map[string]struct{}{}
	if skipped != nil {
		for _, h := range skipped.Hosts {
			c.unreadable[h] = struct{}{}
		}
	}
	dropped := 0
	for i := range recs {
		r := &recs[i]
		a, err := netip.ParseAddr(r.Host)
		if err != nil || canonicalHost(a) != r.Host {
			dropped++
			continue
		}
		c.records[r.Host] = r
	}
	c.last = last
	c.loaded = true
	// Changes not saved went with the records replaced: save must not
	// look for them.
	clear(c.dirty)
	clear(c.deleted)
	counts := countRecords(c.records, c.now(), c.cfg.FreshWindow)
	n := len(c.records)
	c.mu.Unlock()
	c.log.Info("loaded peers", "records", n, "reliable", counts.ReliableNodes, "last_batch", last.Seq, "dropped", dropped)
	c.emit(Event{Kind: EventLoadedInitialPeers, Counts: counts})
	return nil
}

// ensureLoaded loads the store unless it was loaded, for a crawl outside
// the batches.
func (c *Crawler) ensureLoaded(ctx context.Context) error {
	c.mu.Lock()
	loaded := c.loaded
	c.mu.Unlock()
	if loaded {
		return nil
	}
	c.batchMu.Lock()
	defer c.batchMu.Unlock()
	c.mu.Lock()
	loaded = c.loaded
	c.mu.Unlock()
	if loaded { // by a batch meanwhile
		return nil
	}
	return c.load(ctx)
}

func (c *Crawler) emit(e Event) {
	if c.cfg.OnEvent != nil {
		c.cfg.OnEvent(e)
	}
}

// Run crawls batch after batch, BatchInterval apart, until ctx ends. A
// batch cut short by ctx saves the attempts that finished. A failed save
// is logged and its records are saved with the next batch. As it stops,
// Run saves what changed since the last batch (peers crawled through
// CrawlPeer). Run returns nil when ctx ends, or the error of the first
// Load.
func (c *Crawler) Run(ctx context.Context) error {
	defer c.flush()
	idle := false
	for {
		st, err := c.Batch(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if st.Selected == 0 && !idle {
			c.log.Debug("nothing to crawl; waiting for peers to become eligible")
		}
		idle = st.Selected == 0
		if c.cfg.BatchInterval > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-c.cfg.Clock.After(c.cfg.BatchInterval):
			}
		}
	}
}

// flushTimeout bounds the save Run makes as it stops.
const flushTimeout = 10 * time.Second

// flush saves what changed since the last save (peers crawled through
// CrawlPeer after the last batch) once Run's context has ended.
func (c *Crawler) flush() {
	c.batchMu.Lock()
	defer c.batchMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	var st BatchStats
	c.save(ctx, &st)
	if st.SaveErr != nil {
		c.log.Error("saving the last crawls failed", "err", st.SaveErr)
	}
}

// RunOnce crawls batch after batch, without pauses, until a batch records
// no address that was not known before it (so every peer heard of was
// tried at least once), and returns the statistics of every batch. It
// stops early, with ctx's error, when ctx ends.
func (c *Crawler) RunOnce(ctx context.Context) ([]BatchStats, error) {
	var all []BatchStats
	for {
		st, err := c.Batch(ctx)
		if st.Selected > 0 {
			all = append(all, st)
		}
		if err != nil {
			return all, err
		}
		if err := ctx.Err(); err != nil {
			return all, err
		}
		if st.New == 0 {
			return all, nil
		}
	}
}

// target is one peer to crawl.
type target struct {
	host string // an IP address's canonical form, or a bootstrap host name
	port uint16
}

func (t target) String() string { return net.JoinHostPort(t.host, strconv.Itoa(int(t.port))) }

// Batch crawls one batch: it selects the eligible peers, crawls them,
// Concurrency at a time, records the outcomes and the gossip, prunes old
// records and saves everything that changed in one transaction. If ctx
// ends, the attempts that finished are saved and ctx's error returned. A
// failed save is reported in BatchStats.SaveErr, not as the error.
func (c *Crawler) Batch(ctx context.Context) (BatchStats, error) {
	c.batchMu.Lock()
	defer c.batchMu.Unlock()
	c.mu.Lock()
	loaded := c.loaded
	c.mu.Unlock()
	if !loaded {
		if err := c.load(ctx); err != nil {
			return BatchStats{}, err
		}
	}

	start := c.cfg.Clock.Now()
	st := BatchStats{Start: start}
	targets := c.selectTargets(c.now())
	st.Selected = len(targets)
	if len(targets) == 0 {
		// Peers crawled through CrawlPeer meanwhile are saved all the same.
		c.save(ctx, &st)
		return st, nil
	}
	c.log.Debug("batch started", "peers", len(targets))

	prog := Progress{Total: len(targets)}
	if c.cfg.OnProgress != nil {
		c.cfg.OnProgress(prog)
	}
	results := make(chan crawlResult)
	sem := make(chan struct{}, c.cfg.Concurrency)
	var wg sync.WaitGroup
	go func() {
		defer close(results)
		for _, tg := range targets {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			wg.Go(func() {
				defer func() { <-sem }()
				results <- c.crawl(ctx, tg)
			})
		}
		wg.Wait()
	}()
	for res := range results {
		if res.cancelled {
			continue
		}
		out := c.apply(res)
		st.Tried++
		if res.handshake {
			st.Handshakes++
		}
		if out.reachable {
			st.Reachable++
		}
		st.New += out.added
		prog.Done++
		prog.New += out.added
		if out.reachable {
			prog.Reachable++
		}
		if c.cfg.OnProgress != nil {
			c.cfg.OnProgress(prog)
		}
	}

	st.Pruned = c.prune(c.now())
	saveCtx := ctx
	if ctx.Err() != nil {
		// Keep what finished: save with a context of our own.
		var cancel context.CancelFunc
		saveCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	c.save(saveCtx, &st)
	st.Duration = c.cfg.Clock.Now().Sub(start)

	c.mu.Lock()
	counts := countRecords(c.records, c.now(), c.cfg.FreshWindow)
	known := len(c.records)
	c.mu.Unlock()
	c.log.Info("batch done", "batch", st.Seq, "tried", st.Tried, "handshakes", st.Handshakes,
		"reachable", st.Reachable, "new", st.New, "pruned", st.Pruned, "saved", st.Saved,
		"known", known, "reliable", counts.ReliableNodes, "took", st.Duration.Round(time.Millisecond))
	if st.SaveErr != nil {
		c.log.Error("batch not saved; its records are kept for the next one", "err", st.SaveErr)
	}
	c.emit(Event{Kind: EventCrawlBatchCompleted, Counts: counts, Batch: st})
	return st, ctx.Err()
}

// selectTargets picks the batch: the bootstrap peers the first time, and
// every eligible record, each family shuffled and cut to the batch size.
func (c *Crawler) selectTargets(now time.Time) []target {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v4, v6 []target
	for host, r := range c.records {
		if !c.eligible(r, now) {
			continue
		}
		tg := target{host: host, port: r.Port}
		if r.Addr().Is4() {
			v4 = append(v4, tg)
		} else {
			v6 = append(v6, tg)
		}
	}
	size := min(max(len(v4)/10, c.cfg.MinBatch), c.cfg.MaxBatch)
	pick := func(ts []target) []target {
		slices.SortFunc(ts, func(a, b target) int { return cmp.Compare(a.host, b.host) })
		c.cfg.Rand.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
		return ts[:min(len(ts), size)]
	}
	out := append(pick(v4), pick(v6)...)
	for _, tg := range out {
		c.selected[tg.host] = now
	}
	if !c.bootstrapped {
		c.bootstrapped = true
		for _, b := range c.cfg.Bootstrap {
			tg, ok := c.bootstrapTarget(b, now)
			if ok && !slices.ContainsFunc(out, func(o target) bool { return o.host == tg.host }) {
				out = append(out, tg)
			}
		}
	}
	// Forget selections that no longer hold anybody back.
	for host, t := range c.selected {
		if now.Sub(t) >= c.cfg.ReselectDelay {
			delete(c.selected, host)
		}
	}
	return out
}

// bootstrapTarget turns a bootstrap "host:port" into a target; an IP
// address gets a record if it has none. c.mu is held.
func (c *Crawler) bootstrapTarget(hostport string, now time.Time) (target, bool) {
	host, ps, _ := net.SplitHostPort(hostport)
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || port == 0 {
		c.log.Warn("bootstrap peer has no valid port; skipped", "peer", hostport)
		return target{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return target{host: host, port: uint16(port)}, true
	}
	h := canonicalHost(a)
	if _, bad := c.unreadable[h]; bad {
		c.log.Warn("bootstrap peer's stored row cannot be read; skipped", "peer", hostport)
		return target{}, false
	}
	if _, ok := c.records[h]; !ok {
		c.records[h] = &Record{Host: h, Port: uint16(port), FirstSeen: now}
		c.dirty[h] = struct{}{}
	}
	c.selected[h] = now
	return target{host: h, port: uint16(port)}, true
}

// eligible reports whether r may be put in a batch at now. c.mu is held.
func (c *Crawler) eligible(r *Record, now time.Time) bool {
	if c.cfg.Port != 0 && r.Port != c.cfg.Port {
		return false
	}
	if r.Port == 0 {
		return false
	}
	tried := !r.LastTry.IsZero() || !r.LastSuccess.IsZero()
	if tried && (now.Before(r.Reliability.IgnoreTill) || now.Before(r.Reliability.BanTill)) {
		return false
	}
	if t, ok := c.selected[r.Host]; ok && now.Sub(t) < c.cfg.ReselectDelay {
		return false
	}
	recrawl := c.cfg.RecrawlIPv4
	if !r.Addr().Is4() {
		recrawl = c.cfg.RecrawlIPv6
	}
	return (r.LastTry.IsZero() || now.Sub(r.LastTry) >= recrawl) &&
		(r.LastSuccess.IsZero() || now.Sub(r.LastSuccess) >= recrawl)
}

// outcome is what applying a result did.
type outcome struct {
	reachable bool
	added     int
}

// apply records one crawl's result.
func (c *Crawler) apply(res crawlResult) outcome {
	now := c.now()
	var out outcome
	c.mu.Lock()
	defer c.mu.Unlock()

	host := res.target.host
	if _, err := netip.ParseAddr(host); err != nil && res.handshake && res.info.RemoteAddr.IsValid() {
		// A bootstrap host name is recorded under the address reached.
		host = canonicalHost(res.info.RemoteAddr.Addr())
	}
	if _, bad := c.unreadable[host]; bad {
		// Recording the crawl would write over the stored row.
		c.log.Warn("crawled peer's stored row cannot be read; crawl not recorded", "peer", res.target)
		out.reachable = c.reachable(res)
		out.added = c.ingest(res.peers, now)
		return out
	}
	r, ok := c.records[host]
	if !ok {
		if _, err := netip.ParseAddr(host); err != nil {
			// A bootstrap host name that could not be reached.
			c.log.Warn("bootstrap peer unreachable", "peer", res.target, "err", res.err)
			return out
		}
		r = &Record{Host: host, Port: res.target.port, FirstSeen: now}
		c.records[host] = r
		out.added++
	}
	c.dirty[host] = struct{}{}
	if res.handshake {
		r.NodeID = res.info.NodeID
		r.SoftwareVersion = pep440.Short(res.info.SoftwareVersion)
		r.ProtocolVersion = res.info.ProtocolVersion
		r.TLSVersion = tlsVersionName(res.info.TLSVersion)
		r.HandshakeTime = now
	}
	if res.gotPeak {
		r.Height, r.PeakTime = res.height, now
	}
	out.reachable = c.reachable(res)
	r.attempt(out.reachable, now)
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("crawled", "peer", res.target, "reachable", out.reachable, "handshake", res.handshake,
			"peers", len(res.peers), "height", res.height, "peak", res.gotPeak, "err", res.err)
	}
	out.added += c.ingest(res.peers, now)
	return out
}

// reachable decides a crawl's outcome: a full node that announced a peak
// of at least MinHeight, or, with ReachableOnHandshake, one that answered
// request_peers.
func (c *Crawler) reachable(res crawlResult) bool {
	if !res.handshake || res.info.NodeType != protocol.NodeFullNode {
		return false
	}
	if res.gotPeak && res.height >= c.cfg.MinHeight {
		return true
	}
	return c.cfg.ReachableOnHandshake && res.gotPeers
}

// ingest records the addresses a peer gave us and returns how many were
// new. A list longer than a node takes in one respond_peers
// (discovery.MaxPeersPerReply) is ignored whole, as a node ignores it: an
// honest node sends no more, and one peer must not grow the store by a
// whole message's worth of addresses at each crawl. c.mu is held.
func (c *Crawler) ingest(list []protocol.TimestampedPeerInfo, now time.Time) int {
	if len(list) > discovery.MaxPeersPerReply {
		c.log.Debug("respond_peers over the per-message limit ignored", "addresses", len(list))
		return 0
	}
	added := 0
	for _, tp := range list {
		a, err := netip.ParseAddr(tp.Host)
		if err != nil || a.Zone() != "" {
			continue
		}
		a = a.Unmap()
		if !c.usable(a) || tp.Port == 0 || (c.cfg.Port != 0 && tp.Port != c.cfg.Port) {
			continue
		}
		var ts time.Time
		if tp.Timestamp > 0 && tp.Timestamp < 1<<62 {
			ts = time.Unix(int64(tp.Timestamp), 0).UTC()
			if ts.After(now) {
				ts = now
			}
		}
		host := canonicalHost(a)
		if _, bad := c.unreadable[host]; bad {
			continue
		}
		r, ok := c.records[host]
		if !ok {
			if ts.IsZero() || now.Sub(ts) > c.cfg.FreshWindow {
				continue
			}
			c.records[host] = &Record{Host: host, Port: tp.Port, FirstSeen: now, LastSeen: ts}
			c.dirty[host] = struct{}{}
			delete(c.deleted, host)
			added++
			continue
		}
		if ts.After(r.LastSeen) {
			// A newer advertisement than any sign of life we had; with
			// any port crawled, it may also move the peer to a new port.
			if c.cfg.Port == 0 && tp.Port != r.Port && ts.After(r.LastSuccess) {
				r.Port = tp.Port
			}
			r.LastSeen = ts
			c.dirty[host] = struct{}{}
		}
	}
	return added
}

// usable reports whether an advertised address may be recorded.
func (c *Crawler) usable(a netip.Addr) bool {
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	return c.cfg.AllowPrivate || !addrman.IsPrivate(a)
}

// prune drops records without a sign of life for PruneAge and returns how
// many.
func (c *Crawler) prune(now time.Time) int {
	if c.cfg.PruneAge < 0 {
		return 0
	}
	cutoff := now.Add(-c.cfg.PruneAge)
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for host, r := range c.records {
		if r.LastSeen.Before(cutoff) && r.FirstSeen.Before(cutoff) {
			delete(c.records, host)
			delete(c.dirty, host)
			delete(c.selected, host)
			c.deleted[host] = struct{}{}
			n++
		}
	}
	return n
}

// save writes what changed since the last save as one batch, trying
// SaveAttempts times.
func (c *Crawler) save(ctx context.Context, st *BatchStats) {
	c.mu.Lock()
	if len(c.dirty) == 0 && len(c.deleted) == 0 {
		c.mu.Unlock()
		return
	}
	b := &Batch{
		BatchInfo:    BatchInfo{Seq: c.last.Seq + 1, Time: c.now()},
		beforeCommit: c.cfg.beforeCommit,
	}
	for host := range c.dirty {
		b.Records = append(b.Records, *c.records[host])
	}
	for host := range c.deleted {
		b.Deleted = append(b.Deleted, host)
	}
	c.mu.Unlock()
	slices.SortFunc(b.Records, func(x, y Record) int { return cmp.Compare(x.Host, y.Host) })
	slices.Sort(b.Deleted)

	start := c.cfg.Clock.Now()
	var err error
	for attempt := 1; ; attempt++ {
		if err = c.cfg.Store.Save(ctx, b); err == nil || attempt >= c.cfg.SaveAttempts || ctx.Err() != nil {
			break
		}
		c.log.Warn("saving the batch failed; retrying", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
		case <-c.cfg.Clock.After(c.cfg.SaveRetryDelay):
		}
	}
	st.SaveDuration = c.cfg.Clock.Now().Sub(start)
	if err != nil {
		st.SaveErr = fmt.Errorf("seeder: save batch %d: %w", b.Seq, err)
		return
	}
	st.Seq, st.Saved = b.Seq, len(b.Records)
	c.mu.Lock()
	c.last = b.BatchInfo
	// Records changed since the snapshot stay dirty; none can be, as
	// batches run one at a time, but deleting only what was saved keeps
	// that true if it ever changes.
	for _, r := range b.Records {
		if cur, ok := c.records[r.Host]; ok && *cur == r {
			delete(c.dirty, r.Host)
		}
	}
	for _, h := range b.Deleted {
		delete(c.deleted, h)
	}
	c.mu.Unlock()
}

// PeerCounts returns the counts of the reference's get_peer_counts.
func (c *Crawler) PeerCounts() PeerCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return countRecords(c.records, c.now(), c.cfg.FreshWindow)
}

// IPsAfterTimestamp returns the page of addresses with a sign of life
// after after, sorted as strings, from offset, at most limit of them (the
// reference's get_ips_after_timestamp); limit ≤ 0 means DefaultIPsLimit.
func (c *Crawler) IPsAfterTimestamp(after time.Time, offset, limit int) IPsPage {
	if limit <= 0 {
		limit = DefaultIPsLimit
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return ipsAfter(c.records, after, offset, limit)
}

// Records returns a copy of every record, sorted by host.
func (c *Crawler) Records() []Record {
	c.mu.Lock()
	out := make([]Record, 0, len(c.records))
	for _, r := range c.records {
		out = append(out, *r)
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.Host, b.Host) })
	return out
}

// LastBatch returns the latest batch saved by this crawler or found in the
// store by Load.
func (c *Crawler) LastBatch() BatchInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
