package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// runPolicyInit implements "cvmgate policy init": verify a CVM's evidence,
// then print the strictest policy it satisfies, for a person to review.
func runPolicyInit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cvmgate policy init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var vf verifierFlags
	vf.registerSources(fs)
	var ef evidenceFlags
	ef.register(fs)
	out := fs.String("out", "", "write the policy to this file (default: standard output); an existing file is not overwritten")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if ef.attestation == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "cvmgate policy init: --attestation FILE is required; --policy and arguments are not taken")
		return exitUsage
	}
	if ef.nonce == "" {
		fmt.Fprintln(stderr, "cvmgate policy init: --nonce is required: a policy is written only from evidence proven fresh (add --spki-sha256 to bind the TLS key)")
		return exitUsage
	}
	// Every verified report is let through so that FromReport decides
	// what a policy may record (never a revoked TCB or a debug TD); the
	// warnings below point out what a reviewer should not accept lightly.
	vf.accept = string(verify.StatusUpToDate) // unused: init passes its own policy
	v, _, ev, binding, err := ef.prepare(&vf, nil)
	if err != nil {
		return usageFailure(stderr, err)
	}
	report, err := v.VerifyEvidence(ctx, ev, binding, recordAll{})
	if err != nil {
		fmt.Fprintln(stderr, "cvmgate policy init: the evidence does not verify:", err)
		return exitRejected
	}
	pol, err := policy.FromReport(report)
	if errors.Is(err, policy.ErrRefusedReport) {
		fmt.Fprintln(stderr, "cvmgate policy init: refused, no policy written:", err)
		return exitRejected
	}
	if err != nil {
		return usageFailure(stderr, err)
	}
	data, err := pol.Marshal()
	if err != nil {
		return usageFailure(stderr, err)
	}
	for _, w := range policyWarnings(report, pol) {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if *out == "" {
		_, err = stdout.Write(data)
	} else {
		err = writeNew(*out, data)
	}
	if err != nil {
		return usageFailure(stderr, usageError{err})
	}
	return exitOK
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

// writeNew writes data to a file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
