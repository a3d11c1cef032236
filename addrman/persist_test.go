package addrman

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/protocol"
)

type entryDump struct {
	Addr, Src                                         netip.AddrPort
	Timestamp, LastSuccess, LastTry, LastCountAttempt int64
	Attempts                                          int32
	Buckets                                           []uint16
	Tried                                             bool
}

// stateDump is everything a manager persists, keyed by address rather
// than by internal id.
type stateDump struct {
	Key          [32]byte
	LastGood     int64
	Order        []entryDump
	New, Tried   map[int]netip.AddrPort
	Collisions   []netip.AddrPort
	NNew, NTried int
}

func dump(m *Manager) stateDump {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := stateDump{Key: m.key, LastGood: m.lastGood, New: map[int]netip.AddrPort{}, Tried: map[int]netip.AddrPort{}, NNew: m.nNew, NTried: m.nTried}
	for _, id := range m.order {
		e := &m.entries[id]
		d.Order = append(d.Order, entryDump{e.addr, e.src, e.timestamp, e.lastSuccess, e.lastTry, e.lastCountAttempt,
			e.attempts, append([]uint16(nil), e.buckets[:e.refs]...), e.tried})
	}
	for _, s := range m.newTbl.used {
		d.New[int(s)] = m.entries[m.newTbl.get(int(s))].addr
	}
	for _, s := range m.triedTbl.used {
		d.Tried[int(s)] = m.entries[m.triedTbl.get(int(s))].addr
	}
	for _, id := range m.collisions {
		d.Collisions = append(d.Collisions, m.entries[id].addr)
	}
	return d
}

func diffDump(a, b stateDump) string {
	switch {
	case a.Key != b.Key:
		return "key"
	case a.LastGood != b.LastGood:
		return fmt.Sprintf("last good %d vs %d", a.LastGood, b.LastGood)
	case len(a.Order) != len(b.Order):
		return fmt.Sprintf("%d vs %d entries", len(a.Order), len(b.Order))
	}
	for i := range a.Order {
		if !reflect.DeepEqual(a.Order[i], b.Order[i]) {
			return fmt.Sprintf("entry %d:\n%+v\n%+v", i, a.Order[i], b.Order[i])
		}
	}
	switch {
	case !reflect.DeepEqual(a.New, b.New):
		return "new table"
	case !reflect.DeepEqual(a.Tried, b.Tried):
		return "tried table"
	case !reflect.DeepEqual(a.Collisions, b.Collisions):
		return fmt.Sprintf("collisions %v vs %v", a.Collisions, b.Collisions)
	case a.NNew != b.NNew || a.NTried != b.NTried:
		return "counts"
	}
	return ""
}

// richManager builds a manager with both tables in use, addresses with
// several references, counted failures, IPv6, and a queued collision.
func richManager(t testing.TB, n int) (*Manager, *fakeClock) {
	t.Helper()
	m, clk := newTest(t, testOpts{seed: 21, allowPrivate: true})
	// The reference scenario: 250.1.1.18 collides with 250.1.1.16.
	for i := 1; i <= 18; i++ {
		a := fmt.Sprintf("250.1.1.%d:8444", i)
		addOne(m, a, t0-60, "252.2.2.2:8444", 0)
		m.Good(pi(a), true, time.Time{})
	}
	r := rand.New(rand.NewPCG(22, 23))
	var known []PeerInfo
	for i := 0; i < n; i++ {
		host := randomPublic(r)
		if i%5 == 0 {
			host = fmt.Sprintf("2001:%x:%x::%x", 0x4000+r.IntN(0x1000), r.IntN(0x10000), 1+r.IntN(0xfff))
		}
		p := PeerInfo{host, uint16(8000 + r.IntN(1000))}
		known = append(known, p)
		m.Add([]protocol.TimestampedPeerInfo{{Host: p.Host, Port: p.Port, Timestamp: uint64(clk.Now().Unix() - r.Int64N(day))}},
			PeerInfo{randomPublic(r), 8444}, GossipPenalty)
		if i%4 == 0 {
			// Re-advertise an earlier address from another source group.
			q := known[r.IntN(len(known))]
			m.Add([]protocol.TimestampedPeerInfo{{Host: q.Host, Port: q.Port, Timestamp: uint64(clk.Now().Unix())}},
				PeerInfo{randomPublic(r), 8444}, time.Minute)
		}
		switch i % 7 {
		case 1:
			m.Good(p, false, time.Time{})
		case 2, 3:
			m.Attempt(p, true, time.Time{})
		case 4:
			m.Connect(p, time.Time{})
		}
		clk.Advance(time.Second)
	}
	checkInvariants(t, m)
	m.mu.Lock()
	multi := 0
	for _, id := range m.order {
		if m.entries[id].refs > 1 {
			multi++
		}
	}
	m.mu.Unlock()
	if nNew, nTried := m.Counts(); nNew == 0 || nTried == 0 || len(m.collisions) == 0 || (n > 100 && multi == 0) {
		t.Fatalf("not rich enough: new %d tried %d collisions %d multi-ref %d", nNew, nTried, len(m.collisions), multi)
	}
	return m, clk
}

func loadCfg(clk *fakeClock, seed uint64) Config {
	return Config{AllowPrivate: true, Now: clk.Now, Rand: rand.New(rand.NewPCG(seed, 1))}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m, clk := richManager(t, 3000)
	path := filepath.Join(t.TempDir(), "db", "peers.dat")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(path, loadCfg(clk, 99))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, m2)
	if d := diffDump(dump(m), dump(m2)); d != "" {
		t.Fatalf("state differs after a round trip: %s", d)
	}
	// And the bytes of a second save are the same.
	path2 := path + ".2"
	if err := m2.Save(path2); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(path2)
	if !bytes.Equal(a, b) {
		t.Fatal("a loaded manager saves different bytes")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != peersFileMode {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	nNew, nTried := m2.Counts()
	t.Logf("round trip of %d bytes: %d new, %d tried, %d collisions", len(a), nNew, nTried, len(m2.collisions))
}

func TestLoadMissing(t *testing.T) {
	m, err := Load(filepath.Join(t.TempDir(), "nope.dat"), Config{})
	if !errors.Is(err, fs.ErrNotExist) || m == nil || m.Size() != 0 {
		t.Fatalf("missing file: %v, %v", m, err)
	}
	if errors.Is(err, ErrDamaged) {
		t.Fatal("a missing file is not damage")
	}
	dir := t.TempDir()
	if m, err := Load(dir, Config{}); err == nil || m == nil || m.Size() != 0 {
		t.Fatalf("directory: %v, %v", m, err)
	}
}

// TestLoadFileDamaged goes through the file system once: a file cut in
// the middle of its third record.
func TestLoadFileDamaged(t *testing.T) {
	data, want, clk := savedBytes(t)
	path := filepath.Join(t.TempDir(), "peers.dat")
	if err := os.WriteFile(path, data[:headerSize+2*recordSize+50], 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path, loadCfg(clk, 1))
	var de *DamageError
	if !errors.As(err, &de) || de.Path != path || de.Kept != 2 || de.Lost != len(want.Order)-2 || m.Size() != 2 {
		t.Fatalf("kept %d: %v", m.Size(), err)
	}
	keptExactly(t, "cut file", want, dump(m))
	t.Log(err)
}

// savedBytes returns the file of a small rich manager and its state.
func savedBytes(t *testing.T) ([]byte, stateDump, *fakeClock) {
	t.Helper()
	m, clk := richManager(t, 24)
	m.mu.Lock()
	data := m.marshal()
	m.mu.Unlock()
	return data, dump(m), clk
}

// loadBytes decodes data as Load decodes a file's contents.
func loadBytes(t *testing.T, data []byte, clk *fakeClock) (*Manager, error) {
	t.Helper()
	m := newManager(loadCfg(clk, 5).withDefaults())
	err := m.decode("peers.dat", data)
	checkInvariants(t, m)
	return m, err
}

// keptExactly checks that every entry of got is the same, field for field
// and slot for slot, as in want.
func keptExactly(t *testing.T, where string, want, got stateDump) {
	t.Helper()
	byAddr := map[netip.AddrPort]entryDump{}
	for _, e := range want.Order {
		byAddr[e.Addr] = e
	}
	for _, e := range got.Order {
		if w, ok := byAddr[e.Addr]; !ok || !reflect.DeepEqual(w, e) {
			t.Fatalf("%s: entry differs:\n got %+v\nwant %+v", where, e, w)
		}
	}
	for s, a := range got.New {
		if want.New[s] != a {
			t.Fatalf("%s: new slot %d holds %v, want %v", where, s, a, want.New[s])
		}
	}
	for s, a := range got.Tried {
		if want.Tried[s] != a {
			t.Fatalf("%s: tried slot %d holds %v, want %v", where, s, a, want.Tried[s])
		}
	}
}

// TestLoadTruncated cuts the file at every length: Load never fails to
// return a manager, reports damage, and keeps every whole record exactly.
func TestLoadTruncated(t *testing.T) {
	data, want, clk := savedBytes(t)
	records := (len(data) - headerSize) / recordSize
	for n := 0; n < len(data); n++ {
		m, err := loadBytes(t, data[:n], clk)
		var de *DamageError
		if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) {
			t.Fatalf("cut at %d: error %v", n, err)
		}
		wantKept := 0
		if n >= headerSize {
			wantKept = (n - headerSize) / recordSize
			if de.Lost != records-wantKept {
				t.Fatalf("cut at %d: lost %d, want %d", n, de.Lost, records-wantKept)
			}
			keptExactly(t, fmt.Sprintf("cut at %d", n), want, dump(m))
		}
		if m.Size() != wantKept || de.Kept != wantKept {
			t.Fatalf("cut at %d: kept %d (reported %d), want %d", n, m.Size(), de.Kept, wantKept)
		}
	}
	if _, err := loadBytes(t, data, clk); err != nil {
		t.Fatalf("whole file: %v", err)
	}
}

// TestLoadBitFlips flips one bit in every byte of the file in turn.
func TestLoadBitFlips(t *testing.T) {
	data, want, clk := savedBytes(t)
	records := len(want.Order)
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 1 << (i % 8)
		m, err := loadBytes(t, bad, clk)
		var de *DamageError
		if !errors.As(err, &de) {
			t.Fatalf("flip at %d: error %v", i, err)
		}
		if i < headerSize {
			// The key is lost: entries are placed afresh; most survive.
			if m.Size() < records/2 || !strings.Contains(err.Error(), "header checksum") {
				t.Fatalf("flip at %d (header): kept %d of %d: %v", i, m.Size(), records, err)
			}
			continue
		}
		if m.Size() != records-1 || de.Lost != 1 || !strings.Contains(err.Error(), "checksum mismatch") {
			t.Fatalf("flip at %d: kept %d of %d, lost %d: %v", i, m.Size(), records, de.Lost, err)
		}
		keptExactly(t, fmt.Sprintf("flip at %d", i), want, dump(m))
	}
}

// rewrite applies f to record i of a saved file and fixes its checksum.
func rewrite(data []byte, i int, f func(r []byte)) []byte {
	out := bytes.Clone(data)
	r := out[headerSize+i*recordSize : headerSize+(i+1)*recordSize]
	f(r)
	binary.BigEndian.PutUint32(r[92:], crc32.Checksum(r[:92], castagnoli))
	return out
}

func fixHeader(data []byte, f func(h []byte)) []byte {
	out := bytes.Clone(data)
	f(out[:headerSize])
	binary.BigEndian.PutUint32(out[60:], crc32.Checksum(out[:60], castagnoli))
	return out
}

// TestLoadInconsistent feeds records whose checksums are right but whose
// content is not.
func TestLoadInconsistent(t *testing.T) {
	data, want, clk := savedBytes(t)
	records := len(want.Order)
	// Find one new and one tried record.
	newRec, triedRec := -1, -1
	for i, e := range want.Order {
		if e.Tried && triedRec < 0 {
			triedRec = i
		}
		if !e.Tried && newRec < 0 {
			newRec = i
		}
	}
	// A new record and a bucket where its slot is held by another
	// address, found by search in this deterministic file.
	conflictRec, conflictBucket := -1, -1
	for i, e := range want.Order {
		for s, a := range want.New {
			if !e.Tried && a != e.Addr && newSlot(&want.Key, s/BucketSize, e.Addr) == s && conflictRec < 0 {
				conflictRec, conflictBucket = i, s/BucketSize
			}
		}
	}
	// The queued 250.1.1.18, whose tried slot 250.1.1.16 holds.
	queuedRec := -1
	for i, e := range want.Order {
		if e.Addr == netip.MustParseAddrPort("250.1.1.18:8444") {
			queuedRec = i
		}
	}
	if conflictRec < 0 || queuedRec < 0 || newRec < 0 || triedRec < 0 {
		t.Fatalf("file lacks the records the cases need: %d %d %d %d", conflictRec, queuedRec, newRec, triedRec)
	}
	tests := []struct {
		name    string
		data    []byte
		kept    int
		problem string
	}{
		{"unknown flag", rewrite(data, newRec, func(r []byte) { r[0] |= 4 }), records - 1, "reserved bits"},
		{"tried with references", rewrite(data, triedRec, func(r []byte) { r[38] = 1 }), records - 1, "new-table references"},
		{"new without references", rewrite(data, newRec, func(r []byte) { r[38] = 0; clear(r[40:56]) }), records - 1, "new-table references"},
		{"too many references", rewrite(data, newRec, func(r []byte) { r[38] = 9 }), records - 1, "new-table references"},
		{"bucket out of range", rewrite(data, newRec, func(r []byte) { binary.BigEndian.PutUint16(r[40:], 1024) }), records - 1, "out of range"},
		{"bucket twice", rewrite(data, newRec, func(r []byte) { r[38] = 2; copy(r[42:44], r[40:42]) }), records - 1, "listed twice"},
		{"stray bucket", rewrite(data, newRec, func(r []byte) { r[55] = 1 }), records - 1, "beyond the reference count"},
		{"negative time", rewrite(data, newRec, func(r []byte) { r[56] = 0x80 }), records - 1, "negative time"},
		{"failures out of range", rewrite(data, newRec, func(r []byte) { r[88] = 0x80 }), records - 1, "failure count"},
		{"collision position", rewrite(data, newRec, func(r []byte) { r[1] = 11 }), records - 1, "collision position"},
		{"duplicate address", rewrite(data, 1, func(r []byte) { copy(r[2:20], data[headerSize+2:headerSize+20]) }), records - 1, "listed twice"},
		{"wrong bucket: slot taken", rewrite(data, conflictRec, func(r []byte) {
			r[38] = 1
			clear(r[40:56])
			binary.BigEndian.PutUint16(r[40:], uint16(conflictBucket))
		}), records - 1, "no free slot"},
		{"tried slot taken: back to new", rewrite(data, queuedRec, func(r []byte) {
			r[0], r[38] = flagTried, 0
			clear(r[40:56])
		}), records, "lost some of its slots"},
		{"unsupported version", fixHeader(data, func(h []byte) { h[9] = 2 }), 0, "unsupported format version"},
		{"record size", fixHeader(data, func(h []byte) { h[11] = 95 }), 0, "record size"},
		{"huge count", fixHeader(data, func(h []byte) { binary.BigEndian.PutUint32(h[52:], 0xffffffff) }), records, "file ends after"},
		{"trailing bytes", append(bytes.Clone(data), 1, 2, 3), records, "bytes after the last record"},
		{"foreign file", bytes.Repeat([]byte("not a peers file at all "), 40), 0, "not a peers file"},
		{"oversized", append(bytes.Clone(data), make([]byte, maxFileSize)...), records, "larger than any valid file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := loadBytes(t, tt.data, clk)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("error %v, want one saying %q", err, tt.problem)
			}
			if m.Size() != tt.kept {
				t.Fatalf("kept %d, want %d", m.Size(), tt.kept)
			}
			if tt.kept > 0 {
				keptExactly(t, tt.name, want, dump(m))
			}
		})
	}
}

// TestLoadDropsPrivate: a file written with AllowPrivate loads without
// its private addresses, and that is not damage.
func TestLoadDropsPrivate(t *testing.T) {
	data, want, clk := savedBytes(t)
	path := filepath.Join(t.TempDir(), "peers.dat")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := loadCfg(clk, 1)
	cfg.AllowPrivate = false
	m, err := Load(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	public := 0
	for _, e := range want.Order {
		if !IsPrivate(e.Addr.Addr()) {
			public++
		}
	}
	if m.Size() != public || public == 0 {
		t.Fatalf("kept %d, want the %d public ones", m.Size(), public)
	}
	checkInvariants(t, m)
}

// referenceFile writes a peers.dat the way the reference's serialize_bytes
// lays it out (see reference.go).
func referenceFile(key [32]byte, recs [][2]string, ts uint64) []byte {
	var b []byte
	b = append(b, key[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(recs)))
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint64(b, 5)
	put := func(s string) {
		ap := netip.MustParseAddrPort(s)
		if ap.Addr().Is4() {
			v := ap.Addr().As4()
			b = append(append(b, 0), v[:]...)
		} else {
			v := ap.Addr().As16()
			b = append(append(b, 1), v[:]...)
		}
		b = binary.BigEndian.AppendUint16(b, ap.Port())
	}
	for _, r := range recs {
		put(r[0])
		b = binary.BigEndian.AppendUint64(b, ts)
		put(r[1])
	}
	return b
}

func TestLoadReferenceFile(t *testing.T) {
	clk := newFakeClock()
	recs := [][2]string{
		{"1.2.3.4:8444", "5.6.7.8:8444"},
		{"[2001:4860:4860::8888]:8444", "[2001:4860:4860::8888]:8444"},
		{"9.9.9.9:8444", "8.8.8.8:8444"},
		{"10.0.0.1:8444", "8.8.8.8:8444"}, // private: skipped
	}
	data := referenceFile(seqKey, recs, t0-100)
	path := filepath.Join(t.TempDir(), "peers.dat")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path, Config{Now: clk.Now, Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, m)
	if m.Size() != 3 || m.key != seqKey {
		t.Fatalf("size %d, key kept %v", m.Size(), m.key == seqKey)
	}
	for _, r := range recs[:3] {
		e, ok := m.Lookup(pi(r[0]))
		if !ok || e.Source != pi(r[1]) || e.Timestamp != sec(t0-100) || e.Tried || e.RefCount != 1 {
			t.Fatalf("%s: %+v", r[0], e)
		}
		ap, src := netip.MustParseAddrPort(r[0]), netip.MustParseAddrPort(r[1])
		m.mu.Lock()
		id := m.newTbl.get(newSlot(&seqKey, newBucket(&seqKey, ap.Addr(), src.Addr()), ap))
		got := m.entries[id].addr
		m.mu.Unlock()
		if got != ap {
			t.Fatalf("%s not in its reference bucket", r[0])
		}
	}
	// A damaged reference file is not imported.
	if m, err := loadBytes(t, data[:len(data)-3], clk); !errors.Is(err, ErrDamaged) || m.Size() != 0 {
		t.Fatalf("truncated reference file: size %d, %v", m.Size(), err)
	}
}

func TestSaveAtomic(t *testing.T) {
	m, _ := richManager(t, 50)
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.dat")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	var synced []string
	m.syncFile = func(f *os.File) error {
		synced = append(synced, f.Name())
		return nil
	}
	addOne(m, "3.3.3.3:8444", t0, "", 0)
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 1 || filepath.Dir(synced[0]) != dir || synced[0] == path {
		t.Fatalf("synced %v: want one temporary file in %s", synced, dir)
	}
	after, _ := os.ReadFile(path)
	if bytes.Equal(before, after) {
		t.Fatal("second save wrote nothing new")
	}

	// A save that fails before the rename leaves the old file whole and
	// no temporary file behind.
	m.syncFile = func(*os.File) error { return errors.New("disk on fire") }
	addOne(m, "4.4.4.4:8444", t0, "", 0)
	if err := m.Save(path); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("failed save returned %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, after) {
		t.Fatal("a failed save changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d files after a failed save", len(entries))
	}
	// A path whose directory cannot exist fails cleanly too.
	if err := m.Save(filepath.Join(path, "sub", "peers.dat")); err == nil {
		t.Fatal("save under a file succeeded")
	}
}

// TestRun drives the periodic save under testing/synctest's fake time.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTest(t, testOpts{seed: 8})
		path := filepath.Join(t.TempDir(), "peers.dat")
		addOne(m, "1.2.3.4:8444", t0, "", 0)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx, path) }()

		<-time.After(MinSaveInterval - time.Second)
		synctest.Wait()
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("saved before %v: %v", MinSaveInterval, err)
		}
		<-time.After(MaxSaveInterval - MinSaveInterval + 2*time.Second)
		synctest.Wait()
		if loaded, err := Load(path, Config{}); err != nil || loaded.Size() != 1 {
			t.Fatalf("no periodic save by %v: %v", MaxSaveInterval, err)
		}

		addOne(m, "5.6.7.8:8444", t0, "", 0)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if loaded, err := Load(path, Config{}); err != nil || loaded.Size() != 2 {
			t.Fatalf("no save on shutdown: %v", err)
		}
	})
}

func TestSaveInterval(t *testing.T) {
	m, _ := newTest(t, testOpts{seed: 1})
	seen := map[time.Duration]bool{}
	for range 5000 {
		d := m.SaveInterval()
		if d < MinSaveInterval || d > MaxSaveInterval || d%time.Second != 0 {
			t.Fatalf("interval %v", d)
		}
		seen[d] = true
	}
	if !seen[MinSaveInterval] || !seen[MaxSaveInterval] || len(seen) < 800 {
		t.Fatalf("%d distinct intervals; ends seen %v %v", len(seen), seen[MinSaveInterval], seen[MaxSaveInterval])
	}
}
