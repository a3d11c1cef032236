package addrman

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/chianet/chianet/internal/atomicfile"
)

// The peers file (format version 1). All integers are big-endian; every
// part carries its own CRC-32C (Castagnoli), so damage costs the damaged
// record only.
//
//	header, 64 bytes
//	   0  magic "CHNADDRM"
//	   8  uint16 version (1)
//	  10  uint16 record size (96)
//	  12  [32]byte secret key
//	  44  int64  last good (Unix seconds)
//	  52  uint32 record count
//	  56  uint32 reserved (0)
//	  60  uint32 CRC-32C of bytes 0–59
//	records, 96 bytes each, one per address, in sampling order
//	   0  uint8  flags: bit 0 tried; other bits 0
//	   1  uint8  collision queue position + 1 (0 = not queued)
//	   2  [16]byte address (IPv4 as ::ffff:a.b.c.d)
//	  18  uint16 port
//	  20  [16]byte source address
//	  36  uint16 source port
//	  38  uint8  new-table reference count n (0 if tried, 1–8 if not)
//	  39  uint8  reserved (0)
//	  40  8 × uint16 new buckets holding the address (first n; rest 0)
//	  56  int64  timestamp
//	  64  int64  last success
//	  72  int64  last try
//	  80  int64  last counted attempt
//	  88  uint32 counted failures
//	  92  uint32 CRC-32C of bytes 0–91
//
// Slots are not stored: a slot is a function of the key, the bucket and
// the address, so the buckets and the tried flag give back both tables
// exactly.
const (
	fileMagic     = "CHNADDRM"
	fileVersion   = 1
	headerSize    = 64
	recordSize    = 96
	flagTried     = 1
	maxRecords    = (NewBucketCount + TriedBucketCount) * BucketSize // every entry holds a slot
	maxFileSize   = headerSize + maxRecords*recordSize
	maxProblems   = 16
	peersFileMode = 0o644 // as the reference writes it
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrDamaged is wrapped by the *DamageError that Load returns for a peers
// file it could read only in part.
var ErrDamaged = errors.New("addrman: peers file damaged")

// DamageError describes a peers file that Load could not read whole. The
// manager Load returns with it holds every address that could be
// restored.
type DamageError struct {
	Path string
	// Kept is the number of addresses restored.
	Kept int
	// Lost is the number of records that could not be restored (for a
	// truncated file, including those cut off).
	Lost int
	// Problems describes the first few problems, each with its byte
	// offset; More counts the rest.
	Problems []string
	More     int
}

func (e *DamageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "addrman: %s: peers file damaged (kept %d addresses, lost %d): %s",
		e.Path, e.Kept, e.Lost, strings.Join(e.Problems, "; "))
	if e.More > 0 {
		fmt.Fprintf(&b, "; and %d more problems", e.More)
	}
	return b.String()
}

// Unwrap returns ErrDamaged.
func (e *DamageError) Unwrap() error { return ErrDamaged }

func (e *DamageError) add(format string, args ...any) {
	if len(e.Problems) < maxProblems {
		e.Problems = append(e.Problems, fmt.Sprintf(format, args...))
	} else {
		e.More++
	}
}

// marshal encodes the manager in the peers file format; m.mu is held.
func (m *Manager) marshal() []byte {
	buf := make([]byte, headerSize, headerSize+len(m.order)*recordSize)
	copy(buf, fileMagic)
	binary.BigEndian.PutUint16(buf[8:], fileVersion)
	binary.BigEndian.PutUint16(buf[10:], recordSize)
	copy(buf[12:44], m.key[:])
	binary.BigEndian.PutUint64(buf[44:], uint64(m.lastGood))
	binary.BigEndian.PutUint32(buf[52:], uint32(len(m.order)))
	binary.BigEndian.PutUint32(buf[60:], crc32.Checksum(buf[:60], castagnoli))
	for _, id := range m.order {
		e := &m.entries[id]
		off := len(buf)
		buf = buf[:off+recordSize]
		r := buf[off:]
		clear(r)
		if e.tried {
			r[0] = flagTried
		}
		if i := slices.Index(m.collisions, id); i >= 0 {
			r[1] = byte(i + 1)
		}
		putAddrPort(r[2:20], e.addr)
		putAddrPort(r[20:38], e.src)
		r[38] = e.refs
		for i, b := range e.buckets {
			binary.BigEndian.PutUint16(r[40+2*i:], b)
		}
		binary.BigEndian.PutUint64(r[56:], uint64(e.timestamp))
		binary.BigEndian.PutUint64(r[64:], uint64(e.lastSuccess))
		binary.BigEndian.PutUint64(r[72:], uint64(e.lastTry))
		binary.BigEndian.PutUint64(r[80:], uint64(e.lastCountAttempt))
		binary.BigEndian.PutUint32(r[88:], uint32(e.attempts))
		binary.BigEndian.PutUint32(r[92:], crc32.Checksum(r[:92], castagnoli))
	}
	return buf
}

func putAddrPort(b []byte, ap netip.AddrPort) {
	a := ap.Addr().As16()
	copy(b, a[:])
	binary.BigEndian.PutUint16(b[16:], ap.Port())
}

func getAddrPort(b []byte) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[:16])).Unmap(), binary.BigEndian.Uint16(b[16:]))
}

// record is one decoded, checked record.
type record struct {
	addr, src        netip.AddrPort
	tried            bool
	collision        uint8
	refs             uint8
	buckets          [NewBucketsPerAddress]uint16
	timestamp        int64
	lastSuccess      int64
	lastTry          int64
	lastCountAttempt int64
	attempts         int32
}

// parseRecord decodes and checks one record; the error says what is wrong.
func parseRecord(r []byte) (record, error) {
	var x record
	if crc32.Checksum(r[:92], castagnoli) != binary.BigEndian.Uint32(r[92:]) {
		return x, errors.New("checksum mismatch")
	}
	if r[0]&^flagTried != 0 || r[39] != 0 {
		return x, errors.New("reserved bits set")
	}
	x.tried = r[0]&flagTried != 0
	x.collision = r[1]
	if x.collision > TriedCollisionSize {
		return x, fmt.Errorf("collision position %d", x.collision)
	}
	x.addr, x.src = getAddrPort(r[2:20]), getAddrPort(r[20:38])
	x.refs = r[38]
	if x.tried != (x.refs == 0) || x.refs > NewBucketsPerAddress {
		return x, fmt.Errorf("%d new-table references for a tried=%v address", x.refs, x.tried)
	}
	for i := range x.buckets {
		b := binary.BigEndian.Uint16(r[40+2*i:])
		switch {
		case i >= int(x.refs) && b != 0:
			return x, errors.New("bucket beyond the reference count")
		case i < int(x.refs) && b >= NewBucketCount:
			return x, fmt.Errorf("new bucket %d out of range", b)
		case i < int(x.refs) && slices.Contains(x.buckets[:i], b):
			return x, fmt.Errorf("new bucket %d listed twice", b)
		}
		x.buckets[i] = b
	}
	times := []*int64{&x.timestamp, &x.lastSuccess, &x.lastTry, &x.lastCountAttempt}
	for i, p := range times {
		v := binary.BigEndian.Uint64(r[56+8*i:])
		if v > math.MaxInt64 {
			return x, errors.New("negative time")
		}
		*p = int64(v)
	}
	a := binary.BigEndian.Uint32(r[88:])
	if a > math.MaxInt32 {
		return x, errors.New("failure count out of range")
	}
	x.attempts = int32(a)
	return x, nil
}

// ErrNotRegular is wrapped by the error Load returns for a peers-file
// path that names something other than a regular file: a directory, a
// named pipe, a device or a socket.
var ErrNotRegular = errors.New("not a regular file")

// Load returns a manager restored from the peers file at path. It never
// returns a nil manager: if the file is missing (the error wraps
// fs.ErrNotExist), unreadable or not a peers file, the manager is empty;
// if it is damaged (truncated, bit-flipped, inconsistent), the manager
// holds every address that could be restored and the error is a
// *DamageError. Memory use is bounded by the largest valid file whatever
// the file's size. Load logs none of these errors: the caller reports
// them.
//
// A path that is not a regular file (a directory, a named pipe, a device)
// is refused at once with an error wrapping ErrNotRegular: it is never
// opened in a way that could block. Before reading, Load removes the
// temporary files a save interrupted by a crash left next to path (see
// Save); call it before anything saves to path.
//
// The file's key replaces cfg.Key, so that every address keeps its
// buckets. A file written by the reference (chia-blockchain's binary
// peers.dat) is imported too: its key is kept and its addresses go to the
// new table, since that format does not say reliably which were tried.
func Load(path string, cfg Config) (*Manager, error) {
	m := newManager(cfg.withDefaults())
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		return m, notRegular(path, fi.Mode())
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("addrman: %w", err)
	}
	removed, rerr := atomicfile.RemoveStale(path)
	if len(removed) > 0 {
		m.log.Info("addrman: removed temporary files of an interrupted save", "path", path, "files", removed)
	}
	if rerr != nil {
		m.log.Warn("addrman: could not remove temporary files of an interrupted save", "path", path, "err", rerr)
	}
	if err != nil {
		return m, fmt.Errorf("addrman: %w", err)
	}
	// O_NONBLOCK: should path have become a named pipe since the Stat,
	// opening it must not wait for a writer; the Stat below refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return m, fmt.Errorf("addrman: %w", err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return m, fmt.Errorf("addrman: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return m, notRegular(path, fi.Mode())
	}
	// Read at most one byte more than the largest valid file, into a
	// buffer sized from the file.
	size := min(fi.Size(), int64(maxFileSize+1))
	data := make([]byte, 0, size+1) // +1: room to see EOF without growing
	data, err = readAll(io.LimitReader(f, maxFileSize+1), data)
	if err != nil {
		return m, fmt.Errorf("addrman: reading %s: %w", path, err)
	}
	if err := m.decode(path, data); err != nil {
		return m, err // the caller reports it (and a node logs it once)
	}
	return m, nil
}

// notRegular is Load's error for a path of mode mode.
func notRegular(path string, mode fs.FileMode) error {
	kind := "special file"
	switch t := mode.Type(); {
	case t&fs.ModeDir != 0:
		kind = "directory"
	case t&fs.ModeNamedPipe != 0:
		kind = "named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		kind = "socket"
	case t&fs.ModeDevice != 0:
		kind = "device"
	}
	return fmt.Errorf("addrman: %s is a %s, %w", path, kind, ErrNotRegular)
}

// readAll appends everything r yields to buf, which keeps its capacity
// when that suffices.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// decode fills the empty manager m from data.
func (m *Manager) decode(path string, data []byte) error {
	dmg := &DamageError{Path: path}
	badMagic := len(data) >= len(fileMagic) && string(data[:len(fileMagic)]) != fileMagic
	if badMagic {
		if n, ok := m.importReference(data); ok {
			m.log.Info("addrman: imported a reference peers file", "path", path, "addresses", n)
			return nil
		}
	}
	if len(data) < headerSize {
		dmg.add("offset 0: %d bytes, shorter than the %d-byte header", len(data), headerSize)
		return dmg
	}
	if len(data) > maxFileSize {
		dmg.add("offset %d: larger than any valid file; the rest is ignored", maxFileSize)
		data = data[:maxFileSize]
	}
	h := data[:headerSize]
	// A bad magic fails the checksum too: such a file is read like one
	// whose header is damaged, and only records that check are kept.
	trusted := crc32.Checksum(h[:60], castagnoli) == binary.BigEndian.Uint32(h[60:])
	avail := (len(data) - headerSize) / recordSize
	count := avail
	if trusted {
		if v := binary.BigEndian.Uint16(h[8:]); v != fileVersion {
			dmg.add("offset 8: unsupported format version %d", v)
			return dmg
		}
		if s := binary.BigEndian.Uint16(h[10:]); s != recordSize {
			dmg.add("offset 10: record size %d, want %d", s, recordSize)
			return dmg
		}
		copy(m.key[:], h[12:44])
		m.lastGood = max(int64(binary.BigEndian.Uint64(h[44:])), 1)
		count = int(binary.BigEndian.Uint32(h[52:]))
		end := headerSize + count*recordSize
		switch {
		case count > avail:
			dmg.add("offset %d: file ends after %d of %d records", len(data), avail, count)
			dmg.Lost += count - avail
			count = avail
		case len(data) > end:
			dmg.add("offset %d: %d bytes after the last record", end, len(data)-end)
		}
	} else {
		// Without the header, the key is unknown: keep the records, which
		// check themselves, and place them afresh under a new key.
		dmg.add("offset 0: header checksum mismatch; the secret key is lost and addresses are placed afresh")
		if rest := (len(data) - headerSize) % recordSize; rest != 0 {
			dmg.add("offset %d: %d bytes of a partial record", len(data)-rest, rest)
		}
	}

	m.entries = slices.Grow(m.entries, count)
	m.order = slices.Grow(m.order, count)
	m.byAddr = make(map[netip.AddrPort]int32, count)
	now := m.now().Unix()
	type queuedID struct {
		pos uint8
		id  int32
	}
	var queued []queuedID
	for i := range count {
		off := headerSize + i*recordSize
		x, err := parseRecord(data[off : off+recordSize])
		if err != nil {
			dmg.add("offset %d: record %d: %v", off, i, err)
			dmg.Lost++
			continue
		}
		if !m.admissible(x.addr) {
			continue // saved with AllowPrivate; not damage
		}
		if _, dup := m.byAddr[x.addr]; dup {
			dmg.add("offset %d: record %d: %v listed twice", off, i, x.addr)
			dmg.Lost++
			continue
		}
		id, exact, ok := m.restore(&x, trusted, now)
		switch {
		case !ok:
			if trusted {
				dmg.add("offset %d: record %d: %v has no free slot", off, i, x.addr)
			}
			dmg.Lost++
			continue
		case !exact && trusted:
			dmg.add("offset %d: record %d: %v lost some of its slots", off, i, x.addr)
		}
		if x.collision > 0 && !m.entries[id].tried {
			queued = append(queued, queuedID{x.collision, id})
		}
	}
	slices.SortStableFunc(queued, func(a, b queuedID) int { return int(a.pos) - int(b.pos) })
	for _, q := range queued[:min(len(queued), TriedCollisionSize)] {
		m.collisions = append(m.collisions, q.id)
	}
	dmg.Kept = len(m.order)
	if badMagic && dmg.Kept == 0 {
		*dmg = DamageError{Path: path}
		dmg.add("offset 0: not a peers file (no %q magic, and not the reference's format)", fileMagic)
	}
	if len(dmg.Problems) > 0 {
		return dmg
	}
	return nil
}

// restore adds the entry of a checked record. With a trusted key it goes
// back to the slots it held; otherwise a tried address takes its tried
// slot under the new key if free, and a new one (or a tried one whose slot
// is taken) gets the bucket of its source, like a fresh Add. It reports
// whether every stored slot was honoured, and false if no slot was free.
func (m *Manager) restore(x *record, trusted bool, now int64) (id int32, exact, ok bool) {
	id = m.create(x.addr, x.src, x.timestamp)
	e := &m.entries[id]
	e.lastSuccess, e.lastTry, e.lastCountAttempt, e.attempts = x.lastSuccess, x.lastTry, x.lastCountAttempt, x.attempts
	if x.tried {
		if s := triedSlot(&m.key, x.addr); m.triedTbl.get(s) == 0 {
			m.triedTbl.put(s, id)
			e.tried = true
			m.nNew--
			m.nTried++
			return id, true, true
		}
	}
	exact = !x.tried
	buckets := x.buckets[:x.refs]
	if !trusted || x.tried {
		buckets = []uint16{uint16(newBucket(&m.key, x.addr.Addr(), x.src.Addr()))}
	}
	for _, b := range buckets {
		s := newSlot(&m.key, int(b), x.addr)
		switch occ := m.newTbl.get(s); {
		case occ == 0:
			m.addRef(id, int(b), s)
		case !trusted && m.entries[occ].isTerrible(now) && !e.isTerrible(now):
			m.clearNew(s)
			m.addRef(id, int(b), s)
		default:
			exact = false
		}
	}
	if e.refs == 0 {
		m.deleteEntry(id)
		return 0, false, false
	}
	return id, exact, true
}

// Save writes the manager to path atomically: the bytes go to a temporary
// file in the same directory (named "." + the file's name + ".tmp" and
// digits), which is synced, then renamed over path, and the directory is
// synced. A failed save leaves the previous file as it was and removes its
// temporary file; a process killed during a save leaves the previous file
// whole too, and the temporary file for the next Load to remove. The
// tables are copied under the lock and written outside it; saves are
// ordered, so an older snapshot never replaces a newer one. The directory
// is created if missing.
func (m *Manager) Save(path string) error {
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	m.mu.Lock()
	data := m.marshal()
	m.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("addrman: saving %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, data, peersFileMode, m.syncFile); err != nil {
		return fmt.Errorf("addrman: saving %s: %w", path, err)
	}
	return nil
}
