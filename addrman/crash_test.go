//go:build unix

package addrman

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chianet/chianet/internal/atomicfile"
	"github.com/chianet/chianet/protocol"
)

// The environment of TestHelperSaveLoop: the peers file, and after how
// many saves to pause ("0": never).
const (
	envSaveLoopPath  = "CHIANET_ADDRMAN_SAVE_LOOP"
	envSaveLoopPause = "CHIANET_ADDRMAN_SAVE_PAUSE"
)

// TestHelperSaveLoop is not a test of its own: TestKillDuringSave runs
// the test binary again as a child process with only this test selected
// and envSaveLoopPath set. The child loads the peers file, then adds an
// address and saves, over and over, printing "saved N D" after save N,
// which took D nanoseconds.
// With envSaveLoopPause = k, save k stops after its temporary file is
// written and synced but before the rename, prints "paused", and waits
// for its standard input to close (the parent kills it first). Without
// the variable it does nothing.
func TestHelperSaveLoop(t *testing.T) {
	path := os.Getenv(envSaveLoopPath)
	if path == "" {
		return
	}
	fail := func(format string, args ...any) {
		fmt.Printf("error: "+format+"\n", args...)
		os.Exit(2)
	}
	m, err := Load(path, Config{AllowPrivate: true})
	if err != nil {
		fail("load: %v", err)
	}
	var pauseAt, syncs int
	if _, err := fmt.Sscan(os.Getenv(envSaveLoopPause), &pauseAt); err != nil {
		fail("%s: %v", envSaveLoopPause, err)
	}
	m.syncFile = func(f *os.File) error {
		if err := f.Sync(); err != nil {
			return err
		}
		if syncs++; syncs == pauseAt {
			fmt.Println("paused")
			_, _ = io.Copy(io.Discard, os.Stdin) // until killed
			fail("standard input closed while paused")
		}
		return nil
	}
	for i := 1; ; i++ {
		ts := uint64(time.Now().Unix())
		host := fmt.Sprintf("45.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff)
		m.Add([]protocol.TimestampedPeerInfo{{Host: host, Port: 8444, Timestamp: ts}}, PeerInfo{"46.1.2.3", 8444}, 0)
		start := time.Now()
		if err := m.Save(path); err != nil {
			fail("save %d: %v", i, err)
		}
		fmt.Printf("saved %d %d\n", i, time.Since(start))
	}
}

// staleFiles returns the temporary files of path in its directory.
func staleFiles(t *testing.T, path string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if atomicfile.IsTemp(filepath.Base(path), e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestKillDuringSave kills (SIGKILL) a real process while it saves a
// peers file of a few megabytes, 20 times: half the time at a known point
// (the new file written and synced, not yet renamed), half the time at a
// point spread over the next save of a tight save loop. After every kill
// the file loads whole, and once loaded no temporary file is left.
func TestKillDuringSave(t *testing.T) {
	m, _ := newTest(t, testOpts{seed: 4, key: seqKey})
	for _, g := range benchGossip(32_000, 5) {
		m.Add(g.addrs, g.src, GossipPenalty)
	}
	path := filepath.Join(t.TempDir(), "db", "peers-crash.dat")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	size := m.Size()
	if fi.Size() < 2<<20 {
		t.Fatalf("peers file of %d bytes, want at least 2 MiB", fi.Size())
	}
	t.Logf("peers file: %d addresses, %d bytes", size, fi.Size())

	const rounds = 20
	leftBehind := 0
	for round := range rounds {
		paused := round%2 == 0
		// Pause in the first or second save; or kill after one or two
		// saves of the loop.
		pauseAt, killAfter := 0, round/2%2+1
		if paused {
			pauseAt = killAfter
		}
		killed := runSaveLoop(t, path, pauseAt, killAfter, float64(round%10+1)/11)

		stale := staleFiles(t, path)
		if len(stale) > 0 {
			leftBehind++
		} else if paused {
			t.Fatalf("round %d: killed while paused in save %d, yet no temporary file was left (%s)", round, pauseAt, killed)
		}
		got, err := Load(path, Config{AllowPrivate: true})
		if err != nil {
			t.Fatalf("round %d (%s): the peers file does not load whole: %v", round, killed, err)
		}
		if got.Size() < size {
			t.Fatalf("round %d (%s): %d addresses loaded, want at least %d", round, killed, got.Size(), size)
		}
		if left := staleFiles(t, path); len(left) > 0 {
			t.Fatalf("round %d (%s): temporary files %v (of %v) left after loading", round, killed, left, stale)
		}
	}
	t.Logf("%d of %d kills left a temporary file behind (%d paused)", leftBehind, rounds, rounds/2)
}

// runSaveLoop starts TestHelperSaveLoop on path and kills it with SIGKILL
// once it has paused in save pauseAt (if not zero), or else once the
// fraction at of a save's duration has passed after save killAfter (so
// that the kill lands somewhere in the next save; where exactly changes
// nothing the test checks). It returns a description of when it was
// killed.
func runSaveLoop(t *testing.T, path string, pauseAt, killAfter int, at float64) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSaveLoop$", "-test.count=1")
	cmd.Env = append(os.Environ(), envSaveLoopPath+"="+path, fmt.Sprintf("%s=%d", envSaveLoopPause, pauseAt))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() { // on a failure below, the child must not outlive the test
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	killed := ""
	lines := bufio.NewScanner(stdout)
	for killed == "" && lines.Scan() {
		switch line := lines.Text(); {
		case line == "paused":
			killed = fmt.Sprintf("paused in save %d", pauseAt)
		case strings.HasPrefix(line, fmt.Sprintf("saved %d ", killAfter)) && pauseAt == 0:
			var n int
			var took time.Duration
			if _, err := fmt.Sscanf(line, "saved %d %d", &n, &took); err != nil {
				t.Fatalf("child: %q: %v", line, err)
			}
			wait := time.Duration(float64(took) * at)
			<-time.After(wait)
			killed = fmt.Sprintf("%v into save %d (save %d took %v)", wait, killAfter+1, killAfter, took)
		case strings.HasPrefix(line, "error: "):
			t.Errorf("child: %s", line)
		}
	}
	if killed == "" {
		waited = true
		_ = cmd.Wait()
		t.Fatalf("the child ended before it was killed: %v\n%s", lines.Err(), stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	waited = true
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child: %v, want killed", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", exit)
	}
	return killed
}

// TestLoadNotRegular: a peers-file path naming a named pipe, a directory
// or a device is refused at once with a clear error, never opened for a
// read that would wait; nothing next to it is touched.
func TestLoadNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "peers.dat")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".peers.dat.tmp123")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, kind string
	}{
		{fifo, "named pipe"},
		{dir, "directory"},
		{os.DevNull, "device"},
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() {
			_, err := Load(c.path, Config{})
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), c.kind) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("Load(%s): %v, want an error naming the path and %q", c.path, err, c.kind)
			}
		case <-time.After(time.Second):
			// Let a blocked open of the FIFO return before failing.
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				_ = w.Close()
			}
			<-done
			t.Fatalf("Load(%s) took more than a second", c.path)
		}
	}
	if _, err := os.Stat(stale); err != nil {
		t.Errorf("a refused load touched the files next to it: %v", err)
	}
}

// TestLoadRemovesStale: Load removes the temporary files of interrupted
// saves of its own file, whether or not the file exists, and no others.
func TestLoadRemovesStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "peers.dat")
	mine := []string{".peers.dat.tmp1", ".peers.dat.tmp987654321"}
	others := []string{".peers-devnet.dat.tmp5", ".peers.dat.tmp5.keep", "notes.txt"}
	for _, n := range append(append([]string{}, mine...), others...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(path, Config{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	for _, n := range mine {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s not removed: %v", n, err)
		}
	}
	for _, n := range others {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
}
