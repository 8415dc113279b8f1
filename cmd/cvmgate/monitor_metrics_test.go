package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// series finds the series of metric name whose label values, in the
// order of their label names, are values.
func series(t *testing.T, m *monitor, name string, values ...string) (*dto.Metric, bool) {
	t.Helper()
	families, err := m.metrics.reg.Gather()
	require.NoError(t, err)
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
		for _, mt := range fam.GetMetric() {
			var got []string
			for _, lp := range mt.GetLabel() {
				got = append(got, lp.GetValue())
			}
			if slices.Equal(got, values) {
				return mt, true
			}
		}
	}
	return nil, false
}

// gaugeValue returns the value of a gauge series, which must exist.
func gaugeValue(t *testing.T, m *monitor, name string, values ...string) float64 {
	t.Helper()
	mt, ok := series(t, m, name, values...)
	require.True(t, ok, "no series %s%v", name, values)
	return mt.GetGauge().GetValue()
}

// counterValue returns the value of a counter series, 0 when absent.
func counterValue(t *testing.T, m *monitor, name string, values ...string) float64 {
	t.Helper()
	mt, ok := series(t, m, name, values...)
	if !ok {
		return 0
	}
	return mt.GetCounter().GetValue()
}

// TestMonitorMetrics: after a pass and a failure, /metrics serves every
// metric the issue names, with the labels of the configuration.
func TestMonitorMetrics(t *testing.T) {
	f := newMonitorFixture(t)
	good := f.cvm("good", f.good.URL)
	good.Labels = map[string]string{"env": "prod"}
	bad := f.cvm("bad", f.bad.URL)
	bad.Labels = map[string]string{"team": "payments"}
	f.start(t, f.config(t, good, bad), nil)
	f.next(t)
	f.next(t)

	srv := httptest.NewServer(metricsServer(f.m).Handler)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	text := string(body)
	for _, want := range []string{
		`cvmgate_monitor_verified{cvm="good"} 1`,
		`cvmgate_monitor_verified{cvm="bad"} 0`,
		`cvmgate_monitor_last_success_timestamp_seconds{cvm="good"} `,
		`cvmgate_monitor_last_check_timestamp_seconds{cvm="bad"} `,
		`cvmgate_monitor_verification_duration_seconds_count{cvm="good"} 1`,
		`cvmgate_monitor_failures_total{cvm="bad",kind="policy"} 1`,
		`cvmgate_monitor_checks_total{cvm="good",result="pass"} 1`,
		`cvmgate_monitor_tcb_status{cvm="good",status="UpToDate"} 1`,
		`cvmgate_monitor_tcb_status{cvm="bad",status="UpToDate"} 1`,
		`cvmgate_monitor_collateral_expiry_seconds{cvm="good"} `,
		`cvmgate_monitor_verdict_expiry_seconds{cvm="good"} `,
		`cvmgate_monitor_cvm_info{cvm="good",label_env="prod",label_team="",url="` + f.good.URL + `"} 1`,
		`cvmgate_monitor_cvm_info{cvm="bad",label_env="",label_team="payments",url="` + f.bad.URL + `"} 1`,
		`cvmgate_monitor_alerts_total{event="fail",result="sent"} 1`,
		"go_goroutines ",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, `cvmgate_monitor_last_success_timestamp_seconds{cvm="bad"}`, "bad never passed")
	assert.NotContains(t, text, `cvmgate_monitor_verdict_expiry_seconds{cvm="bad"}`, "a failing CVM has no verdict")
	assert.NotContains(t, text, `cvmgate_monitor_tcb_status{cvm="good",status="OutOfDate"}`, "one series per CVM, its status")

	// The verdict lapses at max_age (1h) after verification: the gauge
	// counts down with the monitor's clock.
	before := gaugeValue(t, f.m, "cvmgate_monitor_verdict_expiry_seconds", "good")
	assert.InDelta(t, time.Hour.Seconds(), before, 5)
	f.clk.Advance(10 * time.Minute)
	assert.InDelta(t, before-600, gaugeValue(t, f.m, "cvmgate_monitor_verdict_expiry_seconds", "good"), 0.001)

	resp, err = http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
