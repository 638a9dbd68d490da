//go:build unix

package ioc

import (
	"syscall"
	"time"
)

// cpuNow returns the process's user plus system CPU time. Benchmarks
// report it per operation beside the wall-clock ns/op, which a machine
// shared with other builds inflates.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
