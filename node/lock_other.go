//go:build !unix

package node

import "os"

// tryLock does nothing where flock is not available: the root is not
// protected against a second process there.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }
