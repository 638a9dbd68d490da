//go:build !unix

package ioc

import "time"

// cpuNow is unavailable here; the cpu-ns/op metric reads 0.
func cpuNow() time.Duration { return 0 }
