package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// evidenceResult is the JSON object "evidence verify" prints: everything
// "quote verify" prints, plus the dstack evidence and policy verdict.
type evidenceResult struct {
	*result
	RTMRReplay       map[string]bool       `json:"rtmr_replay"`
	AppID            string                `json:"app_id"`
	ComposeHash      string                `json:"compose_hash"`
	InstanceID       string                `json:"instance_id"`
	OSImageHash      string                `json:"os_image_hash"`
	KeyProvider      *eventlog.KeyProvider `json:"key_provider"`
	Binding          string                `json:"channel_binding"`
	Events           []eventlog.Event      `json:"events"`
	PolicyViolations []violationJSON       `json:"policy_violations"`
	Compose          []composeServiceJSON  `json:"compose_services"`
	// Policy is the policy file the evidence was judged by; nil when no
	// policy was checked (--no-policy, or none given).
	Policy *string `json:"policy"`

	// dstack is the evidence the report holds, for the human report.
	dstack *verify.Dstack
	// policyNote says which policy judged the evidence (setPolicy).
	policyNote string
}

// setPolicy records which policy judged the evidence: file (--policy),
// none at all (--no-policy, where accept says what the accept flags
// judged), or none given, a refusal.
func (r *evidenceResult) setPolicy(file string, noPolicy bool, accept string) {
	switch {
	case file != "":
		r.Policy = &file
		r.policyNote = file
	case noPolicy:
		r.policyNote = "NOT CHECKED (--no-policy): any app whose evidence verifies is accepted"
		if accept != "" {
			r.policyNote += "; " + accept
		}
	default:
		r.policyNote = "NONE GIVEN: refused, as nothing is accepted that no policy allowed; pass --policy FILE or --no-policy"
	}
}

// writePolicyLine prints which policy judged the evidence, and for a
// policy file what became of its check.
func (r *evidenceResult) writePolicyLine(w io.Writer) {
	if r.policyNote == "" {
		return
	}
	note := r.policyNote
	if r.Policy != nil {
		switch c := r.checkResult(verify.CheckPolicy); c.Outcome {
		case verify.Passed:
			note += ": accepted"
		case verify.Failed:
			note += ": REFUSED"
		default:
			note += ": not reached"
		}
	}
	fmt.Fprintf(w, "policy        %s\n", note)
}

// checkResult returns what became of check n.
func (r *result) checkResult(n verify.CheckName) verify.CheckResult {
	for _, c := range r.Checks {
		if c.Name == n {
			return c
		}
	}
	return verify.CheckResult{Name: n, Outcome: verify.Skipped}
}

// composeServiceJSON is one entry of "compose_services".
type composeServiceJSON struct {
	Name   string `json:"name"`
	Image  string `json:"image"`
	Pinned bool   `json:"pinned"`
}

// violationJSON is one entry of "policy_violations".
type violationJSON struct {
	Kind     string `json:"kind"`
	Rule     string `json:"rule"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
	Message  string `json:"message"`
}

// newEvidenceResult assembles the output of "evidence verify".
func newEvidenceResult(raw []byte, report *verify.Report, verr error, at time.Time) *evidenceResult {
	res := &evidenceResult{result: newResult(raw, report, verr, at)}
	for _, v := range policy.Violations(verr) {
		res.PolicyViolations = append(res.PolicyViolations, violationJSON{Kind: string(verify.KindPolicy), Rule: v.Rule, Expected: v.Expected, Found: v.Found, Message: v.Error()})
	}
	var d *verify.Dstack
	if report = reportOf(report, verr); report != nil {
		d = report.Dstack
	}
	res.fillEvidence(d)
	return res
}

// fillEvidence sets the dstack fields from d, which may be nil.
func (r *evidenceResult) fillEvidence(d *verify.Dstack) {
	r.RTMRReplay = map[string]bool{"rtmr0": false, "rtmr1": false, "rtmr2": false, "rtmr3": false}
	r.Events = []eventlog.Event{}
	if r.PolicyViolations == nil {
		r.PolicyViolations = []violationJSON{}
	}
	r.Compose = []composeServiceJSON{}
	r.dstack = d
	if d == nil {
		return
	}
	for i, ok := range d.RTMRReplayed {
		r.RTMRReplay[fmt.Sprintf("rtmr%d", i)] = ok
	}
	id := d.Identity
	r.AppID = hex.EncodeToString(id.AppID)
	r.ComposeHash = hex.EncodeToString(id.ComposeHash)
	r.InstanceID = hex.EncodeToString(id.InstanceID)
	r.OSImageHash = hex.EncodeToString(id.OSImageHash)
	r.KeyProvider = id.KeyProvider
	r.Binding = string(d.Binding)
	if d.Events != nil {
		r.Events = d.Events
	}
	if d.Compose != nil {
		for _, s := range d.Compose.Services {
			r.Compose = append(r.Compose, composeServiceJSON{Name: s.Name, Image: s.Image, Pinned: s.Pinned})
		}
	}
}

// writeHuman prints the identity, the checks and the verdict.
func (r *evidenceResult) writeHuman(w io.Writer) error {
	if r.AppID != "" {
		fmt.Fprintf(w, "app id        %s\ncompose hash  %s\ninstance id   %s\nos image      %s\n", r.AppID, r.ComposeHash, orNone(r.InstanceID), orNone(r.OSImageHash))
		if kp := r.KeyProvider; kp != nil {
			fmt.Fprintf(w, "key provider  %s %s\n", kp.Name, orNone(kp.ID))
		}
	}
	if r.dstack != nil {
		fmt.Fprintf(w, "rtmr replay   %s\n", r.replayLine())
		if r.Binding == "" || r.Binding == string(verify.BindingNone) {
			fmt.Fprintln(w, "WARNING: the channel is not bound to this TD (no --spki-sha256): a relay cannot be ruled out")
		}
	}
	for _, v := range r.PolicyViolations {
		fmt.Fprintf(w, "violation: %s: expected %s, found %s\n", v.Rule, v.Expected, v.Found)
	}
	r.writePolicyLine(w)
	if err := r.writeChecks(w); err != nil {
		return err
	}
	return r.writeVerdict(w)
}

// replayLine says, RTMR by RTMR, whether the event log replays to it.
func (r *evidenceResult) replayLine() string {
	line := ""
	for i := range 4 {
		name := fmt.Sprintf("rtmr%d", i)
		word := "matches"
		if !r.RTMRReplay[name] {
			word = "MISMATCH"
		}
		if i > 0 {
			line += ", "
		}
		line += fmt.Sprintf("RTMR%d %s", i, word)
	}
	return line
}
