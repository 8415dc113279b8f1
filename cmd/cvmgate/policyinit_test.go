package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// appFiles writes a simulated app's /attestation and /info with a quote
// whose REPORTDATA is nonce || spki.
func appFiles(t *testing.T, s *synthetic, app *cvmtest.App, nonce, spki [32]byte) (attestation, info string) {
	t.Helper()
	var opts cvmtest.QuoteOptions
	copy(opts.ReportData[32:], spki[:])
	return initFiles(t, s, app, nonce, opts)
}

func TestPolicyInitThenEvidenceVerify(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	nonce, spki := [32]byte{1, 2, 3}, [32]byte{9, 9, 9}
	nonceHex, spkiHex := hex.EncodeToString(nonce[:]), hex.EncodeToString(spki[:])
	app := &cvmtest.App{}
	att, info := appFiles(t, s, app, nonce, spki)
	other := &cvmtest.App{Compose: cvmtest.DefaultCompose + "\n"}
	otherAtt, otherInfo := appFiles(t, s, other, nonce, spki)

	trust := []string{"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}
	polFile := filepath.Join(t.TempDir(), "policy.yaml")
	initArgs := append([]string{"policy", "init", "--attestation", att, "--info", info, "--nonce", nonceHex, "--spki-sha256", spkiHex, "--out", polFile}, trust...)
	code, stdout, stderr := runCLI(t, initArgs...)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout, "the policy went to --out")
	assert.Empty(t, stderr, "an UpToDate, bound, pinned CVM needs no warning")
	pol, err := policy.Load(polFile)
	require.NoError(t, err)
	assert.Len(t, pol.App.ComposeHashes, 1)

	code, _, stderr = runCLI(t, initArgs...)
	assert.Equal(t, exitUsage, code, "an existing policy file is not overwritten")
	assert.Contains(t, stderr, "exists")

	tests := []struct {
		name        string
		att, info   string
		wantCode    int
		wantRules   []string
		wantKind    string
		nonce, spki string
	}{
		{"the same CVM", att, info, exitOK, nil, "", nonceHex, spkiHex},
		{"another compose", otherAtt, otherInfo, exitRefused, []string{"app.compose_hashes", "app.app_ids"}, "policy", nonceHex, spkiHex},
		{"a relayed quote", att, info, exitRefused, nil, "key_binding", nonceHex, hex.EncodeToString(make([]byte, 32))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"evidence", "verify", "--attestation", tt.att, "--info", tt.info, "--policy", polFile, "--nonce", tt.nonce, "--spki-sha256", tt.spki}, trust...)
			code, out := runJSON(t, args...)
			assert.Equal(t, tt.wantCode, code, "%v", out["error"])
			assert.Equal(t, tt.wantKind, errorKind(out))
			var rules []string
			for _, v := range out["policy_violations"].([]any) {
				rules = append(rules, v.(map[string]any)["rule"].(string))
			}
			assert.ElementsMatch(t, tt.wantRules, rules)
		})
	}
}

func TestPolicyInitWarnsAndRefuses(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	nonce := [32]byte{7}
	unpinned := &cvmtest.App{Compose: `{"docker_compose_file":"services:\n  web:\n    image: nginx:latest\n"}`}
	att, info := appFiles(t, s, unpinned, nonce, [32]byte{})
	trust := []string{"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}

	code, stdout, stderr := runCLI(t, append([]string{"policy", "init", "--attestation", att, "--info", info, "--nonce", hex.EncodeToString(nonce[:])}, trust...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "version: 1")
	assert.Contains(t, stderr, "nginx:latest, not pinned")
	assert.Contains(t, stderr, "does not require the TLS key to be bound")

	code, _, _ = runCLI(t, append([]string{"policy", "init", "--attestation", att}, trust...)...)
	assert.Equal(t, exitUsage, code, "no --nonce: freshness unproven")
	code, _, _ = runCLI(t, append([]string{"policy", "init", "--attestation", att, "--nonce", hex.EncodeToString(make([]byte, 32))}, trust...)...)
	assert.Equal(t, exitRefused, code, "a stale nonce: no policy from unverified evidence")
}

// TestPolicyInitListsScripts: a CVM whose compose carries a pre-launch
// script gets a policy that accepts that script by hash, and a warning to
// read it.
func TestPolicyInitListsScripts(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	nonce := [32]byte{5}
	const script = "docker login -u \"$USER\"\n"
	var withScript map[string]any
	require.NoError(t, json.Unmarshal([]byte(cvmtest.DefaultCompose), &withScript))
	withScript["pre_launch_script"] = script
	raw, err := json.Marshal(withScript)
	require.NoError(t, err)
	att, info := appFiles(t, s, &cvmtest.App{Compose: string(raw)}, nonce, [32]byte{})
	trust := []string{"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}

	code, stdout, stderr := runCLI(t, append([]string{"policy", "init", "--attestation", att, "--info", info, "--nonce", hex.EncodeToString(nonce[:])}, trust...)...)
	require.Equal(t, exitOK, code, stderr)
	sum := sha256.Sum256([]byte(script))
	assert.Contains(t, stderr, "pre_launch_script (sha256 "+hex.EncodeToString(sum[:])+", 1 line) runs as root")
	assert.Contains(t, stderr, "read it before deploying the policy")
	pol, err := policy.Parse([]byte(stdout), "")
	require.NoError(t, err)
	assert.True(t, pol.App.RequirePinnedImages)
	assert.Equal(t, []policy.AllowedScript{{Kind: compose.ScriptPreLaunch, SHA256: sum[:]}}, pol.App.AllowedScripts)
}
