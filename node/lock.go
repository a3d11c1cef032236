package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFileName is the lock file a running node holds in its root's db
// directory, so that two processes never share one root's peers file.
const LockFileName = "chianet.lock"

// ErrLocked is wrapped by New's error when another process holds the
// root's lock file.
var ErrLocked = errors.New("node: the root is in use by another chianet node")

// dbLock is a held lock on Root/db/chianet.lock.
type dbLock struct {
	f *os.File
}

// lockDB creates dir if needed and takes an exclusive lock on its lock
// file, without waiting. The lock file holds the process id of its
// holder, for the error a second process reports.
func lockDB(dir string) (*dbLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("node: db directory: %w", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("node: lock file: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("node: locking %s: %w", path, err)
	}
	if !held {
		holder := ""
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				holder = fmt.Sprintf(" (process %d)", pid)
			}
		}
		f.Close()
		return nil, fmt.Errorf("%w%s: %s is locked; stop that node or use another root", ErrLocked, holder, path)
	}
	// The process id is a hint for the message above; failing to write
	// it costs nothing else.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dbLock{f: f}, nil
}

// release gives the lock up. The file stays: removing it would let a
// third process lock a new file while a second still waits on the old.
func (l *dbLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}

// checkWritable reports whether files can be created in dir (created if
// missing): the peers file is saved there, and finding out only at
// shutdown would lose every address learned.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".chianet-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}
