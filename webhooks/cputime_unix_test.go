//go:build unix

package webhooks_test

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user + system) the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric: the process's CPU time per
// iteration, client and loopback server together. Unlike ns/op (wall
// time) it barely moves when other processes load the machine, which
// makes ratios between benchmarks of one run comparable on a shared host.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if n := b.N; n > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(n), "cpu-ns/op")
		}
	}
}
