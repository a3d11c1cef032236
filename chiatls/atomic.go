package chiatls

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Permission bits the reference writes (chia/ssl/ssl_check.py).
const (
	certFileMode fs.FileMode = 0o644
	keyFileMode  fs.FileMode = 0o600
	dirMode      fs.FileMode = 0o700
)

// pendingFile is a fully written and synced temporary file waiting to be
// published under its final name.
type pendingFile struct {
	tmp, final string
}

// stage writes data to a new temporary file in the directory of final,
// with the given mode, and syncs it.
func stage(final string, data []byte, mode fs.FileMode) (pendingFile, error) {
	dir, base := filepath.Split(final)
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return pendingFile{}, fmt.Errorf("chiatls: %w", err)
	}
	p := pendingFile{tmp: f.Name(), final: final}
	err = f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(p.tmp)
		return pendingFile{}, fmt.Errorf("chiatls: writing %s: %w", final, err)
	}
	return p, nil
}

// publish gives the staged file its final name without ever replacing an
// existing file: a hard link fails if the name exists, where a rename would
// overwrite it. On file systems without hard links it falls back to
// checking for the name and renaming. The error wraps fs.ErrExist when the
// final name is taken.
func (p pendingFile) publish() error {
	err := os.Link(p.tmp, p.final)
	if err == nil {
		_ = os.Remove(p.tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		_ = os.Remove(p.tmp)
		return fmt.Errorf("chiatls: will not overwrite %s: %w", p.final, fs.ErrExist)
	}
	if _, serr := os.Lstat(p.final); serr == nil {
		_ = os.Remove(p.tmp)
		return fmt.Errorf("chiatls: will not overwrite %s: %w", p.final, fs.ErrExist)
	}
	if err := os.Rename(p.tmp, p.final); err != nil {
		_ = os.Remove(p.tmp)
		return fmt.Errorf("chiatls: %w", err)
	}
	return nil
}

func (p pendingFile) discard() { _ = os.Remove(p.tmp) }

// writeNewFiles atomically creates each file (name → contents, mode) in
// order, never overwriting: every file is written and synced under a
// temporary name in its own directory first, then each is published. If a
// publish fails, the files this call already published are removed again,
// so a pair such as a certificate and its key appears whole or not at all
// (short of a crash between the two publishes).
func writeNewFiles(files ...newFile) error {
	staged := make([]pendingFile, 0, len(files))
	defer func() {
		for _, p := range staged {
			p.discard()
		}
	}()
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), dirMode); err != nil {
			return fmt.Errorf("chiatls: %w", err)
		}
		p, err := stage(f.path, f.data, f.mode)
		if err != nil {
			return err
		}
		staged = append(staged, p)
	}
	for i, p := range staged {
		if err := p.publish(); err != nil {
			for _, done := range staged[:i] {
				_ = os.Remove(done.final)
			}
			return err
		}
	}
	for _, p := range staged {
		syncDir(filepath.Dir(p.final))
	}
	return nil
}

type newFile struct {
	path string
	data []byte
	mode fs.FileMode
}

// syncDir makes a directory's new entries durable where the platform
// allows it; errors are ignored (some systems cannot sync a directory).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
