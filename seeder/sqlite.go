package seeder

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
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
	dsn := "file:" + esc + "?_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("seeder: sqlite store %s: %w", path, err)
	}
	s := &sqlStore{db: db, d: sqliteDialect}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("seeder: sqlite store %s: %w", path, err)
	}
	return s, nil
}
