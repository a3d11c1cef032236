package seeder

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chianet/chianet/internal/pgtest"
)

// backend makes stores of one kind.
type backend struct {
	name string
	// fresh returns a function that opens a store at a new, empty
	// location (an SQLite file, a PostgreSQL database), again at each
	// call.
	fresh func(t *testing.T) func() (Store, error)
}

// open opens a new, empty store and returns it with its opener.
func (b backend) open(t *testing.T) (Store, func() (Store, error)) {
	t.Helper()
	reopen := b.fresh(t)
	s, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	return s, reopen
}

func sqliteBackend() backend {
	return backend{name: "sqlite", fresh: func(t *testing.T) func() (Store, error) {
		path := filepath.Join(t.TempDir(), "seeder.sqlite")
		return func() (Store, error) { return OpenSQLite(context.Background(), path) }
	}}
}

func postgresBackend() backend {
	return backend{name: "postgres", fresh: func(t *testing.T) func() (Store, error) {
		dsn := pgtest.NewDatabase(t)
		return func() (Store, error) { return OpenPostgres(context.Background(), dsn) }
	}}
}

// forEachBackend runs f as a subtest per store kind.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range []backend{sqliteBackend(), postgresBackend()} {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func closeStore(t *testing.T, s Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testRecord makes a record with every field set from i.
func testRecord(i int, r *rand.Rand) Record {
	host := fmt.Sprintf("198.51.%d.%d", i/250, i%250+1)
	if i%5 == 4 {
		host = fmt.Sprintf("2001:db8::%x", i+1)
	}
	rec := Record{
		Host:            host,
		Port:            uint16(8444 + i%3),
		SoftwareVersion: fmt.Sprintf("2.%d.%d", i%7, i%3),
		ProtocolVersion: "0.0.37",
		TLSVersion:      "TLSv1.3",
		Height:          uint32(5_000_000 + i),
		PeakTime:        t0.Add(time.Duration(i) * time.Second),
		FirstSeen:       t0.Add(-time.Duration(i) * time.Hour),
		LastSeen:        t0.Add(-time.Duration(i) * time.Minute),
		LastTry:         t0.Add(-time.Duration(i) * time.Second),
		HandshakeTime:   t0.Add(-time.Duration(i) * time.Second),
	}
	if i%4 != 3 {
		rec.LastSuccess = rec.LastTry
	}
	if i%6 == 0 {
		rec.NodeID[0], rec.NodeID[31] = byte(i), 0xee
	}
	// A few attempts give realistic statistics and ban/ignore times.
	at := t0.Add(-30 * day)
	for k := range 1 + i%40 {
		rec.Reliability.Update(r.IntN(3) != 0 || i%4 != 3, time.Duration(r.IntN(7200)+1)*time.Second, at)
		at = at.Add(time.Duration(k) * time.Hour)
	}
	return rec
}

func reliableHosts(recs []Record) []netip.Addr {
	var out []netip.Addr
	for i := range recs {
		if recs[i].Reliable() {
			out = append(out, recs[i].Addr())
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

func sortedReliable(t *testing.T, s Store) []netip.Addr {
	t.Helper()
	got, err := s.ReliablePeers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, netip.Addr.Compare)
	return got
}

// wantLoad checks that s holds exactly want (in any order) and batch.
func wantLoad(t *testing.T, s Store, want []Record, batch BatchInfo) {
	t.Helper()
	got, info, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want = slices.Clone(want)
	slices.SortFunc(want, func(a, b Record) int { return cmpString(a.Host, b.Host) })
	slices.SortFunc(got, func(a, b Record) int { return cmpString(a.Host, b.Host) })
	if len(got) != len(want) {
		t.Fatalf("loaded %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if info != batch {
		t.Fatalf("batch %+v, want %+v", info, batch)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestStoreRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, reopen := b.open(t)
		wantLoad(t, s, nil, BatchInfo{})
		if got := sortedReliable(t, s); len(got) != 0 {
			t.Fatalf("empty store has reliable peers %v", got)
		}

		r := rand.New(rand.NewPCG(1, 2))
		var recs []Record
		for i := range 700 {
			recs = append(recs, testRecord(i, r))
		}
		b1 := &Batch{BatchInfo: BatchInfo{Seq: 1, Time: t0}, Records: recs}
		if err := s.Save(ctx, b1); err != nil {
			t.Fatal(err)
		}
		wantLoad(t, s, recs, b1.BatchInfo)
		want := reliableHosts(recs)
		if len(want) == 0 || len(want) == len(recs) {
			t.Fatalf("test records should be partly reliable: %d of %d", len(want), len(recs))
		}
		if got := sortedReliable(t, s); !slices.Equal(got, want) {
			t.Fatalf("reliable peers: got %d, want %d", len(got), len(want))
		}

		// The second batch changes some records, adds one, deletes two.
		changed := slices.Clone(recs[:10])
		for i := range changed {
			changed[i].Reliability.Update(false, time.Hour, t0.Add(time.Hour))
			changed[i].Port = 9000
			changed[i].SoftwareVersion = "2.9.0"
		}
		added := testRecord(5000, r)
		b2 := &Batch{
			BatchInfo: BatchInfo{Seq: 2, Time: t0.Add(time.Hour)},
			Records:   append(slices.Clone(changed), added),
			Deleted:   []string{recs[20].Host, recs[21].Host, "192.0.2.99"},
		}
		if err := s.Save(ctx, b2); err != nil {
			t.Fatal(err)
		}
		final := append(append(slices.Clone(changed), recs[10:20]...), recs[22:]...)
		final = append(final, added)
		wantLoad(t, s, final, b2.BatchInfo)
		if info, err := s.LastBatch(ctx); err != nil || info != b2.BatchInfo {
			t.Fatalf("LastBatch = %+v, %v", info, err)
		}
		closeStore(t, s)

		// Everything survives a reopen, which migrates nothing.
		s, err := reopen()
		if err != nil {
			t.Fatal(err)
		}
		defer closeStore(t, s)
		wantLoad(t, s, final, b2.BatchInfo)
		if v, err := s.(*sqlStore).schemaVersion(ctx); err != nil || v != len(s.(*sqlStore).d.migrations) {
			t.Fatalf("schema version %d, %v", v, err)
		}
	})
}

// TestStoreLargeBatch writes more records than one statement holds.
func TestStoreLargeBatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := b.open(t)
		defer closeStore(t, s)
		r := rand.New(rand.NewPCG(3, 4))
		var recs []Record
		for i := range 4500 {
			recs = append(recs, testRecord(i, r))
		}
		if err := s.Save(context.Background(), &Batch{BatchInfo: BatchInfo{Seq: 1, Time: t0}, Records: recs}); err != nil {
			t.Fatal(err)
		}
		wantLoad(t, s, recs, BatchInfo{Seq: 1, Time: t0})
		var hosts []string
		for _, rec := range recs[:1200] {
			hosts = append(hosts, rec.Host)
		}
		if err := s.Save(context.Background(), &Batch{BatchInfo: BatchInfo{Seq: 2, Time: t0}, Deleted: hosts}); err != nil {
			t.Fatal(err)
		}
		wantLoad(t, s, recs[1200:], BatchInfo{Seq: 2, Time: t0})
	})
}

// TestStoreBatchAtomic checks that a batch whose transaction fails leaves
// nothing behind, and that readers see the previous batch until the next
// one commits.
func TestStoreBatchAtomic(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := b.open(t)
		defer closeStore(t, s)
		r := rand.New(rand.NewPCG(5, 6))
		var recs []Record
		for i := range 50 {
			recs = append(recs, testRecord(i, r))
		}
		b1 := &Batch{BatchInfo: BatchInfo{Seq: 1, Time: t0}, Records: recs[:25]}
		if err := s.Save(context.Background(), b1); err != nil {
			t.Fatal(err)
		}
		before := sortedReliable(t, s)

		// A reader during the second batch's transaction sees the first.
		var during []netip.Addr
		var duringErr error
		b2 := &Batch{BatchInfo: BatchInfo{Seq: 2, Time: t0}, Records: recs[25:], Deleted: []string{recs[0].Host}}
		b2.beforeCommit = func() {
			during, duringErr = s.ReliablePeers(context.Background())
			slices.SortFunc(during, netip.Addr.Compare)
		}
		if err := s.Save(context.Background(), b2); err != nil {
			t.Fatal(err)
		}
		if duringErr != nil || !slices.Equal(during, before) {
			t.Fatalf("reader inside the batch saw %d peers (%v), want the %d of the first batch", len(during), duringErr, len(before))
		}
		wantLoad(t, s, recs[1:], b2.BatchInfo)

		// A batch whose transaction is cancelled before the commit is
		// lost whole.
		ctx, cancel := context.WithCancel(context.Background())
		changed := slices.Clone(recs[1:])
		for i := range changed {
			changed[i].Port = 1
		}
		b3 := &Batch{BatchInfo: BatchInfo{Seq: 3, Time: t0}, Records: changed, Deleted: []string{recs[1].Host}}
		b3.beforeCommit = cancel
		if err := s.Save(ctx, b3); err == nil {
			t.Fatal("Save with a context cancelled before the commit succeeded")
		}
		wantLoad(t, s, recs[1:], b2.BatchInfo)
	})
}

// TestStoreSchemaTooNew checks that a store migrated by a newer program is
// refused rather than misread.
func TestStoreSchemaTooNew(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, reopen := b.open(t)
		db := s.(*sqlStore).db
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`); err != nil {
			t.Fatal(err)
		}
		closeStore(t, s)
		s2, err := reopen()
		if !errors.Is(err, ErrSchemaTooNew) {
			if s2 != nil {
				s2.Close()
			}
			t.Fatalf("reopen of a version-99 store: %v, want ErrSchemaTooNew", err)
		}
	})
}

// TestStoreConcurrentOpen opens one store from several goroutines at once,
// as a crawler and DNS servers starting together do: exactly one
// migration runs.
func TestStoreConcurrentOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		reopen := b.fresh(t)
		errs := make(chan error, 4)
		stores := make(chan Store, 4)
		for range 4 {
			go func() {
				s, err := reopen()
				errs <- err
				stores <- s
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
			if s := <-stores; s != nil {
				defer closeStore(t, s)
			}
		}
		s, err := reopen()
		if err != nil {
			t.Fatal(err)
		}
		defer closeStore(t, s)
		var n int
		if err := s.(*sqlStore).db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("schema_migrations has %d rows (%v), want 1", n, err)
		}
	})
}

func TestIsPostgresDSN(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u@h/db":                 true,
		"postgresql:///db?host=/tmp":        true,
		"host=/tmp/pg port=5432 user=x":     true,
		"dbname=seeder":                     true,
		"/var/lib/chianet/db/seeder.sqlite": false,
		"seeder.sqlite":                     false,
	} {
		if got := IsPostgresDSN(dsn); got != want {
			t.Errorf("IsPostgresDSN(%q) = %v, want %v", dsn, got, want)
		}
	}
}

// insertRow writes one peers row with the values of peerColumns straight
// into s's table, as a damaged or hand-edited store could hold them.
func insertRow(t *testing.T, s Store, args []any) {
	t.Helper()
	ss := s.(*sqlStore)
	ph := make([]string, len(args))
	for i := range ph {
		ph[i] = ss.d.ph(i + 1)
	}
	q := `INSERT INTO peers (` + strings.Join(peerColumns, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `)`
	if _, err := ss.db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

// TestStoreLoadSkipsDamagedRow checks that a row with a value out of range
// is skipped and reported by Load, which still returns the other records
// and the batch, and that the row stays in the store.
func TestStoreLoadSkipsDamagedRow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _ := b.open(t)
		defer closeStore(t, s)
		r := rand.New(rand.NewPCG(9, 10))
		good := testRecord(0, r)
		batch := &Batch{BatchInfo: BatchInfo{Seq: 1, Time: t0}, Records: []Record{good}}
		if err := s.Save(ctx, batch); err != nil {
			t.Fatal(err)
		}
		bad := testRecord(1, r)
		args := recordArgs(nil, &bad)
		args[1] = int64(65536) // port
		insertRow(t, s, args)

		got, info, err := s.Load(ctx)
		var skipped *SkippedRowsError
		if !errors.As(err, &skipped) {
			t.Fatalf("Load: %v, want a *SkippedRowsError", err)
		}
		if skipped.Count != 1 || !slices.Equal(skipped.Hosts, []string{bad.Host}) || len(skipped.Errs) != 1 {
			t.Fatalf("skipped %+v", skipped)
		}
		if !strings.Contains(err.Error(), bad.Host) {
			t.Errorf("error %q does not name the row", err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], good) || info != batch.BatchInfo {
			t.Fatalf("Load returned %+v, %+v", got, info)
		}
		var n int
		if err := s.(*sqlStore).db.QueryRowContext(ctx, `SELECT COUNT(*) FROM peers`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d rows in the store (%v), want 2", n, err)
		}
	})
}

// TestSQLiteSkipsUnscannableRows checks rows that SQLite's loose types let
// hold what cannot be read at all: text in an integer column, and a NULL
// host. Load and ReliablePeers skip them instead of failing.
func TestSQLiteSkipsUnscannableRows(t *testing.T) {
	ctx := context.Background()
	s, _ := sqliteBackend().open(t)
	defer closeStore(t, s)
	good := Record{Host: "192.0.2.1", Port: 8444, FirstSeen: t0}
	good.Reliability.Update(true, time.Hour, t0)
	if !good.Reliable() {
		t.Fatal("test record should be reliable")
	}
	if err := s.Save(ctx, &Batch{BatchInfo: BatchInfo{Seq: 1, Time: t0}, Records: []Record{good}}); err != nil {
		t.Fatal(err)
	}
	textPort := good
	textPort.Host = "192.0.2.2"
	args := recordArgs(nil, &textPort)
	args[1] = "not a port"
	insertRow(t, s, args)
	args = recordArgs(nil, &good)
	args[0] = nil // host
	insertRow(t, s, args)

	got, _, err := s.Load(ctx)
	var skipped *SkippedRowsError
	if !errors.As(err, &skipped) || skipped.Count != 2 || !slices.Equal(skipped.Hosts, []string{"192.0.2.2"}) {
		t.Fatalf("Load: %v (%+v)", err, skipped)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], good) {
		t.Fatalf("Load returned %+v", got)
	}
	peers, err := s.ReliablePeers(ctx)
	slices.SortFunc(peers, netip.Addr.Compare)
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}
	if err != nil || !slices.Equal(peers, want) {
		t.Fatalf("ReliablePeers: %v, %v; want %v", peers, err, want)
	}
}
