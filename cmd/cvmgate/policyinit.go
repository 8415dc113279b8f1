package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

var policyInitCmd = &command{
	name:     "policy init",
	summary:  "write the strictest policy a CVM satisfies, from the live CVM or its verified evidence, to review",
	synopsis: "(URL | --attestation FILE --nonce HEX [--spki-sha256 HEX] [--info FILE]) [--out FILE]",
	args:     []string{"URL..."},
	about: `Verifies a CVM, then writes the strictest policy it satisfies: its platform
measurements, TD configuration, OS image, compose hash, app id and key provider, the
scripts it runs (by hash), the TCB status it has and the channel binding it was checked
with, each field under a comment saying where its value came from. Review the policy, the
scripts it lists and the warnings on standard error before deploying it; nothing is
written for a revoked TCB or a debug TD.

With URL the live CVM is attested as 'cvmgate verify' does (a fresh nonce, the quote bound
to the TLS key of the connection). Otherwise --attestation (and --info) are verified as
'evidence verify' does, and --nonce is required: a policy is written only from evidence
proven fresh.`,
	flags: policyInitFlags,
	examples: []example{
		{"the policy of a live CVM", "cvmgate policy init https://<app-id>-443s.dstack-prod5.phala.network --out policy.yaml"},
		{"a policy from a CVM's saved evidence, bound to its TLS key", "cvmgate policy init --attestation att.json --info info.json --nonce $NONCE --spki-sha256 $SPKI_SHA256 --out policy.yaml"},
	},
	exits: []exitDoc{
		{exitOK, "the policy was written"},
		{exitRefused, "the evidence was examined and refused: no policy is written from it"},
		{exitUsage, "usage or local input error: a flag, an unreadable file, an --out file that exists"},
		{exitNoVerdict, "no verdict: the CVM or the collateral could not be reached, or --timeout"},
	},
	envVars: []envVar{pccsEnvDoc},
}

// policyInitFlags registers the flags of "policy init": verify a CVM, then
// print the strictest policy it satisfies, for a person to review.
func policyInitFlags(fs *flag.FlagSet) runFunc {
	var sf sourceFlags
	var ef evidenceFlags
	sf.register(fs)
	ef.register(fs)
	out := fs.String("out", "", "write the policy to `FILE` (default: standard output); an existing file is not overwritten")
	binding := fs.String("binding", "", "with URL, the channel binding `MODE` to attest with: spki (default), ratls or none")
	caCert := fs.String("ca-cert", "", "with URL, validate the CVM's TLS certificate with the PEM CA certificates in `FILE` (binding none)")
	return func(ctx context.Context, e *env, args []string) error {
		var report *verify.Report
		var err error
		switch {
		case len(args) > 1:
			return usagef("expected one URL, found %d arguments", len(args))
		case len(args) == 1:
			live := &liveFlags{sf: sf, binding: *binding, caCert: *caCert}
			report, err = live.initReport(ctx, e, args[0], &ef)
		default:
			if *binding != "" || *caCert != "" {
				return usagef("--binding and --ca-cert are for a URL; evidence files are checked with --nonce and --spki-sha256")
			}
			report, err = initReportFromFiles(ctx, e, &sf, &ef)
		}
		if err != nil {
			return err
		}
		pol, err := policy.FromReport(report)
		if errors.Is(err, policy.ErrRefusedReport) {
			return exitError{exitRefused, fmt.Errorf("refused, no policy written: %w", err)}
		}
		if err != nil {
			return usageError{err}
		}
		data, err := pol.MarshalWithNotes(policy.ReportNotes(report))
		if err != nil {
			return usageError{err}
		}
		for _, w := range policyWarnings(report, pol) {
			fmt.Fprintln(e.stderr, "warning:", w)
		}
		if *out == "" {
			*out = "-"
		}
		return writeOutput(e, "--out", *out, data, false)
	}
}

// initReportFromFiles verifies the evidence files of "policy init".
func initReportFromFiles(ctx context.Context, e *env, sf *sourceFlags, ef *evidenceFlags) (*verify.Report, error) {
	if ef.nonce == "" {
		return nil, usagef("--nonce is required: a policy is written only from evidence proven fresh (add --spki-sha256 to bind the TLS key), or give the CVM's URL")
	}
	in, err := ef.prepare(e, sf)
	if err != nil {
		return nil, err
	}
	if in.malformed != nil {
		return nil, in.malformed
	}
	ctx, cancel := sf.withTimeout(ctx)
	defer cancel()
	// Every verified report is let through so that FromReport decides
	// what a policy may record (never a revoked TCB or a debug TD); the
	// warnings point out what a reviewer should not accept lightly.
	report, err := in.v.VerifyEvidence(ctx, in.ev, in.binding, recordAll{})
	if err != nil {
		return nil, fmt.Errorf("the evidence does not verify, no policy written: %w", err)
	}
	return report, nil
}

// initReport attests the live CVM at rawURL for "policy init" under a
// policy that records rather than judges: any TCB status, debug allowed,
// any app. A verification that fails only on that policy's TD defaults
// (TD attributes, a service TD) still yields its report, every other
// check passed, so that FromReport and the warnings judge it.
func (f *liveFlags) initReport(ctx context.Context, e *env, rawURL string, ef *evidenceFlags) (*verify.Report, error) {
	if ef.attestation != "" || ef.info != "" || ef.nonce != "" || ef.spkiSHA256 != "" {
		return nil, usagef("a URL and --attestation, --info, --nonce or --spki-sha256 conflict: the live CVM is attested with a fresh nonce")
	}
	if f.sf.at != "" {
		return nil, usagef("--at: a live CVM is verified now, with a fresh nonce")
	}
	target, err := checkCVMURL(rawURL)
	if err != nil {
		return nil, err
	}
	pol := f.anyAppPolicy(policy.TCB{Accept: policy.List[verify.TCBStatus](verify.Statuses()), AllowDebug: true})
	if err := pol.Validate(); err != nil {
		return nil, usagef("--binding %q: expected spki, ratls or none: %w", f.binding, err)
	}
	opts, err := f.sf.options(e, false)
	if err != nil {
		return nil, err
	}
	topts, err := f.transportOptions(e, opts)
	if err != nil {
		return nil, err
	}
	tr, err := transport.New(pol, topts...)
	if err != nil {
		return nil, usageError{err}
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := f.sf.withTimeout(ctx)
	defer cancel()
	progress(e, f.of.quiet, "attesting %s: fresh nonce, quote, event log", target)
	a, err := tr.Attest(ctx, target)
	if err != nil && !(verify.KindOf(err) == verify.KindPolicy && onlyPolicyFailed(a.Report)) {
		return nil, fmt.Errorf("the CVM does not verify, no policy written: %w", err)
	}
	return a.Report, nil
}

// onlyPolicyFailed reports whether every check of r but the policy's
// passed or was skipped for a reason other than an earlier failure.
func onlyPolicyFailed(r *verify.Report) bool {
	if r == nil {
		return false
	}
	for _, c := range r.Checks {
		if c.Name != verify.CheckPolicy && c.Outcome == verify.Failed {
			return false
		}
	}
	c, ok := r.Check(verify.CheckPolicy)
	return ok && c.Outcome == verify.Failed
}

// recordAll accepts every verified report: policy init records what the
// CVM is, and policy.FromReport refuses what no policy may accept.
type recordAll struct{}

func (recordAll) Check(*verify.Report) error { return nil }

// policyWarnings lists what a generated policy accepts that deserves a
// second look before it is deployed.
func policyWarnings(r *verify.Report, pol *policy.Policy) []string {
	var ws []string
	if r.TCBStatus != verify.StatusUpToDate {
		ws = append(ws, fmt.Sprintf("the policy accepts TCB status %s, not only UpToDate", r.TCBStatus))
	}
	b := &r.Body
	if err := verify.CheckTDAttributes(b.TDAttributes, false); err != nil {
		ws = append(ws, "the policy accepts TD attributes the default rule refuses: "+err.Error())
	}
	if err := verify.CheckServiceTD(b); err != nil {
		ws = append(ws, "the policy accepts a bound service TD, which can read and change the CVM: "+err.Error())
	}
	if kp := r.Dstack.Identity.KeyProvider; kp != nil && kp.Name == policy.KeyProviderNone {
		ws = append(ws, "the CVM has no key provider (none): its keys are random on every boot and no KMS authorizes it")
	}
	if r.Dstack.Binding != verify.BindingSPKI {
		ws = append(ws, "the policy does not require the TLS key to be bound (channel.binding "+string(r.Dstack.Binding)+")")
	}
	if c := r.Dstack.Compose; c == nil {
		ws = append(ws, "no app compose was checked (pass --info): images were not reviewed")
	} else {
		for _, s := range c.Services {
			switch {
			case s.Build:
				ws = append(ws, fmt.Sprintf("service %s is built in the CVM (build:), not pinned by digest", s.Name))
			case !s.Pinned:
				ws = append(ws, fmt.Sprintf("service %s runs image %s, not pinned by digest", s.Name, s.Image))
			}
		}
		ws = append(ws, scriptWarnings(c, pol)...)
	}
	return ws
}

// scriptWarnings asks for a review of each script the app compose makes
// dstack run as root: the policy accepts the scripts it lists by hash.
func scriptWarnings(c *compose.App, pol *policy.Policy) []string {
	var ws []string
	for _, s := range c.Scripts {
		lines := strings.Count(s.Text, "\n")
		if s.Text != "" && !strings.HasSuffix(s.Text, "\n") {
			lines++
		}
		unit := "lines"
		if lines == 1 {
			unit = "line"
		}
		what := fmt.Sprintf("the app compose's %s (sha256 %x, %d %s) runs as root beside the images", s.Kind, s.SHA256, lines, unit)
		if len(pol.App.AllowedScripts) > 0 {
			ws = append(ws, what+": app.allowed_scripts accepts it; read it before deploying the policy")
		} else {
			ws = append(ws, what+": require_pinned_images is off")
		}
	}
	return ws
}
