package main

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// dcapQVLVerifiedAt is the time at which the dcap-qvl vector verifies UpToDate.
const dcapQVLVerifiedAt = 1752919234

func TestQuoteVerifyRealVector(t *testing.T) {
	quoteFile := testvectors.Path(t, "dcap-qvl", "tdx_quote")
	bundleFile := testvectors.Path(t, "dcap-qvl", "tdx_quote_collateral.json")
	coll, err := collateral.ParseBundle(testvectors.Read(t, "dcap-qvl", "tdx_quote_collateral.json"))
	require.NoError(t, err)
	next, err := coll.NextUpdate()
	require.NoError(t, err)

	tests := []struct {
		name     string
		at       string
		wantCode int
		wantKind string
	}{
		{"inside the collateral window", fmt.Sprint(dcapQVLVerifiedAt), exitOK, ""},
		{"at the earliest nextUpdate", next.Format(time.RFC3339), exitRefused, "collateral_expired"},
		{"one second after the earliest nextUpdate", fmt.Sprint(next.Unix() + 1), exitRefused, "collateral_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runJSON(t, "quote", "verify", "--quote", quoteFile, "--collateral", bundleFile, "--at", tt.at)
			assert.Equal(t, tt.wantCode, code)
			assert.Equal(t, tt.wantKind, errorKind(out))
			assert.Equal(t, tt.wantCode == exitOK, out["verified"])
			assert.Equal(t, float64(4), out["quote_version"])
			assert.True(t, strings.HasPrefix(out["mrtd"].(string), "91eb2b44d141d4ec"), out["mrtd"])
			if tt.wantCode == exitOK {
				assert.Equal(t, "UpToDate", out["tcb_status"])
				assert.Equal(t, "UpToDate", out["platform_tcb_status"])
				assert.Equal(t, "UpToDate", out["qe_tcb_status"])
				assert.Equal(t, "B0C06F000000", out["fmspc"])
				assert.Empty(t, out["advisory_ids"])
				assert.Equal(t, "06010300000000000000000000000000", out["tee_tcb_svn"])
			}
		})
	}
}

func TestQuoteVerifySynthetic(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	tampered := append([]byte(nil), s.quoteBytes...)
	tampered[len(tampered)-200] ^= 0xff // inside the PEM chain or its signature data
	debug := newSynthetic(t, cvmtest.QuoteOptions{TDAttributes: [8]byte{1, 3: 0x10}})
	outOfDate := newOutOfDate(t)

	jsonQuote := writeFile(t, "quote.json", []byte(`{"quote": "0x`+hex.EncodeToString(s.quoteBytes)+`", "event_log": []}`))
	rawQuote := writeFile(t, "quote.bin", s.quoteBytes)
	flipped := append([]byte(nil), s.quoteBytes...)
	flipped[48+100] ^= 1 // a body byte: the quote signature no longer covers it
	flippedFile := writeFile(t, "flipped.bin", flipped)
	truncated := writeFile(t, "truncated.bin", s.quoteBytes[:len(s.quoteBytes)-10])
	garbage := writeFile(t, "garbage.txt", []byte("zz not a quote"))

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantKind string
	}{
		{"hex quote", s.args(s.quoteHex), exitOK, ""},
		{"raw quote", s.args(rawQuote), exitOK, ""},
		{"JSON quote with 0x", s.args(jsonQuote), exitOK, ""},
		{"flipped body byte", s.args(flippedFile), exitRefused, "quote_signature"},
		{"truncated quote", s.args(truncated), exitRefused, "malformed_quote"},
		{"not a quote at all", s.args(garbage), exitRefused, "malformed_quote"},
		{"Intel root instead of the test root", []string{"quote", "verify", "--quote", rawQuote, "--collateral", s.bundle, "--at", s.at}, exitRefused, "untrusted_root"},
		{"debug TD refused", debug.args(debug.quoteHex), exitRefused, "debug_td"},
		{"debug TD allowed", append(debug.args(debug.quoteHex), "--allow-debug"), exitOK, ""},
		{"status not accepted", outOfDate.args(outOfDate.quoteHex), exitRefused, "tcb_status"},
		{"status accepted by --accept", append(outOfDate.args(outOfDate.quoteHex), "--accept", "OutOfDate"), exitOK, ""},
		{"collateral not yet valid", []string{"quote", "verify", "--quote", rawQuote, "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.now.Add(-48 * time.Hour).Format(time.RFC3339)}, exitRefused, "collateral_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runJSON(t, tt.args...)
			assert.Equal(t, tt.wantCode, code, "output %v", out)
			assert.Equal(t, tt.wantKind, errorKind(out))
			assert.Equal(t, tt.wantCode == exitOK, out["verified"])
		})
	}
}

func TestQuoteVerifyHumanReport(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	code, stdout, _ := runCLI(t, s.args(s.quoteHex)...)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "ok   quote signed by the attestation key\n")
	assert.Contains(t, stdout, "tcb: UpToDate")
	assert.True(t, strings.HasSuffix(stdout, "VERIFIED\n"), stdout)
	assert.Equal(t, 10, strings.Count(stdout, "ok   "), "one line a check")

	outOfDate := newOutOfDate(t)
	code, stdout, _ = runCLI(t, outOfDate.args(outOfDate.quoteHex)...)
	require.Equal(t, exitRefused, code)
	assert.Contains(t, stdout, "FAIL "+checkTitles[verify.CheckPolicy]+"\n")
	assert.Contains(t, stdout, "REJECTED: tcb_status")
}

func TestUsageErrors(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	notHex := writeFile(t, "bad.hex", []byte("zz not a quote"))
	att, _ := appFiles(t, s, &cvmtest.App{}, [32]byte{1}, [32]byte{2})
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
		{"quote verify without --quote", []string{"quote", "verify"}},
		{"missing quote file", []string{"quote", "verify", "--quote", "/nonexistent/quote"}},
		{"bad --at", append(s.args(s.quoteHex), "--at", "yesterday")},
		{"unknown status", append(s.args(s.quoteHex), "--accept", "Fine")},
		{"missing trust root", []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", "/nonexistent.pem"}},
		{"trust root without certificates", []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", notHex}},
		{"bundle and pccs", append(s.args(s.quoteHex), "--pccs", "http://127.0.0.1:1")},
		{"unknown flag", []string{"quote", "verify", "--frob"}},
		{"evidence verify without --attestation", []string{"evidence", "verify"}},
		{"empty nonce", []string{"evidence", "verify", "--attestation", att, "--no-collateral", "--trust-root", s.rootPEM, "--nonce", "0x"}},
		{"nonce not hex", []string{"evidence", "verify", "--attestation", att, "--no-collateral", "--trust-root", s.rootPEM, "--nonce", "xyz"}},
		{"nonce of 1 byte", []string{"evidence", "verify", "--attestation", att, "--no-collateral", "--trust-root", s.rootPEM, "--nonce", "01"}},
		{"short spki hash", []string{"evidence", "verify", "--attestation", att, "--no-collateral", "--trust-root", s.rootPEM, "--nonce", "01", "--spki-sha256", "0X0102"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.NotEmpty(t, stderr, "a usage error says what is wrong")
		})
	}
	code, _, stderr := runCLI(t, "evidence", "verify", "--attestation", att, "--no-collateral", "--no-policy", "--trust-root", s.rootPEM, "--nonce", "0X01"+strings.Repeat("00", 31))
	assert.Equal(t, exitOK, code, "the same attestation with a good nonce verifies: %s", stderr)
}
