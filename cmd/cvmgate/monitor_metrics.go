package main

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metricsNamespace prefixes every metric of the monitor.
const metricsNamespace = "cvmgate_monitor_"

// monitorMetrics are the monitor's Prometheus metrics, on a registry of
// their own (with the Go runtime and process collectors). What a CVM's
// last check left (verified, TCB status, expiries) is read from the
// monitor's state at each scrape, so that "seconds until" is current.
type monitorMetrics struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
	checks   *prometheus.CounterVec
	failures *prometheus.CounterVec
	alerts   *prometheus.CounterVec
	reloads  *prometheus.CounterVec
	remote   *prometheus.CounterVec
}

// newMonitorMetrics registers the metrics of m.
func newMonitorMetrics(m *monitor) *monitorMetrics {
	mm := &monitorMetrics{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricsNamespace + "verification_duration_seconds",
			Help:    "Time one check of a CVM took: connection, evidence, collateral, verification.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"cvm"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsNamespace + "checks_total",
			Help: "Checks of a CVM by result: pass, refused (the evidence was examined and refused) or inconclusive (no verdict: unreachable, collateral unavailable).",
		}, []string{"cvm", "result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsNamespace + "failures_total",
			Help: "Failed checks of a CVM by error kind (docs/json.md lists the kinds).",
		}, []string{"cvm", "kind"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsNamespace + "alerts_total",
			Help: "Webhook alerts by event (fail, recover, collateral) and result (sent, failed).",
		}, []string{"event", "result"}),
		remote: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsNamespace + "remote_verdicts_total",
			Help: "With --remote-verifier: how the remote verifier's verdict on each quote compared with local verification (agrees, disagrees, not_compared), or unavailable.",
		}, []string{"cvm", "agreement"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricsNamespace + "config_reloads_total",
			Help: "Configuration reloads (SIGHUP) by result: success, or failure (the old configuration stays).",
		}, []string{"result"}),
	}
	mm.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		mm.duration, mm.checks, mm.failures, mm.alerts, mm.reloads, mm.remote,
		stateCollector{m}, infoCollector{m},
	)
	return mm
}

// forget drops the series of a CVM no longer configured.
func (mm *monitorMetrics) forget(name string) {
	mm.duration.DeleteLabelValues(name)
	mm.checks.DeletePartialMatch(prometheus.Labels{"cvm": name})
	mm.failures.DeletePartialMatch(prometheus.Labels{"cvm": name})
	mm.remote.DeletePartialMatch(prometheus.Labels{"cvm": name})
}

// Descriptions of the state metrics.
var (
	verifiedDesc = prometheus.NewDesc(metricsNamespace+"verified",
		"1 when the CVM's last check passed, 0 when it failed.", []string{"cvm"}, nil)
	lastCheckDesc = prometheus.NewDesc(metricsNamespace+"last_check_timestamp_seconds",
		"When the CVM was last checked (unix seconds).", []string{"cvm"}, nil)
	lastSuccessDesc = prometheus.NewDesc(metricsNamespace+"last_success_timestamp_seconds",
		"When the CVM last passed a check (unix seconds); absent until it has.", []string{"cvm"}, nil)
	tcbStatusDesc = prometheus.NewDesc(metricsNamespace+"tcb_status",
		"1, with the TCB status the CVM's platform was last rated as the status label (one series per CVM: select {status!=\"UpToDate\"}).", []string{"cvm", "status"}, nil)
	collateralExpiryDesc = prometheus.NewDesc(metricsNamespace+"collateral_expiry_seconds",
		"Seconds until the collateral (TCB info, QE identity, CRLs) the CVM was last verified with reaches its nextUpdate; negative once it has.", []string{"cvm"}, nil)
	verdictExpiryDesc = prometheus.NewDesc(metricsNamespace+"verdict_expiry_seconds",
		"Seconds until the CVM's current verdict lapses (the earliest of the report's valid_until and the policy's attestation.max_age); absent while the CVM fails.", []string{"cvm"}, nil)
)

// stateCollector exposes what each CVM's last check left.
type stateCollector struct{ m *monitor }

// Describe implements prometheus.Collector.
func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{verifiedDesc, lastCheckDesc, lastSuccessDesc, tcbStatusDesc, collateralExpiryDesc, verdictExpiryDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.m.clock.Now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range c.m.snapshot() {
		if s.status == statusUnchecked {
			continue
		}
		verified := 0.0
		if s.status == statusPass {
			verified = 1
		}
		gauge(verifiedDesc, verified, s.name)
		gauge(lastCheckDesc, unixSeconds(s.lastCheck), s.name)
		if !s.lastSuccess.IsZero() {
			gauge(lastSuccessDesc, unixSeconds(s.lastSuccess), s.name)
		}
		if s.tcbStatus != "" {
			gauge(tcbStatusDesc, 1, s.name, string(s.tcbStatus))
		}
		if !s.collateralNextUpdate.IsZero() {
			gauge(collateralExpiryDesc, s.collateralNextUpdate.Sub(now).Seconds(), s.name)
		}
		if !s.verdictExpires.IsZero() {
			gauge(verdictExpiryDesc, s.verdictExpires.Sub(now).Seconds(), s.name)
		}
	}
}

// infoCollector exposes cvmgate_monitor_cvm_info{cvm, url, label_*}: one
// series of value 1 per configured CVM carrying its labels, each label
// name prefixed with label_, to join on cvm. The label names are those
// of the running configuration, so the collector is unchecked: it
// describes nothing.
type infoCollector struct{ m *monitor }

// Describe implements prometheus.Collector.
func (infoCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c infoCollector) Collect(ch chan<- prometheus.Metric) {
	cfg := c.m.config()
	if cfg == nil {
		return
	}
	var keys []string
	for _, cvm := range cfg.CVMs {
		for k := range cvm.Labels {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	names := []string{"cvm", "url"}
	for _, k := range keys {
		names = append(names, "label_"+k)
	}
	desc := prometheus.NewDesc(metricsNamespace+"cvm_info", "The CVMs of the configuration, with their labels (label_NAME) and URL; value 1.", names, nil)
	for _, cvm := range cfg.CVMs {
		values := []string{cvm.Name, cvm.URL}
		for _, k := range keys {
			values = append(values, cvm.Labels[k])
		}
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, values...)
	}
}
