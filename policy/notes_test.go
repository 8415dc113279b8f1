package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMarshalWithNotes: notes become comments above their fields, and the
// annotated file parses back to the same policy.
func TestMarshalWithNotes(t *testing.T) {
	r := testReport()
	p, err := FromReport(r)
	require.NoError(t, err)
	out, err := p.MarshalWithNotes(ReportNotes(r))
	require.NoError(t, err)
	text := string(out)
	for _, want := range []string{
		"# SHA-256 of the app's exact app-compose.json, from the compose-hash event",
		"# The TCB status Intel's collateral gave this platform when it was verified\n  # (UpToDate, 2025-07-19).",
		"# MRTD and RTMR0-2 of the verified quote",
		"# How the quote binds the TLS channel",
	} {
		assert.Contains(t, text, want)
	}
	for _, l := range strings.Split(text, "\n") {
		assert.LessOrEqual(t, len(l), 200, "a wrapped comment or a hex value: %q", l)
	}
	back, err := Parse(out, "")
	require.NoError(t, err)
	plain, err := p.Marshal()
	require.NoError(t, err)
	again, err := back.Marshal()
	require.NoError(t, err)
	assert.Equal(t, string(plain), string(again), "the notes change nothing but comments")
}

func TestWrapComment(t *testing.T) {
	long := strings.Repeat("word ", 40)
	for _, l := range strings.Split(wrapComment(long), "\n") {
		assert.LessOrEqual(t, len(l), 76)
	}
	assert.Equal(t, "short note", wrapComment("short   note"))
}
