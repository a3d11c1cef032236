// Package atomicfile writes files so that a reader, or a process killed
// at any instant, finds either the old file or the new one whole, never a
// mix: the data goes to a temporary file next to the final name, is
// synced, and only then takes the final name.
//
// A process killed between creating the temporary file and renaming it
// leaves the temporary file behind. Its name follows one pattern,
// "." + base + ".tmp" + digits (base being the final name's last
// element), so RemoveStale can find and remove exactly such leftovers and
// nothing else.
//
// It imports nothing of chianet's; the packages that persist files
// (addrman, chiatls) all write through it.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix returns the prefix of the temporary files of final's base
// name; os.CreateTemp appends decimal digits to it.
func tempPrefix(base string) string { return "." + base + ".tmp" }

// IsTemp reports whether name (a file name, not a path) is one of the
// temporary files Stage makes for a final file named base.
func IsTemp(base, name string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Pending is a fully written and synced temporary file waiting to be
// published under its final name with Replace or Create, or thrown away
// with Discard.
type Pending struct {
	tmp, final string
}

// TempName returns the path of the temporary file.
func (p *Pending) TempName() string { return p.tmp }

// Stage writes data to a new temporary file in the directory of path,
// with permission bits mode, and syncs it with sync (nil means
// (*os.File).Sync; tests pass a failing one). The directory must exist.
// On failure nothing is left behind.
func Stage(path string, data []byte, mode fs.FileMode, sync func(*os.File) error) (*Pending, error) {
	if sync == nil {
		sync = (*os.File).Sync
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return nil, err
	}
	p := &Pending{tmp: f.Name(), final: path}
	// The mode is set before any byte is written, so that a key is
	// never readable by others, even for a moment.
	err = f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(p.tmp)
		return nil, err
	}
	return p, nil
}

// Replace renames the staged file over its final name, replacing any
// file there, and syncs the directory. On failure the temporary file is
// removed and the final name is left as it was.
func (p *Pending) Replace() error {
	if err := os.Rename(p.tmp, p.final); err != nil {
		_ = os.Remove(p.tmp)
		return err
	}
	SyncDir(filepath.Dir(p.final))
	return nil
}

// Create gives the staged file its final name without ever replacing an
// existing file: a hard link fails if the name exists, where a rename
// would overwrite it. On file systems without hard links it falls back to
// checking for the name and renaming. The error wraps fs.ErrExist when
// the final name is taken. The temporary file is gone afterwards either
// way. The directory is not synced (see SyncDir).
func (p *Pending) Create() error {
	err := os.Link(p.tmp, p.final)
	if err == nil {
		_ = os.Remove(p.tmp)
		return nil
	}
	exists := errors.Is(err, fs.ErrExist)
	if !exists {
		_, serr := os.Lstat(p.final)
		exists = serr == nil
	}
	if exists {
		_ = os.Remove(p.tmp)
		return fmt.Errorf("will not overwrite %s: %w", p.final, fs.ErrExist)
	}
	if err := os.Rename(p.tmp, p.final); err != nil {
		_ = os.Remove(p.tmp)
		return err
	}
	return nil
}

// Discard removes the temporary file. It is harmless after Replace or
// Create.
func (p *Pending) Discard() { _ = os.Remove(p.tmp) }

// WriteFile replaces the file at path with data atomically (Stage, then
// Replace): after a crash at any point path holds either its old contents
// or data. sync is as for Stage. The directory must exist.
func WriteFile(path string, data []byte, mode fs.FileMode, sync func(*os.File) error) error {
	p, err := Stage(path, data, mode, sync)
	if err != nil {
		return err
	}
	return p.Replace()
}

// RemoveStale removes the temporary files that an interrupted write of
// path left in path's directory: regular files whose name is
// "." + base + ".tmp" followed by digits only. No other file is touched.
// It returns the paths removed; a missing directory is not an error.
//
// Call it at start, before anything writes path: a write in progress in
// another process would lose its temporary file (and fail, leaving path
// as it was).
func RemoveStale(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(base, e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// SyncDir makes a directory's new entries durable where the platform
// allows it; errors are ignored (some systems cannot sync a directory).
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
