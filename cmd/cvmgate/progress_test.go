package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
)

// TestProgress: a slow step is announced on a terminal, never to a script
// (--json, --quiet, stderr not a terminal), and never when nothing is
// fetched.
func TestProgress(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	pcs := s.pcs(t)
	online := []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", s.rootPEM, "--at", s.at, "--pccs", pcs.URL}
	line := "cvmgate: verifying, collateral from " + pcs.URL + "...\n"

	tests := []struct {
		name     string
		terminal bool
		args     []string
		want     bool
	}{
		{"terminal", true, online, true},
		{"not a terminal", false, online, false},
		{"--json", true, append(online, "--json"), false},
		{"--quiet", true, append(online, "--quiet"), false},
		{"offline", true, s.args(s.quoteHex), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runWith(t, cliInput{terminal: tt.terminal}, tt.args...)
			require.Equal(t, exitOK, code, stderr)
			if tt.want {
				assert.Equal(t, line, stderr)
			} else {
				assert.Empty(t, stderr)
			}
		})
	}
}
