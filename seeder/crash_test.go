package seeder

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/internal/pgtest"
	"github.com/chianet/chianet/protocol"
)

// Environment of the crash helper process.
const (
	crashChildEnv     = "CHIANET_SEEDER_CRASH_CHILD"
	crashStoreEnv     = "CHIANET_SEEDER_CRASH_STORE"
	crashBootstrapEnv = "CHIANET_SEEDER_CRASH_BOOTSTRAP"
)

// digest summarises records for comparing a store with what a crawler
// held.
func digest(recs []Record) string {
	h := sha256.New()
	for _, r := range recs {
		fmt.Fprintf(h, "%+v\n", r)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// TestCrashMidBatch kills a crawler process (this test binary, running
// TestCrashChild) with SIGKILL while the transaction of its second batch
// is open, and checks that the store reopens cleanly with exactly the
// first batch, and that a new crawler carries on from it.
func TestCrashMidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	nodes := make([]*fakeNode, 6)
	for i := range nodes {
		nodes[i] = startNode(t, 60+i, 1000)
	}
	for i, fn := range nodes {
		var list []protocol.TimestampedPeerInfo
		for _, o := range nodes[i+1:] {
			list = append(list, o.info(time.Now()))
		}
		fn.tell(list...)
	}
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) (dsn string, open func() (Store, error))
	}{
		{"sqlite", func(t *testing.T) (string, func() (Store, error)) {
			p := filepath.Join(t.TempDir(), "seeder.sqlite")
			return p, func() (Store, error) { return OpenSQLite(context.Background(), p) }
		}},
		{"postgres", func(t *testing.T) (string, func() (Store, error)) {
			dsn := pgtest.NewDatabase(t)
			return dsn, func() (Store, error) { return OpenPostgres(context.Background(), dsn) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn, open := tc.store(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
			cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashStoreEnv+"="+dsn, crashBootstrapEnv+"="+nodes[0].addr.String())
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var committed string
			sc := bufio.NewScanner(out)
			killed := false
			for sc.Scan() {
				line := sc.Text()
				if d, ok := strings.CutPrefix(line, "committed 1 "); ok {
					committed = d
				}
				if strings.HasPrefix(line, "in transaction 2") {
					if err := cmd.Process.Kill(); err != nil { // SIGKILL
						t.Fatal(err)
					}
					killed = true
					break
				}
			}
			_ = cmd.Wait()
			if !killed || committed == "" {
				t.Fatalf("the child did not reach its second transaction (committed %q)\nstderr:\n%s", committed, stderr.String())
			}

			s, err := open()
			if err != nil {
				t.Fatalf("reopen after SIGKILL: %v", err)
			}
			defer s.Close()
			if tc.name == "sqlite" {
				var res string
				if err := s.(*sqlStore).db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
					t.Fatalf("integrity_check: %q %v", res, err)
				}
			}
			recs, info, err := s.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.Seq != 1 || digest(recs) != committed {
				t.Fatalf("store after the kill: batch %d, digest %s; want batch 1, digest %s", info.Seq, digest(recs), committed)
			}

			// A new crawler carries on.
			c := newTestCrawler(t, CrawlerConfig{NetworkID: testNetwork, TLS: clientTLS(t), Store: s,
				AllowPrivate: true, RecrawlIPv4: -1, ReselectDelay: -1, PeakWait: 2 * time.Second})
			st, err := c.Batch(context.Background())
			if err != nil || st.Seq != 2 || st.Reachable != len(nodes) {
				t.Fatalf("batch after the crash: %+v, %v", st, err)
			}
		})
	}
}

// TestCrashChild is the crawler process of TestCrashMidBatch: it commits
// one batch, reports its digest, and stops forever inside the transaction
// of the second.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) != "1" {
		t.Skip("the helper process of TestCrashMidBatch")
	}
	dsn := os.Getenv(crashStoreEnv)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	saves := 0
	cfg := CrawlerConfig{
		NetworkID:     testNetwork,
		TLS:           clientTLS(t),
		Store:         s,
		Bootstrap:     []string{os.Getenv(crashBootstrapEnv)},
		AllowPrivate:  true,
		RecrawlIPv4:   -1,
		ReselectDelay: -1,
		PeakWait:      2 * time.Second,
	}
	cfg.beforeCommit = func() {
		saves++
		if saves == 2 {
			fmt.Printf("in transaction 2\n")
			os.Stdout.Sync()
			select {} // until killed
		}
	}
	c := newTestCrawler(t, cfg)
	if _, err := c.Batch(context.Background()); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("committed 1 %s\n", digest(c.Records()))
	os.Stdout.Sync()
	// The second batch crawls everybody again (and records what the
	// first batch's gossip added).
	if _, err := c.Batch(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Fatal("the second batch's transaction returned")
}
