package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
)

// checksOf returns the outcome of every check of a JSON result.
func checksOf(t *testing.T, out map[string]any) map[string]string {
	t.Helper()
	got := map[string]string{}
	list, ok := out["checks"].([]any)
	require.True(t, ok, "checks: %v", out["checks"])
	for _, c := range list {
		m := c.(map[string]any)
		got[m["name"].(string)] = m["outcome"].(string)
	}
	return got
}

// TestVerifyLive: verify URL runs every check through the transport and
// reports the CVM's identity and key; without a policy it refuses.
func TestVerifyLive(t *testing.T) {
	c := newLiveCVM(t)
	code, out := runJSON(t, c.args("--policy", c.policy)...)
	require.Equal(t, exitOK, code, "%v", out["error"])
	assert.Equal(t, verdictAccepted, out["verdict"])
	for name, outcome := range checksOf(t, out) {
		assert.Equal(t, string(verify.Passed), outcome, name)
	}
	assert.Len(t, checksOf(t, out), len(verify.CheckNames()))
	assert.Equal(t, c.srv.URL, out["url"])
	assert.Equal(t, c.spkiSHA256(), out["spki_sha256"], "the key of the connection")
	assert.Len(t, out["nonce"], 64)
	assert.Equal(t, c.policy, out["policy"])
	assert.Equal(t, "spki", out["channel_binding"])
	assert.Nil(t, out["remote"])
	app := c.srv.App()
	h := app.ComposeHash()
	assert.Equal(t, hx(h[:]), out["compose_hash"])
	assert.NotEmpty(t, out["compose_services"], "the compose /info published was checked")

	code, stdout, stderr := runCLI(t, c.args("--policy", c.policy)...)
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{
		"RESULT  CHECK", "ok      hardware signature", "a fake TEE",
		"nonce and key binding", "replay; relay (man in the middle)", "compose hash", "code substitution",
		"an unpatched platform", "app id        " + out["app_id"].(string), "compose hash  " + hx(h[:]),
		"kms           kms ", "tcb           UpToDate", "advisories: none", "tls key       sha256:" + c.spkiSHA256(),
		"policy        " + c.policy + ": accepted", "VERIFIED " + c.srv.URL + ", valid until ",
	} {
		assert.Contains(t, stdout, want)
	}
	assert.Contains(t, stderr, "WARNING: trusting the TEST root in "+c.root)

	// --no-policy accepts, and says plainly that no policy was checked.
	code, out = runJSON(t, c.args("--no-policy")...)
	require.Equal(t, exitOK, code, "%v", out["error"])
	assert.Nil(t, out["policy"])
	_, stdout, _ = runCLI(t, c.args("--no-policy")...)
	assert.Contains(t, stdout, "policy        NOT CHECKED (--no-policy): any app whose evidence verifies is accepted")

	// Neither: verified, described, refused.
	code, out = runJSON(t, c.args()...)
	assert.Equal(t, exitRefused, code)
	assert.Equal(t, string(verify.KindPolicy), errorKind(out))
	assert.Nil(t, out["policy"])
	assert.Equal(t, string(verify.Failed), checksOf(t, out)[string(verify.CheckPolicy)])
	assert.Equal(t, string(verify.Passed), checksOf(t, out)[string(verify.CheckQuoteSignature)], "the hardware was checked")
	assert.NotEmpty(t, out["app_id"], "the identity is printed")
	_, stdout, _ = runCLI(t, c.args()...)
	assert.Contains(t, stdout, "policy        NONE GIVEN: refused")
	assert.Contains(t, stdout, "REJECTED: policy: no policy given")
	assert.Contains(t, stdout, "hint: pass --policy FILE")
}

// TestVerifyThreats: each threat is refused (exit 1) with the kind that
// names it, under the honest CVM's policy, before the app is reached.
func TestVerifyThreats(t *testing.T) {
	honest := newLiveCVM(t)
	for _, a := range []struct {
		name string
		make func(t *testing.T) *liveCVM
		kind verify.Kind
		rule string
	}{
		{"relay", func(t *testing.T) *liveCVM {
			r := cvmtest.NewRelay(honest.srv)
			t.Cleanup(r.Close)
			return liveFor(t, r)
		}, verify.KindKeyBinding, ""},
		{"unbound", func(t *testing.T) *liveCVM { return newLiveCVM(t, cvmtest.WithoutKeyBinding()) }, verify.KindKeyBinding, ""},
		{"debug", func(t *testing.T) *liveCVM { return newLiveCVM(t, cvmtest.WithDebug()) }, verify.KindPolicy, "tcb.allow_debug"},
		{"compose", func(t *testing.T) *liveCVM {
			return newLiveCVM(t, cvmtest.WithComposeFile([]byte(`{"manifest_version":2,"name":"x","runner":"docker-compose","docker_compose_file":"services: {}"}`)))
		}, verify.KindPolicy, "app.compose_hashes"},
		{"expired collateral", func(t *testing.T) *liveCVM { return newLiveCVM(t, cvmtest.WithExpiredCollateral()) }, verify.KindCollateralExpired, ""},
	} {
		t.Run(a.name, func(t *testing.T) {
			c := a.make(t)
			code, out := runJSON(t, c.args("--policy", c.policy)...)
			assert.Equal(t, exitRefused, code)
			assert.Equal(t, string(a.kind), errorKind(out), "%v", out["error"])
			if a.rule != "" {
				require.NotEmpty(t, out["policy_violations"])
				assert.Equal(t, a.rule, out["policy_violations"].([]any)[0].(map[string]any)["rule"])
			}
			assert.Zero(t, c.srv.AppRequests(), "no request reached the app")
		})
	}
}

// TestVerifyNoVerdict: a CVM or collateral that cannot be reached, or a
// CVM that does not answer in --timeout, is exit 3, never a refusal.
func TestVerifyNoVerdict(t *testing.T) {
	c := newLiveCVM(t)
	closed := "https" + strings.TrimPrefix(closedURL(t), "http")
	tests := []struct {
		name string
		args []string
		kind verify.Kind
	}{
		{"CVM unreachable", []string{"verify", closed, "--trust-root", c.root, "--collateral", c.coll, "--no-policy"}, verify.KindUnreachable},
		{"CVM silent", []string{"verify", silentServer(t), "--trust-root", c.root, "--no-policy", "--timeout", "300ms"}, verify.KindUnreachable},
		{"collateral unreachable", []string{"verify", c.srv.URL, "--trust-root", c.root, "--pccs", closedURL(t), "--policy", c.policy}, verify.KindCollateralUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runJSON(t, tt.args...)
			assert.Equal(t, exitNoVerdict, code)
			assert.Equal(t, verdictInconclusive, out["verdict"])
			assert.Equal(t, string(tt.kind), errorKind(out), "%v", out["error"])
			checks := checksOf(t, out)
			for _, name := range []verify.CheckName{verify.CheckCollateral, verify.CheckTCBLevels, verify.CheckPolicy} {
				assert.NotEqual(t, string(verify.Passed), checks[string(name)], "%s passed without a verdict", name)
			}
			code, stdout, _ := runCLI(t, tt.args...)
			assert.Equal(t, exitNoVerdict, code)
			assert.Contains(t, stdout, "NO VERDICT: "+string(tt.kind))
		})
	}
}

// TestVerifyBinding: --binding none accepts a CVM that quotes the nonce
// alone, its certificate validated by WebPKI with --ca-cert; the default
// binding spki refuses it.
func TestVerifyBinding(t *testing.T) {
	c := newLiveCVM(t, cvmtest.WithoutKeyBinding())
	code, out := runJSON(t, c.args("--no-policy", "--binding", "none", "--ca-cert", c.tlsCA)...)
	require.Equal(t, exitOK, code, "%v", out["error"])
	assert.Equal(t, "none", out["channel_binding"])
	_, stdout, _ := runCLI(t, c.args("--no-policy", "--binding", "none", "--ca-cert", c.tlsCA)...)
	assert.Contains(t, stdout, "NOT bound to the quote (binding none): a relay cannot be ruled out")

	code, out = runJSON(t, c.args("--no-policy")...)
	assert.Equal(t, exitRefused, code)
	assert.Equal(t, string(verify.KindKeyBinding), errorKind(out))

	honest := newLiveCVM(t)
	code, out = runJSON(t, honest.args("--no-policy", "--webpki", "--ca-cert", honest.tlsCA)...)
	assert.Equal(t, exitOK, code, "%v", out["error"])
}

// TestVerifyUsage: what verify cannot start with is a usage error.
func TestVerifyUsage(t *testing.T) {
	c := newLiveCVM(t)
	notPEM := writeFile(t, "ca.pem", []byte("hello"))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no URL", []string{"verify"}, "missing argument URL"},
		{"http", []string{"verify", "http://127.0.0.1:1", "--no-policy"}, `URL "http://127.0.0.1:1": expected the CVM's https URL`},
		{"no scheme", []string{"verify", "app.example", "--no-policy"}, "expected the CVM's https URL"},
		{"policy and no policy", c.args("--policy", c.policy, "--no-policy"), "--policy and --no-policy conflict"},
		{"policy and binding", c.args("--policy", c.policy, "--binding", "none"), "conflict with --policy"},
		{"policy and accept", c.args("--policy", c.policy, "--accept", "OutOfDate"), "conflict with --policy"},
		{"bad binding", c.args("--no-policy", "--binding", "tls"), `--binding "tls": expected spki, ratls or none`},
		{"ca-cert not PEM", c.args("--no-policy", "--ca-cert", notPEM), "--ca-cert " + notPEM + ": expected PEM certificates, found none"},
		{"remote over http", c.args("--no-policy", "--remote-verifier", "http://verifier.example/x"), "--remote-verifier http://verifier.example/x"},
		{"invalid policy", c.args("--policy", writeFile(t, "p.yaml", []byte("version: 2\n"))), "--policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
		})
	}
	assert.Zero(t, c.srv.AttestationRequests(), "a usage error contacts nobody")
}

// TestVerifyRemote: the remote verdict is shown beside the local one;
// a refusal of a quote local verification accepted is a refusal of its
// own kind, a remote verifier without a verdict changes nothing, and a
// quote local verification refused early is not compared.
func TestVerifyRemote(t *testing.T) {
	c := newLiveCVM(t)
	unbound := newLiveCVM(t, cvmtest.WithoutKeyBinding())
	answer := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	verified := answer(200, `{"success":true,"quote":{"verified":true},"checksum":"c0ffee"}`)
	refused := answer(400, `{"detail":"Quote verification failed"}`)
	broken := answer(500, `{"detail":"Internal server error during verification"}`)
	tests := []struct {
		name                     string
		cvm                      *liveCVM
		remote                   string
		code                     int
		kind, verdict, agreement string
		detail                   string
	}{
		{"agrees", c, verified, exitOK, "", "verified", "agrees", ""},
		{"disagrees", c, refused, exitRefused, string(verify.KindRemoteDisagreement), "refused", "disagrees", "Quote verification failed"},
		{"no remote verdict", c, broken, exitOK, "", "none", "not_compared", "Internal server error"},
		{"local refused before the quote's verdict", unbound, verified, exitRefused, string(verify.KindKeyBinding), "verified", "not_compared", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.cvm.args("--policy", tt.cvm.policy, "--remote-verifier", tt.remote)
			code, out := runJSON(t, args...)
			assert.Equal(t, tt.code, code, "%v", out["error"])
			assert.Equal(t, tt.kind, errorKind(out))
			r, ok := out["remote"].(map[string]any)
			require.True(t, ok, "%v", out["remote"])
			assert.Equal(t, tt.remote, r["url"])
			assert.Equal(t, tt.verdict, r["verdict"])
			assert.Equal(t, tt.agreement, r["agreement"])
			assert.Contains(t, r["detail"], tt.detail)
			if tt.kind == string(verify.KindRemoteDisagreement) {
				assert.Nil(t, out["valid_until"], "a refusal has no validity")
				assert.Equal(t, false, out["verified"])
			}
			_, stdout, _ := runCLI(t, args...)
			assert.Contains(t, stdout, "remote        "+tt.remote+": "+tt.verdict)
		})
	}
}

// TestVerifyProgress: slow steps are announced on a terminal only, and
// never with --json or --quiet.
func TestVerifyProgress(t *testing.T) {
	c := newLiveCVM(t)
	pcs := cvmtest.NewPCSServer(c.srv.Collateral(), c.srv.PKI())
	t.Cleanup(pcs.Close)
	args := []string{"verify", c.srv.URL, "--trust-root", c.root, "--pccs", pcs.URL, "--policy", c.policy}
	code, _, stderr := runWith(t, cliInput{terminal: true}, args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "cvmgate: attesting "+c.srv.URL+": fresh nonce, quote, event log...\n")
	assert.Contains(t, stderr, "cvmgate: fetching collateral from "+pcs.URL+"...\n")
	for _, extra := range [][]string{{"--json"}, {"--quiet"}, nil} {
		terminal := extra != nil
		_, _, stderr := runWith(t, cliInput{terminal: terminal}, append(args, extra...)...)
		assert.NotContains(t, stderr, "cvmgate: attesting", "%v terminal=%v", extra, terminal)
	}
}

// TestCheckDocs: the check table documents every check, saying what it
// proves and what it stops, with distinct labels.
func TestCheckDocs(t *testing.T) {
	labels := map[string]bool{}
	for _, n := range verify.CheckNames() {
		d, ok := checkDocs[n]
		require.True(t, ok, "check %s is not in the table", n)
		assert.NotEmpty(t, d.proves, n)
		assert.NotEmpty(t, d.stops, n)
		assert.False(t, labels[d.label], "label %q twice", d.label)
		labels[d.label] = true
	}
	assert.Len(t, checkDocs, len(verify.CheckNames()))
}

// TestNoPolicyConsistent: verify and evidence verify treat a missing
// policy alike: --policy judges, --no-policy accepts and says plainly that
// no policy was checked, and neither verifies, describes and refuses.
func TestNoPolicyConsistent(t *testing.T) {
	c := newLiveCVM(t)
	dir := t.TempDir()
	code, out := runJSON(t, c.args("--no-policy", "--save-evidence", dir)...)
	require.Equal(t, exitOK, code, "%v", out["error"])
	evidence := []string{"evidence", "verify", "--attestation", filepath.Join(dir, evidenceAttestationFile), "--info", filepath.Join(dir, evidenceInfoFile),
		"--collateral", filepath.Join(dir, evidenceCollateralFile), "--trust-root", c.root, "--at", out["verified_at"].(string),
		"--nonce", out["nonce"].(string), "--spki-sha256", out["spki_sha256"].(string)}
	for _, cmd := range []struct {
		name string
		args []string
	}{{"verify", c.args()}, {"evidence verify", evidence}} {
		t.Run(cmd.name, func(t *testing.T) {
			for _, tt := range []struct {
				flags  []string
				code   int
				policy any
				line   string
			}{
				{[]string{"--policy", c.policy}, exitOK, c.policy, "policy        " + c.policy + ": accepted\n"},
				{[]string{"--no-policy"}, exitOK, nil, "policy        NOT CHECKED (--no-policy): any app whose evidence verifies is accepted; TCB status UpToDate accepted"},
				{nil, exitRefused, nil, "policy        NONE GIVEN: refused"},
			} {
				args := append(append([]string(nil), cmd.args...), tt.flags...)
				code, out := runJSON(t, args...)
				assert.Equal(t, tt.code, code, "%v: %v", tt.flags, out["error"])
				assert.Equal(t, tt.policy, out["policy"], "%v", tt.flags)
				assert.NotEmpty(t, out["app_id"], "%v: the identity is described", tt.flags)
				if tt.code == exitRefused {
					assert.Equal(t, string(verify.KindPolicy), errorKind(out))
					assert.Contains(t, out["error"].(map[string]any)["message"], "no policy given")
				}
				_, stdout, _ := runCLI(t, args...)
				assert.Contains(t, stdout, tt.line, "%v", tt.flags)
			}
		})
	}
}
