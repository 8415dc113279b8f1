// Package benchcpu reports the CPU time a benchmark's process spends per
// operation, beside the wall-clock ns/op of package testing.
//
// On a machine shared with other work, wall-clock time per operation
// grows with the load, by different amounts for benchmarks run seconds
// apart; the CPU time the process spends does not, so ratios of it compare
// the work two benchmarks do. It counts every thread of the process: the
// garbage collector, and in-process servers, included.
package benchcpu

import (
	"testing"
	"time"
)

// Unit is the unit of the metric: CPU nanoseconds per operation.
const Unit = "cpu-ns/op"

// Timer measures the process CPU time from Start to Report.
type Timer struct {
	start time.Duration
}

// Start starts a Timer. Call it just before the benchmark loop.
func Start() Timer { return Timer{start: processCPU()} }

// Report adds the CPU time since Start, divided by b.N, to b's metrics.
// Call it just after the benchmark loop.
func (t Timer) Report(b *testing.B) {
	if b.N == 0 || t.start < 0 {
		return
	}
	if now := processCPU(); now >= 0 {
		b.ReportMetric(float64(now-t.start)/float64(b.N), Unit)
	}
}
