//go:build unix

package devnet

import "syscall"

// openFileLimit returns the process's open-file limit (the soft
// RLIMIT_NOFILE, which the Go runtime raises to the hard one at start).
// An unlimited one is reported as none. A variable so that tests can
// set it.
var openFileLimit = func() (uint64, bool) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur >= 1<<62 {
		return 0, false
	}
	return uint64(l.Cur), true
}
