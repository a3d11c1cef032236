package chiatls

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chianet/chianet/internal/atomicfile"
)

// Permission bits the reference writes (chia/ssl/ssl_check.py).
const (
	certFileMode fs.FileMode = 0o644
	keyFileMode  fs.FileMode = 0o600
	dirMode      fs.FileMode = 0o700
)

// writeNewFiles atomically creates each file (name → contents, mode) in
// order, never overwriting: every file is written and synced under a
// temporary name in its own directory first, then each is published. If a
// publish fails, the files this call already published are removed again,
// so a pair such as a certificate and its key appears whole or not at all
// (short of a crash between the two publishes). The error wraps
// fs.ErrExist when a name is taken.
func writeNewFiles(files ...newFile) error {
	staged := make([]*atomicfile.Pending, 0, len(files))
	defer func() {
		for _, p := range staged {
			p.Discard()
		}
	}()
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), dirMode); err != nil {
			return fmt.Errorf("chiatls: %w", err)
		}
		p, err := atomicfile.Stage(f.path, f.data, f.mode, nil)
		if err != nil {
			return fmt.Errorf("chiatls: writing %s: %w", f.path, err)
		}
		staged = append(staged, p)
	}
	for i, p := range staged {
		if err := p.Create(); err != nil {
			for _, done := range files[:i] {
				_ = os.Remove(done.path)
			}
			return fmt.Errorf("chiatls: %w", err)
		}
	}
	for _, f := range files {
		atomicfile.SyncDir(filepath.Dir(f.path))
	}
	return nil
}

type newFile struct {
	path string
	data []byte
	mode fs.FileMode
}
