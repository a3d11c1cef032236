package seeder

import (
	"context"
	"sync"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// crawlResult is what one crawl found out.
type crawlResult struct {
	target target
	// cancelled is set when the crawl was cut short by the batch's
	// context: it says nothing about the peer and is not recorded.
	cancelled bool
	// handshake is set when the handshake completed; info is then the
	// peer's.
	handshake bool
	info      peer.Info
	// gotPeers is set when request_peers was answered with peers.
	gotPeers bool
	peers    []protocol.TimestampedPeerInfo
	// gotPeak is set when a new_peak arrived; height is the highest.
	gotPeak bool
	height  uint32
	// err is why the crawl failed, for the logs.
	err error
}

// peakBox collects the new_peak announcements of one connection.
type peakBox struct {
	mu     sync.Mutex
	got    bool
	height uint32
	signal chan struct{} // one token per announcement, dropped when full
}

func (b *peakBox) handle(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
	var np protocol.NewPeak
	if err := streamable.Unmarshal(m.Data, &np); err != nil {
		return nil, err
	}
	b.mu.Lock()
	if !b.got || np.Height > b.height {
		b.got, b.height = true, np.Height
	}
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
	return nil, nil
}

func (b *peakBox) get() (uint32, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.height, b.got
}

// ignoredMessages are what a full node sends a new full-node peer unasked
// besides new_peak (the announcements of transactions, blocks, signage
// points and compact proofs, its mempool request when synced, relayed
// addresses and its own request_peers). A message without a handler would
// close the connection, so each gets peer.Ignore.
var ignoredMessages = []protocol.MessageType{
	protocol.MsgRequestMempoolTransactions,
	protocol.MsgNewTransaction,
	protocol.MsgNewUnfinishedBlock,
	protocol.MsgNewUnfinishedBlock2,
	protocol.MsgNewSignagePointOrEndOfSubSlot,
	protocol.MsgNewCompactVDF,
	protocol.MsgRespondPeers,
	protocol.MsgRequestPeers,
}

// crawl connects to one peer, asks it for peers and waits for its peak.
func (c *Crawler) crawl(ctx context.Context, tg target) crawlResult {
	res := crawlResult{target: tg}
	box := &peakBox{signal: make(chan struct{}, 1)}
	pc := c.pcfg
	pc.Handlers = make(map[protocol.MessageType]peer.HandlerFunc, len(ignoredMessages)+1)
	for _, t := range ignoredMessages {
		pc.Handlers[t] = peer.Ignore
	}
	pc.Handlers[protocol.MsgNewPeak] = box.handle

	p, err := peer.Dial(ctx, tg.String(), pc)
	if err != nil {
		res.err, res.cancelled = err, ctx.Err() != nil
		return res
	}
	connected := time.Now()
	c.live.add(p)
	defer func() {
		p.Close(nil)
		<-p.Done()
		c.live.remove(p)
	}()
	res.handshake, res.info = true, p.Info()

	rctx, cancel := context.WithTimeout(ctx, c.cfg.PeersTimeout)
	rp, err := p.RequestPeers(rctx)
	cancel()
	if err == nil {
		res.gotPeers, res.peers = true, rp.PeerList
	} else {
		res.err = err
	}

	qualifies := func() bool {
		h, ok := box.get()
		return ok && h >= c.cfg.MinHeight
	}
	if !(c.cfg.ReachableOnHandshake && res.gotPeers) && !qualifies() && c.cfg.PeakWait > 0 {
		timer := time.NewTimer(c.cfg.PeakWait - time.Since(connected))
		defer timer.Stop()
	wait:
		for !qualifies() {
			select {
			case <-box.signal:
			case <-timer.C:
				break wait
			case <-p.Done():
				break wait
			case <-ctx.Done():
				res.cancelled = true
				return res
			}
		}
	}
	res.height, res.gotPeak = box.get()
	if ctx.Err() != nil && !c.reachable(res) {
		// The failure may be ours: say nothing about the peer.
		res.cancelled = true
	}
	return res
}
