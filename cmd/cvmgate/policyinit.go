package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

var policyInitCmd = &command{
	name:     "policy init",
	summary:  "write the strictest policy a CVM's verified evidence satisfies, to review",
	synopsis: "--attestation FILE --nonce HEX [--spki-sha256 HEX] [--info FILE] [--out FILE]",
	about: `Verifies the evidence as 'evidence verify' does, then writes the strictest policy it
satisfies: its platform measurements, OS image, compose hash, app id and key provider,
the TCB status it has and the channel binding it was checked with. Review the policy,
and the warnings on standard error, before deploying it. --nonce is required: a policy
is written only from evidence proven fresh.`,
	flags: policyInitFlags,
	examples: []example{
		{"a policy from a CVM's evidence, bound to its TLS key", "cvmgate policy init --attestation att.json --info info.json --nonce $NONCE --spki-sha256 $SPKI_SHA256 --out policy.yaml"},
	},
	exits: []exitDoc{
		{exitOK, "the policy was written"},
		{exitRefused, "the evidence was examined and refused: no policy is written from it"},
		{exitUsage, "usage or local input error: a flag, an unreadable file, an --out file that exists"},
		{exitNoVerdict, "no verdict: collateral unavailable (network, PCCS down) or --timeout"},
	},
	envVars: []envVar{pccsEnvDoc},
}

// policyInitFlags registers the flags of "policy init": verify a CVM's
// evidence, then print the strictest policy it satisfies, for a person to
// review.
func policyInitFlags(fs *flag.FlagSet) runFunc {
	var sf sourceFlags
	var ef evidenceFlags
	sf.register(fs)
	ef.register(fs)
	out := fs.String("out", "", "write the policy to `FILE` (default: standard output); an existing file is not overwritten")
	return func(ctx context.Context, e *env, _ []string) error {
		if ef.nonce == "" {
			return usagef("--nonce is required: a policy is written only from evidence proven fresh (add --spki-sha256 to bind the TLS key)")
		}
		in, err := ef.prepare(e, &sf)
		if err != nil {
			return err
		}
		if in.malformed != nil {
			return in.malformed
		}
		ctx, cancel := sf.withTimeout(ctx)
		defer cancel()
		// Every verified report is let through so that FromReport decides
		// what a policy may record (never a revoked TCB or a debug TD); the
		// warnings below point out what a reviewer should not accept lightly.
		report, err := in.v.VerifyEvidence(ctx, in.ev, in.binding, recordAll{})
		if err != nil {
			return fmt.Errorf("the evidence does not verify, no policy written: %w", err)
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
