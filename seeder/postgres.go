package seeder

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

var postgresDialect = &dialect{
	name:       "postgres",
	dollar:     true,
	migrations: migrationsFor("DOUBLE PRECISION", "BOOLEAN", "TRUE"),
	// Concurrent opens (a crawler and DNS servers starting together)
	// migrate one at a time; the key is arbitrary but fixed.
	lock: `SELECT pg_advisory_xact_lock(7283457190013245)`,
	// 100 rows per statement: measured faster than larger statements
	// (BenchmarkStoreSave).
	maxParams: 3300,
}

// OpenPostgres opens the PostgreSQL store at dsn (a postgres:// URL or a
// key=value connection string, as libpq takes them) and migrates its
// schema. One crawler writes the store; any number of DNS servers may read
// it at the same time, each seeing whole batches only.
func OpenPostgres(ctx context.Context, dsn string) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("seeder: postgres store: %w", err)
	}
	db.SetMaxOpenConns(4)
	s := &sqlStore{db: db, d: postgresDialect}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("seeder: postgres store: %w", err)
	}
	return s, nil
}
