//go:build !cvmgate_nosim

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProxyProcessAgainstSimulate runs 'cvmgate proxy' and 'cvmgate
// simulate' as processes on loopback: a proxy in front of an honest
// simulated CVM forwards (to Go's client, and to curl when it is
// installed), one in front of a CVM running another compose answers 502
// with the JSON error, and both stop on SIGTERM with exit status 0. (That
// no request reaches the app of a refused CVM is counted in process, by
// TestProxyRefusesThreats.)
func TestProxyProcessAgainstSimulate(t *testing.T) {
	honest := startSimulate(t)
	attacked := startSimulate(t, "--attack", "compose")
	start := func(sim *simProc) (*daemonProc, string) {
		p := startDaemon(t, nil, append([]string{"proxy", "--listen", "127.0.0.1:0", "--upstream", sim.URL,
			"--policy", honest.path(trustPolicyFile)}, sim.trust()...)...)
		return p, "http://" + p.logs.waitMsg(t, "proxy listening")["addr"].(string)
	}

	good, goodURL := start(honest)
	resp, err := http.Get(goodURL + "/v1/models")
	require.NoError(t, err)
	var app map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&app))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, map[string]string{"app": "cvmgate simulate", "method": "GET", "path": "/v1/models"}, app)
	assert.Len(t, resp.Header.Get(headerComposeHash), 64)
	assert.Equal(t, "UpToDate", resp.Header.Get(headerTCBStatus))

	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "-f", "-D", "-", goodURL+"/from-curl").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), `"path":"/from-curl"`)
		assert.Contains(t, string(out), "Cvmgate-Compose-Hash: ")
	}

	bad, badURL := start(attacked)
	resp, err = http.Get(badURL + "/v1/models")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	var e map[string]any
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	assert.Equal(t, "policy", e["kind"])
	assert.Contains(t, e["message"], "app.compose_hashes")
	assert.Empty(t, resp.Header.Get(headerComposeHash))
	bad.logs.waitMsg(t, "upstream refused: attestation failed")

	for _, p := range []*daemonProc{good, bad} {
		assert.Equal(t, exitOK, p.stop(t))
		p.logs.waitMsg(t, "proxy stopped")
	}
}
