//go:build !cvmgate_nosim

package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
)

// TestVerifyE2E: verify against "cvmgate simulate" run as a process on
// loopback: the honest CVM passes with the trust and policy simulate
// wrote, offline or with collateral from its PCCS ($CVMGATE_PCCS_URL);
// every attack is refused (exit 1) with the kind (and policy rule) it
// must have; an unreachable CVM or PCCS leaves no verdict (exit 3).
func TestVerifyE2E(t *testing.T) {
	t.Run("honest", func(t *testing.T) {
		t.Parallel()
		p := startSimulate(t)
		code, out := runJSON(t, append([]string{"verify", p.URL, "--policy", p.path(trustPolicyFile)}, p.trust()...)...)
		require.Equal(t, exitOK, code, "%v", out["error"])
		assert.Equal(t, verdictAccepted, out["verdict"])

		online := []string{"verify", p.URL, "--policy", p.path(trustPolicyFile), "--trust-root", p.path(trustRootFile), "--json"}
		code, stdout, stderr := runWith(t, cliInput{env: map[string]string{pccsEnv: p.PCCS}}, online...)
		assert.Equal(t, exitOK, code, "collateral from the simulator's PCCS: %s%s", stdout, stderr)
		code, _, _ = runWith(t, cliInput{env: map[string]string{pccsEnv: closedURL(t)}}, online...)
		assert.Equal(t, exitNoVerdict, code, "the PCCS unreachable")

		p.stop(t)
		code, out = runJSON(t, append([]string{"verify", p.URL, "--policy", p.path(trustPolicyFile)}, p.trust()...)...)
		assert.Equal(t, exitNoVerdict, code, "the CVM stopped")
		assert.Equal(t, string(verify.KindUnreachable), errorKind(out))
	})
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := startSimulate(t, "--attack", a.name)
			assert.Contains(t, p.Banner, "attack  "+a.name+": ")
			code, out := runJSON(t, append([]string{"verify", p.URL, "--policy", p.path(trustPolicyFile)}, p.trust()...)...)
			assert.Equal(t, exitRefused, code)
			assert.Equal(t, string(a.kind), errorKind(out), "%v", out["error"])
			if a.rule != "" {
				vs, _ := out["policy_violations"].([]any)
				require.NotEmpty(t, vs)
				assert.Equal(t, a.rule, vs[0].(map[string]any)["rule"])
			}
		})
	}
}

// TestVerifyReplay: --save-evidence keeps what a verification used, and
// replay.sh replays it offline with evidence verify to the same verdict:
// accepted for the honest CVM, the same refusal for a replayed quote, a
// changed compose and a relay.
func TestVerifyReplay(t *testing.T) {
	bin := cliBinary(t)
	for _, attack := range []string{"", "replay", "compose", "relay"} {
		t.Run("attack "+attack, func(t *testing.T) {
			t.Parallel()
			var args []string
			if attack != "" {
				args = []string{"--attack", attack}
			}
			p := startSimulate(t, args...)
			dir := filepath.Join(t.TempDir(), "evidence")
			code, live := runJSON(t, append([]string{"verify", p.URL, "--policy", p.path(trustPolicyFile), "--save-evidence", dir}, p.trust()...)...)
			require.Equal(t, dir, live["evidence_dir"])
			for _, f := range []string{evidenceAttestationFile, evidenceInfoFile, evidencePolicyFile, evidenceRootFile, replayScript} {
				assert.FileExists(t, filepath.Join(dir, f))
			}

			p.stop(t) // offline from here
			cmd := exec.Command("sh", filepath.Join(dir, replayScript), "--json")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "CVMGATE=" + bin}
			stdout, err := cmd.Output()
			replayCode := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				replayCode = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			var replayed map[string]any
			require.NoError(t, json.Unmarshal(stdout, &replayed), "%s", stdout)
			assert.Equal(t, code, replayCode, "the replay reaches the verdict verify reached")
			assert.Equal(t, errorKind(live), errorKind(replayed))
			assert.Equal(t, live["verdict"], replayed["verdict"])
			assert.Equal(t, live["compose_hash"], replayed["compose_hash"])
			if attack == "" {
				assert.Equal(t, exitOK, replayCode)
				assert.FileExists(t, filepath.Join(dir, evidenceCollateralFile))
			} else {
				assert.Equal(t, exitRefused, replayCode)
			}
			script, err := os.ReadFile(filepath.Join(dir, replayScript))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(script), "#!/bin/sh\n"))
		})
	}
}
