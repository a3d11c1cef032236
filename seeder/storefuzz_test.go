package seeder

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// FuzzStoreLoad writes arbitrary column values into a SQLite store's peers
// table, as a damaged or hand-edited file could hold them, and reads them
// back as the crawler and the DNS server do: Load either returns the row's
// record, which saves and loads back unchanged, or skips the row and says
// so (*SkippedRowsError); the crawler's Load succeeds either way, and
// ReliablePeers does not fail and returns only addresses.
func FuzzStoreLoad(f *testing.F) {
	f.Add("203.0.113.7", int64(8444), strings.Repeat("ab", 32), "2.5.4", int64(100), int64(1_700_000_000), int64(3), int64(2), 0.9, 5.0, true)
	f.Add("2001:db8::1", int64(0), "", "", int64(0), int64(0), int64(0), int64(0), 0.0, 0.0, false)
	f.Add("not an address", int64(65536), "zz", "\xff", int64(-1), int64(-1<<63), int64(1), int64(2), -1.0, 1e308, true)
	f.Add("::ffff:1.2.3.4", int64(1), "ab", "x", int64(1<<32), int64(1<<62), int64(1<<40), int64(0), 0.5, 100.0, true)
	ctx := context.Background()
	st, err := OpenSQLite(ctx, f.TempDir()+"/s.sqlite")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	s := st.(*sqlStore)
	cr, err := NewCrawler(CrawlerConfig{NetworkID: "mainnet", TLS: &tls.Config{}, Store: st, Clock: newManualClock()})
	if err != nil {
		f.Fatal(err)
	}
	insert := `INSERT INTO peers (` + strings.Join(peerColumns, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(peerColumns)-1) + `)`
	f.Fuzz(func(t *testing.T, host string, port int64, nodeID, software string, height, when, tries, successes int64,
		reliability, count float64, reliable bool) {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM peers`); err != nil {
			t.Fatal(err)
		}
		args := []any{host, port, nodeID, software, "0.0.37", "TLS 1.3", height, when, when, when, when, when, when,
			when, when, tries, successes}
		for range numWindows {
			args = append(args, count/10, count, reliability)
		}
		args = append(args, reliable)
		if _, err := s.db.ExecContext(ctx, insert, args...); err != nil {
			return // the schema refused it
		}
		recs, _, err := st.Load(ctx)
		var skipped *SkippedRowsError
		switch {
		case errors.As(err, &skipped):
			if skipped.Count != 1 || len(recs) != 0 {
				t.Fatalf("one row skipped as %+v, with records %+v", skipped, recs)
			}
		case err != nil:
			t.Fatalf("Load: %v", err)
		default:
			if err := st.Save(ctx, &Batch{Records: recs}); err != nil {
				t.Fatalf("loaded records do not save: %v", err)
			}
			again, _, err := st.Load(ctx)
			if err != nil {
				t.Fatalf("saved records do not load: %v", err)
			}
			if a, b := fmt.Sprintf("%+v", recs), fmt.Sprintf("%+v", again); a != b {
				t.Fatalf("records changed through a save:\n%s\n%s", a, b)
			}
		}
		if err := cr.Load(ctx); err != nil {
			t.Fatalf("crawler load: %v", err)
		}
		peers, err := st.ReliablePeers(ctx)
		if err != nil {
			t.Fatalf("ReliablePeers: %v", err)
		}
		for _, a := range peers {
			if !a.IsValid() {
				t.Fatalf("ReliablePeers returned %v", a)
			}
		}
	})
}

// FuzzCrawlResult applies what a crawled peer could say (its handshake's
// versions and node type, a respond_peers payload, a peak) to a crawler:
// every record it then holds is keyed by the canonical form of a valid
// address, and the records save to the store and load back unchanged.
func FuzzCrawlResult(f *testing.F) {
	peers := func(list ...protocol.TimestampedPeerInfo) []byte {
		b, err := streamable.Marshal(&protocol.RespondPeers{PeerList: list})
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	ts := uint64(t0.Unix() - 60)
	f.Add(peers(protocol.TimestampedPeerInfo{Host: "198.51.100.7", Port: 8444, Timestamp: ts},
		protocol.TimestampedPeerInfo{Host: "2001:db8::7", Port: 8444, Timestamp: ts}), "2.5.4", "0.0.37", uint8(1), uint32(300000), true)
	f.Add(peers(protocol.TimestampedPeerInfo{Host: "::ffff:198.51.100.7", Port: 1, Timestamp: 1 << 63},
		protocol.TimestampedPeerInfo{Host: "fe80::1%eth0", Port: 8444, Timestamp: ts},
		protocol.TimestampedPeerInfo{Host: "node.example", Port: 8444, Timestamp: ts},
		protocol.TimestampedPeerInfo{Host: "198.51.100.8", Port: 0, Timestamp: ts}), "\x00\xff", "x", uint8(9), uint32(0), false)
	f.Add(peers(), "2.6.0rc1.dev3+g00", "0.0.36", uint8(1), uint32(1<<32-1), true)
	ctx := context.Background()
	st, err := OpenSQLite(ctx, f.TempDir()+"/s.sqlite")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	f.Fuzz(func(t *testing.T, payload []byte, software, protocolVersion string, nodeType uint8, height uint32, gotPeak bool) {
		var rp protocol.RespondPeers
		if streamable.Unmarshal(payload, &rp) != nil {
			return // refused on the wire
		}
		c, err := NewCrawler(CrawlerConfig{NetworkID: "mainnet", TLS: &tls.Config{}, Store: nopStore{},
			Clock: newFakeClock(t0)})
		if err != nil {
			t.Fatal(err)
		}
		c.apply(crawlResult{
			target:    target{host: "203.0.113.9", port: 8444},
			handshake: true,
			info: peer.Info{NodeType: protocol.NodeType(nodeType), SoftwareVersion: software,
				ProtocolVersion: protocolVersion, TLSVersion: tls.VersionTLS13},
			gotPeers: len(rp.PeerList) > 0,
			peers:    rp.PeerList,
			gotPeak:  gotPeak,
			height:   height,
		})
		var recs []Record
		for host, r := range c.records {
			a, err := netip.ParseAddr(host)
			if err != nil || canonicalHost(a) != host || r.Host != host || r.Port == 0 {
				t.Fatalf("record %q: %+v", host, r)
			}
			recs = append(recs, *r)
		}
		if _, err := st.(*sqlStore).db.ExecContext(ctx, `DELETE FROM peers`); err != nil {
			t.Fatal(err)
		}
		if err := st.Save(ctx, &Batch{Records: recs}); err != nil {
			t.Fatalf("records do not save: %v", err)
		}
		back, _, err := st.Load(ctx)
		if err != nil {
			t.Fatalf("saved records do not load: %v", err)
		}
		slices.SortFunc(recs, func(a, b Record) int { return strings.Compare(a.Host, b.Host) })
		if a, b := fmt.Sprintf("%+v", recs), fmt.Sprintf("%+v", back); a != b {
			t.Fatalf("records changed through the store:\n%s\n%s", a, b)
		}
	})
}
