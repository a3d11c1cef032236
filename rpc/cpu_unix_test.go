//go:build unix

package rpc

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process has used, user and system:
// a benchmark's cost that other programs on a busy machine do not change,
// as they change its requests per second.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
