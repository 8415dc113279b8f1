package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
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
		// Every status and debug are let through so that the policy records
		// what the CVM really is; the warnings below point out what a reviewer
		// should not accept lightly.
		report, err := in.v.VerifyEvidence(ctx, in.ev, in.binding, verify.Accept{Statuses: verify.Statuses(), AllowDebug: true})
		if err != nil {
			return fmt.Errorf("the evidence does not verify, no policy written: %w", err)
		}
		pol, err := policy.FromReport(report)
		if err != nil {
			return usageError{err}
		}
		data, err := pol.Marshal()
		if err != nil {
			return usageError{err}
		}
		for _, w := range policyWarnings(report) {
			fmt.Fprintln(e.stderr, "warning:", w)
		}
		if *out == "" {
			*out = "-"
		}
		return writeOutput(e, "--out", *out, data, false)
	}
}

// policyWarnings lists what a generated policy accepts that deserves a
// second look before it is deployed.
func policyWarnings(r *verify.Report) []string {
	var ws []string
	if r.TCBStatus != verify.StatusUpToDate {
		ws = append(ws, fmt.Sprintf("the policy accepts TCB status %s, not only UpToDate", r.TCBStatus))
	}
	if r.Debug {
		ws = append(ws, "the CVM is a debug TD and the policy allows debug TDs: never deploy this")
	}
	if r.Dstack.Binding != verify.BindingSPKI {
		ws = append(ws, "the policy does not require the TLS key to be bound (channel.binding "+string(r.Dstack.Binding)+")")
	}
	if c := r.Dstack.Compose; c == nil {
		ws = append(ws, "no app compose was checked (pass --info): images were not reviewed")
	} else {
		for _, s := range c.Services {
			if !s.Pinned {
				ws = append(ws, fmt.Sprintf("service %s runs image %s, not pinned by digest", s.Name, s.Image))
			}
		}
	}
	return ws
}
