//go:build !unix

package benchcpu

import "time"

// processCPU cannot read the CPU time on this system: no metric is
// reported.
func processCPU() time.Duration { return -1 }
