package benchcpu

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcessCPUAdvances(t *testing.T) {
	before := processCPU()
	require.GreaterOrEqual(t, before, time.Duration(0), "the CPU time is readable here")
	sum := sha256.Sum256(nil)
	for range 200000 {
		sum = sha256.Sum256(sum[:])
	}
	assert.Greater(t, processCPU(), before, "hashing took no CPU time")
}

func TestReport(t *testing.T) {
	r := testing.Benchmark(func(b *testing.B) {
		cpu := Start()
		sum := sha256.Sum256(nil)
		for b.Loop() {
			sum = sha256.Sum256(sum[:])
		}
		cpu.Report(b)
	})
	assert.Greater(t, r.Extra[Unit], 0.0)
}
