package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RootEnv is the environment variable naming the root directory.
const RootEnv = "CHIA_ROOT"

// DefaultRootDir is the root directory when neither a flag nor
// $CHIA_ROOT names one, "~/.chia/mainnet" (the reference's
// DEFAULT_ROOT_PATH).
const DefaultRootDir = "~/.chia/mainnet"

// ResolveRoot returns the CHIA_ROOT directory: flag when it is not empty,
// else $CHIA_ROOT when set and not empty, else DefaultRootDir. A leading
// "~" is expanded to the home directory and a relative path is made
// absolute against the working directory, once, so that a later change of
// directory does not move the root.
func ResolveRoot(flag string) (string, error) {
	root := flag
	if root == "" {
		root = os.Getenv(RootEnv)
	}
	if root == "" {
		root = DefaultRootDir
	}
	root, err := expandHome(root)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("config: root %q: %w", root, err)
	}
	return abs, nil
}

// expandHome replaces a leading "~" (alone or followed by a separator)
// with the home directory, as Python's os.path.expanduser does.
func expandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") && !strings.HasPrefix(path, "~"+string(filepath.Separator)) {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("config: expanding %q: %w", path, err)
	}
	if home == "" {
		return "", errors.New("config: expanding " + path + ": no home directory")
	}
	return filepath.Join(home, path[1:]), nil
}
