package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// evidenceFlags are the flags of "evidence verify" beyond verifierFlags.
type evidenceFlags struct {
	attestation  string
	info         string
	policyFile   string
	nonce        string
	spkiSHA256   string
	noCollateral bool
}

// register adds the evidence flags shared with "policy init" to fs.
func (ef *evidenceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&ef.attestation, "attestation", "", "the CVM's /attestation JSON (or a guest agent GetQuote answer) (required)")
	fs.StringVar(&ef.info, "info", "", "the CVM's /info JSON; its app_compose is checked against the compose hash")
	fs.StringVar(&ef.nonce, "nonce", "", "hex nonce the quote's REPORTDATA must start with")
	fs.StringVar(&ef.spkiSHA256, "spki-sha256", "", "hex SHA-256 of the TLS key's SPKI bound in REPORTDATA[32:64] (needs --nonce)")
	fs.BoolVar(&ef.noCollateral, "no-collateral", false, "check signatures, chain, event log and identity only; TCB status is 'unknown'")
}

// runEvidenceVerify implements "cvmgate evidence verify".
func runEvidenceVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cvmgate evidence verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var vf verifierFlags
	vf.register(fs)
	var ef evidenceFlags
	ef.register(fs)
	fs.StringVar(&ef.policyFile, "policy", "", "policy file (YAML or JSON) the evidence must satisfy")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if ef.attestation == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "cvmgate evidence verify: --attestation FILE is required and no arguments are taken")
		return exitUsage
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })

	v, pol, ev, binding, err := ef.prepare(&vf, setFlags)
	if err != nil {
		return usageFailure(stderr, err)
	}
	report, verr := v.VerifyEvidence(ctx, ev, binding, pol)
	res := newEvidenceResult(ev.Attestation.Quote, report, verr, policy.Violations(verr))
	if binding == nil {
		res.note(verify.CheckChannelBinding, "no --nonce")
	}
	if ef.info == "" {
		res.note(verify.CheckCompose, "no --info")
	}
	if ef.policyFile == "" {
		res.note(verify.CheckPolicy, "no --policy: only the TCB status and debug were judged (--accept, --allow-debug)")
	}
	if err := res.write(stdout, vf.jsonOut); err != nil {
		return usageFailure(stderr, err)
	}
	return res.exitCode(verr)
}

// prepare reads every input and builds the verifier, the policy, the
// evidence and the channel binding to check.
func (ef *evidenceFlags) prepare(vf *verifierFlags, set map[string]bool) (*verify.Verifier, verify.Policy, *verify.Evidence, *verify.Binding, error) {
	opts, err := vf.options(ef.noCollateral)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	accept, err := vf.acceptance()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var pol verify.Policy = accept
	switch {
	case ef.policyFile != "":
		if set["accept"] || set["allow-debug"] {
			return nil, nil, nil, nil, usagef("--accept and --allow-debug conflict with --policy: the policy says what it accepts")
		}
		p, err := policy.Load(ef.policyFile)
		if err != nil {
			return nil, nil, nil, nil, usageError{err}
		}
		pol = p
	case ef.noCollateral && !set["accept"]:
		// Without collateral and without a policy the TCB is reported as
		// unknown and not judged.
		accept.Statuses = []verify.TCBStatus{verify.StatusUnknown}
		pol = accept
	}
	v, err := verify.New(opts)
	if err != nil {
		return nil, nil, nil, nil, usageError{err}
	}

	ev := &verify.Evidence{}
	data, err := readFile(ef.attestation)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if ev.Attestation, err = wire.ParseAttestation(data); err != nil {
		return nil, nil, nil, nil, usagef("--attestation %s: %w", ef.attestation, err)
	}
	if ef.info != "" {
		if data, err = readFile(ef.info); err != nil {
			return nil, nil, nil, nil, err
		}
		if ev.Info, err = wire.ParseInfo(data); err != nil {
			return nil, nil, nil, nil, usagef("--info %s: %w", ef.info, err)
		}
	}
	binding, err := ef.binding()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return v, pol, ev, binding, nil
}

// binding returns the channel binding the flags ask for, or nil.
func (ef *evidenceFlags) binding() (*verify.Binding, error) {
	if ef.nonce == "" && ef.spkiSHA256 == "" {
		return nil, nil
	}
	if ef.nonce == "" {
		return nil, usagef("--spki-sha256 needs --nonce")
	}
	nonce, err := hexfmt.Decode(ef.nonce)
	if err != nil || len(nonce) != verify.NonceSize {
		return nil, usagef("--nonce: expected %d bytes in hex (%d hex characters), found %q", verify.NonceSize, 2*verify.NonceSize, ef.nonce)
	}
	if ef.spkiSHA256 == "" {
		return &verify.Binding{Mode: verify.BindingNone, Nonce: nonce}, nil
	}
	sum, err := hexfmt.Decode(ef.spkiSHA256)
	if err != nil || len(sum) != 32 {
		return nil, usagef("--spki-sha256: want 64 hex characters")
	}
	return &verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKISHA256: sum}, nil
}

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
	Compose          []compose.Service     `json:"compose_services,omitempty"`
}

// note replaces the detail of check n, when it ran and passed or was
// skipped for want of input, with what the command line explains better.
func (r *evidenceResult) note(n verify.CheckName, detail string) {
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Name == n && c.Outcome != verify.Failed && !strings.HasPrefix(c.Detail, "not reached") {
			c.Detail = detail
		}
	}
}

// violationJSON is one entry of "policy_violations".
type violationJSON struct {
	Kind    string `json:"kind"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// newEvidenceResult assembles the output of "evidence verify".
func newEvidenceResult(raw []byte, report *verify.Report, verr error, violations []*policy.Violation) *evidenceResult {
	res := &evidenceResult{
		result:           newResult(raw, report, verr),
		RTMRReplay:       map[string]bool{"rtmr0": false, "rtmr1": false, "rtmr2": false, "rtmr3": false},
		Events:           []eventlog.Event{},
		PolicyViolations: []violationJSON{},
	}
	for _, v := range violations {
		res.PolicyViolations = append(res.PolicyViolations, violationJSON{Kind: string(verify.KindPolicy), Rule: v.Rule, Message: v.Error()})
	}
	var e *verify.Error
	if report == nil && errors.As(verr, &e) {
		report = e.Report
	}
	if report == nil || report.Dstack == nil {
		return res
	}
	d := report.Dstack
	for i, ok := range d.RTMRReplayed {
		res.RTMRReplay[fmt.Sprintf("rtmr%d", i)] = ok
	}
	id := d.Identity
	res.AppID = hex.EncodeToString(id.AppID)
	res.ComposeHash = hex.EncodeToString(id.ComposeHash)
	res.InstanceID = hex.EncodeToString(id.InstanceID)
	res.OSImageHash = hex.EncodeToString(id.OSImageHash)
	res.KeyProvider = id.KeyProvider
	res.Binding = string(d.Binding)
	if d.Events != nil {
		res.Events = d.Events
	}
	if d.Compose != nil {
		res.Compose = d.Compose.Services
	}
	return res
}

// write prints the result as JSON or as a human report.
func (r *evidenceResult) write(w io.Writer, asJSON bool) error {
	if asJSON {
		return writeJSON(w, r)
	}
	if r.AppID != "" {
		fmt.Fprintf(w, "app id %s\ncompose hash %s\ninstance id %s\nos image %s\n", r.AppID, r.ComposeHash, orNone(r.InstanceID), orNone(r.OSImageHash))
		if r.KeyProvider != nil {
			fmt.Fprintf(w, "key provider %s %s\n", r.KeyProvider.Name, r.KeyProvider.ID)
		}
		fmt.Fprintf(w, "rtmr replay %v\n", r.RTMRReplay)
		if r.Binding == "" || r.Binding == string(verify.BindingNone) {
			fmt.Fprintln(w, "WARNING: the channel is not bound to this TD (no --spki-sha256)")
		}
	}
	for _, v := range r.PolicyViolations {
		fmt.Fprintf(w, "violation: %s\n", v.Message)
	}
	if err := r.writeChecks(w); err != nil {
		return err
	}
	return r.writeVerdict(w)
}
