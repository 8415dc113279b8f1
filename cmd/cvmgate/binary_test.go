package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildCLI builds the cvmgate binary with the given build tags.
func buildCLI(t *testing.T, tags string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; not in -short")
	}
	bin := filepath.Join(t.TempDir(), "cvmgate")
	out, err := exec.Command("go", "build", "-tags", tags, "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// symbols lists the symbols of a binary (go tool nm).
func symbols(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command("go", "tool", "nm", bin).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// TestBinaryLinksNoTestingPackage: the shipped binary carries no package
// testing; the demo's test doubles come in only with the demo.
func TestBinaryLinksNoTestingPackage(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t, "")
	syms := symbols(t, bin)
	assert.NotContains(t, syms, " testing.", "package testing is linked")
	assert.Contains(t, syms, "cvmgate/cvmtest.", "the demo brings cvmtest")
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "path\tgithub.com/cvmgate/cvmgate/cmd/cvmgate")
}

// TestNoSimBuild: -tags cvmgate_nosim leaves the demo and every test
// double out, and says so.
func TestNoSimBuild(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t, noSimTag)
	syms := symbols(t, bin)
	assert.NotContains(t, syms, "cvmgate/cvmtest.")
	assert.NotContains(t, syms, " testing.")

	out, err := exec.Command(bin, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "demo and simulator left out (built with -tags "+noSimTag+")")
	assert.Contains(t, string(out), "tags "+noSimTag)

	out, err = exec.Command(bin, "demo").CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitUsage, ee.ExitCode())
	assert.Contains(t, string(out), `unknown command "demo"`)
	assert.False(t, strings.Contains(string(out), "panic"))
}
