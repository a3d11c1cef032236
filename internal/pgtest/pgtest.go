package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env is the environment variable naming the test server.
const Env = "CHIANET_TEST_POSTGRES"

var (
	mu      sync.Mutex
	private *instance // the server this binary started, if any
	failed  error     // why starting one failed
)

// instance is a private server.
type instance struct {
	bin, dir, dsn string
}

// BinDir returns the directory of the newest installed PostgreSQL server
// binaries (initdb, pg_ctl, postgres), or "" if there is none.
func BinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionLess(dirs[i], dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if isExec(filepath.Join(dirs[i], "initdb")) && isExec(filepath.Join(dirs[i], "postgres")) {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

// versionLess orders /usr/lib/postgresql/N/bin by N.
func versionLess(a, b string) bool {
	va, vb := filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b))
	if len(va) != len(vb) {
		return len(va) < len(vb)
	}
	return va < vb
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// ServerDSN returns the DSN of the test server, starting a private one if
// needed (see the package documentation); it skips or fails t when there
// is none.
func ServerDSN(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv(Env); dsn != "" {
		return dsn
	}
	bin := BinDir()
	if bin == "" {
		t.Skipf("PostgreSQL tests skipped: no PostgreSQL server binary on this machine (no /usr/lib/postgresql/*/bin/postgres, no initdb in PATH) and %s is unset", Env)
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is unset in CI although PostgreSQL is installed (%s): start the server with .ci/postgres.sh and export its DSN", Env, bin)
	}
	mu.Lock()
	defer mu.Unlock()
	if private == nil && failed == nil {
		private, failed = start(bin)
	}
	if failed != nil {
		t.Fatalf("starting a private PostgreSQL server from %s: %v (or set %s)", bin, failed, Env)
	}
	return private.dsn
}

// start runs initdb and pg_ctl start in a new temporary directory.
func start(bin string) (*instance, error) {
	dir, err := os.MkdirTemp("", "chianet-pgtest-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	asRoot := os.Geteuid() == 0
	if asRoot {
		// The server refuses to run as root: it runs as postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		if out, err := exec.Command("chown", u.Username+":", dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v: %s", err, out)
		}
	}
	const port = "54329"
	run := func(args ...string) error {
		if asRoot {
			args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
		}
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := run(filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"), "-w",
		"-o", "-k "+dir+" -p "+port+" -c listen_addresses=''", "start"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &instance{bin: bin, dir: dir, dsn: "host=" + dir + " port=" + port + " user=postgres dbname=postgres sslmode=disable"}, nil
}

// Stop stops the private server, if this binary started one. Call it from
// TestMain after m.Run.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if private == nil {
		return
	}
	args := []string{filepath.Join(private.bin, "pg_ctl"), "-D", filepath.Join(private.dir, "data"), "-m", "immediate", "-w", "stop"}
	if os.Geteuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	_ = exec.Command(args[0], args[1:]...).Run()
	os.RemoveAll(private.dir)
	private = nil
}

// NewDatabase creates a fresh database on the test server and returns its
// DSN; the database is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "chianet_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
		admin.Close()
	})
	dsn, err := WithDatabase(server, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// WithDatabase returns dsn with its database name replaced by name.
func WithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	var kept []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(f, "dbname=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(append(kept, "dbname="+name), " "), nil
}
