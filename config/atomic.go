package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dirMode is the mode of directories made for config.yaml.
const dirMode fs.FileMode = 0o755

// stageFile writes data to a new synced temporary file next to path and
// returns its name.
func stageFile(path string, data []byte, mode fs.FileMode) (string, error) {
	dir, base := filepath.Split(path)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	tmp := f.Name()
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
		_ = os.Remove(tmp)
		return "", fmt.Errorf("config: writing %s: %w", path, err)
	}
	return tmp, nil
}

// replaceFile atomically replaces path with data: the data is written and
// synced under a temporary name, then renamed over path, and the
// directory is synced. An existing file keeps its permission bits; a new
// one gets mode.
func replaceFile(path string, data []byte, mode fs.FileMode) error {
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := stageFile(path, data, mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("config: %w", err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// writeNew atomically creates path with data, never replacing an existing
// file: the synced temporary file is hard-linked to path, which fails if
// path exists. Where hard links are not supported it checks for path and
// renames. The error wraps fs.ErrExist when path exists.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	tmp, err := stageFile(path, data, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("config: will not replace %s: %w", path, fs.ErrExist)
		}
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("config: will not replace %s: %w", path, fs.ErrExist)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	syncDir(filepath.Dir(path))
	return nil
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
