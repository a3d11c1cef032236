package node

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/chiatls"
)

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// referencePeersFile lays out a peers.dat as the reference's
// serialize_bytes writes it (see addrman/reference.go): key, the count
// said to be new, no (index, bucket) pairs, then IPv4 records with their
// timestamp and source.
func referencePeersFile(hosts ...[4]byte) []byte {
	b := make([]byte, 32, 128)
	for i := range b {
		b[i] = byte(i)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(len(hosts)))
	b = binary.BigEndian.AppendUint32(b, 0)
	for _, h := range hosts {
		b = append(b, 0)
		b = append(b, h[:]...)
		b = binary.BigEndian.AppendUint16(b, 8444)
		b = binary.BigEndian.AppendUint64(b, 1_700_000_000)
		b = append(b, 0, 203, 0, 113, 1)
		b = binary.BigEndian.AppendUint16(b, 8444)
	}
	return b
}

// The default peers file is chianet's own; the reference node's
// db/peers.dat in the same root is imported when chianet has none, and
// is never written.
func TestReferencePeersFileImportedNotWritten(t *testing.T) {
	root := t.TempDir()
	ref := filepath.Join(root, "db", "peers.dat")
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		t.Fatal(err)
	}
	data := referencePeersFile([4]byte{1, 2, 3, 4}, [4]byte{5, 6, 7, 8})
	if err := os.WriteFile(ref, data, 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	a := startNode(t, "a", func(c *Config) {
		c.Root = root
		c.ImportPeersFile = filepath.Join("db", "peers.dat")
		c.Logger = logs.logger()
	})
	if n := a.addrs.Size(); n != 2 {
		t.Errorf("imported %d addresses, want 2", n)
	}
	if !strings.Contains(logs.String(), "imported the addresses of another peers file") {
		t.Errorf("no import in the log:\n%s", logs.String())
	}
	if err := a.shutdown(); err != nil {
		t.Fatal(err)
	}
	if got := a.cfg.PeersFile; got != filepath.Join(root, "db", "chianet-peers-devnet.dat") {
		t.Errorf("peers file %s", got)
	}
	after, err := os.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(ref); !bytes.Equal(got, data) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("the reference peers file was written")
	}
	m, err := addrman.Load(a.cfg.PeersFile, addrman.Config{AllowPrivate: true})
	if err != nil || m.Size() != 2 {
		t.Fatalf("chianet's peers file: %v, %d addresses", err, m.Size())
	}
	entries, _ := os.ReadDir(filepath.Dir(ref))
	for _, e := range entries {
		switch e.Name() {
		case "peers.dat", "chianet-peers-devnet.dat", LockFileName:
		default:
			t.Errorf("unexpected file db/%s", e.Name())
		}
	}

	// A file that does not parse whole is not imported.
	root2 := t.TempDir()
	bad := filepath.Join(root2, "peers.dat")
	if err := os.WriteFile(bad, data[:len(data)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	b := startNode(t, "b", func(c *Config) { c.Root = root2; c.ImportPeersFile = bad })
	if n := b.addrs.Size(); n != 0 {
		t.Errorf("a cut reference file gave %d addresses", n)
	}
}

// A second node on the same root fails at once with a clear message; the
// lock is released when the first stops.
func TestRootLocked(t *testing.T) {
	root := t.TempDir()
	a := startNode(t, "a", func(c *Config) { c.Root = root })
	_, err := New(Config{Network: "devnet", Private: true, Root: root, ListenAddr: "127.0.0.1:0"})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second New on the root: %v, want ErrLocked", err)
	}
	want := "(process " // the holder is this process
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), filepath.Join(root, "db", LockFileName)) {
		t.Errorf("error %q does not name the holder and the lock file", err)
	}
	// Another network on the same root is refused too: the root's db is
	// one node's.
	if _, err := New(Config{Network: "testnet11", Root: root, ListenAddr: "127.0.0.1:0"}); !errors.Is(err, ErrLocked) {
		t.Errorf("another network on the root: %v", err)
	}
	if err := a.shutdown(); err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{Network: "devnet", Private: true, Root: root, ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("New after the first node stopped: %v", err)
	}
	// Close releases a node that never ran.
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Run(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v", err)
	}
	n2, err := New(Config{Network: "devnet", Private: true, Root: root, ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("New after Close: %v", err)
	}
	n2.Close()
}

// A peers file that could not be saved is an error at start, not a loss
// at shutdown. (Tests run as root, which ignores permission bits: the
// paths here fail for root too.)
func TestUnwritablePeersFile(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dbFile := t.TempDir()
	if err := os.WriteFile(filepath.Join(dbFile, "db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"db is a file", Config{Root: dbFile}, "db"},
		{"the peers file's directory is a file", Config{Root: t.TempDir(), PeersFile: filepath.Join(notDir, "p.dat")},
			"the peers file " + filepath.Join(notDir, "p.dat") + " could not be saved"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Network, c.cfg.Private, c.cfg.ListenAddr = "devnet", true, "127.0.0.1:0"
			n, err := New(c.cfg)
			if err == nil {
				n.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not a directory") {
				t.Errorf("error %q, want it to contain %q and the cause", err, c.want)
			}
		})
	}
}

// A damaged peers file and a key with loose permissions are each
// reported once.
func TestWarningsLoggedOnce(t *testing.T) {
	root := t.TempDir()
	tree := chiatls.Tree{Root: root}
	if err := tree.EnsureService(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	_, key := tree.CertPaths(chiatls.FullNode, chiatls.Public)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	peers := filepath.Join(root, "db", DefaultPeersFileName("devnet"))
	if err := os.MkdirAll(filepath.Dir(peers), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(peers, []byte("CHNADDRM but not much else"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	n, err := New(Config{Network: "devnet", Private: true, Root: root, ListenAddr: "127.0.0.1:0", Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	out := logs.String()
	if c := countLines(out, "damaged"); c != 1 {
		t.Errorf("%d lines about the damaged peers file, want 1:\n%s", c, out)
	}
	if c := countLines(out, "loose permissions"); c != 1 {
		t.Errorf("%d warnings about the key's permissions, want 1:\n%s", c, out)
	}
	if !strings.Contains(out, key) {
		t.Errorf("the warning does not name %s:\n%s", key, out)
	}
}

// countLines counts the lines of s that contain sub.
func countLines(s, sub string) int {
	n := 0
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			n++
		}
	}
	return n
}

// forwarder accepts TCP connections on 127.0.0.2 and relays them to the
// address sent on target (once), as a port forward or a NAT would.
func forwarder(t *testing.T) (addr string, target chan<- string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		to := <-ch
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, d)
			mu.Unlock()
			wg.Go(func() { io.Copy(d, c); d.Close() })
			wg.Go(func() { io.Copy(c, d); c.Close() })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		select {
		case ch <- "":
		default:
		}
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), ch
}

// A static peer that turns out to be this node, reached through another
// address, is reported as the node itself, not as unreachable.
func TestStaticPeerIsSelf(t *testing.T) {
	fwd, target := forwarder(t)
	var logs logBuffer
	a := startNode(t, "a", func(c *Config) {
		c.StaticPeers = []string{fwd}
		c.Logger = logs.logger()
	})
	target <- a.addr()
	eventually(t, "the self connection is reported", func() bool {
		return strings.Contains(logs.String(), "static peer is this node")
	})
	if l := countLines(logs.String(), "unreachable"); l != 0 {
		t.Errorf("reported as unreachable:\n%s", logs.String())
	}
}
