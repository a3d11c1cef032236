package node

import (
	"bytes"
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// Peak is the peak a peer announced in its latest new_peak.
type Peak struct {
	// Height is the peak block's height.
	Height uint32
	// Weight is the chain's total weight at the peak.
	Weight streamable.Uint128
	// HeaderHash is the peak block's header hash.
	HeaderHash protocol.Bytes32
	// Received is when the announcement arrived.
	Received time.Time
}

// PeerPeak is the latest peak of one connected peer.
type PeerPeak struct {
	// NodeID is the peer's node id.
	NodeID protocol.Bytes32
	// Addr is the address of the peer's socket.
	Addr netip.AddrPort
	// Outbound is set when we dialled the peer.
	Outbound bool
	Peak
}

// peakTable keeps the latest peak of every connection. It is keyed by
// connection rather than node id, so that a connection replaced by a newer
// one with the same node id does not take the newer one's peak with it
// when it leaves.
type peakTable struct {
	now    func() time.Time
	onPeak func(PeerPeak) // for tests; may be nil

	mu       sync.Mutex
	peaks    map[*peer.Peer]PeerPeak
	watchers map[*func(PeerPeak)]struct{}
}

func newPeakTable(now func() time.Time, onPeak func(PeerPeak)) *peakTable {
	return &peakTable{now: now, onPeak: onPeak, peaks: make(map[*peer.Peer]PeerPeak)}
}

// handle is the new_peak handler: it records the announced peak and sends
// nothing back. A new_peak that does not decode closes the connection
// (the handler's error), as in the reference.
func (t *peakTable) handle(_ context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
	var np protocol.NewPeak
	if err := streamable.Unmarshal(m.Data, &np); err != nil {
		return nil, err
	}
	info := p.Info()
	pp := PeerPeak{
		NodeID:   info.NodeID,
		Addr:     info.RemoteAddr,
		Outbound: info.Outbound,
		Peak:     Peak{Height: np.Height, Weight: np.Weight, HeaderHash: np.HeaderHash, Received: t.now()},
	}
	t.mu.Lock()
	t.peaks[p] = pp
	watchers := make([]func(PeerPeak), 0, len(t.watchers))
	for fn := range t.watchers {
		watchers = append(watchers, *fn)
	}
	t.mu.Unlock()
	for _, fn := range watchers {
		fn(pp)
	}
	if t.onPeak != nil {
		t.onPeak(pp)
	}
	return nil, nil
}

// watch calls fn after every recorded peak, from the handler's goroutine,
// until cancel is called; fn must not block.
func (t *peakTable) watch(fn func(PeerPeak)) (cancel func()) {
	key := &fn
	t.mu.Lock()
	if t.watchers == nil {
		t.watchers = make(map[*func(PeerPeak)]struct{})
	}
	t.watchers[key] = struct{}{}
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.watchers, key)
		t.mu.Unlock()
	}
}

// forget drops the peak of a closed connection.
func (t *peakTable) forget(p *peer.Peer) {
	t.mu.Lock()
	delete(t.peaks, p)
	t.mu.Unlock()
}

// snapshot returns the recorded peaks, sorted by node id.
func (t *peakTable) snapshot() []PeerPeak {
	t.mu.Lock()
	out := make([]PeerPeak, 0, len(t.peaks))
	for _, pp := range t.peaks {
		out = append(out, pp)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b PeerPeak) int {
		if c := bytes.Compare(a.NodeID[:], b.NodeID[:]); c != 0 {
			return c
		}
		return a.Received.Compare(b.Received)
	})
	return out
}
