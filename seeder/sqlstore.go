package seeder

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/chianet/chianet/protocol"
)

// dialect is what differs between the SQL databases behind Store.
type dialect struct {
	// name is "sqlite" or "postgres", for errors.
	name string
	// dollar numbers placeholders ($1, $2, …) instead of using "?".
	dollar bool
	// migrations are the schema changes, in order; migrations[i] takes the
	// schema from version i to i+1.
	migrations []migration
	// lock, if set, runs first in the migration transaction to keep
	// other processes out until it commits.
	lock string
	// maxParams bounds the placeholders of one statement.
	maxParams int
}

// migration is one schema version's statements.
type migration struct {
	name  string
	stmts []string
}

// sqlStore is a Store over database/sql, shared by both databases.
type sqlStore struct {
	db *sql.DB
	d  *dialect
}

var _ Store = (*sqlStore)(nil)

// peerColumns are the columns of table peers, in the order records are
// written and read.
var peerColumns = []string{
	"host", "port", "node_id", "software_version", "protocol_version", "tls_version",
	"height", "peak_time", "first_seen", "last_seen", "last_try", "last_success", "handshake_time",
	"ignore_till", "ban_till", "tries", "successes",
	"s2h_w", "s2h_c", "s2h_r", "s8h_w", "s8h_c", "s8h_r", "s1d_w", "s1d_c", "s1d_r",
	"s1w_w", "s1w_c", "s1w_r", "s1m_w", "s1m_c", "s1m_r",
	"reliable",
}

// recordArgs appends r's column values, in peerColumns order.
func recordArgs(args []any, r *Record) []any {
	var id string
	if r.NodeID != (protocol.Bytes32{}) {
		id = hex.EncodeToString(r.NodeID[:])
	}
	rel := &r.Reliability
	args = append(args,
		r.Host, int64(r.Port), id, r.SoftwareVersion, r.ProtocolVersion, r.TLSVersion,
		int64(r.Height), unixTime(r.PeakTime), unixTime(r.FirstSeen), unixTime(r.LastSeen),
		unixTime(r.LastTry), unixTime(r.LastSuccess), unixTime(r.HandshakeTime),
		unixTime(rel.IgnoreTill), unixTime(rel.BanTill), int64(rel.Tries), int64(rel.Successes))
	for _, s := range rel.Stats {
		args = append(args, s.Weight, s.Count, s.Reliability)
	}
	return append(args, rel.Reliable())
}

// scanRecord reads one row of peerColumns.
func scanRecord(rows *sql.Rows) (Record, error) {
	var (
		r                                          Record
		port, height, tries, successes             int64
		id                                         string
		peak, first, seen, try, success, handshake int64
		ignore, ban                                int64
		reliable                                   bool
		stats                                      [numWindows][3]float64
		dest                                       []any
		rel                                        = &r.Reliability
	)
	dest = append(dest, &r.Host, &port, &id, &r.SoftwareVersion, &r.ProtocolVersion, &r.TLSVersion,
		&height, &peak, &first, &seen, &try, &success, &handshake, &ignore, &ban, &tries, &successes)
	for w := range stats {
		dest = append(dest, &stats[w][0], &stats[w][1], &stats[w][2])
	}
	dest = append(dest, &reliable)
	if err := rows.Scan(dest...); err != nil {
		return Record{}, err
	}
	if port < 0 || port > 65535 || height < 0 || height > 1<<32-1 || tries < 0 || tries > 1<<32-1 ||
		successes < 0 || successes > tries {
		return Record{}, fmt.Errorf("record %q: a value is out of range", r.Host)
	}
	if id != "" {
		b, err := hex.DecodeString(id)
		if err != nil || len(b) != len(r.NodeID) {
			return Record{}, fmt.Errorf("record %q: bad node id %q", r.Host, id)
		}
		copy(r.NodeID[:], b)
	}
	r.Port, r.Height = uint16(port), uint32(height)
	r.PeakTime, r.FirstSeen, r.LastSeen = fromUnix(peak), fromUnix(first), fromUnix(seen)
	r.LastTry, r.LastSuccess, r.HandshakeTime = fromUnix(try), fromUnix(success), fromUnix(handshake)
	rel.IgnoreTill, rel.BanTill = fromUnix(ignore), fromUnix(ban)
	rel.Tries, rel.Successes = uint32(tries), uint32(successes)
	for w := range stats {
		rel.Stats[w] = Stat{Weight: stats[w][0], Count: stats[w][1], Reliability: stats[w][2]}
	}
	return r, nil
}

// ph returns the n-th placeholder (1-based).
func (d *dialect) ph(n int) string {
	if d.dollar {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// migrate brings the schema to the latest version in one transaction.
func (s *sqlStore) migrate(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.lock != "" {
			if _, err := tx.ExecContext(ctx, s.d.lock); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
			return err
		}
		if v > len(s.d.migrations) {
			return fmt.Errorf("%w (store version %d, known %d)", ErrSchemaTooNew, v, len(s.d.migrations))
		}
		for ; v < len(s.d.migrations); v++ {
			m := s.d.migrations[v]
			for _, stmt := range m.stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d (%s): %w", v+1, m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (`+s.d.ph(1)+`, `+s.d.ph(2)+`, `+s.d.ph(3)+`)`,
				v+1, m.name, time.Now().Unix()); err != nil {
				return err
			}
		}
		return nil
	})
}

// schemaVersion returns the applied schema version.
func (s *sqlStore) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *sqlStore) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.inTxOpts(ctx, nil, fn)
}

// inTxOpts is inTx with transaction options. A read-only transaction on
// SQLite does not take the write lock when it begins.
func (s *sqlStore) inTxOpts(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Load implements Store.
func (s *sqlStore) Load(ctx context.Context) ([]Record, BatchInfo, error) {
	var (
		out     []Record
		info    BatchInfo
		skipped *SkippedRowsError
	)
	// One read transaction, so the records and the batch agree.
	err := s.inTxOpts(ctx, &sql.TxOptions{ReadOnly: true}, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(peerColumns, ", ")+` FROM peers ORDER BY host`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				if skipped == nil {
					skipped = &SkippedRowsError{}
				}
				skipped.add(rows, err)
				continue
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		info, err = lastBatch(ctx, tx)
		return err
	})
	if err != nil {
		return nil, BatchInfo{}, s.wrap("load", err)
	}
	if skipped != nil {
		return out, info, s.wrap("load", skipped)
	}
	return out, info, nil
}

// add counts the row rows is on, which scanRecord refused with err.
func (e *SkippedRowsError) add(rows *sql.Rows, err error) {
	e.Count++
	if len(e.Errs) < maxSkippedErrs {
		e.Errs = append(e.Errs, err)
	}
	// The first scan may have failed at the host itself: scanning again,
	// into values that take anything, reads the host alone.
	var host sql.NullString
	dest := make([]any, len(peerColumns))
	dest[0] = &host
	for i := 1; i < len(dest); i++ {
		dest[i] = new(any)
	}
	if rows.Scan(dest...) == nil && host.Valid {
		e.Hosts = append(e.Hosts, host.String)
	}
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func lastBatch(ctx context.Context, q queryer) (BatchInfo, error) {
	var seq, t int64
	err := q.QueryRowContext(ctx, `SELECT batch, batch_time FROM crawl_meta WHERE id = 1`).Scan(&seq, &t)
	if errors.Is(err, sql.ErrNoRows) {
		return BatchInfo{}, nil
	}
	if err != nil {
		return BatchInfo{}, err
	}
	return BatchInfo{Seq: uint64(seq), Time: fromUnix(t)}, nil
}

// LastBatch implements Store.
func (s *sqlStore) LastBatch(ctx context.Context) (BatchInfo, error) {
	info, err := lastBatch(ctx, s.db)
	if err != nil {
		return BatchInfo{}, s.wrap("last batch", err)
	}
	return info, nil
}

// Save implements Store.
func (s *sqlStore) Save(ctx context.Context, b *Batch) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.upsert(ctx, tx, b.Records); err != nil {
			return err
		}
		if err := s.delete(ctx, tx, b.Deleted); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO crawl_meta (id, batch, batch_time) VALUES (1, `+s.d.ph(1)+`, `+s.d.ph(2)+`)
ON CONFLICT (id) DO UPDATE SET batch = excluded.batch, batch_time = excluded.batch_time`,
			int64(b.Seq), unixTime(b.Time)); err != nil {
			return err
		}
		if b.beforeCommit != nil {
			b.beforeCommit()
		}
		return nil
	})
	return s.wrap("save", err)
}

// upsert writes records with multi-row INSERT … ON CONFLICT statements.
func (s *sqlStore) upsert(ctx context.Context, tx *sql.Tx, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	ncol := len(peerColumns)
	perStmt := max(s.d.maxParams/ncol, 1)
	var set strings.Builder
	for i, c := range peerColumns[1:] {
		if i > 0 {
			set.WriteString(", ")
		}
		fmt.Fprintf(&set, "%s = excluded.%s", c, c)
	}
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, perStmt*ncol)
	for len(recs) > 0 {
		n := min(len(recs), perStmt)
		st, ok := stmts[n]
		if !ok {
			var q strings.Builder
			q.WriteString("INSERT INTO peers (" + strings.Join(peerColumns, ", ") + ") VALUES ")
			p := 1
			for i := range n {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteByte('(')
				for j := range ncol {
					if j > 0 {
						q.WriteString(", ")
					}
					q.WriteString(s.d.ph(p))
					p++
				}
				q.WriteByte(')')
			}
			q.WriteString(" ON CONFLICT (host) DO UPDATE SET " + set.String())
			var err error
			if st, err = tx.PrepareContext(ctx, q.String()); err != nil {
				return err
			}
			stmts[n] = st
		}
		args = args[:0]
		for i := range n {
			args = recordArgs(args, &recs[i])
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// delete removes hosts, many per statement.
func (s *sqlStore) delete(ctx context.Context, tx *sql.Tx, hosts []string) error {
	const perStmt = 500
	for len(hosts) > 0 {
		n := min(len(hosts), perStmt)
		var q strings.Builder
		q.WriteString("DELETE FROM peers WHERE host IN (")
		args := make([]any, n)
		for i := range n {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(s.d.ph(i + 1))
			args[i] = hosts[i]
		}
		q.WriteByte(')')
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		hosts = hosts[n:]
	}
	return nil
}

// ReliablePeers implements Store.
func (s *sqlStore) ReliablePeers(ctx context.Context) ([]netip.Addr, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT host FROM peers WHERE reliable = `+s.d.ph(1), true)
	if err != nil {
		return nil, s.wrap("reliable peers", err)
	}
	defer rows.Close()
	var out []netip.Addr
	for rows.Next() {
		// A row whose host cannot be read (NULL, which SQLite lets a
		// damaged store hold) is skipped, as Load skips it.
		var h sql.NullString
		if err := rows.Scan(&h); err != nil || !h.Valid {
			continue
		}
		if a, err := netip.ParseAddr(h.String); err == nil {
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("reliable peers", err)
	}
	return out, nil
}

// Close implements Store.
func (s *sqlStore) Close() error { return s.db.Close() }

// wrap names the store and operation in an error.
func (s *sqlStore) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("seeder: %s store: %s: %w", s.d.name, op, err)
}
