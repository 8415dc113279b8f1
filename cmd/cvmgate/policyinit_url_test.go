package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
)

// TestPolicyInitURL: policy init of a live CVM writes the strictest
// policy it satisfies, each field under a comment saying where it came
// from, and 'verify' then accepts the CVM with it.
func TestPolicyInitURL(t *testing.T) {
	c := newLiveCVM(t)
	out := filepath.Join(t.TempDir(), "policy.yaml")
	code, _, stderr := runCLI(t, "policy", "init", c.srv.URL, "--trust-root", c.root, "--collateral", c.coll, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	data := readTestFile(t, out)
	for _, want := range []string{
		"# SHA-256 of the app's exact app-compose.json, from the compose-hash event",
		"# MRTD and RTMR0-2 of the verified quote",
		"binding: spki",
	} {
		assert.Contains(t, string(data), want)
	}
	pol, err := policy.Parse(data, "")
	require.NoError(t, err)
	app := c.srv.App()
	h := app.ComposeHash()
	assert.Equal(t, policy.Hex(h[:]), pol.App.ComposeHashes[0])

	code, _, stderr = runCLI(t, c.args("--policy", out)...)
	assert.Equal(t, exitOK, code, "the CVM satisfies the policy written from it: %s", stderr)
}

func TestPolicyInitURLRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		opts []cvmtest.Option
		code int
	}{
		"debug TD":    {[]cvmtest.Option{cvmtest.WithDebug()}, exitRefused},
		"relay":       {nil, exitRefused},
		"unbound key": {[]cvmtest.Option{cvmtest.WithoutKeyBinding()}, exitRefused},
		"revoked TCB": {[]cvmtest.Option{cvmtest.WithTCBStatus("Revoked")}, exitRefused},
	} {
		t.Run(name, func(t *testing.T) {
			c := newLiveCVM(t, tc.opts...)
			url := c.srv.URL
			if name == "relay" {
				r := cvmtest.NewRelay(c.srv)
				t.Cleanup(r.Close)
				url = r.URL
			}
			out := filepath.Join(t.TempDir(), "policy.yaml")
			code, _, stderr := runCLI(t, "policy", "init", url, "--trust-root", c.root, "--collateral", c.coll, "--out", out)
			assert.Equal(t, tc.code, code, stderr)
			assert.NoFileExists(t, out, "no policy is written for what is refused")
		})
	}

	c := newLiveCVM(t)
	for name, args := range map[string][]string{
		"URL and --attestation": {"policy", "init", c.srv.URL, "--attestation", c.coll},
		"two URLs":              {"policy", "init", c.srv.URL, c.srv.URL},
		"--at with a URL":       {"policy", "init", c.srv.URL, "--at", "2025-01-01T00:00:00Z"},
		"plain http":            {"policy", "init", "http://127.0.0.1:1"},
	} {
		code, _, stderr := runCLI(t, append(args, "--trust-root", c.root, "--collateral", c.coll)...)
		assert.Equal(t, exitUsage, code, "%s: %s", name, stderr)
	}
}
