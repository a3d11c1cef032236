package rpcinterop_test

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	gclconfig "github.com/chia-network/go-chia-libs/pkg/config"
	gclrpc "github.com/chia-network/go-chia-libs/pkg/rpc"
	"github.com/chia-network/go-chia-libs/pkg/rpcinterface"
	gcltypes "github.com/chia-network/go-chia-libs/pkg/types"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/node"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// failsafe bounds every wait.
const failsafe = 30 * time.Second

// running is a node run by a test.
type running struct {
	*node.Node
	root string
	done chan error
}

// startNode runs a devnet node on 127.0.0.1 with a root of its own. With
// rpc set, the root is made as `chianet init` makes it, the RPC and the
// daemon listen on any free port, their ports are written into the
// root's config.yaml, and CHIA_ROOT points at the root.
func startNode(t *testing.T, rpc bool, edit func(*node.Config)) *running {
	t.Helper()
	root := t.TempDir()
	cfg := node.Config{Network: "devnet", Private: true, Root: root, ListenAddr: "127.0.0.1:0", TargetOutbound: -1,
		Logger: slog.New(slog.DiscardHandler)}
	if rpc {
		// As `chianet init` does: config.yaml from the template and the
		// whole certificate tree.
		c, err := config.Default(root)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Create(); err != nil {
			t.Fatal(err)
		}
		if err := (chiatls.Tree{Root: root}).Init(); err != nil {
			t.Fatal(err)
		}
		cfg.RPCAddr, cfg.DaemonAddr = "127.0.0.1:0", "127.0.0.1:0"
	}
	if edit != nil {
		edit(&cfg)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Node: n, root: root, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-n.Ready():
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	}
	if rpc {
		// The ports the node took go into config.yaml, where go-chia-libs
		// looks for them.
		c, err := config.Load(root)
		if err != nil {
			t.Fatal(err)
		}
		c.FullNode.RPCPort, c.DaemonPort = port(t, n.RPCAddr()), port(t, n.DaemonAddr())
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		t.Setenv("CHIA_ROOT", root)
	}
	return r
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// loopback is where go-chia-libs is told the node is, instead of
// "localhost".
var loopback = gclrpc.WithBaseURL(&url.URL{Scheme: "https", Host: "127.0.0.1"})

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
		h, err := b.HeaderHash()
		if err != nil {
			panic(err)
		}
		prev = h
		out[i] = b
	}
	return out
}

// blockPeer connects to n as a full node that serves chain's blocks and
// announces its last block as its peak; it returns the peer's node id.
func blockPeer(t *testing.T, n *running, chain []protocol.FullBlock) protocol.Bytes32 {
	t.Helper()
	tree := chiatls.Tree{Root: t.TempDir()}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	conf, err := tree.ClientConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	id, err := tree.NodeID(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[protocol.MessageType]peer.HandlerFunc{}
	for _, mt := range protocol.AllMessageTypes() {
		handlers[mt] = peer.Ignore
	}
	handlers[protocol.MsgRequestPeers] = func(context.Context, *peer.Peer, protocol.Message) (*protocol.Message, error) {
		return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{})
	}
	handlers[protocol.MsgRequestBlock] = func(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
		var req protocol.RequestBlock
		if err := streamable.Unmarshal(m.Data, &req); err != nil {
			return nil, err
		}
		if int(req.Height) >= len(chain) {
			return peer.Reply(protocol.MsgRejectBlock, &protocol.RejectBlock{Height: req.Height})
		}
		return peer.Reply(protocol.MsgRespondBlock, &protocol.RespondBlock{Block: chain[req.Height]})
	}
	ctx, cancel := context.WithTimeout(context.Background(), failsafe)
	defer cancel()
	p, err := peer.Dial(ctx, n.Addr().String(), peer.Config{NetworkID: "devnet", TLS: conf, Handlers: handlers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close(nil)
		<-p.Done()
	})
	last := &chain[len(chain)-1]
	hh, err := last.HeaderHash()
	if err != nil {
		t.Fatal(err)
	}
	np := &protocol.NewPeak{HeaderHash: hh, Height: last.RewardChainBlock.Height, Weight: last.RewardChainBlock.Weight}
	if err := p.Send(ctx, protocol.MsgNewPeak, np); err != nil {
		t.Fatal(err)
	}
	return id
}

// waitFor checks cond until it holds, after each value from wake.
func waitFor[T any](t *testing.T, what string, wake <-chan T, cond func() bool) {
	t.Helper()
	deadline := time.After(failsafe)
	for !cond() {
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no %s after %v", what, failsafe)
		}
	}
}

func TestGoChiaLibsHTTP(t *testing.T) {
	a := startNode(t, true, nil)
	chain := testChain(5)
	blockID := blockPeer(t, a, chain)

	// go-chia-libs finds the port and the certificates in CHIA_ROOT.
	cfg, err := gclconfig.GetChiaConfig()
	if err != nil {
		t.Fatal(err)
	}
	if int(cfg.FullNode.RPCPort) != port(t, a.RPCAddr()) {
		t.Fatalf("go-chia-libs read rpc_port %d, the node has %s", cfg.FullNode.RPCPort, a.RPCAddr())
	}
	client, err := gclrpc.NewClient(gclrpc.ConnectionModeHTTP, gclrpc.WithAutoConfig(), loopback, gclrpc.WithTimeout(failsafe))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	fn := client.FullNodeService

	info, _, err := fn.GetNetworkInfo(&gclrpc.GetNetworkInfoOptions{})
	if err != nil || info.NetworkName.OrEmpty() != "devnet" {
		t.Fatalf("get_network_info: %+v, %v", info, err)
	}

	// The peer's peak arrives after its connection.
	var conns []gcltypes.Connection
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	waitFor(t, "peak in get_connections", tick.C, func() bool {
		resp, _, err := fn.GetConnections(&gclrpc.GetConnectionsOptions{})
		if err != nil {
			t.Fatalf("get_connections: %v", err)
		}
		conns = resp.Connections.OrEmpty()
		return len(conns) == 1 && conns[0].PeakHeight.IsPresent()
	})
	c := conns[0]
	if c.NodeID != gcltypes.Bytes32(blockID) || c.Type != gcltypes.NodeTypeFullNode || c.PeerHost != "127.0.0.1" ||
		c.PeakHeight.OrEmpty() != 4 || c.PeakHash.OrEmpty() != gcltypes.Bytes32(mustHash(t, &chain[4])) ||
		c.PeakWeight.OrEmpty().Uint64() != 4000 || c.CreationTime.Unix() == 0 {
		t.Errorf("get_connections: %+v", c)
	}

	state, _, err := fn.GetBlockchainState()
	if err != nil {
		t.Fatalf("get_blockchain_state: %v", err)
	}
	// The state of a node without a chain, the announced peak's height as
	// the sync tip.
	bs := state.BlockchainState.OrEmpty()
	if !state.BlockchainState.IsPresent() || bs.GenesisChallengeInitialized || bs.Peak.IsPresent() ||
		bs.Sync != (gcltypes.Sync{SyncTipHeight: 4}) || bs.Difficulty != 0 || bs.SubSlotIters != 0 ||
		bs.Space.Uint64() != 0 || bs.MempoolMinFees.Cost5m != 0 || bs.BlockMaxCost != 0 {
		t.Errorf("get_blockchain_state: %+v", bs)
	}

	rec, _, err := fn.GetBlockRecordByHeight(&gclrpc.GetBlockByHeightOptions{BlockHeight: 2})
	if err != nil {
		t.Fatalf("get_block_record_by_height: %v", err)
	}
	br := rec.BlockRecord.OrEmpty()
	if br.Height != 2 || br.HeaderHash != gcltypes.Bytes32(mustHash(t, &chain[2])) ||
		br.PrevHash != gcltypes.Bytes32(mustHash(t, &chain[1])) || br.Weight.Uint64() != 2000 {
		t.Errorf("get_block_record_by_height: %+v", br)
	}
	// A height above every peak fails the reference's way.
	if _, _, err := fn.GetBlockRecordByHeight(&gclrpc.GetBlockByHeightOptions{BlockHeight: 5}); err == nil {
		t.Error("get_block_record_by_height 5 succeeded")
	}

	// open_connection, close_connection and stop_node have no helpers in
	// go-chia-libs: its generic Do sends them.
	b := startNode(t, false, nil)
	bAddr := b.Addr()
	opened, _, err := gclrpc.Do(fn, "open_connection",
		map[string]any{"host": bAddr.Addr().String(), "port": bAddr.Port()}, &rpcinterface.Response{})
	if err != nil || !opened.IsSuccessful() {
		t.Fatalf("open_connection: %+v, %v", opened, err)
	}
	resp, _, err := fn.GetConnections(&gclrpc.GetConnectionsOptions{})
	if err != nil || len(resp.Connections.OrEmpty()) != 2 {
		t.Fatalf("get_connections after open_connection: %+v, %v", resp, err)
	}
	bad, _, err := gclrpc.Do(fn, "open_connection", map[string]any{"host": "127.0.0.1", "port": 1}, &rpcinterface.Response{})
	if err == nil || bad.IsSuccessful() || bad.GetRPCError() == "" {
		t.Errorf("open_connection to a closed port: %+v, %v", bad, err)
	}

	bID := b.NodeID()
	closed, _, err := gclrpc.Do(fn, "close_connection", map[string]any{"node_id": bID.String()}, &rpcinterface.Response{})
	if err != nil || !closed.IsSuccessful() {
		t.Fatalf("close_connection: %+v, %v", closed, err)
	}
	resp, _, err = fn.GetConnections(&gclrpc.GetConnectionsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.Connections.OrEmpty() {
		if c.NodeID == gcltypes.Bytes32(bID) {
			t.Errorf("still connected to %v after close_connection", bID)
		}
	}

	stopped, _, err := gclrpc.Do(fn, "stop_node", map[string]any{}, &rpcinterface.Response{})
	if err != nil || !stopped.IsSuccessful() {
		t.Fatalf("stop_node: %+v, %v", stopped, err)
	}
	select {
	case err := <-a.done:
		a.done <- err
	case <-time.After(failsafe):
		t.Fatal("the node still runs after stop_node")
	}
}

func mustHash(t *testing.T, b *protocol.FullBlock) protocol.Bytes32 {
	t.Helper()
	h, err := b.HeaderHash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
