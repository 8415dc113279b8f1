package main

import (
	"errors"
	"strings"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
)

// describe returns the message of a command's error. A verification error
// says its kind, the check (when it is not just the kind again), what was
// expected and what was found; a policy refusal lists the broken rules.
func describe(err error) string {
	var e *verify.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	if vs := policy.Violations(err); len(vs) > 0 {
		rules := make([]string, len(vs))
		for i, v := range vs {
			rules[i] = v.Rule + ": expected " + v.Expected + ", found " + v.Found
		}
		return string(verify.KindPolicy) + ": " + strings.Join(rules, "; ")
	}
	msg := string(e.Kind)
	if e.Check != "" && e.Check != string(e.Kind) {
		msg += ": " + e.Check
	}
	if e.Expected != "" || e.Found != "" {
		msg += ": expected " + e.Expected + ", found " + e.Found
	}
	if e.Err != nil {
		msg += ": " + strings.TrimPrefix(e.Err.Error(), string(e.Kind)+": ")
	}
	return msg
}

// kindHints say what to do next after a failure of each kind.
var kindHints = map[verify.Kind]string{
	verify.KindCollateralExpired:     "the collateral is not current at the verification time: fetch fresh collateral (drop --collateral to use Intel PCS, pass --pccs URL, or run 'cvmgate collateral fetch'), or verify at a time inside its window with --at",
	verify.KindCollateralUnavailable: "no verdict: the collateral could not be fetched; check the network and --pccs (or $" + pccsEnv + "), raise --timeout, or verify offline with --collateral FILE",
	verify.KindUnreachable:           "no verdict: the CVM or a collateral server did not answer in time; check the network, raise --timeout, and retry",
	verify.KindUntrustedRoot:         "the PCK chain does not end in the trusted root: Intel's, or the one --trust-root names; a quote from a simulator needs its root with --trust-root",
	verify.KindTCBStatus:             "the platform's TCB level is not accepted: have the host update its microcode and TDX module, or accept the status explicitly with --accept STATUS (tcb.accept in a policy)",
	verify.KindDebugTD:               "a debug TD: the host can read and change its memory; --allow-debug (tcb.allow_debug in a policy) accepts it, never do so in production",
	verify.KindRevoked:               "Intel revoked a certificate of the PCK chain: this platform's attestation keys are not to be trusted",
	verify.KindStaleNonce:            "REPORTDATA does not start with --nonce: the quote was made for another request (a replay), or --nonce is not the nonce the attestation was requested with",
	verify.KindKeyBinding:            "REPORTDATA[32:64] is not --spki-sha256: the quote was relayed over another TLS connection, or --spki-sha256 is not the SHA-256 of the SPKI of the connection it came over",
	verify.KindComposeMismatch:       "the app compose does not hash to the attested compose hash: the CVM runs another compose than the one shown (compare with 'cvmgate policy hash-compose')",
	verify.KindMissingCompose:        "--info holds no tcb_info.app_compose: fetch /info from the CVM again, or leave out --info to skip the compose check (it is then reported as not done)",
	verify.KindMalformedEvidence:     "the CVM's attestation or info document is malformed: it is refused as the CVM's answer, not read as a usage error; fetch it again from the CVM",
	verify.KindEventLogMalformed:     "the CVM's event log is malformed: it is refused; a CVM serving it is broken or hostile",
	verify.KindMalformedQuote:        "the quote is malformed: expected raw bytes, hex, base64, or JSON with a hex \"quote\" field",
	verify.KindRemoteDisagreement:    "the remote verifier refuses a quote local verification found genuine: one of the two is wrong or out of date; a simulator's quotes (--trust-root) are always refused remotely, as it trusts only Intel's root. Compare its collateral with yours, and do not trust this CVM until the two agree",
}

// hint returns what to do next after err, or "".
func hint(err error) string {
	for _, v := range policy.Violations(err) {
		if h := violationHint(v); h != "" {
			return h
		}
	}
	if errors.Is(err, errNoPolicy) {
		return "pass --policy FILE (write one with 'cvmgate policy init'), or --no-policy to accept any app whose evidence verifies"
	}
	var e *verify.Error
	if !errors.As(err, &e) {
		return ""
	}
	if e.Kind == verify.KindPolicy {
		return "the CVM is not what the policy allows: if the change is expected, update the policy (review 'cvmgate policy init' output), otherwise do not trust this CVM"
	}
	return kindHints[e.Kind]
}

// violationHint says what to do about a violated rule that a command
// line, rather than the CVM, usually explains.
func violationHint(v *policy.Violation) string {
	if v.Rule == "channel.binding" && strings.HasPrefix(v.Found, "no channel binding") {
		return "the policy requires channel binding " + v.Expected + ": pass --nonce HEX, the nonce the attestation was requested with (and --spki-sha256 HEX for binding spki)"
	}
	return ""
}
