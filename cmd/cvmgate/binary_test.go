package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binDir holds the binaries the tests build, for the whole test binary's
// run; TestMain removes it.
var binDir string

// TestMain makes binDir, runs the tests and removes it. The binaries in
// it are built once, by the first test that needs each (cliBinary).
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "cvmgate-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// builds holds one build per set of tags: its path, or its error.
var builds sync.Map // tags -> func() (string, error)

// buildCLI returns the cvmgate binary built with the given build tags,
// building it the first time it is asked for. It skips in -short.
func buildCLI(t *testing.T, tags string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; not in -short")
	}
	f, _ := builds.LoadOrStore(tags, sync.OnceValues(func() (string, error) {
		bin := filepath.Join(binDir, strings.TrimSuffix("cvmgate-"+strings.ReplaceAll(tags, ",", "_"), "-"))
		out, err := exec.Command("go", "build", "-tags", tags, "-o", bin, ".").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go build -tags %q: %w\n%s", tags, err, out)
		}
		return bin, nil
	}))
	bin, err := f.(func() (string, error))()
	require.NoError(t, err)
	return bin
}

// cliBinary returns the default build of cvmgate, the one users get,
// built once for all the tests that run it as a process.
func cliBinary(t *testing.T) string {
	t.Helper()
	return buildCLI(t, "")
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
	bin := cliBinary(t)
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
