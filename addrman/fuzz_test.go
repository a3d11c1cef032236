package addrman

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
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

// FuzzOps drives a manager with an arbitrary sequence of what peers and
// connections make it do: addresses announced by gossip (any timestamp,
// any source), successful and failed connections, selections, collision
// resolution, sampling and cleanup, with the clock moving. After every
// sequence the tables must be consistent and must save and load back to
// the same state.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 0x1f, 0x90, 0, 0, 0, 1, 1, 1, 2, 3, 4, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 250, 1, 1, 18, 0x20, 0xfc, 0xff, 0xff, 0xff, 0xff, 1, 250, 1, 1, 18, 7, 8})
	f.Add([]byte{0, 10, 0, 0, 1, 0, 80, 0, 0, 0, 0, 0, 0x80, 1, 2, 3, 4, 5, 6, 7})
	f.Fuzz(func(t *testing.T, ops []byte) {
		m, clk := newTest(t, testOpts{seed: 3})
		// next returns the next n bytes of ops, zero-padded.
		next := func(n int) []byte {
			b := make([]byte, n)
			ops = ops[copy(b, ops):]
			return b
		}
		addr := func() PeerInfo {
			b := next(7)
			if b[0]&1 == 0 {
				return PeerInfo{fmt.Sprintf("%d.%d.%d.%d", b[1], b[2], b[3], b[4]), binary.BigEndian.Uint16(b[5:])}
			}
			return PeerInfo{fmt.Sprintf("2001:%x:%x::%x", b[1], b[2], binary.BigEndian.Uint16(b[3:])), binary.BigEndian.Uint16(b[5:])}
		}
		for steps := 0; len(ops) > 0 && steps < 200; steps++ {
			switch op := next(1)[0]; op % 9 {
			case 0:
				a, src := addr(), addr()
				ts := uint64(binary.BigEndian.Uint32(next(4))) << (next(1)[0] % 33)
				m.Add([]protocol.TimestampedPeerInfo{{Host: a.Host, Port: a.Port, Timestamp: ts}}, src,
					time.Duration(op>>4)*time.Hour)
			case 1:
				m.Good(addr(), op&0x10 != 0, time.Time{})
			case 2:
				m.Attempt(addr(), op&0x10 != 0, time.Time{})
			case 3:
				m.Connect(addr(), time.Time{})
			case 4:
				m.Select(op&0x10 != 0)
			case 5:
				m.SelectTriedCollision()
				m.ResolveCollisions()
			case 6:
				m.Sample(float64(op)/255, int(op>>4))
			case 7:
				m.Cleanup(time.Duration(op)*time.Hour, int(op>>4))
			case 8:
				clk.Advance(time.Duration(binary.BigEndian.Uint16(next(2))) * time.Minute)
			}
		}
		checkInvariants(t, m)
		m.mu.Lock()
		saved := m.marshal()
		m.mu.Unlock()
		back := newManager(loadCfg(clk, 6).withDefaults())
		if err := back.decode("again", saved); err != nil {
			t.Fatalf("saved state does not load: %v", err)
		}
		if d := diffDump(dump(m), dump(back)); d != "" {
			t.Fatalf("save and load changed the state: %s", d)
		}
	})
}
