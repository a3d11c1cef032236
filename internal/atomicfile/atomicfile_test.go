package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestIsTemp(t *testing.T) {
	cases := []struct {
		name string
		want bool
	}{
		{".peers.dat.tmp1", true},
		{".peers.dat.tmp4294967295", true},
		{".peers.dat.tmp", false},
		{".peers.dat.tmp12x", false},
		{".peers.dat.tmp-1", false},
		{"peers.dat.tmp1", false},
		{"peers.dat", false},
		{".peers-devnet.dat.tmp1", false}, // another file's
		{"..peers.dat.tmp1", false},
	}
	for _, c := range cases {
		if got := IsTemp("peers.dat", c.name); got != c.want {
			t.Errorf("IsTemp(peers.dat, %q) = %v, want %v", c.name, got, c.want)
		}
	}
}

// files lists the names in dir, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.dat")
	var synced []string
	sync := func(f *os.File) error {
		synced = append(synced, f.Name())
		return f.Sync()
	}
	for _, data := range []string{"one", "two"} {
		if err := WriteFile(path, []byte(data), 0o640, sync); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != data {
			t.Fatalf("read back %q, %v; want %q", got, err, data)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if len(synced) != 2 || !IsTemp("peers.dat", filepath.Base(synced[0])) || filepath.Dir(synced[0]) != dir {
		t.Fatalf("synced %v, want two temporary files in %s", synced, dir)
	}
	// A failed sync leaves the file as it was and nothing else.
	failing := func(*os.File) error { return errors.New("disk on fire") }
	if err := WriteFile(path, []byte("three"), 0o640, failing); err == nil {
		t.Fatal("failed sync: no error")
	}
	if got, _ := os.ReadFile(path); string(got) != "two" {
		t.Fatalf("failed write changed the file to %q", got)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"peers.dat"}) {
		t.Fatalf("files after a failed write: %v", got)
	}
	// A relative path in the working directory.
	t.Chdir(dir)
	if err := WriteFile("rel.dat", []byte("x"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "rel.dat")); string(got) != "x" {
		t.Fatalf("relative write: %q", got)
	}
}

func TestCreateNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.key")
	p, err := Stage(path, []byte("first"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Create(); err != nil {
		t.Fatal(err)
	}
	p, err = Stage(path, []byte("second"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Create(); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file: %v, want ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Fatalf("overwritten: %q", got)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"a.key"}) {
		t.Fatalf("files left: %v", got)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers-devnet.dat")
	keep := []string{
		"peers-devnet.dat",
		".peers-devnet.dat.tmp",       // no digits: not ours
		".peers-devnet.dat.tmp12.bak", // not ours
		".peers.dat.tmp123",           // another file's
		"peers-devnet.dat.tmp123",     // no leading dot
	}
	stale := []string{".peers-devnet.dat.tmp1", ".peers-devnet.dat.tmp2846523"}
	for _, n := range append(slices.Clone(keep), stale...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A directory with a temporary file's name is not ours either.
	if err := os.Mkdir(filepath.Join(dir, ".peers-devnet.dat.tmp77"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".peers-devnet.dat.tmp77")
	// A staged file is found as stale too: it has the pattern.
	p, err := Stage(path, []byte("x"), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	stale = append(stale, filepath.Base(p.TempName()))

	removed, err := RemoveStale(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range removed {
		if filepath.Dir(r) != dir {
			t.Errorf("removed %s outside %s", r, dir)
		}
		got = append(got, filepath.Base(r))
	}
	slices.Sort(got)
	slices.Sort(stale)
	if !slices.Equal(got, stale) {
		t.Errorf("removed %v, want %v", got, stale)
	}
	slices.Sort(keep)
	if left := files(t, dir); !slices.Equal(left, keep) {
		t.Errorf("left %v, want %v", left, keep)
	}
	if removed, err := RemoveStale(filepath.Join(dir, "missing", "peers.dat")); err != nil || removed != nil {
		t.Errorf("missing directory: %v, %v", removed, err)
	}
}
