package seeder

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
)

// FuzzStoreLoad writes arbitrary column values into a SQLite store's peers
// table, as a damaged or hand-edited file could hold them, and reads them
// back as the crawler and the DNS server do: Load either fails with an
// error or returns records that save and load back unchanged, the
// crawler's Load of them does not panic, and ReliablePeers returns only
// addresses.
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
		if err == nil {
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
			if err := cr.Load(ctx); err != nil {
				t.Fatalf("crawler load: %v", err)
			}
		}
		peers, err := st.ReliablePeers(ctx)
		if err == nil {
			for _, a := range peers {
				if !a.IsValid() {
					t.Fatalf("ReliablePeers returned %v", a)
				}
			}
		}
	})
}
