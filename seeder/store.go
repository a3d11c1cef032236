package seeder

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Store keeps the seeder's records between runs and shares them between
// the crawler, which writes them, and DNS servers, which read the reliable
// ones. Two implementations come with the package: SQLite (OpenSQLite, the
// default: one file, one host) and PostgreSQL (OpenPostgres: one crawler
// writing, any number of DNS servers on other hosts reading). Both run the
// same schema migrations on open and pass the same test suite.
//
// All methods are safe for concurrent use, also across processes: a
// crawler and DNS servers may have the same store open at once.
type Store interface {
	// Load returns every record and the latest saved batch (the zero
	// BatchInfo if none was saved). Rows it cannot read are skipped and
	// left in the store: it then returns the records it could read, the
	// batch, and a *SkippedRowsError describing the rest.
	Load(ctx context.Context) ([]Record, BatchInfo, error)
	// Save writes one batch in one transaction: its records are inserted
	// or replaced whole, its deleted hosts removed, and the latest batch
	// set to its Seq and Time. After a crash the store holds either the
	// whole batch or none of it.
	Save(ctx context.Context, b *Batch) error
	// ReliablePeers returns the address of every peer that was reliable
	// when it was last saved, in no particular order.
	ReliablePeers(ctx context.Context) ([]netip.Addr, error)
	// LastBatch returns the latest saved batch.
	LastBatch(ctx context.Context) (BatchInfo, error)
	// Close releases the store. Calls after Close fail.
	Close() error
}

// BatchInfo identifies a saved batch.
type BatchInfo struct {
	// Seq is the batch's number: 1 for the first batch a store saved,
	// growing by one with each.
	Seq uint64
	// Time is when the batch was saved (whole seconds).
	Time time.Time
}

// Batch is what one crawl batch writes.
type Batch struct {
	BatchInfo
	// Records are written whole, replacing any record with the same Host.
	Records []Record
	// Deleted are hosts to remove.
	Deleted []string

	// beforeCommit, if set, is called inside the transaction after every
	// write and before the commit (for the crash tests).
	beforeCommit func()
}

// SkippedRowsError is what Load returns, along with the records it could
// read, when some rows could not be read (a value out of range or of the
// wrong type, as a damaged or hand-edited store can hold): one such row
// must not keep the crawler from starting.
type SkippedRowsError struct {
	// Count is how many rows were skipped.
	Count int
	// Hosts are the hosts of the skipped rows whose host could be read,
	// so that a crawler does not write over them.
	Hosts []string
	// Errs are the errors of the first rows skipped, at most 5.
	Errs []error
}

// maxSkippedErrs bounds SkippedRowsError.Errs: a store damaged throughout
// should not fill the log.
const maxSkippedErrs = 5

// Error gives the count and the first rows' errors.
func (e *SkippedRowsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unreadable rows skipped: %d", e.Count)
	if len(e.Errs) > 0 {
		b.WriteString(" (")
		for i, err := range e.Errs {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(err.Error())
		}
		if e.Count > len(e.Errs) {
			b.WriteString("; …")
		}
		b.WriteString(")")
	}
	return b.String()
}

// ErrSchemaTooNew is returned by Open when the store was migrated by a
// newer chianet, whose schema this one does not know.
var ErrSchemaTooNew = errors.New("seeder: the store's schema is newer than this program knows")

// IsPostgresDSN reports whether dsn names a PostgreSQL database rather
// than an SQLite file: a postgres:// or postgresql:// URL, or a
// key=value connection string with host=, dbname= or user=.
func IsPostgresDSN(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return true
	}
	for _, f := range strings.Fields(dsn) {
		k, _, ok := strings.Cut(f, "=")
		if ok && (k == "host" || k == "dbname" || k == "user") {
			return true
		}
	}
	return false
}

// Open opens the store dsn names: PostgreSQL if IsPostgresDSN, otherwise
// the SQLite file at that path (created if missing).
func Open(ctx context.Context, dsn string) (Store, error) {
	if IsPostgresDSN(dsn) {
		return OpenPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, dsn)
}

// unixTime converts a time to the store's whole seconds; the zero Time is 0.
func unixTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// fromUnix converts the store's seconds back; 0 is the zero Time.
func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
