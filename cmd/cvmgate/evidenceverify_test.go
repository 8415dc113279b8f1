package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// quoteReportNonce is the first 32 bytes of quote-report.json's REPORTDATA.
const quoteReportNonce = "1234000000000000000000000000000000000000000000000000000000000000"

func TestEvidenceVerifyRealVectors(t *testing.T) {
	tests := []struct {
		file        string
		composeHash string
	}{
		{"quote-report.json", "3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7"},
		{"tdx-lite-getquote.json", "86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := testvectors.Path(t, "dstack", tt.file)
			code, out := runJSON(t, "evidence", "verify", "--attestation", path, "--no-collateral", "--no-policy")
			require.Equal(t, exitOK, code, "%v", out)
			assert.Equal(t, true, out["verified"])
			assert.Equal(t, "unknown", out["tcb_status"])
			assert.Equal(t, map[string]any{"rtmr0": true, "rtmr1": true, "rtmr2": true, "rtmr3": true}, out["rtmr_replay"])
			assert.Equal(t, tt.composeHash, out["compose_hash"])
			assert.Equal(t, tt.composeHash[:40], out["app_id"], "these CVMs use the compose hash prefix as app id")
			assert.NotEmpty(t, out["events"])
			assert.Empty(t, out["policy_violations"])
		})
	}
}

// tamperEventLog rewrites the event log of an attestation JSON with edit.
func tamperEventLog(t *testing.T, doc []byte, edit func([]eventlog.Event)) []byte {
	t.Helper()
	var obj map[string]any
	require.NoError(t, json.Unmarshal(doc, &obj))
	events, err := eventlog.Decode([]byte(obj["event_log"].(string)))
	require.NoError(t, err)
	edit(events)
	logJSON, err := json.Marshal(events)
	require.NoError(t, err)
	obj["event_log"] = string(logJSON)
	out, err := json.Marshal(obj)
	require.NoError(t, err)
	return out
}

func TestEvidenceVerifyTampered(t *testing.T) {
	doc := testvectors.Read(t, "dstack", "quote-report.json")
	find := func(events []eventlog.Event, name string) int {
		for i, e := range events {
			if e.Event == name {
				return i
			}
		}
		t.Fatalf("no %s event", name)
		return -1
	}
	tests := []struct {
		name     string
		edit     func([]eventlog.Event)
		wantKind string
	}{
		{"compose-hash payload byte, logged digest kept", func(ev []eventlog.Event) { ev[find(ev, "compose-hash")].Payload[0] ^= 1 }, "event_digest_mismatch"},
		{"compose-hash payload byte, logged digest dropped", func(ev []eventlog.Event) {
			i := find(ev, "compose-hash")
			ev[i].Payload[0] ^= 1
			ev[i].Digest = nil
		}, "rtmr_mismatch"},
		{"boot digest byte", func(ev []eventlog.Event) { ev[0].Digest[0] ^= 1 }, "rtmr_mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "attestation.json", tamperEventLog(t, doc, tt.edit))
			code, out := runJSON(t, "evidence", "verify", "--attestation", path, "--no-collateral", "--no-policy")
			assert.Equal(t, exitRefused, code)
			assert.Equal(t, tt.wantKind, errorKind(out))
			assert.Equal(t, false, out["verified"])
		})
	}
}

// vectorNonce is the report data the older dstack guest of quote-report.json
// was asked for: 0x1234 || zeros.
var vectorNonce = append([]byte{0x12, 0x34}, make([]byte, 30)...)

// acceptUnknown accepts the status of evidence verified without collateral.
var acceptUnknown = verify.Accept{Statuses: []verify.TCBStatus{verify.StatusUnknown}}

func TestEvidenceVerifyNonceAndPolicy(t *testing.T) {
	path := testvectors.Path(t, "dstack", "quote-report.json")
	doc := testvectors.Read(t, "dstack", "quote-report.json")

	// The strictest policy this CVM satisfies, as "policy init" will write it.
	v, err := verify.New(verify.Options{NoCollateral: true})
	require.NoError(t, err)
	att, err := wire.ParseAttestation(doc)
	require.NoError(t, err)
	_, err = v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att}, &verify.Binding{Mode: verify.BindingNone, Nonce: make([]byte, 32)}, acceptUnknown)
	require.Error(t, err, "the vector's nonce is 0x1234, not zeros")
	report, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att}, &verify.Binding{Mode: verify.BindingNone, Nonce: vectorNonce}, acceptUnknown)
	require.NoError(t, err)
	pol, err := policy.FromReport(report)
	require.NoError(t, err)
	polYAML, err := pol.Marshal()
	require.NoError(t, err)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, writeTo(good, polYAML))
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, writeTo(bad, []byte(strings.Replace(string(polYAML), "3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7", strings.Repeat("ab", 32), 1))))

	base := []string{"evidence", "verify", "--attestation", path, "--no-collateral"}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantKind   string
		violations []string
	}{
		{"right nonce", []string{"--nonce", quoteReportNonce, "--no-policy"}, exitOK, "", nil},
		{"wrong nonce", []string{"--nonce", strings.Repeat("00", 32), "--no-policy"}, exitRefused, "stale_nonce", nil},
		{"key binding to another key", []string{"--nonce", quoteReportNonce, "--spki-sha256", strings.Repeat("11", 32), "--no-policy"}, exitRefused, "key_binding", nil},
		{"policy from the report", []string{"--nonce", quoteReportNonce, "--policy", good}, exitOK, "", nil},
		{"policy without the channel binding it requires", []string{"--policy", good}, exitRefused, "policy", []string{"channel.binding"}},
		{"policy for another compose", []string{"--nonce", quoteReportNonce, "--policy", bad}, exitRefused, "policy", []string{"app.compose_hashes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runJSON(t, append(base, tt.args...)...)
			assert.Equal(t, tt.wantCode, code, "%v", out["error"])
			assert.Equal(t, tt.wantKind, errorKind(out))
			var rules []string
			for _, v := range out["policy_violations"].([]any) {
				m := v.(map[string]any)
				assert.Equal(t, "policy", m["kind"])
				rules = append(rules, m["rule"].(string))
			}
			assert.Equal(t, tt.violations, rules)
		})
	}

	code, _, stderr := runCLI(t, append(base, "--policy", good, "--accept", "UpToDate")...)
	assert.Equal(t, exitUsage, code, "--accept conflicts with --policy")
	assert.Contains(t, stderr, "conflict")
}

func TestEvidenceVerifyHumanReport(t *testing.T) {
	doc := testvectors.Read(t, "dstack", "quote-report.json")
	tampered := writeFile(t, "tampered.json", tamperEventLog(t, doc, func(ev []eventlog.Event) {
		for i := range ev {
			if ev[i].Event == "compose-hash" {
				ev[i].Payload[0] ^= 1
			}
		}
	}))
	code, stdout, _ := runCLI(t, "evidence", "verify", "--attestation", tampered, "--no-collateral", "--no-policy")
	require.Equal(t, exitRefused, code)
	assert.Contains(t, stdout, "ok   quote signed by the attestation key\n")
	assert.Contains(t, stdout, "skip "+checkTitles[verify.CheckChannelBinding]+" (no --nonce)\n")
	assert.Contains(t, stdout, "FAIL event log replays to RTMR0-3, runtime digests recomputed\n")
	assert.Contains(t, stdout, "skip dstack identity recorded once before system-ready (not reached: an earlier check failed)\n")
	assert.Contains(t, stdout, "skip collateral signed, current and for this platform (not reached: an earlier check failed)\n",
		"checks after the failure did not run and never print ok")
	assert.Contains(t, stdout, "skip "+checkTitles[verify.CheckPolicy]+" (not reached: an earlier check failed)\n")
	assert.Contains(t, stdout, "REJECTED: event_digest_mismatch")
	assert.NotContains(t, stdout, "ok   collateral", "without collateral no collateral check passes")

	code, stdout, _ = runCLI(t, "evidence", "verify", "--attestation", testvectors.Path(t, "dstack", "quote-report.json"), "--no-collateral", "--no-policy", "--nonce", quoteReportNonce)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "ok   "+checkTitles[verify.CheckChannelBinding]+" (nonce only: the channel is NOT bound to this TD)\n")
	assert.Contains(t, stdout, "skip collateral signed, current and for this platform (--no-collateral: no CRLs, no TCB evaluation)\n")
	assert.Contains(t, stdout, "WARNING: the channel is not bound")
	assert.True(t, strings.HasSuffix(stdout, "VERIFIED\n"))
}

// TestEveryCheckHasAHumanLine: every check the verifier reports has a
// title in the human report.
func TestEveryCheckHasAHumanLine(t *testing.T) {
	for _, n := range verify.CheckNames() {
		assert.NotEmpty(t, checkTitles[n], "check %s has no title", n)
	}
	assert.Len(t, checkTitles, len(verify.CheckNames()), "no title for a check that does not exist")
}
