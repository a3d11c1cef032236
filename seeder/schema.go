package seeder

import "strings"

// The schema, as versioned migrations applied in order (sqlStore.migrate):
// schema_migrations records each applied version, and a store whose
// version is beyond the last one here is refused (ErrSchemaTooNew). Add a
// migration to change the schema; never edit one that was released.
//
// Version 1:
//
//	peers         one row per peer, keyed by host (an IP address): the
//	              columns of Record, times in unix seconds (0 for never),
//	              node_id in hex ('' for none), the five decayed
//	              statistics as s<window>_{w,c,r}, and reliable, the
//	              Reliable() of the record when it was saved, which DNS
//	              servers select on
//	crawl_meta    one row (id 1): the number and time of the latest batch

// peersTable is the CREATE TABLE of peers, with the types of real and
// boolean columns filled in per database.
func peersTable(real, boolean string) string {
	var b strings.Builder
	b.WriteString(`CREATE TABLE peers (
	host TEXT PRIMARY KEY,
	port INTEGER NOT NULL,
	node_id TEXT NOT NULL,
	software_version TEXT NOT NULL,
	protocol_version TEXT NOT NULL,
	tls_version TEXT NOT NULL,
	height BIGINT NOT NULL,
	peak_time BIGINT NOT NULL,
	first_seen BIGINT NOT NULL,
	last_seen BIGINT NOT NULL,
	last_try BIGINT NOT NULL,
	last_success BIGINT NOT NULL,
	handshake_time BIGINT NOT NULL,
	ignore_till BIGINT NOT NULL,
	ban_till BIGINT NOT NULL,
	tries BIGINT NOT NULL,
	successes BIGINT NOT NULL,
`)
	for w := range numWindows {
		for _, k := range []string{"w", "c", "r"} {
			b.WriteString("\ts" + w.String() + "_" + k + " " + real + " NOT NULL,\n")
		}
	}
	b.WriteString("\treliable " + boolean + " NOT NULL\n)")
	return b.String()
}

func migrationsFor(real, boolean, reliableTrue string) []migration {
	return []migration{{
		name: "peers and crawl_meta",
		stmts: []string{
			peersTable(real, boolean),
			`CREATE INDEX peers_reliable ON peers (host) WHERE reliable = ` + reliableTrue,
			`CREATE INDEX peers_last_seen ON peers (last_seen)`,
			`CREATE TABLE crawl_meta (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	batch BIGINT NOT NULL,
	batch_time BIGINT NOT NULL)`,
		},
	}}
}
