package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/server"
)

// MaxRPCBlocks bounds the heights one get_blocks call fetches from peers.
const MaxRPCBlocks = 256

// blocksPerRequest is the most blocks a reference full node sends for one
// request_blocks (its MAX_BLOCK_COUNT_PER_REQUESTS, 32, is the largest
// end − start it accepts).
const blocksPerRequest = 32

// rpcPeerTries is how many peers a block fetch asks before it gives up.
const rpcPeerTries = 3

// knownHashes is how many header hashes of fetched blocks are remembered,
// so that get_block can find them by hash (e.g. after
// get_block_record_by_height, as go-chia-libs' GetBlockByHeight does).
const knownHashes = 4096

// RPC returns the node as the rpc package's FullNode, for
// rpc.FullNodeRoutes and rpc.NotifyFullNode. info is what
// get_network_info answers (config.yaml's selected network, its address
// prefix and genesis challenge); stop is called by stop_node and must only
// begin the shutdown (e.g. cancel Run's context).
//
// The node keeps no chain, so it answers from its peers:
//
//   - get_connections: server.Snapshot, with each peer's latest new_peak.
//   - get_blockchain_state: the reference's answer for a full node
//     without a chain loaded (peak null, genesis_challenge_initialized
//     false, every number 0, average_block_time null), so reference
//     clients and chia show -s read it; sync_tip_height is the height of
//     the heaviest peak a connected peer announced, the peak a syncing
//     node would sync to. That peak's hash and weight are in
//     get_connections.
//   - get_block_record_by_height, get_blocks: blocks fetched with
//     request_block(s) from the connected peers with the heaviest peaks
//     at or above the heights asked (at most 3 peers are tried), each
//     checked for its height, for the link of each block to the one before
//     it, and at a peer's announced peak height for the announced header
//     hash. Records hold the fields a block states by itself
//     (rpc.RecordFromBlock). get_blocks stops at the heaviest peak, as the
//     reference's stops at its own, and fetches at most MaxRPCBlocks.
//   - get_block: the header hash must be a peak a connected peer announced
//     or a block fetched lately (the last 4096 are remembered); the block
//     is fetched at its height and its header hash checked.
//   - ban also closes the banned IP's connections.
//
// It is safe for concurrent use.
func (n *Node) RPC(info rpc.NetworkInfo, stop func()) rpc.FullNode {
	return &rpcNode{n: n, info: info, stop: stop, known: newHashIndex(knownHashes)}
}

type rpcNode struct {
	n     *Node
	info  rpc.NetworkInfo
	stop  func()
	known *hashIndex
}

var _ rpc.FullNode = (*rpcNode)(nil)

func (r *rpcNode) NetworkInfo() rpc.NetworkInfo { return r.info }

func (r *rpcNode) Stop() { r.stop() }

// livePeaks returns the latest peak of each connected peer, by node id.
func (r *rpcNode) livePeaks() (map[protocol.Bytes32]PeerPeak, []server.ConnectionInfo) {
	snap := r.n.srv.Snapshot()
	live := make(map[protocol.Bytes32]bool, len(snap))
	for _, c := range snap {
		live[c.NodeID] = true
	}
	out := make(map[protocol.Bytes32]PeerPeak)
	for _, pp := range r.n.Peaks() {
		if !live[pp.NodeID] {
			continue // a peak of a connection that has just closed
		}
		if old, ok := out[pp.NodeID]; !ok || pp.Received.After(old.Received) {
			out[pp.NodeID] = pp
		}
	}
	return out, snap
}

// heavier reports whether a is a better peak than b: more weight, then
// greater height, then announced earlier.
func heavier(a, b PeerPeak) bool {
	if c := a.Weight.Cmp(b.Weight); c != 0 {
		return c > 0
	}
	if a.Height != b.Height {
		return a.Height > b.Height
	}
	return a.Received.Before(b.Received)
}

// heaviest returns the heaviest peak of a connected peer.
func (r *rpcNode) heaviest() (PeerPeak, bool) {
	peaks, _ := r.livePeaks()
	var best PeerPeak
	found := false
	for _, pp := range peaks {
		if !found || heavier(pp, best) {
			best, found = pp, true
		}
	}
	return best, found
}

func (r *rpcNode) Connections() []rpc.Connection {
	peaks, snap := r.livePeaks()
	out := make([]rpc.Connection, len(snap))
	for i, c := range snap {
		out[i] = rpc.Connection{
			NodeType:        c.NodeType,
			LocalPort:       c.LocalPort,
			PeerHost:        c.PeerHost,
			PeerPort:        c.PeerPort,
			PeerServerPort:  c.PeerServerPort,
			NodeID:          c.NodeID,
			CreationTime:    c.CreationTime,
			BytesRead:       c.BytesRead,
			BytesWritten:    c.BytesWritten,
			LastMessageTime: c.LastMessageTime,
		}
		if pp, ok := peaks[c.NodeID]; ok {
			out[i].Peak = &rpc.Peak{Height: pp.Height, Weight: pp.Weight, HeaderHash: pp.HeaderHash}
		}
	}
	return out
}

func (r *rpcNode) OpenConnection(ctx context.Context, host string, port uint16) error {
	_, err := r.n.srv.Dial(ctx, net.JoinHostPort(host, strconv.Itoa(int(port))))
	return err
}

// errClosedByRPC is the cause of connections closed through the RPC.
var errClosedByRPC = errors.New("node: closed through the RPC")

func (r *rpcNode) CloseConnection(ctx context.Context, id protocol.Bytes32) error {
	p, ok := r.n.srv.Peer(id)
	if !ok {
		return fmt.Errorf("node: no connection with node_id %x", id[:])
	}
	p.Close(peer.NormalClose(errClosedByRPC))
	select {
	case <-p.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *rpcNode) Bans() []rpc.Ban {
	bans := r.n.srv.Bans()
	out := make([]rpc.Ban, len(bans))
	for i, b := range bans {
		out[i] = rpc.Ban{IP: b.IP, Until: b.Until}
	}
	return out
}

func (r *rpcNode) Ban(ip netip.Addr, d time.Duration) bool {
	if !r.n.srv.Ban(ip, d) {
		return false
	}
	ip = ip.Unmap()
	for _, c := range r.n.srv.Snapshot() {
		if c.PeerHost.Unmap() != ip {
			continue
		}
		if p, ok := r.n.srv.Peer(c.NodeID); ok {
			p.Close(peer.NormalClose(errClosedByRPC))
		}
	}
	return true
}

func (r *rpcNode) Unban(ip netip.Addr) bool { return r.n.srv.Unban(ip) }

func (r *rpcNode) BlockchainState(context.Context) (rpc.BlockchainState, error) {
	// The reference's answer for a node without a chain (the zero
	// state), which reference clients and chia show -s read.
	s := rpc.BlockchainState{NodeID: r.n.NodeID()}
	if best, ok := r.heaviest(); ok {
		s.Sync.SyncTipHeight = best.Height
	}
	return s, nil
}

func (r *rpcNode) BlockRecordByHeight(ctx context.Context, height uint32) (rpc.BlockRecord, error) {
	if best, ok := r.heaviest(); !ok || height > best.Height {
		return nil, rpc.HeightNotFound(height)
	}
	b, err := r.fetchBlock(ctx, height, nil)
	if err != nil {
		return nil, err
	}
	return rpc.RecordFromBlock(b)
}

func (r *rpcNode) Block(ctx context.Context, hash protocol.Bytes32) (*protocol.FullBlock, error) {
	height, ok := r.known.get(hash)
	if !ok {
		peaks, _ := r.livePeaks()
		for _, pp := range peaks {
			if pp.HeaderHash == hash {
				height, ok = pp.Height, true
				break
			}
		}
	}
	if !ok {
		return nil, rpc.BlockNotFound(hash, "chianet keeps no chain: it finds a block by header hash only "+
			"among the peaks its peers announced and the blocks it fetched lately")
	}
	b, err := r.fetchBlock(ctx, height, &hash)
	if err != nil {
		return nil, rpc.BlockNotFound(hash, err.Error())
	}
	return b, nil
}

func (r *rpcNode) Blocks(ctx context.Context, start, end uint32, _ bool) ([]*protocol.FullBlock, error) {
	best, ok := r.heaviest()
	if !ok {
		return nil, errors.New("no connected peer has announced a peak: chianet fetches blocks from its peers")
	}
	if end > best.Height+1 {
		end = best.Height + 1
	}
	if start >= end {
		return nil, nil
	}
	if end-start > MaxRPCBlocks {
		return nil, fmt.Errorf("chianet fetches at most %d blocks from its peers per get_blocks call; asked for %d",
			MaxRPCBlocks, end-start)
	}
	var errs []error
	for _, pp := range r.candidates(end-1, nil) {
		blocks, err := r.fetchRange(ctx, pp, start, end)
		if err == nil {
			return blocks, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no connected peer has announced a peak at or above height %d", end-1)
	}
	return nil, fmt.Errorf("fetching blocks %d to %d: %w", start, end-1, errors.Join(errs...))
}

// candidates returns up to rpcPeerTries connected peers whose peak is at
// or above height: those that announced want (if given) first, then by
// weight.
func (r *rpcNode) candidates(height uint32, want *protocol.Bytes32) []PeerPeak {
	peaks, _ := r.livePeaks()
	var out []PeerPeak
	for _, pp := range peaks {
		if pp.Height >= height {
			out = append(out, pp)
		}
	}
	slices.SortFunc(out, func(a, b PeerPeak) int {
		if want != nil && (a.HeaderHash == *want) != (b.HeaderHash == *want) {
			if a.HeaderHash == *want {
				return -1
			}
			return 1
		}
		if heavier(a, b) {
			return -1
		}
		if heavier(b, a) {
			return 1
		}
		return bytes.Compare(a.NodeID[:], b.NodeID[:])
	})
	if len(out) > rpcPeerTries {
		out = out[:rpcPeerTries]
	}
	return out
}

// fetchBlock fetches the block at height from the best candidates; want,
// if given, is the header hash it must have.
func (r *rpcNode) fetchBlock(ctx context.Context, height uint32, want *protocol.Bytes32) (*protocol.FullBlock, error) {
	var errs []error
	for _, pp := range r.candidates(height, want) {
		p, ok := r.n.srv.Peer(pp.NodeID)
		if !ok {
			continue
		}
		resp, err := p.RequestBlock(ctx, height, true)
		if err == nil {
			b := &resp.Block
			var hh protocol.Bytes32
			if hh, err = checkBlock(b, height, pp, nil); err == nil && want != nil && hh != *want {
				err = fmt.Errorf("its block at height %d has header hash %v", height, hh)
			}
			if err == nil {
				r.known.add(hh, height)
				return b, nil
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs = append(errs, fmt.Errorf("peer %v: %w", pp.Addr, err))
		r.n.log.Debug("rpc: block fetch failed", "peer", pp.Addr, "node_id", pp.NodeID, "height", height, "err", err)
	}
	if len(errs) == 0 {
		return nil, rpc.BlockDoesNotExist(height, "no connected peer has announced a peak at or above it")
	}
	return nil, rpc.BlockDoesNotExist(height, errors.Join(errs...).Error())
}

// fetchRange fetches heights start to end-1 from one peer, in requests of
// blocksPerRequest, checking every block and the links between them.
func (r *rpcNode) fetchRange(ctx context.Context, pp PeerPeak, start, end uint32) ([]*protocol.FullBlock, error) {
	p, ok := r.n.srv.Peer(pp.NodeID)
	if !ok {
		return nil, fmt.Errorf("peer %v: disconnected", pp.Addr)
	}
	out := make([]*protocol.FullBlock, 0, end-start)
	hashes := make([]protocol.Bytes32, 0, end-start)
	var prev *protocol.Bytes32
	for s := start; s < end; s += blocksPerRequest {
		e := min(s+blocksPerRequest-1, end-1)
		resp, err := p.RequestBlocks(ctx, s, e, true)
		if err != nil {
			return nil, fmt.Errorf("peer %v: %w", pp.Addr, err)
		}
		if len(resp.Blocks) != int(e-s+1) {
			return nil, fmt.Errorf("peer %v: asked for %d blocks from height %d, got %d", pp.Addr, e-s+1, s, len(resp.Blocks))
		}
		for i := range resp.Blocks {
			b := &resp.Blocks[i]
			hh, err := checkBlock(b, s+uint32(i), pp, prev)
			if err != nil {
				return nil, fmt.Errorf("peer %v: %w", pp.Addr, err)
			}
			out, hashes = append(out, b), append(hashes, hh)
			prev = &hashes[len(hashes)-1]
		}
	}
	for i, b := range out {
		r.known.add(hashes[i], b.RewardChainBlock.Height)
	}
	return out, nil
}

// checkBlock checks what can be checked of b without a chain: its height,
// its link to prev (the header hash of the block before it, if known), and
// at pp's announced peak height the announced header hash. It returns b's
// header hash.
func checkBlock(b *protocol.FullBlock, height uint32, pp PeerPeak, prev *protocol.Bytes32) (protocol.Bytes32, error) {
	if got := b.RewardChainBlock.Height; got != height {
		return protocol.Bytes32{}, fmt.Errorf("asked for height %d, got a block at height %d", height, got)
	}
	hh, err := b.HeaderHash()
	if err != nil {
		return protocol.Bytes32{}, fmt.Errorf("block %d: %w", height, err)
	}
	if prev != nil && b.Foliage.PrevBlockHash != *prev {
		return protocol.Bytes32{}, fmt.Errorf("block %d does not follow block %d: prev_hash %v, want %v", height, height-1,
			b.Foliage.PrevBlockHash, *prev)
	}
	if height == pp.Height && hh != pp.HeaderHash {
		return protocol.Bytes32{}, fmt.Errorf("block %d has header hash %v, not the %v announced as its peak", height, hh,
			pp.HeaderHash)
	}
	return hh, nil
}

// Subscribe reports connections opening and closing, peers' new peaks,
// and changes of the heaviest peak.
func (r *rpcNode) Subscribe(fn func(rpc.Change)) (cancel func()) {
	var mu sync.Mutex
	last, hasLast := r.heaviest()
	checkPeak := func() {
		best, ok := r.heaviest()
		mu.Lock()
		changed := ok != hasLast || (ok && (best.HeaderHash != last.HeaderHash || best.NodeID != last.NodeID))
		last, hasLast = best, ok
		mu.Unlock()
		if changed {
			fn(rpc.PeakChanged)
		}
	}
	cancelEvents := r.n.srv.Subscribe(func(server.Event) {
		fn(rpc.ConnectionsChanged)
		checkPeak()
	})
	cancelPeaks := r.n.peaks.watch(func(PeerPeak) {
		fn(rpc.PeerPeakChanged)
		checkPeak()
	})
	return func() {
		cancelPeaks()
		cancelEvents()
	}
}

// hashIndex remembers the heights of the latest max header hashes.
type hashIndex struct {
	mu    sync.Mutex
	m     map[protocol.Bytes32]uint32
	order []protocol.Bytes32 // ring of the keys, oldest at next
	next  int
}

func newHashIndex(max int) *hashIndex {
	return &hashIndex{m: make(map[protocol.Bytes32]uint32, max), order: make([]protocol.Bytes32, 0, max)}
}

func (h *hashIndex) add(hash protocol.Bytes32, height uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.m[hash]; ok {
		h.m[hash] = height
		return
	}
	if len(h.order) < cap(h.order) {
		h.order = append(h.order, hash)
	} else {
		delete(h.m, h.order[h.next])
		h.order[h.next] = hash
		h.next = (h.next + 1) % len(h.order)
	}
	h.m[hash] = height
}

func (h *hashIndex) get(hash protocol.Bytes32) (uint32, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	height, ok := h.m[hash]
	return height, ok
}
