//go:build !cvmgate_nosim

package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMonitorProcessAgainstSimulate runs 'cvmgate monitor' and 'cvmgate
// simulate' as processes on loopback. The simulated CVM is replaced
// behind its address by one running another compose, then by an honest
// one again; each SIGHUP reloads the configuration, whose zero jitter
// checks every CVM at once. The webhook gets exactly one alert for the
// pass-to-fail change, none for the failure that follows, and one for
// the recovery; an invalid configuration is logged and the old one kept;
// /metrics shows it all; SIGTERM stops the monitor with exit status 0.
func TestMonitorProcessAgainstSimulate(t *testing.T) {
	sim := startSimulate(t)
	addr := strings.TrimPrefix(sim.URL, "https://")
	hook := newWebhookReceiver(t)
	config := filepath.Join(t.TempDir(), "fleet.yaml")
	fleet := "version: 1\ninterval: 1h\njitter: 0\ncvms:\n" +
		"  - {name: api, url: '" + sim.URL + "', policy: '" + sim.path(trustPolicyFile) + "', labels: {env: e2e}}\n"
	require.NoError(t, os.WriteFile(config, []byte(fleet), 0o600))

	mon := startDaemon(t, []string{webhookEnv + "=" + hook.srv.URL + "/hooks/secret"},
		append([]string{"monitor", "--config", config, "--metrics-addr", "127.0.0.1:0"}, sim.trust()...)...)
	metricsAddr := mon.logs.waitMsg(t, "serving metrics")["addr"].(string)
	check := mon.logs.waitMsg(t, "check")
	require.Equal(t, "pass", check["result"], "%v", check)
	assert.Equal(t, map[string]any{"env": "e2e"}, check["labels"])

	// The CVM behind the address now runs another compose.
	sim.stop(t)
	attacked := startSimulate(t, "--listen", addr, "--attack", "compose")
	mon.signal(t, syscall.SIGHUP)
	mon.logs.waitMsg(t, "config reloaded")
	check = mon.logs.waitMsg(t, "check")
	assert.Equal(t, "refused", check["result"], "%v", check)
	assert.Equal(t, "policy", check["kind"])
	assert.Contains(t, check["error"], "app.compose_hashes")
	alert := mon.logs.waitMsg(t, "alert sent")
	assert.Equal(t, "fail", alert["event"])

	// Still failing: no alert.
	mon.signal(t, syscall.SIGHUP)
	mon.logs.waitMsg(t, "config reloaded")
	assert.Equal(t, "refused", mon.logs.waitMsg(t, "check")["result"])

	// An invalid configuration is refused and the running one kept.
	require.NoError(t, os.WriteFile(config, []byte(fleet+"surprise: 1\n"), 0o600))
	mon.signal(t, syscall.SIGHUP)
	failed := mon.logs.waitMsg(t, "config reload failed; the running configuration stays")
	assert.Contains(t, failed["error"], "field surprise not found")
	require.NoError(t, os.WriteFile(config, []byte(fleet), 0o600))

	// The honest CVM is back.
	attacked.stop(t)
	startSimulate(t, "--listen", addr)
	mon.signal(t, syscall.SIGHUP)
	mon.logs.waitMsg(t, "config reloaded")
	// Each reload stops the checks of the configuration it replaces, and
	// their alerts, before it starts the new one: here every alert of an
	// earlier check has been delivered.
	assert.Equal(t, "pass", mon.logs.waitMsg(t, "check")["result"])
	assert.Equal(t, "recover", mon.logs.waitMsg(t, "alert sent")["event"])

	texts := hook.Texts()
	require.Len(t, texts, 2, "one alert for the failure, one for the recovery: %q", texts)
	assert.Contains(t, texts[0], "CVM api [env=e2e] ("+sim.URL+") FAILED verification: policy: app.compose_hashes")
	assert.Contains(t, texts[1], "CVM api [env=e2e] ("+sim.URL+") verified again")

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	for _, want := range []string{
		`cvmgate_monitor_verified{cvm="api"} 1`,
		`cvmgate_monitor_checks_total{cvm="api",result="pass"} 2`,
		`cvmgate_monitor_checks_total{cvm="api",result="refused"} 2`,
		`cvmgate_monitor_failures_total{cvm="api",kind="policy"} 2`,
		`cvmgate_monitor_alerts_total{event="fail",result="sent"} 1`,
		`cvmgate_monitor_alerts_total{event="recover",result="sent"} 1`,
		`cvmgate_monitor_config_reloads_total{result="success"} 3`,
		`cvmgate_monitor_config_reloads_total{result="failure"} 1`,
		`cvmgate_monitor_tcb_status{cvm="api",status="UpToDate"} 1`,
		`cvmgate_monitor_verification_duration_seconds_count{cvm="api"} 4`,
		`cvmgate_monitor_last_success_timestamp_seconds{cvm="api"} `,
		`cvmgate_monitor_collateral_expiry_seconds{cvm="api"} `,
		`cvmgate_monitor_verdict_expiry_seconds{cvm="api"} `,
		`cvmgate_monitor_cvm_info{cvm="api",label_env="e2e",url="` + sim.URL + `"} 1`,
	} {
		assert.Contains(t, string(body), want)
	}

	assert.Equal(t, exitOK, mon.stop(t))
	mon.logs.waitMsg(t, "monitor stopped")
}
