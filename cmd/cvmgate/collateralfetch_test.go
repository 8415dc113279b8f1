package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// TestCollateralFetch: a bundle fetched from the fake PCS on loopback
// verifies the quote offline, and is the collateral the PCS served.
func TestCollateralFetch(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	pcs := s.pcs(t)
	out := filepath.Join(t.TempDir(), "collateral.json")

	code, stdout, stderr := runCLI(t, "collateral", "fetch", "--quote", s.quoteHex, "--pccs", pcs.URL, "--trust-root", s.rootPEM, "--at", s.at, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "wrote "+out+": collateral for FMSPC "+s.pki.FMSPC()+" (platform CA), current until 2026-07-01T12:00:00Z")

	got, err := collateral.ParseBundle(readTestFile(t, out))
	require.NoError(t, err)
	assert.Equal(t, s.coll, got, "the bundle holds what the PCS served")

	requests := pcs.TotalRequests()
	code, jsonOut := runJSON(t, "quote", "verify", "--quote", s.quoteHex, "--collateral", out, "--trust-root", s.rootPEM, "--at", s.at)
	assert.Equal(t, exitOK, code, "%v", jsonOut["error"])
	assert.Equal(t, requests, pcs.TotalRequests(), "offline: no request")

	code, stdout, stderr = runCLI(t, "collateral", "fetch", "--quote", s.quoteHex, "--pccs", pcs.URL, "--trust-root", s.rootPEM, "--at", s.at, "--out", "-", "--quiet")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr, "--quiet")
	assert.True(t, json.Valid([]byte(stdout)), "--out - writes the bundle on stdout")
}

func TestCollateralFetchRefusals(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	pcs := s.pcs(t)
	other := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("another PKI")})
	otherRoot := writeFile(t, "other.pem", other.RootPEM)
	out := filepath.Join(t.TempDir(), "c.json")
	base := []string{"collateral", "fetch", "--quote", s.quoteHex, "--at", s.at, "--out", out}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"PCCS unreachable", append(base, "--pccs", closedURL(t), "--trust-root", s.rootPEM), exitNoVerdict, "collateral_unavailable"},
		{"quote chain to another root", append(base, "--pccs", pcs.URL, "--trust-root", otherRoot), exitRefused, "untrusted_root"},
		{"collateral expired at --at", []string{"collateral", "fetch", "--quote", s.quoteHex, "--pccs", pcs.URL, "--trust-root", s.rootPEM, "--at", "2027-01-01T00:00:00Z", "--out", out}, exitRefused, "collateral_expired"},
		{"no --out", []string{"collateral", "fetch", "--quote", s.quoteHex}, exitUsage, "--out FILE is required"},
		{"no --quote", []string{"collateral", "fetch", "--out", out}, exitUsage, "--quote FILE is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			assert.Equal(t, tt.wantCode, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.NoFileExists(t, out, "nothing written")
		})
	}
}

// TestCollateralFetchQuoteRefused: the collateral verifies but the quote's
// platform matches no TCB level: the bundle is written, with a warning.
func TestCollateralFetchQuoteRefused(t *testing.T) {
	up, err := cvmtest.PlatformFor("UpToDate")
	require.NoError(t, err)
	svn := up.TEETCBSVN
	svn[2] = 2 // below every level of the default TCB info
	s := newSynthetic(t, cvmtest.QuoteOptions{TEETCBSVN: svn})
	pcs := s.pcs(t)
	out := filepath.Join(t.TempDir(), "c.json")

	code, _, stderr := runCLI(t, "collateral", "fetch", "--quote", s.quoteHex, "--pccs", pcs.URL, "--trust-root", s.rootPEM, "--at", s.at, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.FileExists(t, out)
	assert.Contains(t, stderr, "warning: the quote itself is refused with this collateral: tcb_not_supported")
}
