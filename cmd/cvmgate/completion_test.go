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
)

// completeBash sources the bash completion script and completes words,
// the last being the word under the cursor, in dir.
func completeBash(t *testing.T, script, dir string, words ...string) []string {
	t.Helper()
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	prog := script + "\nCOMP_WORDS=(cvmgate " + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)) + "\n_cvmgate\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
	cmd := exec.Command("bash", "--norc", "--noprofile", "-c", prog)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.Fields(string(out))
}

func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	code, script, stderr := runCLI(t, "completion", "bash")
	require.Equal(t, exitOK, code, stderr)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "quote.hex"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policy.yaml"), nil, 0o600))

	tests := []struct {
		name  string
		words []string
		want  []string
	}{
		{"top level", []string{""}, topWords()},
		{"a prefix", []string{"co"}, []string{"collateral", "completion"}},
		{"a group's commands", []string{"quote", ""}, []string{"verify", "decode"}},
		{"flags", []string{"quote", "verify", "--ac"}, []string{"--accept"}},
		{"status names", []string{"quote", "verify", "--accept", "Out"}, []string{"OutOfDate", "OutOfDateConfigurationNeeded"}},
		{"file flags", []string{"quote", "verify", "--quote", "quo"}, []string{"quote.hex"}},
		{"no words for a URL", []string{"quote", "verify", "--pccs", ""}, nil},
		{"file arguments", []string{"policy", "check", "pol"}, []string{"policy.yaml"}},
		{"shells", []string{"completion", ""}, []string{"bash", "zsh", "fish"}},
		{"help's commands", []string{"help", "q"}, []string{"quote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ElementsMatch(t, tt.want, completeBash(t, script, dir, tt.words...))
		})
	}
}

// TestCompletionScripts: every shell's script names every command and
// flag; those whose shell is installed parse.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range shells {
		t.Run(shell, func(t *testing.T) {
			code, script, _ := runCLI(t, "completion", shell)
			require.Equal(t, exitOK, code)
			for _, c := range commands() {
				for _, w := range strings.Fields(c.name) {
					assert.Contains(t, script, w)
				}
				for _, f := range completionFlags(c) {
					assert.Contains(t, script, f.name, "%s --%s", c.name, f.name)
				}
			}
			if _, err := exec.LookPath(shell); err != nil {
				return // checked for content only
			}
			check := map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}}[shell]
			path := filepath.Join(t.TempDir(), "completion")
			require.NoError(t, os.WriteFile(path, []byte(script), 0o600))
			out, err := exec.Command(shell, append(check, path)...).CombinedOutput()
			assert.NoError(t, err, "%s", out)
		})
	}
}
