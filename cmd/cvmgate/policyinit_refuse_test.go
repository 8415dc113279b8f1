package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// initFiles writes the /attestation and /info of app, whose quote is made
// with opts, the first half of its REPORTDATA replaced by nonce.
func initFiles(t *testing.T, s *synthetic, app *cvmtest.App, nonce [32]byte, opts cvmtest.QuoteOptions) (attestation, info string) {
	t.Helper()
	copy(opts.ReportData[:32], nonce[:])
	att, err := s.pki.Attestation(app, opts)
	require.NoError(t, err)
	inf, err := app.Info()
	require.NoError(t, err)
	return writeFile(t, "attestation.json", att), writeFile(t, "info.json", inf)
}

// TestPolicyInitRefusesRevokedAndDebug: evidence of a revoked TCB or a TD
// under debug is examined and refused (exit 1): no policy is written.
func TestPolicyInitRefusesRevokedAndDebug(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	nonce := [32]byte{5}
	revokedModule, err := cvmtest.ModuleFor(verify.StatusRevoked)
	require.NoError(t, err)
	tests := []struct {
		name string
		opts cvmtest.QuoteOptions
		want string
	}{
		{"revoked TCB", cvmtest.QuoteOptions{TEETCBSVN: revokedModule.TEETCBSVN}, "found TCB status Revoked"},
		{"debug TD", cvmtest.QuoteOptions{TDAttributes: [8]byte{0: 0x01, 3: 0x10}}, "expected a TD not under debug"},
		{"TD-under-debug bit 2", cvmtest.QuoteOptions{TDAttributes: [8]byte{0: 0x04, 3: 0x10}}, "found TDATTRIBUTES 0400001000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			att, info := initFiles(t, s, &cvmtest.App{}, nonce, tt.opts)
			out := filepath.Join(t.TempDir(), "policy.yaml")
			code, stdout, stderr := runCLI(t, "policy", "init", "--attestation", att, "--info", info, "--nonce", hex.EncodeToString(nonce[:]),
				"--out", out, "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at)
			assert.Equal(t, exitRefused, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "refused, no policy written")
			assert.Contains(t, stderr, tt.want)
			assert.NoFileExists(t, out)
		})
	}
}

// TestPolicyInitKeyProviderNone: dstack's key provider of a CVM without one,
// {"name":"none","id":""}, makes a policy that accepts that CVM, with a
// warning.
func TestPolicyInitKeyProviderNone(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	nonce := [32]byte{6}
	app := &cvmtest.App{KeyProvider: &eventlog.KeyProvider{Name: "none", ID: ""}}
	att, info := initFiles(t, s, app, nonce, cvmtest.QuoteOptions{})
	trust := []string{"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}
	out := filepath.Join(t.TempDir(), "policy.yaml")

	code, _, stderr := runCLI(t, append([]string{"policy", "init", "--attestation", att, "--info", info, "--nonce", hex.EncodeToString(nonce[:]), "--out", out}, trust...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "no key provider (none)")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(data), "- name: none\n      id: \"\"\n")
	pol, err := policy.Load(out)
	require.NoError(t, err)
	assert.Equal(t, policy.List[policy.KeyProvider]{{Name: "none", ID: policy.Hex{}}}, pol.App.KeyProviders)

	code, res := runJSON(t, append([]string{"evidence", "verify", "--attestation", att, "--info", info, "--policy", out, "--nonce", hex.EncodeToString(nonce[:])}, trust...)...)
	assert.Equal(t, exitOK, code, "%v", res["error"])
}

// TestPolicyInitWarnsOfTDConfiguration: a TD configuration the default
// rules refuse is written into the policy as seen, with a warning.
func TestPolicyInitWarnsOfTDConfiguration(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	nonce := [32]byte{8}
	att, info := initFiles(t, s, &cvmtest.App{}, nonce, cvmtest.QuoteOptions{TDAttributes: [8]byte{3: 0x30}}) // SEPT_VE_DISABLE and MIGRATABLE
	code, stdout, stderr := runCLI(t, "policy", "init", "--attestation", att, "--info", info, "--nonce", hex.EncodeToString(nonce[:]),
		"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "TD attributes the default rule refuses")
	assert.Contains(t, stderr, "MIGRATABLE")
	assert.Contains(t, stdout, "    - \"0000003000000000\"\n")
}
