package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cvmgate/cvmgate/verify"
)

// fleetConfig is a configuration of n CVMs sharing one policy file.
func fleetConfig(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\ncvms:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: cvm-%05d, url: 'https://app-%05d-443s.dstack.example', policy: p.yaml, labels: {env: prod, shard: s%d}}\n", i, i, i%16)
	}
	return []byte(b.String())
}

// BenchmarkParseMonitorConfig: a fleet of 1000 CVMs, as a reload reads it.
func BenchmarkParseMonitorConfig(b *testing.B) {
	data := fleetConfig(1000)
	stub := &stubPolicies{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMonitorConfig(data, "", stub.load); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMonitorScrape: one Prometheus gather of a monitor of 1000
// CVMs, each checked (the state gauges are computed at each scrape).
func BenchmarkMonitorScrape(b *testing.B) {
	cfg, err := parseMonitorConfig(fleetConfig(1000), "", (&stubPolicies{}).load)
	if err != nil {
		b.Fatal(err)
	}
	m := newMonitor(monitorOptions{clock: newFakeClock(time.Now()), rand: func() float64 { return 0 }, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	m.apply(cfg)
	now := time.Now()
	for _, c := range cfg.CVMs {
		t := &target{monitoredCVM: c, every: time.Minute}
		r := checkResult{at: now, duration: 200 * time.Millisecond,
			report: &verify.Report{TCBStatus: verify.StatusUpToDate, CollateralNextUpdate: now.Add(24 * time.Hour)}, verdictExpires: now.Add(time.Hour)}
		m.record(t, r)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.metrics.reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
