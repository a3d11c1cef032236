package addrman

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// Import takes a whole file of either format, and nothing else; it logs
// nothing.
func TestImport(t *testing.T) {
	clk := newFakeClock()
	var logs bytes.Buffer
	cfg := Config{Now: clk.Now, Rand: rand.New(rand.NewPCG(1, 1)), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ref := referenceFile(seqKey, [][2]string{{"1.2.3.4:8444", "5.6.7.8:8444"}, {"9.9.9.9:8444", "8.8.8.8:8444"}}, t0-100)
	m, err := Import("peers.dat", ref, cfg)
	if err != nil || m.Size() != 2 || m.key != seqKey {
		t.Fatalf("reference file: %v", err)
	}
	checkInvariants(t, m)

	// chianet's own format.
	path := filepath.Join(t.TempDir(), "p.dat")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	own, err := Load(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	own.mu.Lock()
	data := own.marshal()
	own.mu.Unlock()
	if m2, err := Import(path, data, cfg); err != nil || m2.Size() != 2 {
		t.Fatalf("chianet's format: %v", err)
	}

	for name, bad := range map[string][]byte{
		"cut reference file": ref[:len(ref)-3],
		"cut chianet file":   data[:len(data)-1],
		"empty":              nil,
		"text":               []byte("not a peers file at all, but long enough to be read as one\n"),
	} {
		if m, err := Import(name, bad, cfg); err == nil || m != nil {
			t.Errorf("%s: imported (%v)", name, err)
		} else if name == "cut chianet file" && !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: %v, want ErrDamaged", name, err)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("Import logged:\n%s", logs.String())
	}
}
