package seeder

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite" // also the "sqlite" database/sql driver, pure Go
	sqlite3 "modernc.org/sqlite/lib"
)

var sqliteDialect = &dialect{
	name:       "sqlite",
	migrations: migrationsFor("REAL", "INTEGER", "1"),
	// 100 rows per statement, well below SQLite's default
	// SQLITE_MAX_VARIABLE_NUMBER (32766): measured faster than larger
	// statements (BenchmarkStoreSave).
	maxParams: 3300,
}

// OpenSQLite opens the SQLite store in the file at path, creating it if
// missing, and migrates its schema.
//
// The file is in WAL mode, so DNS servers in other processes read it while
// the crawler writes; every write transaction takes the write lock when
// it begins (no lock upgrades that could deadlock), waits up to 10 s for
// a lock held elsewhere, and is synced to disk at commit (synchronous
// FULL): a batch that Save returned for survives a crash of the process
// or of the machine.
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, fmt.Errorf("seeder: sqlite store: no path")
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	dsn := "file:" + esc + "?_busy_timeout=10000&_synchronous=FULL&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("seeder: sqlite store %s: %w", path, err)
	}
	if err := setWAL(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("seeder: sqlite store %s: %w", path, err)
	}
	s := &sqlStore{db: db, d: sqliteDialect}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("seeder: sqlite store %s: %w", path, err)
	}
	return s, nil
}

// setWAL puts the database in WAL mode, which stays with the file. Two
// processes switching a new file at once can deadlock on its locks, which
// SQLite reports at once as SQLITE_BUSY instead of waiting: the switch is
// tried again for up to 10 s.
func setWAL(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("journal mode is %q, not WAL", mode)
		case !isBusy(err) || time.Now().After(deadline):
			return fmt.Errorf("switching to WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isBusy reports an SQLITE_BUSY or SQLITE_LOCKED error.
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return false
}
