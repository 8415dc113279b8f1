package verify

import (
	"context"
	"errors"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// run is one verification: the checks of a plan, run in order against one
// time, each recorded in the report as it passes, fails or is skipped.
type run struct {
	v    *Verifier
	now  time.Time
	plan []CheckName
	r    *Report

	q     *quote.Quote
	chain *pckChain
}

// begin starts a run of plan at the verifier's current time.
func (v *Verifier) begin(plan []CheckName) *run {
	now := v.now()
	return &run{v: v, now: now, plan: plan, r: &Report{VerifiedAt: now, Checks: make([]CheckResult, 0, len(plan))}}
}

// pass records that check n ran and passed.
func (x *run) pass(n CheckName) { x.record(n, Passed, "") }

// skip records that check n did not run, and why.
func (x *run) skip(n CheckName, why string) { x.record(n, Skipped, why) }

func (x *run) record(n CheckName, o Outcome, detail string) {
	x.r.Checks = append(x.r.Checks, CheckResult{Name: n, Outcome: o, Detail: detail})
}

// step runs check n: err nil passes it, anything else fails the run.
func (x *run) step(n CheckName, err error) error {
	if err != nil {
		return &stepError{check: n, err: err}
	}
	x.pass(n)
	return nil
}

// stepError carries the check a failure belongs to up to fail.
type stepError struct {
	check CheckName
	err   error
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// fail ends the run: it records the failed check and every check of the
// plan that was not reached, and attaches the report to the *Error it
// returns. An error that is not an *Error is wrapped with its KindOf, or
// as malformed evidence when it has none.
func (x *run) fail(err error) (*Report, error) {
	check := CheckName("")
	var se *stepError
	if errors.As(err, &se) {
		check, err = se.check, se.err
	}
	var e *Error
	if !errors.As(err, &e) {
		k := KindOf(err)
		if k == "" {
			k = KindMalformedEvidence
		}
		e = newError(k, string(check), err)
		err = e
	}
	if check != "" {
		x.record(check, Failed, err.Error())
	}
	for _, n := range x.plan {
		if _, done := x.r.Check(n); !done {
			x.skip(n, notReached)
		}
	}
	if e.Report == nil {
		e.Report = x.r
	}
	return nil, err
}

// local runs the checks that need nothing but the quote: its format, the
// PCK chain and the two signatures that tie the quote to it.
func (x *run) local(raw []byte) error {
	// Parse refuses versions, key types, TEE types and QE vendors other
	// than TDX quotes v4 and v5 by Intel's QE with ECDSA P-256 keys.
	q, err := parseQuote(raw)
	if err := x.step(CheckQuoteFormat, err); err != nil {
		return err
	}
	x.q = q
	x.r.Quote = q
	x.r.QuoteVersion, x.r.BodyType, x.r.Body = q.Header.Version, q.BodyType, q.Body
	x.r.Debug = q.Body.Debug()
	x.r.SEPTVEDisable = q.Body.SEPTVEDisable()

	chain, err := x.v.pckChainAt(q.PCKChainPEM, x.now)
	x.chain = chain
	if err := x.step(CheckPCKChain, err); err != nil {
		return err
	}
	x.fillPlatform()

	err = x.v.checkQEReportSignature(q, chain)
	if err == nil {
		err = checkQEReportBinding(q)
	}
	if err := x.step(CheckQEReport, err); err != nil {
		return err
	}
	return x.step(CheckQuoteSignature, checkQuoteSignature(q))
}

// fillPlatform sets the report fields the PCK chain gives.
func (x *run) fillPlatform() {
	x.r.FMSPC = x.chain.fmspc
	x.r.PCEID = x.chain.pceID
	x.r.DeviceID = x.chain.deviceID
	x.r.PCKCA = string(x.chain.ca)
	x.r.ValidUntil = x.chain.until
}

// noCollateral is the Detail of the checks Options.NoCollateral skips.
const noCollateral = "no collateral (Options.NoCollateral): no CRLs, no TCB evaluation"

// collateral fetches the platform's collateral, verifies it and rates the
// TCB with it; without collateral it only checks the TDX module's signer.
// Collateral the verifier refuses, here or in a later check that blames it
// (blamesCollateral), is dropped from a caching source.
func (x *run) collateral(ctx context.Context) error {
	r := x.r
	if x.v.noColl {
		for _, n := range []CheckName{CheckCollateral, CheckRevocation, CheckQEIdentity} {
			x.skip(n, noCollateral)
		}
		if err := x.step(CheckTDXModule, checkSEAM(&x.q.Body)); err != nil {
			return err
		}
		x.skip(CheckTCBLevels, noCollateral)
		r.TCBStatus, r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus = StatusUnknown, StatusUnknown, StatusUnknown, StatusUnknown
		return nil
	}

	req := collateral.Request{FMSPC: x.chain.fmspc, CA: x.chain.ca}
	c, err := x.v.source.Fetch(ctx, req)
	if err != nil {
		return x.step(CheckCollateral, fetchError(err))
	}
	vc, err := x.v.verifyCollateral(c, x.now)
	if err == nil {
		err = checkPlatform(vc.tcbInfo, x.chain.ext)
	}
	if err != nil {
		x.v.reject(req, c)
		return x.step(CheckCollateral, err)
	}
	if err := x.step(CheckCollateral, nil); err != nil {
		return err
	}
	r.TCBEvaluationDataNumber = vc.tcbInfo.TCBEvaluationDataNumber
	r.CollateralNextUpdate = vc.nextUpdate
	r.ValidUntil = earliest(r.ValidUntil, vc.until)

	step := func(n CheckName, err error) error {
		if blamesCollateral(err) {
			x.v.reject(req, c)
		}
		return x.step(n, err)
	}
	if err := step(CheckRevocation, checkRevocation(vc, x.chain)); err != nil {
		return err
	}
	if err := step(CheckQEIdentity, checkQEIdentity(vc.qeIdentity, &x.q.QEReport)); err != nil {
		return err
	}
	module, err := checkTDXModuleIdentity(vc.tcbInfo, &x.q.Body)
	if err := step(CheckTDXModule, err); err != nil {
		return err
	}
	tcb, err := evaluateTCB(vc, x.q, &x.chain.ext.TCB, module)
	if err := step(CheckTCBLevels, err); err != nil {
		return err
	}
	r.TCBStatus, r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus = tcb.final, tcb.platform, tcb.module, tcb.qe
	r.AdvisoryIDs = tcb.advisories
	r.TCBDate, r.OutOfDateSince = tcb.tcbDate, tcb.outOfDateSince()
	r.PlatformOutOfDateSince, r.TDXModuleOutOfDateSince, r.QEOutOfDateSince = tcb.platformSince, tcb.moduleSince, tcb.qeSince
	return nil
}

// blamesCollateral reports whether err, from a check that uses verified
// collateral against the quote, is the collateral's fault rather than the
// quote's: its kind is a collateral kind, such as a CRL of another CA than
// the one that issued the PCK certificate. A revoked certificate, an
// unknown TCB or a QE or TDX module the collateral does not describe is
// the quote's fault, and the collateral stays.
func blamesCollateral(err error) bool {
	switch KindOf(err) {
	case KindCollateralSignature, KindCollateralMismatch, KindCollateralExpired:
		return true
	}
	return false
}

// judge applies the caller's policy, Accept{} when p is nil, to the
// established report.
func (x *run) judge(p Policy) (*Report, error) {
	if p == nil {
		p = Accept{}
	}
	if err := p.Check(x.r); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			k := KindOf(err)
			if k == "" {
				k = KindPolicy
			}
			err = &Error{Kind: k, Check: "policy", Err: err}
		}
		return x.fail(&stepError{check: CheckPolicy, err: err})
	}
	x.pass(CheckPolicy)
	return x.r, nil
}
