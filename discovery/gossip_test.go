package discovery

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// fullNodeInfo describes a full node at ip, connected inbound from an
// ephemeral port, listening on 8444.
func fullNodeInfo(ip string) peer.Info {
	a := netip.MustParseAddr(ip)
	return peer.Info{NodeType: protocol.NodeFullNode, ServerPort: config.MainnetPort, RemoteAddr: netip.AddrPortFrom(a, 51000)}
}

// fresh returns n addresses starting at pub(from), seen now.
func fresh(from, n int) []protocol.TimestampedPeerInfo {
	out := make([]protocol.TimestampedPeerInfo, n)
	for i := range out {
		out[i] = tpi(pub(from+i), time.Now())
	}
	return out
}

// TestRespondPeersCaps checks the per-message (1,000) and per-source
// (3,000) caps, and that the per-source counts reset every 24 h for a
// wallet as well as a full node.
func TestRespondPeersCaps(t *testing.T) {
	for _, nt := range []protocol.NodeType{protocol.NodeFullNode, protocol.NodeWallet} {
		t.Run(nt.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Config{NodeType: nt})
				src, other := fullNodeInfo("1.2.3.4"), fullNodeInfo("5.6.7.8")
				ingest := func(from peer.Info, list []protocol.TimestampedPeerInfo, wantOK bool) {
					t.Helper()
					before := h.am.Size()
					added, ok := h.d.ingestPeers(from, list)
					if ok != wantOK {
						t.Fatalf("%d addresses from %v: accepted %v, want %v", len(list), from.RemoteAddr, ok, wantOK)
					}
					if !ok && h.am.Size() != before {
						t.Fatalf("ignored message changed the table: %d → %d", before, h.am.Size())
					}
					if ok && before == 0 && added == 0 {
						t.Fatalf("accepted message added nothing")
					}
				}
				ingest(src, fresh(0, MaxPeersPerReply+1), false) // too long: ignored, not counted
				for k := range 3 {
					ingest(src, fresh(k*1000, 1000), true) // 3,000 in all: accepted
				}
				ingest(src, fresh(3000, 1), false)  // 3,001: over the source cap
				ingest(other, fresh(3001, 1), true) // another source has its own count

				ctx := t.Context()
				go h.d.dailyLoop(ctx)
				time.Sleep(DailyInterval - time.Second)
				synctest.Wait()
				ingest(src, fresh(3002, 1), false) // not reset yet
				time.Sleep(2 * time.Second)
				synctest.Wait()
				ingest(src, fresh(3003, 1), true) // reset after 24 h
				if s := h.d.Stats(); s.RepliesIgnored != 3 {
					t.Errorf("Stats().RepliesIgnored = %d, want 3", s.RepliesIgnored)
				}
			})
		})
	}
}

// TestTimestampNormalisation checks that advertised timestamps below
// 100,000,000 or more than 10 minutes ahead become now − 5 days, and
// that respond_peers addresses carry the 2 h penalty while introducer
// addresses carry timestamp 0.
func TestTimestampNormalisation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		now := time.Now().Unix()
		bad := now - 5*24*3600
		const pen = 2 * 3600
		tests := []struct {
			ts   uint64
			want int64 // stored, before the penalty
		}{
			{0, bad},
			{99_999_999, bad},
			{100_000_000, 100_000_000},
			{uint64(now), now},
			{uint64(now + 600), now + 600},
			{uint64(now + 601), bad},
			{1 << 63, bad},
		}
		for i, tc := range tests {
			ap := pub(i)
			tp := protocol.TimestampedPeerInfo{Host: ap.Addr().String(), Port: ap.Port(), Timestamp: tc.ts}
			if _, ok := h.d.ingestPeers(fullNodeInfo("1.2.3.4"), []protocol.TimestampedPeerInfo{tp, tpi(pub(100+i), time.Now())}); !ok {
				t.Fatal("ignored")
			}
			e, ok := h.am.Lookup(addrman.PeerInfoFrom(ap))
			if !ok {
				t.Fatalf("timestamp %d: address not stored", tc.ts)
			}
			if got := e.Timestamp.Unix(); got != tc.want-pen {
				t.Errorf("advertised %d: stored %d, want %d", tc.ts, got, tc.want-pen)
			}
		}
		if n, err := h.d.ingestIntroducer([]protocol.TimestampedPeerInfo{tpi(pub(50), time.Now())}); n != 1 || err != nil {
			t.Fatalf("introducer: %d, %v", n, err)
		}
		if e, _ := h.am.Lookup(addrman.PeerInfoFrom(pub(50))); !e.Timestamp.IsZero() {
			t.Errorf("introducer address stored with timestamp %v, want 0", e.Timestamp)
		}
		if _, err := h.d.ingestIntroducer(fresh(1000, MaxPeersPerReply+1)); err == nil {
			t.Error("an introducer reply over 1,000 addresses was taken")
		}
	})
}

// TestAddressFilter checks which advertised addresses are refused.
func TestAddressFilter(t *testing.T) {
	tests := []struct {
		host         string
		port         uint16
		ok, okPriv   bool
		defaultPort  uint16
		wantCanonHst string
	}{
		{"1.2.3.4", 8444, true, true, 0, "1.2.3.4"},
		{"::ffff:1.2.3.4", 8444, true, true, 0, "1.2.3.4"},
		{"2606:4700::1111", 8444, true, true, 0, "2606:4700::1111"},
		{"100.64.0.1", 8444, true, true, 0, "100.64.0.1"}, // CGNAT is not private
		{"127.0.0.1", 8444, false, true, 0, "127.0.0.1"},
		{"10.0.0.1", 8444, false, true, 0, "10.0.0.1"},
		{"fe80::1", 8444, false, true, 0, "fe80::1"},
		{"fe80::1%eth0", 8444, false, false, 0, ""},
		{"0.0.0.0", 8444, false, false, 0, ""},
		{"224.0.0.1", 8444, false, false, 0, ""},
		{"255.255.255.255", 8444, false, false, 0, ""},
		{"node.chia.net", 8444, false, false, 0, ""},
		{"1.2.3.4", 0, false, false, 0, ""},
		{"1.2.3.4", config.Testnet11Port, false, false, 0, ""}, // another network's port
		{"1.2.3.4", config.Testnet11Port, true, true, config.Testnet11Port, "1.2.3.4"},
		{"1.2.3.4", 8445, true, true, 0, "1.2.3.4"},                                   // not a default port
		{"0000000000000000000000000000000000000001.2.3.4", 8444, false, false, 0, ""}, // over 45 bytes
	}
	for _, tc := range tests {
		for _, allow := range []bool{false, true} {
			d, err := newDiscovery(Config{AddrMan: addrman.New(addrman.Config{}), AllowPrivate: allow, DefaultPort: tc.defaultPort},
				newFakeNet(), protocol.NodeFullNode)
			if err != nil {
				t.Fatal(err)
			}
			ap, ok := d.clean(protocol.TimestampedPeerInfo{Host: tc.host, Port: tc.port})
			want := tc.ok
			if allow {
				want = tc.okPriv
			}
			if ok != want {
				t.Errorf("%s:%d allowPrivate=%v: ok %v, want %v", tc.host, tc.port, allow, ok, want)
			}
			if ok && ap.Addr().String() != tc.wantCanonHst {
				t.Errorf("%s: cleaned to %v", tc.host, ap)
			}
		}
	}
}

// TestRequestPeersAnswer checks the answer to request_peers: 23% of the
// known addresses (rounded up), at most 1,000, never terrible, private
// (unless allowed) or of another network's port; none from a wallet.
func TestRequestPeersAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		build := func(allow bool, public, private, unseen, testnet int) *Discovery {
			am := addrman.New(addrman.Config{AllowPrivate: true, Rand: rand.New(rand.NewPCG(5, 6))})
			var list []protocol.TimestampedPeerInfo
			for i := range public {
				list = append(list, tpi(pub(i), time.Now()))
			}
			for i := range private {
				list = append(list, tpi(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 1}), config.MainnetPort), time.Now()))
			}
			for i := range unseen {
				list = append(list, tpi(pub(20000+i), time.Time{}))
			}
			for i := range testnet {
				ap := netip.AddrPortFrom(pub(30000+i).Addr(), config.Testnet11Port)
				list = append(list, tpi(ap, time.Now()))
			}
			// Slot collisions drop a few of a large batch.
			if added, _ := am.Add(list, addrman.PeerInfo{}, 0); added < len(list)*9/10 {
				t.Fatalf("only %d of %d addresses stored", added, len(list))
			}
			d, err := newDiscovery(Config{AddrMan: am, AllowPrivate: allow}, newFakeNet(), protocol.NodeFullNode)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		from := fullNodeInfo("1.2.3.4")

		for _, n := range []int{100, 101, 30, 4} {
			d := build(false, n, 0, 0, 0)
			size := d.am.Size()
			want := (size*23 + 99) / 100 // 23%, rounded up
			if got, _ := d.answerRequestPeers(from); len(got) != want {
				t.Errorf("%d addresses: answered %d, want %d", size, len(got), want)
			}
		}
		if got, _ := build(false, 5000, 0, 0, 0).answerRequestPeers(from); len(got) != 1000 {
			t.Errorf("5,000 addresses: answered %d, want 1,000", len(got))
		}

		d := build(false, 60, 60, 60, 60)
		got, ok := d.answerRequestPeers(from)
		if !ok || len(got) == 0 || len(got) > 56 { // 23% of 240
			t.Fatalf("mixed table: answered %d (ok %v), want 1–56", len(got), ok)
		}
		for _, tp := range got {
			a := netip.MustParseAddr(tp.Host)
			if addrman.IsPrivate(a) || tp.Timestamp == 0 || tp.Port != config.MainnetPort {
				t.Errorf("answer holds %s:%d ts %d", tp.Host, tp.Port, tp.Timestamp)
			}
		}
		// The requester now knows them: they are not relayed to it.
		d.mu.Lock()
		known := len(d.known[neighbourOf(from)])
		d.mu.Unlock()
		if known != len(got) {
			t.Errorf("%d addresses marked known to the requester, want %d", known, len(got))
		}

		allowed := build(true, 0, 100, 0, 0)
		if got, _ := allowed.answerRequestPeers(from); len(got) != 23 {
			t.Errorf("private addresses allowed: answered %d, want 23", len(got))
		}

		w, err := newDiscovery(Config{AddrMan: d.am, NodeType: protocol.NodeWallet}, newFakeNet(), protocol.NodeWallet)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := w.answerRequestPeers(from); ok {
			t.Error("a wallet answered request_peers")
		}
	})
}

// TestRelay checks the keyed relay order, the fan-out, that the index
// counts neighbours skipped because they know the address, and which
// messages are relayed.
func TestRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{})
		var links []*fakeLink
		for i := range 6 {
			links = append(links, h.net.inbound(pub(i).Addr(), config.MainnetPort, protocol.NodeFullNode))
		}
		h.net.inbound(pub(9).Addr(), 0, protocol.NodeWallet) // never relayed to
		day := uint32(time.Now().Unix() / 86400)
		slices.SortFunc(links, func(a, b *fakeLink) int {
			ha, hb := relayHash(&h.d.relayKey, neighbourOf(a.info), day), relayHash(&h.d.relayKey, neighbourOf(b.info), day)
			return bytes.Compare(ha[:], hb[:])
		})
		got := func() []int {
			var out []int
			for i, l := range links {
				for _, m := range l.messages() {
					if m.t == protocol.MsgRespondPeers {
						out = append(out, i)
					}
				}
			}
			return out
		}
		tp := tpi(pub(50), time.Now())
		h.d.relay(t.Context(), relayItem{tp, 2})
		if g := got(); !slices.Equal(g, []int{0, 1}) {
			t.Fatalf("fan-out 2 reached %v, want the first two in key order", g)
		}
		h.d.relay(t.Context(), relayItem{tp, 2})
		if g := got(); !slices.Equal(g, []int{0, 1}) {
			t.Errorf("relayed again to %v: neighbours that know it are skipped but counted", g)
		}
		h.d.relay(t.Context(), relayItem{tp, 3})
		if g := got(); !slices.Equal(g, []int{0, 1, 2}) {
			t.Errorf("fan-out 3 reached %v, want the third added", g)
		}
		if s := h.d.Stats(); s.Relayed != 3 {
			t.Errorf("Stats().Relayed = %d, want 3", s.Relayed)
		}

		// A batch, as the relay loop takes what is queued at once: each
		// address gets its own fan-out over the same order.
		h.d.relay(t.Context(), relayItem{tpi(pub(51), time.Now()), 1}, relayItem{tpi(pub(52), time.Now()), 2})
		if g := got(); !slices.Equal(g, []int{0, 0, 0, 1, 1, 2}) {
			t.Errorf("after a batch of fan-outs 1 and 2: %v, want the first two more and the second one more", g)
		}

		// Which respond_peers are queued for relay, and with which fan-out.
		drain := func() []relayItem {
			var out []relayItem
			for {
				select {
				case it := <-h.d.relayQ:
					out = append(out, it)
				default:
					return out
				}
			}
		}
		src := fullNodeInfo("1.2.3.4")
		h.d.ingestPeers(src, fresh(100, 1))
		if q := drain(); len(q) != 1 || q[0].fanout != 2 || q[0].tp.Host != pub(100).Addr().String() {
			t.Errorf("lone fresh address: queued %+v, want it with fan-out 2", q)
		}
		h.d.ingestPeers(src, fresh(101, 2))
		stale := []protocol.TimestampedPeerInfo{tpi(pub(103), time.Now().Add(-11*time.Minute))}
		h.d.ingestPeers(src, stale)
		future := []protocol.TimestampedPeerInfo{tpi(pub(104), time.Now().Add(time.Hour))}
		h.d.ingestPeers(src, future)
		if q := drain(); len(q) != 0 {
			t.Errorf("two, stale or future addresses: queued %+v, want nothing", q)
		}

		// An inbound full node is stored as seen now and relayed to one.
		in := h.net.inbound(netip.MustParseAddr("7.7.7.7"), 8555, protocol.NodeFullNode)
		h.d.onEvent(true, in)
		e, ok := h.am.Lookup(addrman.PeerInfo{Host: "7.7.7.7", Port: 8555})
		if !ok || e.Timestamp.Unix() != time.Now().Unix() {
			t.Errorf("inbound full node: stored %v %+v, want it seen now", ok, e)
		}
		if q := drain(); len(q) != 1 || q[0].fanout != 1 {
			t.Errorf("inbound full node: queued %+v, want fan-out 1", q)
		}
		h.d.onEvent(true, h.net.inbound(netip.MustParseAddr("7.7.7.8"), 0, protocol.NodeFullNode))
		h.d.onEvent(true, h.net.inbound(netip.MustParseAddr("7.7.7.9"), 8444, protocol.NodeWallet))
		if q := drain(); len(q) != 0 || h.am.Size() != 6 {
			t.Errorf("port-0 full node and wallet: queued %+v, table %d; want nothing added", q, h.am.Size())
		}
	})
}

// TestOnConnect checks that a new outbound full node is sent an id-less
// request_peers (and our address, with a PublicAddr), by a full node and
// by a wallet, and that other outbound peers are not.
func TestOnConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		public := netip.MustParseAddrPort("3.3.3.3:8444")
		for _, tc := range []struct {
			nt       protocol.NodeType
			peerType protocol.NodeType
			want     []protocol.MessageType
		}{
			{protocol.NodeFullNode, protocol.NodeFullNode, []protocol.MessageType{protocol.MsgRequestPeers, protocol.MsgRespondPeers}},
			{protocol.NodeWallet, protocol.NodeFullNode, []protocol.MessageType{protocol.MsgRequestPeers}},
			{protocol.NodeFullNode, protocol.NodeIntroducer, nil},
		} {
			h := newHarness(t, Config{NodeType: tc.nt, PublicAddr: public})
			node := h.net.add(pub(1))
			node.typ = tc.peerType
			l := h.net.connect(pub(1), node, true)
			h.d.onEvent(true, l)
			var got []protocol.MessageType
			for _, m := range l.messages() {
				got = append(got, m.t)
				if rp, ok := m.v.(*protocol.RespondPeers); ok {
					if len(rp.PeerList) != 1 || rp.PeerList[0].Host != "3.3.3.3" || rp.PeerList[0].Port != 8444 {
						t.Errorf("self-advertisement %+v", rp.PeerList)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%v to an outbound %v sent %v, want %v", tc.nt, tc.peerType, got, tc.want)
			}
		}
	})
}

// TestSelfAdvertiseDaily checks that a full node with a PublicAddr sends
// it to every full-node neighbour each 24 h, and nothing to others.
func TestSelfAdvertiseDaily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{PublicAddr: netip.MustParseAddrPort("3.3.3.3:8444")})
		var full []*fakeLink
		for i := range 3 {
			full = append(full, h.net.inbound(pub(i).Addr(), config.MainnetPort, protocol.NodeFullNode))
		}
		wallet := h.net.inbound(pub(9).Addr(), 0, protocol.NodeWallet)
		ctx := t.Context()
		go h.d.dailyLoop(ctx)
		count := func(l *fakeLink) int { return len(l.messages()) }

		time.Sleep(DailyInterval - time.Second)
		synctest.Wait()
		for _, l := range full {
			if count(l) != 0 {
				t.Fatal("advertised before 24 h")
			}
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		for _, l := range full {
			ms := l.messages()
			if len(ms) != 1 || ms[0].t != protocol.MsgRespondPeers {
				t.Fatalf("after 24 h a full node got %+v", ms)
			}
			rp := ms[0].v.(*protocol.RespondPeers)
			if len(rp.PeerList) != 1 || rp.PeerList[0].Host != "3.3.3.3" || rp.PeerList[0].Timestamp != uint64(h.start.Add(DailyInterval).Unix()) {
				t.Errorf("advertised %+v", rp.PeerList)
			}
		}
		if count(wallet) != 0 {
			t.Error("a wallet was sent our address")
		}
		time.Sleep(DailyInterval)
		synctest.Wait()
		if count(full[0]) != 2 {
			t.Errorf("%d advertisements after 48 h, want 2", count(full[0]))
		}
	})
}

// TestRelayHash pins the layout the relay order hashes: key, the 18-byte
// address key (IPv4 in the 6to4 form, IPv6 raw, port big-endian) and the
// day number in 3 bytes.
func TestRelayHash(t *testing.T) {
	var key [32]byte
	for i := range key {
		key[i] = byte(i)
	}
	tests := []struct {
		nb   string
		addr []byte // the 16 address bytes
	}{
		{"1.2.3.4:8444", []byte{0x20, 0x02, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"[2001:db8::1]:8444", netip.MustParseAddr("2001:db8::1").AsSlice()},
	}
	for _, tc := range tests {
		const day = 0x012345
		var want bytes.Buffer
		want.Write(key[:])
		want.Write(tc.addr)
		want.Write([]byte{0x20, 0xfc})       // 8444
		want.Write([]byte{0x01, 0x23, 0x45}) // day
		if got := relayHash(&key, netip.MustParseAddrPort(tc.nb), day); got != sha256.Sum256(want.Bytes()) {
			t.Errorf("%s: relay hash differs from SHA-256 over %x", tc.nb, want.Bytes())
		}
	}
}

// An inbound full node whose Connected event has not been handled when
// Run stops (events reach Discovery on a goroutine of their own) is still
// in the final save of the peers file.
func TestFinalSaveRecordsLiveInbound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "peers.dat")
		h := newHarness(t, Config{PeersFile: file, FeelerMean: -1})
		ap := pub(7)
		l := &fakeLink{net: h.net, addr: ap, done: make(chan struct{}),
			info: peer.Info{NodeType: protocol.NodeFullNode, ServerPort: ap.Port(), RemoteAddr: netip.AddrPortFrom(ap.Addr(), 51000)}}
		h.net.mu.Lock()
		h.net.links[l] = struct{}{} // connected, its event not yet delivered
		h.net.mu.Unlock()
		h.run()
		synctest.Wait()
		h.stop()
		m, err := addrman.Load(file, addrman.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.Lookup(addrman.PeerInfo{Host: ap.Addr().String(), Port: ap.Port()}); !ok {
			t.Errorf("the saved peers file lacks the live inbound peer %v (%d addresses)", ap, m.Size())
		}
	})
}

// TestMaintenance checks the table upkeep of spec §1.4 and §2.6: every
// 10 minutes a live outbound full node's address timestamp is refreshed
// (addrman Connect), and every 30 minutes, only while at least 3
// full-node connections are up, addresses unseen for 14 days with 10
// counted failures are forgotten.
func TestMaintenance(t *testing.T) {
	for _, fullNodes := range []int{2, 3} {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, Config{})
			start := time.Now()

			// A dead address: seen 20 days ago, 10 failures counted
			// (one per success epoch, so a Good elsewhere in between).
			dead := pub(100)
			h.am.Add([]protocol.TimestampedPeerInfo{tpi(dead, start.Add(-20*24*time.Hour))}, addrman.PeerInfo{}, 0)
			deadInfo := addrman.PeerInfoFrom(dead)
			for i := range 10 {
				at := start.Add(-time.Hour + time.Duration(2*i)*time.Second)
				h.am.Attempt(deadInfo, true, at)
				h.am.Good(addrman.PeerInfo{Host: "9.9.9.9", Port: 1}, true, at.Add(time.Second))
			}
			if e, _ := h.am.Lookup(deadInfo); e.Attempts != 10 {
				t.Fatalf("setup: %d failures counted, want 10", e.Attempts)
			}

			// A live outbound full node whose stored timestamp is 2 h old.
			live := pub(0)
			h.am.Add([]protocol.TimestampedPeerInfo{tpi(live, start.Add(-2*time.Hour))}, addrman.PeerInfo{}, 0)
			h.net.connect(live, h.net.add(live), true)
			for i := 1; i < fullNodes; i++ {
				h.net.inbound(pub(i).Addr(), config.MainnetPort, protocol.NodeFullNode)
			}

			go h.d.maintenanceLoop(t.Context())
			time.Sleep(stampInterval + time.Second)
			synctest.Wait()
			if e, _ := h.am.Lookup(addrman.PeerInfoFrom(live)); !e.Timestamp.Equal(start.Add(stampInterval)) {
				t.Errorf("live outbound peer's timestamp %v after 10 min, want %v", e.Timestamp, start.Add(stampInterval))
			}
			time.Sleep(cleanupInterval - stampInterval - 2*time.Second)
			synctest.Wait()
			if _, ok := h.am.Lookup(deadInfo); !ok {
				t.Fatalf("dead address forgotten before 30 min")
			}
			time.Sleep(2 * time.Second)
			synctest.Wait()
			_, kept := h.am.Lookup(deadInfo)
			if want := fullNodes < 3; kept != want { // the reference's minimum of 3
				t.Errorf("with %d full-node connections, dead address kept after 30 min: %v, want %v", fullNodes, kept, want)
			}
		})
	}
}
