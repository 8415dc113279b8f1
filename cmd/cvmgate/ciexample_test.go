package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// ciWorkflow is the GitHub Actions workflow the README points CI users to.
const ciWorkflow = "../../examples/ci/verify.yml"

// workflow is what the tests read of a GitHub Actions workflow.
type workflow struct {
	On   map[string]any    `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		If    string `yaml:"if"`
		Steps []struct {
			Name  string            `yaml:"name"`
			Uses  string            `yaml:"uses"`
			Run   string            `yaml:"run"`
			Shell string            `yaml:"shell"`
			With  map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// readWorkflow parses the example workflow.
func readWorkflow(t *testing.T) *workflow {
	t.Helper()
	data, err := os.ReadFile(ciWorkflow)
	require.NoError(t, err)
	var w workflow
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(false)
	require.NoError(t, dec.Decode(&w))
	return &w
}

// stepRun returns the script of the step named name.
func (w *workflow) stepRun(t *testing.T, name string) string {
	t.Helper()
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if s.Name == name {
				return s.Run
			}
		}
	}
	t.Fatalf("the workflow has no step %q", name)
	return ""
}

// TestCIWorkflowTriggers: the workflow runs after a successful
// deployment, on a schedule and by hand, and installs cvmgate as the
// README says.
func TestCIWorkflowTriggers(t *testing.T) {
	w := readWorkflow(t)
	assert.Contains(t, w.On, "deployment_status")
	assert.Contains(t, w.On, "workflow_dispatch")
	sched, ok := w.On["schedule"].([]any)
	require.True(t, ok, "a schedule")
	require.NotEmpty(t, sched)
	cron := sched[0].(map[string]any)["cron"].(string)
	assert.Len(t, strings.Fields(cron), 5, "a five-field cron expression: %q", cron)
	require.Len(t, w.Jobs, 1)
	for _, j := range w.Jobs {
		assert.Contains(t, j.If, "deployment_status.state == 'success'", "only successful deployments are verified")
	}
	assert.Contains(t, strings.Split(w.stepRun(t, "Install cvmgate"), "\n"), installLine)
	assert.Equal(t, "deploy/cvm-policy.yaml", w.Env["CVM_POLICY"], "the policy comes from the repository")
}

// cvmgateLines returns the cvmgate command lines of a script, each as its
// words (quotes removed, variables left as they are), continuation
// lines joined, up to a redirection, pipe or list operator.
func cvmgateLines(script string) [][]string {
	script = strings.ReplaceAll(script, "\\\n", " ")
	var out [][]string
	for _, line := range strings.Split(script, "\n") {
		words := shellWords(line)
		for i, w := range words {
			if w == "cvmgate" {
				out = append(out, words[i+1:])
				break
			}
		}
	}
	return out
}

// shellWords splits a line into words as a shell would, for the simple
// lines a workflow holds: quotes are removed, and the words end at the
// first of > | || && ; or a comment.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in := false // a word is being read
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case strings.ContainsRune(">|&;#", r):
			if in {
				words = append(words, cur.String())
			}
			return words
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// TestCIWorkflowCommandsExist: every cvmgate command line of the workflow
// names a command of the CLI's table and parses with its flags and
// arguments, as the CLI itself parses them.
func TestCIWorkflowCommandsExist(t *testing.T) {
	w := readWorkflow(t)
	var lines [][]string
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			lines = append(lines, cvmgateLines(s.Run)...)
		}
	}
	require.GreaterOrEqual(t, len(lines), 2, "cvmgate version and cvmgate verify")
	for _, args := range lines {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			c, g, rest, err := resolve(args)
			require.NoError(t, err)
			require.Nil(t, g, "a command, not a group")
			fs, _ := c.flagSet()
			pos, err := parseInterspersed(fs, rest)
			require.NoError(t, err, "the flags of %q", c.name)
			require.NoError(t, c.checkArgs(pos))
		})
	}
}

// runStep runs a workflow step's script in dir as GitHub runs "shell:
// bash" (bash -eo pipefail), with cvmgate, a script, first on the PATH,
// no delay between retries and env; it returns the exit status and the
// output.
func runStep(t *testing.T, dir, script, cvmgate string, env ...string) (int, []byte) {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "cvmgate"), []byte(cvmgate), 0o755))
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "RETRY_DELAY_SECONDS=0"}, env...)
	out, err := cmd.CombinedOutput()
	if ee := (*exec.ExitError)(nil); err != nil {
		require.ErrorAs(t, err, &ee, "%s", out)
		return ee.ExitCode(), out
	}
	return 0, out
}

// fakeCLI is a cvmgate stand-in for running the workflow's script: each
// call takes the next exit status from codes, prints a result of that
// verdict as 'cvmgate verify --json' does, and records its arguments.
const fakeCLI = `#!/usr/bin/env bash
n=$(( $(cat "$FAKE_DIR/calls" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$FAKE_DIR/calls"
printf '%s\n' "$@" > "$FAKE_DIR/args-$n"
code=$(sed -n "${n}p" "$FAKE_DIR/codes")
case "$code" in
0) echo '{"verdict":"accepted","tcb_status":"UpToDate","compose_hash":"ab12","valid_until":"2026-01-01T00:00:00Z","error":null}' ;;
1) echo '{"verdict":"refused","error":{"kind":"policy","message":"app.compose_hashes: expected ab12, found cd34","hint":"update the policy"}}' ;;
3) echo '{"verdict":"inconclusive","error":{"kind":"unreachable","message":"connect: connection refused"}}' ;;
*) echo "cvmgate verify: unknown flag" >&2 ;;
esac
exit "$code"
`

// TestCIWorkflowVerifyStep runs the workflow's verify step with bash
// against a stand-in cvmgate: a refusal fails the job with an error
// annotation, no verdict is tried again and then noted (failing the job
// only after a deployment), a usage error fails it.
func TestCIWorkflowVerifyStep(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the workflow's step needs it", tool)
		}
	}
	script := readWorkflow(t).stepRun(t, "Verify the CVM")
	tests := []struct {
		name    string
		event   string
		codes   []int
		status  int
		calls   int
		out     []string
		summary string
	}{
		{"accepted", "schedule", []int{0}, 0, 1, []string{"CVM accepted: TCB UpToDate, compose hash ab12, valid until 2026-01-01T00:00:00Z"}, "accepted by deploy/cvm-policy.yaml"},
		{"refused", "deployment_status", []int{1}, 1, 1, []string{"::error title=CVM refused::policy: app.compose_hashes: expected ab12, found cd34 update the policy"}, "REFUSED: policy"},
		{"no verdict, then accepted", "schedule", []int{3, 0}, 0, 2, []string{"::warning title=No verdict (attempt 1 of 3)::connect: connection refused", "CVM accepted"}, "accepted"},
		{"no verdict on the schedule", "schedule", []int{3, 3, 3}, 0, 3, []string{"::warning title=No verdict (attempt 3 of 3)::"}, "no verdict after 3 attempts"},
		{"no verdict after a deployment", "deployment_status", []int{3, 3, 3}, 3, 3, nil, "no verdict after 3 attempts"},
		{"usage error", "schedule", []int{2}, 2, 1, []string{"::error title=cvmgate usage error::exit status 2"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var codes []string
			for _, c := range tc.codes {
				codes = append(codes, strconv.Itoa(c))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "codes"), []byte(strings.Join(codes, "\n")+"\n"), 0o600))
			summary := filepath.Join(dir, "summary.md")
			status, out := runStep(t, dir, script, fakeCLI,
				"FAKE_DIR="+dir, "GITHUB_STEP_SUMMARY="+summary, "GITHUB_EVENT_NAME="+tc.event,
				"CVM_URL=https://app-443s.dstack.example", "CVM_POLICY=deploy/cvm-policy.yaml")
			assert.Equal(t, tc.status, status, "%s", out)
			calls, err := os.ReadFile(filepath.Join(dir, "calls"))
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(tc.calls), strings.TrimSpace(string(calls)))
			for _, want := range tc.out {
				assert.Contains(t, string(out), want)
			}
			args, err := os.ReadFile(filepath.Join(dir, "args-1"))
			require.NoError(t, err)
			assert.Equal(t, []string{"verify", "https://app-443s.dstack.example", "--policy", "deploy/cvm-policy.yaml", "--json", "--timeout", "2m", "--save-evidence", "evidence/attempt-1"},
				strings.Fields(string(args)))
			if tc.summary != "" {
				sum, err := os.ReadFile(summary)
				require.NoError(t, err)
				assert.Contains(t, string(sum), "CVM https://app-443s.dstack.example")
				assert.Contains(t, string(sum), tc.summary)
			}
		})
	}
}
