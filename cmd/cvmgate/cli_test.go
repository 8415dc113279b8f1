package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelpEveryCommand: every command answers -h, --help and "help CMD"
// with exit 0 and its synopsis, flags, examples and exit codes on stdout.
func TestHelpEveryCommand(t *testing.T) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		for _, args := range [][]string{
			append(append([]string(nil), words...), "-h"),
			append(append([]string(nil), words...), "--help"),
			append([]string{"help"}, words...),
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := runCLI(t, args...)
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				assert.Empty(t, stderr)
				assert.Contains(t, stdout, "Usage:\n  cvmgate "+c.name)
				assert.Contains(t, stdout, "\nExamples:\n")
				assert.Contains(t, stdout, "\nExit status:\n  0  ")
				for _, row := range flagRows(c) {
					assert.Contains(t, stdout, row[0], "flag %s is documented", row[0])
				}
			})
		}
	}
}

// TestEveryCommandDocumented: the table gives every command what help
// shows; a command without examples or exit codes is not finished.
func TestEveryCommandDocumented(t *testing.T) {
	for _, c := range commands() {
		assert.NotEmpty(t, c.summary, c.name)
		assert.NotEmpty(t, c.examples, "%s has no examples", c.name)
		assert.NotEmpty(t, c.exits, "%s has no exit codes", c.name)
		assert.True(t, (c.flags == nil) != (c.run == nil), "%s: exactly one of flags and run", c.name)
		fs, _ := c.flagSet()
		fs.VisitAll(func(f *flag.Flag) {
			assert.NotEmpty(t, f.Usage, "%s --%s has no usage", c.name, f.Name)
		})
	}
}

// TestGroups: a group without a command lists its commands.
func TestGroups(t *testing.T) {
	for _, g := range groups {
		verbs := groupVerbs(&g)
		require.NotEmpty(t, verbs, g.name)
		t.Run(g.name, func(t *testing.T) {
			for _, args := range [][]string{{g.name, "-h"}, {g.name, "--help"}, {"help", g.name}} {
				code, stdout, stderr := runCLI(t, args...)
				require.Equal(t, exitOK, code, "%v: %s", args, stderr)
				for _, v := range verbs {
					assert.Contains(t, stdout, "\n  "+v+" ", "%v lists %s", args, v)
				}
			}
			code, stdout, stderr := runCLI(t, g.name)
			assert.Equal(t, exitUsage, code, "a command is missing")
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "expected a command: one of "+strings.Join(verbs, ", "))
		})
	}
}

func TestOverview(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		code, stdout, _ := runCLI(t, args...)
		require.Equal(t, exitOK, code, "%v", args)
		for _, c := range commands() {
			assert.Contains(t, stdout, "\n  "+c.name+" ", "%v lists %s", args, c.name)
		}
		assert.Contains(t, stdout, "Exit status")
		assert.Contains(t, stdout, "3  no verdict")
		assert.Contains(t, stdout, "go install github.com/cvmgate/cvmgate/cmd/cvmgate@latest")
	}
	code, stdout, stderr := runCLI(t)
	assert.Equal(t, exitUsage, code, "no command")
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "Commands:")
}

// TestUnknownInput: anything the CLI does not take is a usage error that
// says what was expected.
func TestUnknownInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown command", []string{"frobnicate"}, []string{`unknown command "frobnicate"`, "quote, evidence, policy"}},
		{"unknown command of a group", []string{"quote", "frob"}, []string{`unknown command "quote frob"`, "expected one of: verify, decode"}},
		{"flag before a group's command", []string{"quote", "--json"}, []string{"expected a command before --json"}},
		{"unknown flag", []string{"quote", "verify", "--frob"}, []string{"unknown flag --frob", "cvmgate quote verify --help"}},
		{"flag without its value", []string{"quote", "verify", "--quote"}, []string{"--quote needs a value"}},
		{"bad flag value", []string{"quote", "verify", "--timeout", "soon"}, []string{`--timeout "soon"`, "parse error"}},
		{"argument to a command without any", []string{"version", "extra"}, []string{`unexpected argument "extra": version takes no arguments`}},
		{"argument to a command of flags", []string{"quote", "verify", "--quote", "q", "extra"}, []string{`unexpected argument "extra"`, "only flags"}},
		{"missing argument", []string{"policy", "check"}, []string{"missing argument FILE"}},
		{"one argument too many", []string{"policy", "check", "a.yaml", "b.yaml"}, []string{`unexpected argument "b.yaml": expected only FILE`}},
		{"unknown shell", []string{"completion", "tcsh"}, []string{`unknown shell "tcsh"`, "bash, zsh, fish"}},
		{"help for nothing", []string{"help", "frob"}, []string{`no command "frob"`}},
		{"--accept with an unknown status", []string{"quote", "verify", "--quote", "q", "--accept", "Bogus"}, []string{`--accept "Bogus": unknown TCB status; expected one of: UpToDate, SWHardeningNeeded`, "Revoked"}},
		{"required flag missing", []string{"quote", "verify"}, []string{"--quote FILE is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			for _, w := range tt.want {
				assert.Contains(t, stderr, w)
			}
		})
	}
}

func TestFlagsAnywhere(t *testing.T) {
	path := writeFile(t, "policy.yaml", []byte("version: 1\napp: {any: true}\n"))
	for _, args := range [][]string{
		{"policy", "check", path, "--json"},
		{"policy", "check", "--json", path},
		{"policy", "check", "--json", "--", path},
	} {
		code, stdout, stderr := runCLI(t, args...)
		require.Equal(t, exitOK, code, "%v: %s", args, stderr)
		assert.Contains(t, stdout, `"valid": true`, "%v", args)
	}
}

func TestCheckArgs(t *testing.T) {
	variadic := &command{name: "x", args: []string{"A", "B..."}, run: runHelp}
	assert.NoError(t, variadic.checkArgs([]string{"a"}))
	assert.NoError(t, variadic.checkArgs([]string{"a", "b", "c"}))
	assert.ErrorContains(t, variadic.checkArgs(nil), "missing argument A")
}
