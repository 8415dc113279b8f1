package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// The files verify --save-evidence writes.
const (
	evidenceAttestationFile = "attestation.json"
	evidenceInfoFile        = "info.json"
	evidenceCollateralFile  = "collateral.json"
	evidencePolicyFile      = "policy.yaml"
	evidenceRootFile        = "root.pem"
	replayScript            = "replay.sh"
)

// save writes, into --save-evidence's directory, the documents the CVM
// sent, the collateral the verifier fetched (coll, nil when none), the
// policy and the test roots it judged by (roots, nil for Intel's), and
// replay.sh, which replays the verification offline with "evidence
// verify": same nonce, TLS key, collateral, policy and time.
func (r *liveResult) save(e *env, f *liveFlags, pol *policy.Policy, roots []*x509.Certificate, coll *collateral.Collateral) error {
	dir := f.saveDir
	if r.a.AttestationDocument == nil {
		fmt.Fprintf(e.stderr, "cvmgate verify: --save-evidence %s: nothing saved: no attestation was obtained from the CVM\n", dir)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError{fileError("--save-evidence", dir, err)}
	}
	files := map[string][]byte{evidenceAttestationFile: r.a.AttestationDocument}
	if r.a.InfoDocument != nil {
		files[evidenceInfoFile] = r.a.InfoDocument
	}
	if coll != nil {
		bundle, err := coll.MarshalBundle()
		if err != nil {
			return err
		}
		files[evidenceCollateralFile] = bundle
	}
	if f.policyFile != "" {
		data, err := selfContained(pol).Marshal()
		if err != nil {
			return err
		}
		files[evidencePolicyFile] = append([]byte("# The policy cvmgate verify judged "+r.URL+" by ("+f.policyFile+"), compose files as hashes.\n"), data...)
	}
	if roots != nil {
		var data []byte
		for _, c := range roots {
			data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		files[evidenceRootFile] = data
	}
	files[replayScript] = []byte(r.replayScript(f, pol, files))
	for name, data := range files {
		mode := os.FileMode(0o644)
		if name == replayScript {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, mode); err != nil {
			return usageError{fileError("--save-evidence", filepath.Join(dir, name), err)}
		}
	}
	r.EvidenceDir = dir
	return nil
}

// selfContained returns a copy of p whose compose files are listed as
// the hashes they were read as, so that it loads from any directory.
func selfContained(p *policy.Policy) *policy.Policy {
	c := *p
	if p.App.ComposeFiles != nil {
		hashes := append(policy.List[policy.Hex]{}, p.App.ComposeHashes...)
		for _, f := range p.App.ComposeFiles {
			hashes = append(hashes, f.SHA256)
		}
		c.App.ComposeHashes, c.App.ComposeFiles = hashes, nil
	}
	return &c
}

// replayArgs are the arguments of "evidence verify" that replay the
// verification from the files saved, named relative to their directory.
func (r *liveResult) replayArgs(f *liveFlags, pol *policy.Policy, files map[string][]byte) []string {
	args := []string{"evidence", "verify", "--attestation", evidenceAttestationFile}
	if _, ok := files[evidenceInfoFile]; ok {
		args = append(args, "--info", evidenceInfoFile)
	}
	switch pol.Channel.Binding {
	case verify.BindingSPKI:
		args = append(args, "--nonce", r.Nonce, "--spki-sha256", r.SPKISHA256)
	case verify.BindingNone:
		args = append(args, "--nonce", r.Nonce)
	}
	args = append(args, "--at", r.VerifiedAt.Format(time.RFC3339Nano))
	if _, ok := files[evidenceCollateralFile]; ok {
		args = append(args, "--collateral", evidenceCollateralFile)
	} else {
		args = append(args, "--no-collateral")
	}
	switch {
	case f.policyFile != "":
		args = append(args, "--policy", evidencePolicyFile)
	case f.noPolicy:
		args = append(args, "--no-policy")
		for _, s := range f.af.statuses {
			args = append(args, "--accept", string(s))
		}
		if f.af.allowDebug {
			args = append(args, "--allow-debug")
		}
	}
	if _, ok := files[evidenceRootFile]; ok {
		args = append(args, "--trust-root", evidenceRootFile)
	}
	return args
}

// replayScript returns replay.sh: a POSIX shell script that runs the
// replay from its own directory, with $CVMGATE as the binary (default
// cvmgate) and any extra arguments (such as --json) appended.
func (r *liveResult) replayScript(f *liveFlags, pol *policy.Policy, files map[string][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# Replays offline what 'cvmgate verify %s' verified at %s:\n", r.URL, r.VerifiedAt.Format(time.RFC3339))
	b.WriteString("# the same documents, nonce, TLS key, collateral and policy, at the same time.\n")
	if _, ok := files[evidenceCollateralFile]; !ok {
		b.WriteString("# No collateral was fetched (verification stopped before it): --no-collateral.\n")
	}
	if pol.Channel.Binding == verify.BindingRATLS {
		b.WriteString("# Binding ratls is not replayed: evidence verify checks nonce and SPKI bindings.\n")
	}
	b.WriteString("cd \"$(dirname \"$0\")\" || exit 2\nexec \"${CVMGATE:-cvmgate}\"")
	for _, a := range r.replayArgs(f, pol, files) {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" \"$@\"\n")
	return b.String()
}

// shellQuote quotes s for a POSIX shell, where it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+-,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
