package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
)

// The tests of this file each cover a friction point a new user met (issue
// 8), and fail on the CLI before it was fixed.

func TestAcceptAddsToUpToDate(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	code, out := runJSON(t, append(s.args(s.quoteHex), "--accept", "OutOfDate")...)
	assert.Equal(t, exitOK, code, "an UpToDate quote stays accepted when OutOfDate is added: %v", out["error"])

	o := newOutOfDate(t)
	for _, accept := range [][]string{{"--accept", "OutOfDate"}, {"--accept", "SWHardeningNeeded,outofdate"}, {"--accept", "Revoked", "--accept", "OutOfDate"}} {
		code, out = runJSON(t, append(o.args(o.quoteHex), accept...)...)
		assert.Equal(t, exitOK, code, "%v: %v", accept, out["error"])
	}
	code, _ = runJSON(t, o.args(o.quoteHex)...)
	assert.Equal(t, exitRefused, code, "without --accept only UpToDate")
}

// TestLocalFileMessages: a local file's error names its flag and file,
// what was expected and what was found, once.
func TestLocalFileMessages(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	dir := t.TempDir()
	notPEM := writeFile(t, "root.txt", []byte("not a certificate"))
	badBundle := writeFile(t, "bundle.json", []byte(`{}`))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"quote is a directory", []string{"quote", "verify", "--quote", dir}, "--quote " + dir + ": expected a file, found a directory"},
		{"no such quote", []string{"quote", "verify", "--quote", filepath.Join(dir, "nope")}, "--quote " + filepath.Join(dir, "nope") + ": expected a readable file, found none at that path"},
		{"attestation is a directory", []string{"evidence", "verify", "--attestation", dir, "--no-policy"}, "--attestation " + dir + ": expected a file, found a directory"},
		{"trust root without a certificate", []string{"quote", "verify", "--quote", s.quoteHex, "--trust-root", notPEM}, "--trust-root " + notPEM + ": expected a PEM certificate, found none"},
		{"collateral that is not a bundle", []string{"quote", "verify", "--quote", s.quoteHex, "--collateral", badBundle}, "--collateral " + badBundle + ": expected a dcap-qvl/dstack collateral bundle"},
		{"policy is a directory", []string{"evidence", "verify", "--attestation", s.quoteHex, "--policy", dir}, "--policy " + dir + ": expected a file, found a directory"},
		{"bad --at", []string{"quote", "verify", "--quote", s.quoteHex, "--at", "yesterday"}, `--at "yesterday": expected RFC 3339 (2025-07-19T10:00:34Z) or unix seconds`},
		{"nonce of the wrong length", []string{"evidence", "verify", "--attestation", s.quoteHex, "--no-policy", "--nonce", "0102"}, `--nonce "0102": expected 32 bytes in hex (64 hex characters, 0x optional)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr, tt.want)
			assert.NotContains(t, stderr, "read "+dir+": read", "the file is named once")
		})
	}
}

// TestKeyProviderIDInFull: a violated key provider shows the found id in
// full, as the expected one is.
func TestKeyProviderIDInFull(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	att, _ := appFiles(t, s, &cvmtest.App{}, [32]byte{1}, [32]byte{})
	other := strings.Repeat("31", 91)
	pol := writeFile(t, "policy.yaml", []byte("version: 1\napp: {any: true, key_providers: [{name: kms, id: \""+other+"\"}]}\nchannel: {binding: none}\ntcb: {accept: [unknown]}\n"))
	code, stdout, _ := runCLI(t, "evidence", "verify", "--attestation", att, "--no-collateral", "--trust-root", s.rootPEM, "--policy", pol, "--nonce", hex.EncodeToString([]byte{1, 31: 0}))
	require.Equal(t, exitRefused, code, stdout)
	assert.Contains(t, stdout, "id: "+cvmtest.DefaultKeyProvider.ID+"}", "the found id in full")
	assert.Contains(t, stdout, "id: "+other+"}", "the expected id in full")
}

// TestHumanReportNoGoSyntax: the human report prints no Go value syntax.
func TestHumanReportNoGoSyntax(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	att, _ := appFiles(t, s, &cvmtest.App{}, [32]byte{1}, [32]byte{})
	code, stdout, _ := runCLI(t, "evidence", "verify", "--attestation", att, "--no-collateral", "--no-policy", "--trust-root", s.rootPEM)
	require.Equal(t, exitOK, code, stdout)
	assert.Contains(t, stdout, "rtmr replay   RTMR0 matches, RTMR1 matches, RTMR2 matches, RTMR3 matches\n")
	for _, goSyntax := range []string{"map[", "[]", "<nil>", "%!"} {
		assert.NotContains(t, stdout, goSyntax)
	}
}

// TestNothingOKThatDidNotRun: without collateral the TCB is not judged,
// and no line says ok for a check that did not run or claims an unknown
// status accepted.
func TestNothingOKThatDidNotRun(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	att, _ := appFiles(t, s, &cvmtest.App{}, [32]byte{1}, [32]byte{})
	args := []string{"evidence", "verify", "--attestation", att, "--no-collateral", "--no-policy", "--trust-root", s.rootPEM}
	code, stdout, _ := runCLI(t, args...)
	require.Equal(t, exitOK, code, stdout)
	_, out := runJSON(t, args...)

	lines := strings.Split(stdout, "\n")
	for _, c := range out["checks"].([]any) {
		c := c.(map[string]any)
		title := checkTitles[verify.CheckName(c["name"].(string))]
		okLine := slicesContainsPrefix(lines, "ok   "+title)
		assert.Equal(t, c["outcome"] == "passed", okLine, "check %s: outcome %s, ok line %v", c["name"], c["outcome"], okLine)
	}
	assert.Contains(t, stdout, "TCB status unknown: not judged without collateral")
	assert.Contains(t, stdout, "app not judged (--no-policy)")
	assert.NotContains(t, stdout, "status unknown accepted")
	assert.Contains(t, stdout, "tcb: unknown (no collateral: the TCB level was not evaluated)\n")
}

// slicesContainsPrefix reports whether a line of lines starts with prefix.
func slicesContainsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestHints: refusals say what to do next.
func TestHints(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	late := s.now.Add(60 * 24 * time.Hour).Format(time.RFC3339)
	code, stdout, _ := runCLI(t, "quote", "verify", "--quote", s.quoteHex, "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", late)
	require.Equal(t, exitRefused, code)
	assert.Contains(t, stdout, "REJECTED: collateral_expired")
	assert.Contains(t, stdout, "hint: the collateral is not current")
	assert.Contains(t, stdout, "cvmgate collateral fetch")
	assert.Contains(t, stdout, "--at")

	_, out := runJSON(t, "quote", "verify", "--quote", s.quoteHex, "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", late)
	assert.Contains(t, out["error"].(map[string]any)["hint"], "fresh collateral")
}

// TestPolicyFromInitNeedsNonce: a policy written with --nonce requires a
// binding; verifying without --nonce says that --nonce is missing, and
// says "policy" once.
func TestPolicyFromInitNeedsNonce(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	nonce := [32]byte{4}
	att, info := appFiles(t, s, &cvmtest.App{}, nonce, [32]byte{})
	trust := []string{"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	code, _, stderr := runCLI(t, append([]string{"policy", "init", "--attestation", att, "--info", info, "--nonce", hex.EncodeToString(nonce[:]), "--out", pol}, trust...)...)
	require.Equal(t, exitOK, code, stderr)

	code, stdout, _ := runCLI(t, append([]string{"evidence", "verify", "--attestation", att, "--info", info, "--policy", pol}, trust...)...)
	require.Equal(t, exitRefused, code)
	assert.Contains(t, stdout, "REJECTED: policy: channel.binding: expected none, found no channel binding checked\n")
	assert.Contains(t, stdout, "hint: the policy requires channel binding none: pass --nonce HEX")
	assert.NotContains(t, stdout, "policy: policy")

	_, out := runJSON(t, append([]string{"evidence", "verify", "--attestation", att, "--info", info, "--policy", pol}, trust...)...)
	e := out["error"].(map[string]any)
	assert.Equal(t, "policy", e["kind"])
	assert.Equal(t, "policy: channel.binding: expected none, found no channel binding checked", e["message"])
	assert.Contains(t, e["hint"], "--nonce")
}

// TestStandardInput: "-" reads a flag's file from standard input, once.
func TestStandardInput(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	att, _ := appFiles(t, s, &cvmtest.App{}, [32]byte{1}, [32]byte{})
	attDoc := readTestFile(t, att)
	trust := []string{"--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}

	code, _, stderr := runWith(t, cliInput{stdin: hex.EncodeToString(s.quoteBytes)}, append([]string{"quote", "verify", "--quote", "-"}, trust...)...)
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = runWith(t, cliInput{stdin: string(attDoc)}, append([]string{"evidence", "verify", "--attestation", "-", "--no-policy"}, trust...)...)
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = runWith(t, cliInput{stdin: string(readTestFile(t, s.bundle))}, "quote", "verify", "--quote", s.quoteHex, "--collateral", "-", "--trust-root", s.rootPEM, "--at", s.at)
	assert.Equal(t, exitOK, code, stderr)

	code, _, stderr = runWith(t, cliInput{stdin: string(attDoc)}, "evidence", "verify", "--attestation", "-", "--info", "-", "--no-policy", "--no-collateral", "--trust-root", s.rootPEM)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--info -: standard input is already read by --attestation")
}

// TestQuoteEncodings: --quote reads raw, hex, base64 and JSON, and refuses
// a JSON quote field that is not hex instead of reading it as raw bytes.
func TestQuoteEncodings(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	b64 := base64.StdEncoding.EncodeToString(s.quoteBytes)
	var wrapped bytes.Buffer
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))] + "\n")
	}
	ok := map[string][]byte{
		"raw":                    s.quoteBytes,
		"hex":                    []byte(hex.EncodeToString(s.quoteBytes)),
		"hex with 0x and spaces": []byte("0x" + hex.EncodeToString(s.quoteBytes[:100]) + "\n " + hex.EncodeToString(s.quoteBytes[100:]) + "\n"),
		"base64":                 []byte(b64),
		"base64 in lines":        wrapped.Bytes(),
		"base64 url, unpadded":   []byte(base64.RawURLEncoding.EncodeToString(s.quoteBytes)),
		"JSON":                   []byte(`{"quote":"` + hex.EncodeToString(s.quoteBytes) + `"}`),
	}
	for name, data := range ok {
		t.Run(name, func(t *testing.T) {
			code, out := runJSON(t, s.args(writeFile(t, "q", data))...)
			assert.Equal(t, exitOK, code, "%v", out["error"])
		})
	}
	refused := map[string]struct {
		data []byte
		want string
	}{
		"JSON quote not hex":        {[]byte(`{"quote":"` + b64 + `"}`), `"quote": expected hex (0x optional), found`},
		"JSON quote not a string":   {[]byte(`{"quote":42}`), `"quote": expected a hex string, found a number`},
		"JSON without a quote":      {[]byte(`{"event_log":[]}`), `expected a JSON object with a "quote" field, found none`},
		"text of no known encoding": {[]byte("hello, quote!"), "expected raw bytes, hex, base64"},
		"empty":                     {nil, "found an empty file"},
	}
	for name, tt := range refused {
		t.Run(name, func(t *testing.T) {
			code, out := runJSON(t, s.args(writeFile(t, "q", tt.data))...)
			assert.Equal(t, exitRefused, code)
			assert.Equal(t, "malformed_quote", errorKind(out))
			assert.Contains(t, out["error"].(map[string]any)["message"], tt.want)
		})
	}
}

// TestVersion: "version" prints the module and Go version; --version too.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runCLI(t, args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stdout, "module "+modulePath+"\n")
		assert.Contains(t, stdout, "go1.")
	}
	code, stdout, _ := runCLI(t, "version", "--json")
	require.Equal(t, exitOK, code)
	var v versionJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	assert.Equal(t, modulePath, v.Module)
	assert.NotEmpty(t, v.Version)
	assert.Equal(t, len(simCommands) > 0, v.Simulator)
}

// TestPCCSEnvironment: $CVMGATE_PCCS_URL is the PCCS when --pccs is not
// given, is named in errors, and --collateral wins over it.
func TestPCCSEnvironment(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	pcs := s.pcs(t)
	trust := []string{"--quote", s.quoteHex, "--trust-root", s.rootPEM, "--at", s.at}

	code, _, stderr := runWith(t, cliInput{env: map[string]string{pccsEnv: pcs.URL}}, append([]string{"quote", "verify"}, trust...)...)
	assert.Equal(t, exitOK, code, stderr)
	assert.Positive(t, pcs.TotalRequests(), "the collateral came from the PCCS the variable names")

	code, _, stderr = runWith(t, cliInput{env: map[string]string{pccsEnv: "ftp://nowhere"}}, append([]string{"quote", "verify"}, trust...)...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "$"+pccsEnv+" ftp://nowhere: expected a PCCS base URL")

	code, _, stderr = runWith(t, cliInput{env: map[string]string{pccsEnv: "ftp://nowhere"}}, append([]string{"quote", "verify", "--collateral", s.bundle}, trust...)...)
	assert.Equal(t, exitOK, code, "--collateral wins: %s", stderr)
}

// TestDocumentedInstall: the help says how to install and build.
func TestDocumentedInstall(t *testing.T) {
	_, stdout, _ := runCLI(t, "help", "version")
	assert.Contains(t, stdout, "go install github.com/cvmgate/cvmgate/cmd/cvmgate@latest")
	assert.Contains(t, stdout, "go build ./cmd/cvmgate")
	_, stdout, _ = runCLI(t, "help", "quote", "verify")
	assert.Contains(t, stdout, pccsEnv, "the environment variable is documented")
	assert.Contains(t, stdout, "--timeout DURATION")
	assert.Contains(t, stdout, "--quiet")
	assert.Contains(t, stdout, fmt.Sprintf("%d  no verdict", exitNoVerdict))
}

// TestInfoWithoutCompose (issue 6 item 1): --info asks for the compose
// check; an info document without an app compose is a refusal, never ok.
func TestInfoWithoutCompose(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	app := &cvmtest.App{}
	att, _ := appFiles(t, s, app, [32]byte{1}, [32]byte{})
	topLevel, err := json.Marshal(map[string]string{"app_compose": app.ComposeText()})
	require.NoError(t, err)
	for name, info := range map[string][]byte{"empty": []byte(`{}`), "app_compose at the top level": topLevel} {
		t.Run(name, func(t *testing.T) {
			args := []string{"evidence", "verify", "--attestation", att, "--info", writeFile(t, "info.json", info), "--no-collateral", "--no-policy", "--trust-root", s.rootPEM}
			code, out := runJSON(t, args...)
			assert.Equal(t, exitRefused, code)
			assert.Equal(t, "missing_compose", errorKind(out))
			code, stdout, _ := runCLI(t, args...)
			assert.Equal(t, exitRefused, code)
			assert.Contains(t, stdout, "FAIL "+checkTitles[verify.CheckCompose]+"\n")
			assert.NotContains(t, stdout, "ok   "+checkTitles[verify.CheckCompose])
		})
	}
}
