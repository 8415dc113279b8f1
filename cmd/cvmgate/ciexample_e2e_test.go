//go:build !cvmgate_nosim

package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCIWorkflowVerifyStepAgainstSimulate runs the workflow's verify step
// with the real cvmgate binary against 'cvmgate simulate' processes, the
// binary wrapped only to add the simulator's trust root and collateral:
// the fields its jq reads are those verify prints, an honest CVM passes
// the step and one running another compose fails it.
func TestCIWorkflowVerifyStepAgainstSimulate(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed: the workflow's step needs it")
	}
	script := readWorkflow(t).stepRun(t, "Verify the CVM")
	honest := startSimulate(t)
	attacked := startSimulate(t, "--attack", "compose")
	real := cliBinary(t)
	for _, tc := range []struct {
		name   string
		sim    *simProc
		status int
		out    *regexp.Regexp
	}{
		{"honest", honest, 0, regexp.MustCompile(`CVM accepted: TCB UpToDate, compose hash [0-9a-f]{64}, valid until \d{4}-\d\d-\d\dT`)},
		{"another compose", attacked, 1, regexp.MustCompile(`::error title=CVM refused::policy: .*app\.compose_hashes`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			wrapper := "#!/usr/bin/env bash\nexec " + real + ` "$@" --trust-root ` + tc.sim.path(trustRootFile) + " --collateral " + tc.sim.path(trustCollateralFile) + "\n"
			status, out := runStep(t, dir, script, wrapper,
				"GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary.md"), "GITHUB_EVENT_NAME=deployment_status",
				"CVM_URL="+tc.sim.URL, "CVM_POLICY="+honest.path(trustPolicyFile))
			assert.Equal(t, tc.status, status, "%s", out)
			assert.Regexp(t, tc.out, string(out))
			assert.FileExists(t, filepath.Join(dir, "evidence", "attempt-1", "attestation.json"), "the evidence kept for the artifact")
		})
	}
}
