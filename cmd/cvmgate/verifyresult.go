package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/remote"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// liveResult is the JSON object "verify URL" prints: everything
// "evidence verify" prints, and what only a live verification has.
type liveResult struct {
	*evidenceResult
	URL         string      `json:"url"`
	SPKISHA256  string      `json:"spki_sha256"`
	Nonce       string      `json:"nonce"`
	Remote      *remoteJSON `json:"remote"`
	EvidenceDir string      `json:"evidence_dir,omitempty"`

	// a is the attestation, for --save-evidence.
	a transport.Attestation
	// quote is the quote of a's attestation document, nil when none could
	// be read: what a remote verifier is asked about.
	quote []byte
}

// remoteJSON is the "remote" member: a remote verifier's verdict.
type remoteJSON struct {
	URL       string `json:"url"`
	Verdict   string `json:"verdict"`
	Agreement string `json:"agreement"`
	Detail    string `json:"detail"`
	Checksum  string `json:"checksum,omitempty"`
}

// Verdicts of a remote verifier in remoteJSON.
const (
	remoteVerified = "verified"
	remoteRefused  = "refused"
	remoteNone     = "none"
)

// newLiveResult assembles the output of a live verification of target
// that started at started.
func newLiveResult(target string, a transport.Attestation, verr error, started time.Time) *liveResult {
	report := reportOf(a.Report, verr)
	at := started
	if report != nil && !report.VerifiedAt.IsZero() {
		at = report.VerifiedAt
	}
	q := quoteOf(a.AttestationDocument)
	res := &liveResult{
		evidenceResult: newEvidenceResult(q, report, verr, at),
		URL:            target,
		SPKISHA256:     a.SPKISHA256,
		Nonce:          hex.EncodeToString(a.Nonce),
		a:              a,
		quote:          q,
	}
	if len(res.Checks) == 0 {
		// Nothing was verified: the CVM was not reached, or sent nothing
		// readable. Every check says so.
		why := "the CVM's evidence was not obtained"
		if verify.KindOf(verr) != verify.KindUnreachable {
			why = "the CVM's evidence could not be read"
		}
		res.notReached(verify.CheckNames(), why)
	}
	return res
}

// describePolicy says which policy judged the CVM, in the human report,
// the JSON and the policy check's detail.
func (r *liveResult) describePolicy(file string, noPolicy bool, af *acceptFlags, pol *policy.Policy) {
	switch {
	case file != "":
		r.setPolicy(file, false, "")
		r.note(verify.CheckPolicy, "policy "+file)
	case noPolicy:
		accept := ""
		if rep := r.report(); rep != nil && r.err == nil {
			accept = af.describe(verify.Accept{Statuses: pol.TCB.Accept, AllowDebug: pol.TCB.AllowDebug}, rep)
		}
		r.setPolicy("", true, accept)
		r.note(verify.CheckPolicy, strings.TrimSuffix("--no-policy: app not judged; "+accept, "; "))
	default:
		r.setPolicy("", false, "")
		r.failCheck(verify.CheckPolicy, errNoPolicy.Error())
	}
}

// report returns the report the result was made from, or nil.
func (r *liveResult) report() *verify.Report { return reportOf(r.a.Report, r.err) }

// failCheck marks check n failed with detail, where it passed: the
// command refuses what the library accepted.
func (r *result) failCheck(n verify.CheckName, detail string) {
	for i := range r.Checks {
		if r.Checks[i].Name == n && r.Checks[i].Outcome == verify.Passed {
			r.Checks[i] = verify.CheckResult{Name: n, Outcome: verify.Failed, Detail: detail}
		}
	}
}

// askRemote asks rc for its verdict on the quote and compares it with the
// local one; a disagreement with an accepted verdict refuses it.
func (r *liveResult) askRemote(ctx context.Context, rc *remote.Client) {
	rj := &remoteJSON{URL: rc.URL(), Verdict: remoteNone, Agreement: string(remote.NotCompared)}
	r.Remote = rj
	if r.quote == nil {
		rj.Detail = "not asked: no quote was obtained from the CVM"
		return
	}
	v, err := rc.Verify(ctx, r.quote)
	if err != nil {
		rj.Detail = err.Error()
		return
	}
	rj.Verdict, rj.Detail, rj.Checksum = remoteRefused, v.Detail, v.Checksum
	if v.Verified {
		rj.Verdict = remoteVerified
	}
	agreement, cmpErr := remote.Compare(r.report(), v)
	rj.Agreement = string(agreement)
	if cmpErr != nil && r.err == nil {
		r.fail(cmpErr) // a disagreement: a refusal
	}
}

// writeHuman prints what was verified, then the report.
func (r *liveResult) writeHuman(w io.Writer) error {
	fmt.Fprintf(w, "cvmgate verify %s\n\n", r.URL)
	return r.writeReport(w)
}

// writeReport prints the check table, the identity, the policy, the
// remote verdict and the verdict.
func (r *liveResult) writeReport(w io.Writer) error {
	if err := writeCheckTable(w, r.Checks); err != nil {
		return err
	}
	fmt.Fprintln(w)
	r.writeIdentity(w)
	r.writePolicyLine(w)
	if rj := r.Remote; rj != nil {
		line := rj.Verdict
		if rj.Detail != "" {
			line += " (" + rj.Detail + ")"
		}
		switch remote.Agreement(rj.Agreement) {
		case remote.Agree:
			line += "; agrees with local verification"
		case remote.Disagree:
			line += "; DISAGREES with local verification"
		}
		fmt.Fprintf(w, "remote        %s: %s\n", rj.URL, line)
	}
	if r.EvidenceDir != "" {
		fmt.Fprintf(w, "evidence      saved in %s; replay offline: sh %s\n", r.EvidenceDir, filepath.Join(r.EvidenceDir, replayScript))
	}
	return r.writeLiveVerdict(w)
}

// writeIdentity prints what the CVM is, as far as it was established.
func (r *liveResult) writeIdentity(w io.Writer) {
	if r.AppID == "" && r.TCBStatus == "" {
		return
	}
	fmt.Fprintln(w, "identity (from the verified quote and event log)")
	if r.AppID != "" {
		fmt.Fprintf(w, "  app id        %s\n  compose hash  %s\n  instance id   %s\n  os image      %s\n", r.AppID, r.ComposeHash, orNone(r.InstanceID), orNone(r.OSImageHash))
		if kp := r.KeyProvider; kp != nil {
			fmt.Fprintf(w, "  kms           %s %s\n", kp.Name, orNone(kp.ID))
		}
		for _, s := range r.Compose {
			pinned := "NOT pinned"
			if s.Pinned {
				pinned = "pinned"
			}
			fmt.Fprintf(w, "  service       %s: %s (%s)\n", s.Name, s.Image, pinned)
		}
	}
	if r.TCBStatus != "" {
		adv := "none"
		if len(r.AdvisoryIDs) > 0 {
			adv = strings.Join(r.AdvisoryIDs, ", ")
		}
		fmt.Fprintf(w, "  tcb           %s (platform %s, module %s, qe %s); advisories: %s\n", r.TCBStatus, r.PlatformTCBStatus, orNone(r.TDXModuleTCBStatus), r.QETCBStatus, adv)
	}
	if r.SPKISHA256 != "" {
		bound := "the quote names this key (binding " + orNone(r.Binding) + ")"
		if r.Binding == "" || r.Binding == string(verify.BindingNone) {
			bound = "NOT bound to the quote (binding " + orNone(r.Binding) + "): a relay cannot be ruled out"
		}
		fmt.Fprintf(w, "  tls key       sha256:%s, %s\n", r.SPKISHA256, bound)
	}
}

// writeLiveVerdict prints the verdict line and, for a refusal, the hint.
func (r *liveResult) writeLiveVerdict(w io.Writer) error {
	if r.Error == nil {
		until := ""
		if r.ValidUntil != nil {
			until = ", valid until " + r.ValidUntil.Format(time.RFC3339)
		}
		_, err := fmt.Fprintf(w, "VERIFIED %s%s\n", r.URL, until)
		return err
	}
	return writeRefusal(w, r.Verdict, r.Error)
}
