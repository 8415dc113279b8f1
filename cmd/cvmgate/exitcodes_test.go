package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// malformedAttestation writes an attestation whose event log logs a dstack
// runtime event to IMR 2: the CVM's document is malformed.
func malformedAttestation(t *testing.T, s *synthetic) string {
	t.Helper()
	att, err := s.pki.AttestationDocument(&cvmtest.App{}, cvmtest.QuoteOptions{})
	require.NoError(t, err)
	moved := false
	for i, e := range att.EventLog {
		if e.EventType == eventlog.EventTypeDstackRuntime && e.Event == eventlog.EventComposeHash {
			att.EventLog[i].IMR = 2
			moved = true
		}
	}
	require.True(t, moved)
	doc, err := att.MarshalJSON()
	require.NoError(t, err)
	return writeFile(t, "attestation.json", doc)
}

// TestExitCodes runs a command of every outcome and checks the exit code,
// and that --json prints a result for 0, 1 and 3 and nothing for 2.
func TestExitCodes(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	tampered := append([]byte(nil), s.quoteBytes...)
	tampered[48+100] ^= 1
	tamperedFile := writeFile(t, "tampered.bin", tampered)
	notHexJSON := writeFile(t, "quote.json", []byte(`{"quote": "zz`+hex.EncodeToString(s.quoteBytes)+`"}`))
	att, info := appFiles(t, s, &cvmtest.App{}, [32]byte{1}, [32]byte{2})
	evidence := func(extra ...string) []string {
		return append([]string{"evidence", "verify", "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at, "--no-policy"}, extra...)
	}
	badPolicy := writeFile(t, "policy.yaml", []byte("version: 1\nunknown_key: 1\n"))
	badBundle := writeFile(t, "bundle.json", []byte(`{"tcb_info": 1}`))
	pcs := hangingPCS(t, s)

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantKind string
	}{
		{"0 accepted", s.args(s.quoteHex), nil, exitOK, ""},
		{"0 accepted evidence", evidence("--attestation", att, "--info", info, "--nonce", hex.EncodeToString([]byte{1, 31: 0})), nil, exitOK, ""},

		{"1 quote signature", s.args(tamperedFile), nil, exitRefused, "quote_signature"},
		{"1 quote JSON field not hex", s.args(notHexJSON), nil, exitRefused, "malformed_quote"},
		{"1 runtime event in the wrong IMR", evidence("--attestation", malformedAttestation(t, s)), nil, exitRefused, "event_log_malformed"},
		{"1 attestation not JSON", evidence("--attestation", s.quoteHex), nil, exitRefused, "malformed_evidence"},
		{"1 info not JSON", evidence("--attestation", att, "--info", s.quoteHex), nil, exitRefused, "malformed_evidence"},
		{"1 no policy", []string{"evidence", "verify", "--attestation", att, "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}, nil, exitRefused, "policy"},

		{"2 unknown flag", append(s.args(s.quoteHex), "--frob"), nil, exitUsage, ""},
		{"2 unreadable quote file", s.args("/nonexistent/quote"), nil, exitUsage, ""},
		{"2 quote file is a directory", s.args(t.TempDir()), nil, exitUsage, ""},
		{"2 --attestation missing", []string{"evidence", "verify", "--no-collateral", "--no-policy"}, nil, exitUsage, ""},
		{"2 invalid policy", []string{"evidence", "verify", "--attestation", att, "--no-collateral", "--policy", badPolicy}, nil, exitUsage, ""},
		{"2 bundle that does not parse", []string{"quote", "verify", "--quote", s.quoteHex, "--collateral", badBundle}, nil, exitUsage, ""},
		{"2 nonce of the wrong length", evidence("--attestation", att, "--nonce", "0102"), nil, exitUsage, ""},

		{"3 PCCS unreachable", []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", s.rootPEM, "--at", s.at, "--pccs", closedURL(t)}, nil, exitNoVerdict, "collateral_unavailable"},
		{"3 PCCS from the environment unreachable", []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", s.rootPEM, "--at", s.at}, map[string]string{pccsEnv: closedURL(t)}, exitNoVerdict, "collateral_unavailable"},
		{"3 --timeout", []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", s.rootPEM, "--at", s.at, "--pccs", pcs.URL, "--timeout", "50ms"}, nil, exitNoVerdict, "collateral_unavailable"},
		{"3 evidence, PCCS unreachable", []string{"evidence", "verify", "--attestation", att, "--no-policy", "--trust-root", s.rootPEM, "--at", s.at, "--pccs", closedURL(t)}, nil, exitNoVerdict, "collateral_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runWith(t, cliInput{env: tt.env}, append(tt.args, "--json")...)
			require.Equal(t, tt.wantCode, code, "stdout %s\nstderr %s", stdout, stderr)
			if code == exitUsage {
				assert.Empty(t, stdout, "a usage error prints no result")
				assert.NotEmpty(t, stderr, "a usage error says what is wrong")
				return
			}
			var out map[string]any
			require.NoError(t, json.Unmarshal([]byte(stdout), &out), "exit %d prints a JSON result: %q", code, stdout)
			assert.Equal(t, tt.wantKind, errorKind(out))
			assert.Equal(t, map[int]string{exitOK: "accepted", exitRefused: "refused", exitNoVerdict: "inconclusive"}[code], out["verdict"])
			assert.Equal(t, code == exitOK, out["verified"])
			if code != exitOK {
				assert.Contains(t, stderr, tt.wantKind, "with --json, a refusal is also one line on stderr")
			}
		})
	}
}

// hangingPCS serves s's collateral but answers no request until the test
// ends: a collateral fetch only ends by giving up.
func hangingPCS(t *testing.T, s *synthetic) *cvmtest.PCSServer {
	t.Helper()
	pcs := cvmtest.NewPCSServer(s.coll, s.pki)
	release := make(chan struct{})
	pcs.Hang(release)
	t.Cleanup(func() {
		close(release)
		pcs.Close()
	})
	return pcs
}

// TestExitCodeMapping: every error kind maps to 1 or, when it leaves no
// verdict, 3; usage errors, an invalid policy and errors of no kind to 2.
func TestExitCodeMapping(t *testing.T) {
	assert.Equal(t, exitOK, exitCode(nil))
	assert.Equal(t, exitUsage, exitCode(usagef("bad flag")))
	assert.Equal(t, exitUsage, exitCode(fmt.Errorf("wrapped: %w", usagef("bad flag"))))
	assert.Equal(t, exitUsage, exitCode(errors.New("no kind")))
	assert.Equal(t, exitRefused, exitCode(exitError{exitRefused, errors.New("demo step")}))
	assert.Equal(t, exitUsage, exitCode(usageError{&verify.Error{Kind: verify.KindCollateralMismatch}}), "a local bundle's own error is the caller's")
	for _, k := range verify.Kinds() {
		want := exitRefused
		switch {
		case k.Inconclusive():
			want = exitNoVerdict
		case k == verify.KindInvalidPolicy:
			want = exitUsage
		}
		assert.Equal(t, want, exitCode(&verify.Error{Kind: k}), "kind %s", k)
		assert.Equal(t, want, exitCode(shown{fmt.Errorf("x: %w", &verify.Error{Kind: k})}), "kind %s, shown", k)
	}
}

// TestQuietAndHuman: --quiet prints nothing on stdout and the refusal as
// one line on stderr; the human report shows the refusal once, on stdout.
func TestQuietAndHuman(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	out := newOutOfDate(t)

	code, stdout, stderr := runCLI(t, append(s.args(s.quoteHex), "--quiet")...)
	assert.Equal(t, exitOK, code)
	assert.Empty(t, stdout)
	assert.Empty(t, stderr)

	code, stdout, stderr = runCLI(t, append(out.args(out.quoteHex), "--quiet")...)
	assert.Equal(t, exitRefused, code)
	assert.Empty(t, stdout)
	assert.Equal(t, 2, strings.Count(stderr, "\n"), "the refusal and its hint: %q", stderr)
	assert.Contains(t, stderr, "cvmgate quote verify: tcb_status")

	code, stdout, stderr = runCLI(t, out.args(out.quoteHex)...)
	assert.Equal(t, exitRefused, code)
	assert.Contains(t, stdout, "REJECTED: tcb_status")
	assert.Empty(t, stderr, "the human report already says it")
}
