package rpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/internal/testlog"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// failsafe bounds every wait of a test, so that a bug fails the test
// instead of hanging it; nothing waits for it to pass.
const failsafe = 30 * time.Second

// testCerts are made once: RSA keys are slow to generate.
type testCerts struct {
	ca, server, client *chiatls.KeyPair
	pool               *x509.CertPool
	otherClient        *chiatls.KeyPair // from another CA
	otherPool          *x509.CertPool   // that CA
}

var (
	certsOnce sync.Once
	certs     testCerts
	certsErr  error
)

func getCerts(t testing.TB) testCerts {
	t.Helper()
	certsOnce.Do(func() {
		now := time.Now()
		var other *chiatls.KeyPair
		if certs.ca, certsErr = chiatls.NewPrivateCA(now); certsErr != nil {
			return
		}
		if certs.server, certsErr = certs.ca.IssueNodeCert(now); certsErr != nil {
			return
		}
		if certs.client, certsErr = certs.ca.IssueNodeCert(now); certsErr != nil {
			return
		}
		if other, certsErr = chiatls.NewPrivateCA(now); certsErr != nil {
			return
		}
		if certs.otherClient, certsErr = other.IssueNodeCert(now); certsErr != nil {
			return
		}
		certs.pool = x509.NewCertPool()
		certs.pool.AddCert(certs.ca.Cert)
		certs.otherPool = x509.NewCertPool()
		certs.otherPool.AddCert(other.Cert)
	})
	if certsErr != nil {
		t.Fatal(certsErr)
	}
	return certs
}

func serverTLSConfig(t testing.TB) *tls.Config {
	c := getCerts(t)
	return chiatls.ServerConfig(c.server.TLSCertificate(), c.pool)
}

func clientTLSConfig(t testing.TB) *tls.Config {
	c := getCerts(t)
	return chiatls.ClientConfig(c.client.TLSCertificate(), c.pool)
}

func fill32(b byte) protocol.Bytes32 {
	var h protocol.Bytes32
	for i := range h {
		h[i] = b
	}
	return h
}

// makeChain returns blocks 0..n-1 linked by prev_hash; even heights are
// transaction blocks, and block 1 finished a sub-slot.
func makeChain(n int) []*protocol.FullBlock {
	var out []*protocol.FullBlock
	var prev protocol.Bytes32
	for i := range n {
		b := &protocol.FullBlock{
			FinishedSubSlots: []protocol.EndOfSubSlotBundle{},
			RewardChainBlock: protocol.RewardChainBlock{
				Weight:            streamable.U128From64(uint64(i) * 1000),
				Height:            uint32(i),
				TotalIters:        streamable.U128From64(uint64(i) * 77),
				SignagePointIndex: uint8(i % 64),
				ProofOfSpace: protocol.ProofOfSpace{
					PoolPublicKey: &protocol.G1Element{1},
					Size:          32,
					Proof:         []byte{1, 2, 3},
				},
				ChallengeChainIpVDF: protocol.VDFInfo{NumberOfIterations: uint64(i)},
			},
			ChallengeChainIpProof: protocol.VDFProof{Witness: []byte{}},
			RewardChainIpProof:    protocol.VDFProof{Witness: []byte{}},
			Foliage: protocol.Foliage{
				PrevBlockHash: prev,
				FoliageBlockData: protocol.FoliageBlockData{
					PoolTarget:             protocol.PoolTarget{PuzzleHash: fill32(0xaa)},
					FarmerRewardPuzzleHash: fill32(byte(i)),
				},
			},
			TransactionsGeneratorRefList: []uint32{},
		}
		if i%2 == 0 {
			b.FoliageTransactionBlock = &protocol.FoliageTransactionBlock{Timestamp: 1_700_000_000 + uint64(i)}
			b.TransactionsInfo = &protocol.TransactionsInfo{Fees: uint64(i), RewardClaimsIncorporated: []protocol.Coin{
				{ParentCoinInfo: fill32(1), PuzzleHash: fill32(2), Amount: 1_750_000_000_000},
			}}
			b.Foliage.FoliageTransactionBlockHash = &protocol.Bytes32{9}
		}
		if i == 1 {
			b.FinishedSubSlots = []protocol.EndOfSubSlotBundle{{
				ChallengeChain:        protocol.ChallengeChainSubSlot{ChallengeChainEndOfSlotVDF: protocol.VDFInfo{NumberOfIterations: 5}},
				InfusedChallengeChain: &protocol.InfusedChallengeChainSubSlot{},
				Proofs: protocol.SubSlotProofs{
					ChallengeChainSlotProof: protocol.VDFProof{Witness: []byte{}},
					RewardChainSlotProof:    protocol.VDFProof{Witness: []byte{}},
				},
			}}
		}
		prev = mustHeaderHash(b)
		out = append(out, b)
	}
	return out
}

// fakeNode is a FullNode over fixed data, recording the calls that change
// something.
type fakeNode struct {
	info  NetworkInfo
	chain []*protocol.FullBlock

	mu       sync.Mutex
	conns    []Connection
	bans     map[netip.Addr]time.Time
	opened   []string
	closed   []protocol.Bytes32
	stopped  int
	subs     map[int]func(Change)
	nextSub  int
	blocking chan struct{} // if set, BlockchainState waits for it or ctx
}

func newFakeNode() *fakeNode {
	big, _ := streamable.ParseUint128("340282366920938463463374607431768211455") // 2^128-1
	return &fakeNode{
		info: NetworkInfo{NetworkName: "testnet11", NetworkPrefix: "txch",
			GenesisChallenge:       "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615",
			AggSigMeAdditionalData: "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615"},
		chain: makeChain(5),
		conns: []Connection{
			{
				NodeType: protocol.NodeFullNode, LocalPort: 8444,
				PeerHost: netip.MustParseAddr("127.0.0.2"), PeerPort: 58444, PeerServerPort: 58444,
				NodeID: fill32(0xab), CreationTime: time.Unix(1_700_000_000, 500_000_000),
				BytesRead: 10, BytesWritten: 20, LastMessageTime: time.Unix(1_700_000_100, 0),
				Peak: &Peak{Height: 4, Weight: big, HeaderHash: fill32(0x44)},
			},
			{
				NodeType: protocol.NodeWallet, LocalPort: 8444,
				PeerHost: netip.MustParseAddr("::1"), PeerPort: 40000,
				NodeID: fill32(0xac), CreationTime: time.Unix(1_700_000_001, 0),
			},
		},
		bans: map[netip.Addr]time.Time{},
		subs: map[int]func(Change){},
	}
}

func (f *fakeNode) NetworkInfo() NetworkInfo { return f.info }

func (f *fakeNode) Connections() []Connection {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.conns)
}

func (f *fakeNode) OpenConnection(_ context.Context, host string, port uint16) error {
	f.mu.Lock()
	f.opened = append(f.opened, host)
	f.mu.Unlock()
	if host == "unreachable.invalid" {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func (f *fakeNode) CloseConnection(_ context.Context, id protocol.Bytes32) error {
	f.mu.Lock()
	f.closed = append(f.closed, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeNode) Stop() {
	f.mu.Lock()
	f.stopped++
	f.mu.Unlock()
}

func (f *fakeNode) Bans() []Ban {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Ban
	for ip, u := range f.bans {
		out = append(out, Ban{IP: ip, Until: u})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP.Less(out[j].IP) })
	return out
}

func (f *fakeNode) Ban(ip netip.Addr, d time.Duration) bool {
	if ip.IsLoopback() {
		return false
	}
	f.mu.Lock()
	f.bans[ip] = time.Unix(1_800_000_000, 0).Add(d)
	f.mu.Unlock()
	return true
}

func (f *fakeNode) Unban(ip netip.Addr) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.bans[ip]
	delete(f.bans, ip)
	return ok
}

func (f *fakeNode) peak() *Peak {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best *Peak
	for _, c := range f.conns {
		if c.Peak != nil && (best == nil || c.Peak.Weight.Cmp(best.Weight) > 0) {
			best = c.Peak
		}
	}
	return best
}

func (f *fakeNode) BlockchainState(ctx context.Context) (BlockchainState, error) {
	if f.blocking != nil {
		select {
		case <-f.blocking:
		case <-ctx.Done():
			return BlockchainState{}, ctx.Err()
		}
	}
	// As chianet's node answers: the state of a node without a chain,
	// with the heaviest announced peak's height as the sync tip.
	s := BlockchainState{NodeID: fill32(0x11)}
	if p := f.peak(); p != nil {
		s.Sync.SyncTipHeight = p.Height
	}
	return s, nil
}

func (f *fakeNode) BlockRecordByHeight(_ context.Context, h uint32) (BlockRecord, error) {
	if int(h) >= len(f.chain) {
		return nil, HeightNotFound(h)
	}
	return RecordFromBlock(f.chain[h])
}

func (f *fakeNode) Block(_ context.Context, hh protocol.Bytes32) (*protocol.FullBlock, error) {
	for _, b := range f.chain {
		if mustHeaderHash(b) == hh {
			return b, nil
		}
	}
	return nil, BlockNotFound(hh, "")
}

func (f *fakeNode) Blocks(_ context.Context, start, end uint32, _ bool) ([]*protocol.FullBlock, error) {
	var out []*protocol.FullBlock
	for h := start; h < end && int(h) < len(f.chain); h++ {
		out = append(out, f.chain[h])
	}
	return out, nil
}

func (f *fakeNode) Subscribe(fn func(Change)) func() {
	f.mu.Lock()
	id := f.nextSub
	f.nextSub++
	f.subs[id] = fn
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}
}

// emit reports a change to the subscribers.
func (f *fakeNode) emit(c Change) {
	f.mu.Lock()
	subs := slices.Collect(func(yield func(func(Change)) bool) {
		for _, fn := range f.subs {
			if !yield(fn) {
				return
			}
		}
	})
	f.mu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
}

// testServer is a running Server of a fakeNode's routes.
type testServer struct {
	*Server
	node *fakeNode
	url  string
	hc   *http.Client
}

func startServer(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	node := newFakeNode()
	cfg := Config{
		Name:       FullNodeService,
		Routes:     FullNodeRoutes(node, Options{Version: "2.7.3"}),
		ListenAddr: "127.0.0.1:0",
		TLS:        serverTLSConfig(t),
		Logger:     testlog.New(t),
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testServer{Server: s, node: node, url: "https://" + s.Addr().String(), hc: httpClient(t, clientTLSConfig(t))}
}

// httpClient returns a plain HTTP client with tc, closed with the test.
func httpClient(t testing.TB, tc *tls.Config) *http.Client {
	tr := &http.Transport{TLSClientConfig: tc}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: failsafe}
}

// post sends body to route and returns the status and the response body.
func (s *testServer) post(t testing.TB, route, body string) (int, []byte) {
	t.Helper()
	resp, err := s.hc.Post(s.url+"/"+route, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("%s: %v", route, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// call posts body to route, requires 200, and returns the decoded object.
func (s *testServer) call(t testing.TB, route, body string) map[string]any {
	t.Helper()
	status, b := s.post(t, route, body)
	if status != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", route, status, b)
	}
	return decodeObject(t, b)
}

func decodeObject(t testing.TB, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

// keys returns the sorted keys of m.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedStrings(s ...string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// waitFor waits until cond holds, checking it every few milliseconds, for
// state that changes without an event to wait on.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(failsafe)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not after %v", what, failsafe)
		}
	}
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
