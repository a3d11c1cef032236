package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/rpc"
	"github.com/chianet/chianet/server"
	"github.com/chianet/chianet/streamable"
)

// testChain returns blocks 0..n-1 linked by prev_hash, with weight 1000
// per height.
func testChain(n int) []protocol.FullBlock {
	out := make([]protocol.FullBlock, n)
	var prev protocol.Bytes32
	for i := range out {
		b := protocol.FullBlock{
			FinishedSubSlots: []protocol.EndOfSubSlotBundle{},
			RewardChainBlock: protocol.RewardChainBlock{
				Weight:       streamable.U128From64(uint64(i) * 1000),
				Height:       uint32(i),
				ProofOfSpace: protocol.ProofOfSpace{PoolPublicKey: &protocol.G1Element{1}, Size: 32, Proof: []byte{byte(i)}},
			},
			ChallengeChainIpProof: protocol.VDFProof{Witness: []byte{}},
			RewardChainIpProof:    protocol.VDFProof{Witness: []byte{}},
			Foliage: protocol.Foliage{
				PrevBlockHash:    prev,
				FoliageBlockData: protocol.FoliageBlockData{FarmerRewardPuzzleHash: protocol.Bytes32{byte(i)}},
			},
			TransactionsGeneratorRefList: []uint32{},
		}
		prev = mustHeaderHash(&b)
		out[i] = b
	}
	return out
}

// blockSource serves request_block and request_blocks from a chain the
// test may change.
type blockSource struct {
	mu     sync.Mutex
	chain  []protocol.FullBlock
	asked  int
	served map[uint32]int
}

func (s *blockSource) block(h uint32) (protocol.FullBlock, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served[h]++
	if int(h) >= len(s.chain) {
		return protocol.FullBlock{}, false
	}
	return s.chain[h], true
}

func (s *blockSource) requestBlock(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
	var req protocol.RequestBlock
	if err := streamable.Unmarshal(m.Data, &req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.asked++
	s.mu.Unlock()
	b, ok := s.block(req.Height)
	if !ok {
		return peer.Reply(protocol.MsgRejectBlock, &protocol.RejectBlock{Height: req.Height})
	}
	return peer.Reply(protocol.MsgRespondBlock, &protocol.RespondBlock{Block: b})
}

func (s *blockSource) requestBlocks(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
	var req protocol.RequestBlocks
	if err := streamable.Unmarshal(m.Data, &req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.asked++
	s.mu.Unlock()
	resp := &protocol.RespondBlocks{StartHeight: req.StartHeight, EndHeight: req.EndHeight}
	for h := req.StartHeight; h <= req.EndHeight; h++ {
		b, ok := s.block(h)
		if !ok || req.EndHeight-req.StartHeight > 32 {
			return peer.Reply(protocol.MsgRejectBlocks, &protocol.RejectBlocks{StartHeight: req.StartHeight, EndHeight: req.EndHeight})
		}
		resp.Blocks = append(resp.Blocks, b)
	}
	return peer.Reply(protocol.MsgRespondBlocks, resp)
}

// startBlockNode is startNode for a node that also serves src's blocks.
func startBlockNode(t testing.TB, name string, src *blockSource, edit func(*Config)) *running {
	t.Helper()
	r := &running{t: t, done: make(chan error, 1), changed: make(chan struct{}, 1)}
	cfg := Config{Network: "devnet", Private: true, Root: t.TempDir(), ListenAddr: "127.0.0.1:0", Logger: testLogger(t, name),
		onPeak: func(PeerPeak) { r.signal() }}
	if edit != nil {
		edit(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.srv.Handle(protocol.MsgRequestBlock, src.requestBlock)
	n.srv.Handle(protocol.MsgRequestBlocks, src.requestBlocks)
	r.Node = n
	n.srv.Subscribe(func(e server.Event) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
		r.signal()
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- n.Run(ctx) }()
	select {
	case <-n.Ready():
	case err := <-r.done:
		t.Fatalf("%s: Run: %v", name, err)
	case <-time.After(failsafe):
		t.Fatalf("%s: not listening after %v", name, failsafe)
	}
	t.Cleanup(func() { r.shutdown() })
	return r
}

// announce makes b send a its peak: block h of chain.
func announce(t *testing.T, b, a *running, chain []protocol.FullBlock, h int) {
	t.Helper()
	p, ok := b.srv.Peer(a.NodeID())
	if !ok {
		t.Fatal("no connection to announce the peak on")
	}
	np := &protocol.NewPeak{HeaderHash: mustHeaderHash(&chain[h]), Height: uint32(h), Weight: chain[h].RewardChainBlock.Weight}
	if err := p.Send(context.Background(), protocol.MsgNewPeak, np); err != nil {
		t.Fatal(err)
	}
	a.waitFor("peak recorded", func() bool {
		pp := peakOf(a, b)
		return pp != nil && pp.HeaderHash == np.HeaderHash
	})
}

var testInfo = rpc.NetworkInfo{NetworkName: "devnet", NetworkPrefix: "txch", GenesisChallenge: strings.Repeat("00", 32)}

func TestRPCAdapter(t *testing.T) {
	chain := testChain(300)
	src := &blockSource{chain: slices.Clone(chain), served: map[uint32]int{}}
	a := startNode(t, "a", nil)
	var stops int
	fn := a.RPC(testInfo, func() { stops++ })
	changes := make(chan rpc.Change, 100)
	cancel := fn.Subscribe(func(c rpc.Change) {
		select {
		case changes <- c:
		default:
		}
	})
	defer cancel()
	ctx, done := context.WithTimeout(context.Background(), failsafe)
	defer done()

	// Before any peer: no peak, no blocks.
	s, err := fn.BlockchainState(ctx)
	if want := (rpc.BlockchainState{NodeID: a.NodeID()}); err != nil || !reflect.DeepEqual(s, want) {
		t.Errorf("BlockchainState = %+v, %v; want %+v", s, err, want)
	}
	var re *rpc.Error
	if _, err := fn.BlockRecordByHeight(ctx, 0); !errors.As(err, &re) || re.Code != rpc.CodeBlockHeightNotFound {
		t.Errorf("record without peers: %v", err)
	}
	if _, err := fn.Blocks(ctx, 0, 3, false); err == nil {
		t.Error("Blocks without peers succeeded")
	}

	b := startBlockNode(t, "b", src, func(c *Config) { c.StaticPeers = []string{a.addr()} })
	a.waitFor("a connected to b", func() bool { return a.connectedTo(b) })
	b.waitFor("b connected to a", func() bool { return b.connectedTo(a) })
	waitChange(t, changes, rpc.ConnectionsChanged)
	announce(t, b, a, chain, 65)
	waitChange(t, changes, rpc.PeerPeakChanged)
	waitChange(t, changes, rpc.PeakChanged)

	conns := fn.Connections()
	if len(conns) != 1 || conns[0].NodeID != b.NodeID() || conns[0].Peak == nil || conns[0].Peak.Height != 65 ||
		conns[0].Peak.HeaderHash != mustHeaderHash(&chain[65]) || conns[0].NodeType != protocol.NodeFullNode {
		t.Fatalf("Connections = %+v", conns)
	}
	// A node without a chain's state; the announced peak is the sync tip.
	s, _ = fn.BlockchainState(ctx)
	if want := (rpc.BlockchainState{NodeID: a.NodeID(), Sync: rpc.SyncState{SyncTipHeight: 65}}); !reflect.DeepEqual(s, want) {
		t.Errorf("BlockchainState = %+v, want %+v", s, want)
	}

	rec, err := fn.BlockRecordByHeight(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if hh, _ := rec.HeaderHash(); hh != mustHeaderHash(&chain[10]) {
		t.Errorf("record hash %v", hh)
	}
	if _, err := fn.BlockRecordByHeight(ctx, 66); !errors.As(err, &re) || re.Code != rpc.CodeBlockHeightNotFound {
		t.Errorf("record above the peak: %v", err)
	}
	// get_block finds the record's block by its hash, and the peak's.
	for _, h := range []int{10, 65} {
		blk, err := fn.Block(ctx, mustHeaderHash(&chain[h]))
		if err != nil || mustHeaderHash(blk) != mustHeaderHash(&chain[h]) {
			t.Errorf("Block(%d) = %v", h, err)
		}
	}
	if _, err := fn.Block(ctx, mustHeaderHash(&chain[11])); !errors.As(err, &re) || re.Code != rpc.CodeBlockNotFound {
		t.Errorf("Block of an unknown hash: %v", err)
	}

	// get_blocks across three requests of up to 32, stopping at the peak.
	blocks, err := fn.Blocks(ctx, 0, 100, false)
	if err != nil || len(blocks) != 66 {
		t.Fatalf("Blocks = %d, %v", len(blocks), err)
	}
	for i, blk := range blocks {
		if mustHeaderHash(blk) != mustHeaderHash(&chain[i]) {
			t.Fatalf("block %d differs", i)
		}
	}
	if _, err := fn.Block(ctx, mustHeaderHash(&chain[11])); err != nil {
		t.Errorf("Block of a fetched block: %v", err)
	}
	if blocks, err = fn.Blocks(ctx, 66, 70, false); err != nil || len(blocks) != 0 {
		t.Errorf("Blocks above the peak = %d, %v", len(blocks), err)
	}

	// A peer serving a block of the wrong height, a broken link, or
	// another block at its announced peak is not believed.
	src.mu.Lock()
	good3, good65 := src.chain[3], src.chain[65]
	src.chain[3] = chain[4]
	src.mu.Unlock()
	if _, err := fn.BlockRecordByHeight(ctx, 3); err == nil || !strings.Contains(err.Error(), "asked for height 3, got a block at height 4") {
		t.Errorf("wrong height: %v", err)
	}
	src.mu.Lock()
	src.chain[3] = good3
	src.chain[3].Foliage.FoliageBlockData.ExtensionData = protocol.Bytes32{7} // another hash: block 4 no longer follows
	src.mu.Unlock()
	if _, err := fn.Blocks(ctx, 2, 6, false); err == nil || !strings.Contains(err.Error(), "block 4 does not follow block 3") {
		t.Errorf("broken link: %v", err)
	}
	src.mu.Lock()
	src.chain[3] = good3
	src.chain[65] = chain[64]
	src.chain[65].RewardChainBlock.Height = 65
	src.mu.Unlock()
	if _, err := fn.Block(ctx, mustHeaderHash(&chain[65])); err == nil ||
		!strings.Contains(err.Error(), "not the "+mustHeaderHash(&chain[65]).String()+" announced as its peak") {
		t.Errorf("another block at the peak: %v", err)
	}
	src.mu.Lock()
	src.chain[65] = good65
	src.mu.Unlock()

	// A higher peak: get_blocks is bounded.
	announce(t, b, a, chain, 299)
	waitChange(t, changes, rpc.PeakChanged)
	if _, err := fn.Blocks(ctx, 0, MaxRPCBlocks+1, false); err == nil || !strings.Contains(err.Error(), "at most 256 blocks") {
		t.Errorf("Blocks over MaxRPCBlocks: %v", err)
	}

	// Bans, close and stop.
	ip := netip.MustParseAddr("192.0.2.9")
	if !fn.Ban(ip, time.Hour) || len(fn.Bans()) != 1 || fn.Bans()[0].IP != ip {
		t.Errorf("Ban: %v", fn.Bans())
	}
	if fn.Ban(netip.MustParseAddr("127.0.0.1"), time.Hour) {
		t.Error("banned localhost")
	}
	if !fn.Unban(ip) || len(fn.Bans()) != 0 {
		t.Error("Unban")
	}
	if err := fn.CloseConnection(ctx, protocol.Bytes32{1}); err == nil {
		t.Error("closed a connection that does not exist")
	}
	if err := fn.CloseConnection(ctx, b.NodeID()); err != nil {
		t.Fatal(err)
	}
	a.waitFor("b gone", func() bool { return !a.connectedTo(b) || peakOf(a, b) == nil })
	fn.Stop()
	if stops != 1 || fn.NetworkInfo() != testInfo {
		t.Errorf("stops %d, info %+v", stops, fn.NetworkInfo())
	}
}

func waitChange(t *testing.T, ch <-chan rpc.Change, want rpc.Change) {
	t.Helper()
	deadline := time.After(failsafe)
	for {
		select {
		case c := <-ch:
			if c == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %v after %v", want, failsafe)
		}
	}
}

// checkNoChainState checks that get_blockchain_state's blockchain_state
// (decoded with UseNumber) is, key for key, what rpc writes for a
// BlockchainState without a chain with node id id and sync_tip_height
// tip; rpc's own tests pin that to the reference's answer for a full node
// without a chain (spec rpc-and-types §1.5).
func checkNoChainState(t *testing.T, bs map[string]any, id protocol.Bytes32, tip uint32) {
	t.Helper()
	b, err := json.Marshal(rpc.BlockchainState{NodeID: id, Sync: rpc.SyncState{SyncTipHeight: tip}})
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var want map[string]any
	if err := d.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bs, want) {
		t.Errorf("blockchain_state = %v\nwant %v", bs, want)
	}
}

// checkChiaShowReads reads blockchain_state as the reference's RPC client
// and chia show -s do: a non-null peak must be a complete BlockRecord,
// and the keys show reads must be there with their types.
func checkChiaShowReads(t *testing.T, bs map[string]any) {
	t.Helper()
	if p, ok := bs["peak"]; !ok {
		t.Error("no peak")
	} else if p != nil {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var rec rpc.BlockRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if _, err := rec.Decode(); err != nil {
			t.Errorf("peak is no complete BlockRecord: %v", err)
		}
	}
	if id, ok := bs["node_id"].(string); !ok || id == "" {
		t.Errorf("node_id %v", bs["node_id"])
	}
	for _, k := range []string{"difficulty", "sub_slot_iters", "space"} {
		if !isInt(bs[k]) {
			t.Errorf("%s: %v (%T), want an integer", k, bs[k], bs[k])
		}
	}
	sync, ok := bs["sync"].(map[string]any)
	if !ok {
		t.Fatalf("sync: %v", bs["sync"])
	}
	for _, k := range []string{"synced", "sync_mode"} {
		if _, ok := sync[k].(bool); !ok {
			t.Errorf("sync.%s: %v (%T), want a bool", k, sync[k], sync[k])
		}
	}
	for _, k := range []string{"sync_tip_height", "sync_progress_height"} {
		if !isInt(sync[k]) {
			t.Errorf("sync.%s: %v (%T), want an integer", k, sync[k], sync[k])
		}
	}
}

// isInt reports whether v, decoded with UseNumber, is a JSON integer of
// any size.
func isInt(v any) bool {
	n, ok := v.(json.Number)
	return ok && !strings.ContainsAny(string(n), ".eE")
}

// The node's RPC served over HTTPS with the CHIA_ROOT tree's certificates,
// as a daemon-less chia CLI would reach it.
func TestRPCOverHTTPS(t *testing.T) {
	chain := testChain(5)
	src := &blockSource{chain: chain, served: map[uint32]int{}}
	a := startNode(t, "a", nil)
	b := startBlockNode(t, "b", src, func(c *Config) { c.StaticPeers = []string{a.addr()} })
	a.waitFor("a connected to b", func() bool { return a.connectedTo(b) })
	b.waitFor("b connected to a", func() bool { return b.connectedTo(a) })
	announce(t, b, a, chain, 4)

	tree := chiatls.Tree{Root: a.cfg.Root}
	stc, err := rpc.ServerTLS(tree, chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	ctc, err := rpc.ClientTLS(tree, chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rpc.NewServer(rpc.Config{Name: rpc.FullNodeService, ListenAddr: "127.0.0.1:0", TLS: stc,
		Routes: rpc.FullNodeRoutes(a.RPC(testInfo, func() {}), rpc.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	c := rpc.NewClient("https://"+srv.Addr().String(), ctc)
	defer c.Close()

	conns, err := c.Connections(ctx, protocol.NodeFullNode)
	if err != nil || len(conns) != 1 || conns[0].Peak == nil || conns[0].Peak.Height != 4 {
		t.Fatalf("Connections = %+v, %v", conns, err)
	}
	s, err := c.BlockchainState(ctx)
	if err != nil || s.Peak != nil || s.NodeID != a.NodeID() || s.Sync.SyncTipHeight != 4 {
		t.Errorf("BlockchainState = %+v, %v", s, err)
	}
	var raw struct {
		State json.RawMessage `json:"blockchain_state"`
	}
	if err := c.Call(ctx, "get_blockchain_state", nil, &raw); err != nil {
		t.Fatal(err)
	}
	// Numbers as written, as Python's json reads them.
	d := json.NewDecoder(bytes.NewReader(raw.State))
	d.UseNumber()
	var bs map[string]any
	if err := d.Decode(&bs); err != nil {
		t.Fatal(err)
	}
	checkNoChainState(t, bs, a.NodeID(), 4)
	checkChiaShowReads(t, bs)
	blocks, err := c.Blocks(ctx, 0, 5)
	if err != nil || len(blocks) != 5 || mustHeaderHash(blocks[4]) != mustHeaderHash(&chain[4]) {
		t.Fatalf("Blocks = %d, %v", len(blocks), err)
	}
	if err := c.CloseConnection(ctx, b.NodeID().String()[:10]); err != nil {
		t.Fatal(err)
	}
	a.waitFor("b closed", func() bool {
		for _, e := range a.eventsOf(b) {
			if e.Type == server.Disconnected {
				return true
			}
		}
		return false
	})
}

// mustHeaderHash is the header hash of a block the test made, which
// always serializes.
func mustHeaderHash(b *protocol.FullBlock) protocol.Bytes32 {
	h, err := b.HeaderHash()
	if err != nil {
		panic(err)
	}
	return h
}
