package main

import (
	"context"
	"errors"
	"flag"
	"path/filepath"
	"time"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

var evidenceVerifyCmd = &command{
	name:     "evidence verify",
	summary:  "verify dstack evidence: quote, event log, app identity, key binding and policy",
	synopsis: "--attestation FILE [--info FILE] (--policy FILE | --no-policy) [--nonce HEX [--spki-sha256 HEX]] [--collateral FILE | --pccs URL | --no-collateral] [--json | --quiet]",
	about: `Verifies what a dstack CVM served: its /attestation (quote and event log; a guest agent
GetQuote answer works too) and, with --info, its /info. The quote is verified as 'quote
verify' does; the event log is replayed against RTMR0-3 with every dstack runtime digest
recomputed; the app identity (app id, compose hash, OS image, key provider) is read from
it; --info's app compose must hash to the attested compose hash; --nonce and
--spki-sha256 check that REPORTDATA is the fresh nonce and the TLS key of the connection
the evidence came over. A flag that asks for a check makes it required.

The policy says which app is accepted. Without --policy the evidence is still verified
and described, but it is refused (exit 1) unless --no-policy says that any app whose
evidence verifies is accepted; --accept and --allow-debug then say which TCB statuses
and whether debug TDs are.

A malformed attestation or info document is the CVM's fault: it is refused with exit
status 1 and its error.kind (malformed_evidence, event_log_malformed), never read as a
usage error.`,
	flags: evidenceVerifyFlags,
	examples: []example{
		{"verify a CVM's evidence against a policy, the nonce and TLS key it was fetched with", "cvmgate evidence verify --attestation att.json --info info.json --policy policy.yaml --nonce $NONCE --spki-sha256 $SPKI_SHA256"},
		{"describe evidence without judging its app, offline and without collateral", "cvmgate evidence verify --attestation att.json --no-policy --no-collateral"},
		{"evidence on standard input, JSON out, for a script", "curl -s \"https://cvm.example/attestation?reportData=$NONCE\" | cvmgate evidence verify --attestation - --policy policy.yaml --nonce $NONCE --json"},
	},
	exits: []exitDoc{
		{exitOK, "the evidence verified and the policy (or --no-policy with --accept) accepts it"},
		{exitRefused, "the evidence was examined and refused: a failed check, a policy violation, no policy given, malformed evidence"},
		{exitUsage, "usage or local input error: a flag, an unreadable file, an invalid policy, a bad --nonce"},
		{exitNoVerdict, "no verdict: collateral unavailable (network, PCCS down) or --timeout"},
	},
	envVars: []envVar{pccsEnvDoc},
}

// evidenceFlags are the flags of "evidence verify" that "policy init"
// shares: the evidence and what to check it against.
type evidenceFlags struct {
	attestation  string
	info         string
	nonce        string
	spkiSHA256   string
	noCollateral bool
}

// register adds the evidence flags to fs.
func (ef *evidenceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&ef.attestation, "attestation", "", "the CVM's /attestation JSON (or a guest agent GetQuote answer) in `FILE`; - reads standard input (required)")
	fs.StringVar(&ef.info, "info", "", "the CVM's /info JSON in `FILE`: its tcb_info.app_compose must hash to the attested compose hash")
	fs.StringVar(&ef.nonce, "nonce", "", "the 32-byte `HEX` nonce the attestation was requested with; REPORTDATA must start with it")
	fs.StringVar(&ef.spkiSHA256, "spki-sha256", "", "`HEX` SHA-256 of the SPKI of the TLS key the evidence came over; REPORTDATA[32:64] must equal it (needs --nonce)")
	fs.BoolVar(&ef.noCollateral, "no-collateral", false, "verify without collateral: no CRLs, no TCB evaluation (TCB status unknown)")
}

// evidenceInput is the evidence the flags name, read and parsed.
type evidenceInput struct {
	v       *verify.Verifier
	ev      *verify.Evidence
	binding *verify.Binding
	at      time.Time
	// malformed is set, instead of ev, when a document the CVM served
	// could not be read: a refusal, not a usage error.
	malformed error
}

// prepare reads every input and builds the verifier, the evidence and the
// channel binding to check. Its error is a usage error.
func (ef *evidenceFlags) prepare(e *env, sf *sourceFlags) (*evidenceInput, error) {
	if ef.attestation == "" {
		return nil, usagef("--attestation FILE is required: the CVM's /attestation document")
	}
	in := &evidenceInput{}
	var err error
	if in.at, err = sf.now(); err != nil {
		return nil, err
	}
	opts, err := sf.options(e, ef.noCollateral)
	if err != nil {
		return nil, err
	}
	if in.v, err = verify.New(opts); err != nil {
		return nil, usageError{err}
	}
	if in.binding, err = ef.binding(); err != nil {
		return nil, err
	}
	attData, err := readInput(e, "--attestation", ef.attestation)
	if err != nil {
		return nil, err
	}
	var infoData []byte
	if ef.info != "" {
		if infoData, err = readInput(e, "--info", ef.info); err != nil {
			return nil, err
		}
	}
	ev := &verify.Evidence{}
	if ev.Attestation, err = wire.ParseAttestation(attData); err != nil {
		in.malformed = evidenceError("--attestation "+ef.attestation, err)
		return in, nil
	}
	if infoData != nil {
		if ev.Info, err = wire.ParseInfo(infoData); err != nil {
			in.malformed = evidenceError("--info "+ef.info, err)
			return in, nil
		}
	}
	in.ev = ev
	return in, nil
}

// evidenceError is the refusal of evidence that cannot be read (a
// document the CVM served, a quote), of the kind verify gives it
// (malformed_evidence, event_log_malformed, malformed_quote).
func evidenceError(source string, err error) error {
	return &verify.Error{Kind: verify.KindOf(err), Check: source, Err: err}
}

// binding returns the channel binding the flags ask for, or nil.
func (ef *evidenceFlags) binding() (*verify.Binding, error) {
	if ef.nonce == "" && ef.spkiSHA256 == "" {
		return nil, nil
	}
	if ef.nonce == "" {
		return nil, usagef("--spki-sha256 needs --nonce: the binding is nonce || SHA-256(SPKI)")
	}
	nonce, err := hexfmt.Decode(ef.nonce)
	if err != nil || len(nonce) != verify.NonceSize {
		return nil, usagef("--nonce %q: expected %d bytes in hex (%d hex characters, 0x optional)", ef.nonce, verify.NonceSize, 2*verify.NonceSize)
	}
	if ef.spkiSHA256 == "" {
		return &verify.Binding{Mode: verify.BindingNone, Nonce: nonce}, nil
	}
	sum, err := hexfmt.Decode(ef.spkiSHA256)
	if err != nil || len(sum) != 32 {
		return nil, usagef("--spki-sha256 %q: expected a SHA-256 in hex (64 hex characters, 0x optional)", ef.spkiSHA256)
	}
	return &verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKISHA256: sum}, nil
}

// evidenceVerifyFlags registers the flags of "evidence verify".
func evidenceVerifyFlags(fs *flag.FlagSet) runFunc {
	var (
		sf         sourceFlags
		ef         evidenceFlags
		af         acceptFlags
		of         outputFlags
		policyFile string
		noPolicy   bool
	)
	ef.register(fs)
	fs.StringVar(&policyFile, "policy", "", "the policy (YAML or JSON) in `FILE` the evidence must satisfy")
	fs.BoolVar(&noPolicy, "no-policy", false, "accept any app whose evidence verifies: judge only --accept and --allow-debug")
	sf.register(fs)
	af.register(fs)
	of.register(fs)
	return func(ctx context.Context, e *env, _ []string) error {
		judge, describe, err := choosePolicy(e, policyFile, noPolicy, &af, ef.noCollateral)
		if err != nil {
			return err
		}
		in, err := ef.prepare(e, &sf)
		if err != nil {
			return err
		}
		var res *evidenceResult
		if in.malformed != nil {
			res = &evidenceResult{result: unreadResult(in.malformed, verify.CheckNames(), in.at)}
			res.fillEvidence(nil)
			res.setPolicy(policyFile, noPolicy, "")
		} else {
			ctx, cancel := sf.withTimeout(ctx)
			defer cancel()
			if o := sf.collateralOrigin(e, ef.noCollateral); o != "" {
				progress(e, of.quiet || of.json, "verifying, collateral from %s", o)
			}
			report, verr := in.v.VerifyEvidence(ctx, in.ev, in.binding, judge)
			res = newEvidenceResult(in.ev.Attestation.Quote, report, verr, in.at)
			accepted := ""
			if verr == nil {
				accepted = describe(report)
				res.note(verify.CheckPolicy, accepted)
			}
			res.setPolicy(policyFile, noPolicy, accepted)
			if in.binding == nil {
				res.note(verify.CheckChannelBinding, "no --nonce")
			}
			if ef.info == "" {
				res.note(verify.CheckCompose, "no --info")
			}
			if ef.noCollateral {
				for _, n := range []verify.CheckName{verify.CheckCollateral, verify.CheckRevocation, verify.CheckQEIdentity, verify.CheckTCBLevels} {
					res.note(n, "--no-collateral: no CRLs, no TCB evaluation")
				}
			}
		}
		return emit(e, of, res, res.err, res.writeHuman)
	}
}

// choosePolicy returns the policy --policy, --no-policy, --accept and
// --allow-debug ask for, and what to say of an accepted report.
func choosePolicy(e *env, file string, noPolicy bool, af *acceptFlags, noCollateral bool) (verify.Policy, func(*verify.Report) string, error) {
	accept := af.acceptance(noCollateral)
	switch {
	case file != "" && noPolicy:
		return nil, nil, usagef("--policy and --no-policy conflict: give a policy, or say that none is wanted")
	case file != "" && af.set():
		return nil, nil, usagef("--accept and --allow-debug conflict with --policy: the policy says what it accepts (tcb.accept, tcb.allow_debug)")
	case file != "":
		p, err := loadPolicy(e, "--policy", file)
		if err != nil {
			return nil, nil, err
		}
		return p, func(*verify.Report) string { return "policy " + file }, nil
	case noPolicy:
		return accept, func(r *verify.Report) string {
			return af.describe(accept, r) + "; app not judged (--no-policy)"
		}, nil
	}
	return requirePolicy{accept}, nil, nil
}

// loadPolicy reads and parses a policy file, - meaning standard input.
// An invalid policy is the caller's error: a usage error.
func loadPolicy(e *env, flagName, path string) (*policy.Policy, error) {
	data, err := readInput(e, flagName, path)
	if err != nil {
		return nil, err
	}
	dir := ""
	if path != "-" {
		dir = filepath.Dir(path)
	}
	p, err := policy.Parse(data, dir)
	if err != nil {
		return nil, usagef("%s %s: %w", flagName, path, err)
	}
	return p, nil
}

// errNoPolicy is the cause of the refusal of evidence verified with
// neither --policy nor --no-policy.
var errNoPolicy = errors.New("no policy given: without --policy FILE, or --no-policy, no app is accepted")

// requirePolicy is the policy of "evidence verify" given neither --policy
// nor --no-policy: it judges what the accept flags say, so that the report
// is complete, then refuses: nothing is accepted that no policy allowed.
type requirePolicy struct{ accept verify.Accept }

// Check implements verify.Policy.
func (p requirePolicy) Check(r *verify.Report) error {
	if err := p.accept.Check(r); err != nil {
		return err
	}
	return &verify.Error{Kind: verify.KindPolicy, Err: errNoPolicy}
}
