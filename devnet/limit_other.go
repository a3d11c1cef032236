//go:build !unix

package devnet

// openFileLimit reports no limit where there is no RLIMIT_NOFILE.
var openFileLimit = func() (uint64, bool) { return 0, false }
