package addrman

import (
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the peers-file decoder, as Load and
// Import read a file: it must never panic, must leave the tables
// consistent, must keep no more entries than the file has records, and
// whatever it restores must save and load back to the same state.
func FuzzDecode(f *testing.F) {
	m, clk := richManager(f, 24)
	m.mu.Lock()
	good := m.marshal()
	m.mu.Unlock()
	f.Add(good)
	f.Add(good[:headerSize])
	f.Add(good[:headerSize+recordSize+7])
	f.Add(good[:len(good)-1])
	// A trusted header that claims far more records than follow.
	f.Add(fixHeader(append([]byte(nil), good[:headerSize+recordSize]...), func(h []byte) {
		binary.BigEndian.PutUint32(h[52:], 0xffffffff)
	}))
	// A record with a bucket out of range, checksum fixed up so that the
	// range check, not the checksum, must catch it.
	f.Add(rewrite(append([]byte(nil), good...), 0, func(r []byte) {
		r[0], r[38] = 0, 1
		binary.BigEndian.PutUint16(r[40:], 0xffff)
	}))
	// A collision position beyond the queue.
	f.Add(rewrite(append([]byte(nil), good...), 1, func(r []byte) { r[1] = 0xff }))
	// A bad header checksum: the records are placed afresh.
	bad := append([]byte(nil), good...)
	bad[60] ^= 1
	f.Add(bad)
	f.Add(referenceFile(refKey, [][2]string{{"1.2.3.4:8444", "5.6.7.8:8444"}, {"[2001:db8::1]:8444", "5.6.7.8:8444"}}, 1))
	// A reference file whose pair count exceeds the file.
	ref := referenceFile(refKey, nil, 1)
	binary.BigEndian.PutUint32(ref[40:], 0xffffffff)
	f.Add(ref)
	f.Add([]byte(fileMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newManager(loadCfg(clk, 5).withDefaults())
		err := m.decode("peers.dat", data)
		var de *DamageError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		checkInvariants(t, m)
		// A chianet record is 96 bytes and a reference one at least 15 bytes.
		if n := m.Size(); n > len(data)/15 {
			t.Fatalf("%d addresses from %d bytes", n, len(data))
		}
		m.mu.Lock()
		saved := m.marshal()
		m.mu.Unlock()
		back := newManager(loadCfg(clk, 6).withDefaults())
		if err := back.decode("again", saved); err != nil {
			t.Fatalf("own file does not load: %v", err)
		}
		if d := diffDump(dump(m), dump(back)); d != "" {
			t.Fatalf("save and load changed the state: %s", d)
		}
	})
}
