//go:build !cvmgate_nosim

package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
)

// update rewrites golden files: go test -run TestDemoOutput -update.
var update = flag.Bool("update", false, "rewrite the golden files of the tests")

// demoGolden is the demo's output, with what changes from run to run
// (the port, the TLS key, the validity) normalized by demoNormalize.
const demoGolden = "testdata/demo.golden"

// demoVariable matches what changes from run to run in the demo's output.
var demoVariable = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`VERIFIED https://127\.0\.0\.1:\d+, valid until \S+`), "VERIFIED https://127.0.0.1:PORT, valid until TIME"},
	{regexp.MustCompile(`sha256:[0-9a-f]{64}, the quote names`), "sha256:KEY, the quote names"},
}

// demoNormalize replaces what changes from run to run.
func demoNormalize(out string) string {
	for _, v := range demoVariable {
		out = v.re.ReplaceAllString(out, v.with)
	}
	return out
}

// TestDemoOutput: the demo's output is the golden file, every variable
// part normalized: the honest CVM verified with every check passed, and
// every attack refused with its kind.
func TestDemoOutput(t *testing.T) {
	code, stdout, stderr := runCLI(t, "demo")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Empty(t, stderr)
	got := demoNormalize(stdout)
	if *update {
		require.NoError(t, os.WriteFile(demoGolden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(demoGolden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "run with -update to accept a change, after reading it")
	for _, a := range attacks {
		assert.Regexp(t, `(?m)^  REFUSED  `+regexp.QuoteMeta(a.title)+` +`+regexp.QuoteMeta(string(a.kind)), got)
	}
	assert.Equal(t, len(verify.CheckNames()), strings.Count(got, "\n  ok      "), "every check passed")
}

// TestDemoAttackRefusal: the demo fails when an attack is not refused as
// expected: a CVM that runs no threat, or one refused with another kind.
func TestDemoAttackRefusal(t *testing.T) {
	none := &attack{name: "none", title: "no attack", kind: verify.KindStaleNonce, options: constOptions()}
	_, err := demoAttack(context.Background(), none)
	assert.ErrorContains(t, err, "expected a refusal of kind stale_nonce, the request was answered 200 OK")

	wrong := *findAttack("replay")
	wrong.kind = verify.KindKeyBinding
	_, err = demoAttack(context.Background(), &wrong)
	assert.ErrorContains(t, err, "expected a refusal of kind key_binding, found")

	rule := *findAttack("debug")
	rule.rule = "app.compose_hashes"
	_, err = demoAttack(context.Background(), &rule)
	assert.ErrorContains(t, err, "expected policy rule app.compose_hashes broken")
}

// TestDemoBinary: the shipped binary runs the demo with no arguments and
// no network. Its time is logged; the speed goal is BenchmarkDemo's.
func TestDemoBinary(t *testing.T) {
	bin := cliBinary(t)
	start := time.Now()
	out, err := exec.Command(bin, "demo").CombinedOutput()
	elapsed := time.Since(start)
	require.NoError(t, err, "%s", out)
	t.Logf("cvmgate demo took %s", elapsed)
	assert.Equal(t, len(attacks), strings.Count(string(out), "\n  REFUSED  "))
	assert.Contains(t, string(out), "VERIFIED https://127.0.0.1:")
}

// BenchmarkDemo measures the whole demo: one honest CVM verified and
// queried, nine attacks refused. The goal is about a second on a loaded
// 2-core machine, and never more than five.
func BenchmarkDemo(b *testing.B) {
	for b.Loop() {
		if err := demo(context.Background(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
