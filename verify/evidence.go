package verify

import (
	"context"

	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// Evidence is what a client gathers from a dstack CVM: the attestation
// (quote and event log) and, optionally, the info document or the app
// compose text to check against the attested compose hash.
type Evidence struct {
	// Attestation is the quote and event log. Required.
	Attestation *wire.Attestation
	// Info is the CVM's info document; only its tcb_info.app_compose is
	// used. When Info is given, that app compose is checked and its
	// absence is a failure (KindMissingCompose), never a pass.
	Info *wire.Info
	// AppCompose, when non-nil, is the app-compose.json text to check
	// instead of Info's (for example the file the caller deployed). An
	// empty, non-nil AppCompose is a failure.
	AppCompose []byte
}

// appCompose returns the compose text to check and whether one was asked
// to be checked at all.
func (ev *Evidence) appCompose() (raw []byte, asked bool) {
	switch {
	case ev.AppCompose != nil:
		return ev.AppCompose, true
	case ev.Info != nil:
		return []byte(ev.Info.TCBInfo.AppCompose), true
	}
	return nil, false
}

// VerifyEvidence verifies dstack evidence. The checks run in an order that
// makes refusals cheap: those of the quote that need no collateral, then
//
//  1. when b is non-nil, the channel binding of REPORTDATA (CheckBinding),
//     so a replayed or relayed quote costs no collateral request;
//  2. the event log: replayed, runtime digests recomputed, all four RTMRs
//     equal to the quote's (KindRTMRMismatch names the first that is not;
//     KindEventDigestMismatch and KindEventLogMalformed come from the log);
//  3. the identity in RTMR3 before system-ready (KindDuplicateEvent,
//     KindMissingEvent, KindEventLogMalformed);
//  4. MR_CONFIG_ID, when it has dstack's v1 form, against the compose hash
//     (KindComposeMismatch);
//  5. the app compose, when one is supplied: SHA-256 of its exact text
//     equals the compose hash (KindComposeMismatch), then it parses
//     (KindMalformedCompose); supplied but empty is KindMissingCompose;
//
// then the collateral checks of Verify, and finally p (Accept{} when nil)
// judges the report.
//
// On success the report's Dstack field holds the verified events, identity
// and compose. On failure the report is nil and the error is an *Error
// whose Report field holds what was established, for diagnostics only.
func (v *Verifier) VerifyEvidence(ctx context.Context, ev *Evidence, b *Binding, p Policy) (*Report, error) {
	run := v.begin(evidenceChecks)
	if ev == nil || ev.Attestation == nil {
		return run.fail(&stepError{check: CheckQuoteFormat, err: mismatch(KindMalformedEvidence, "evidence", "an attestation", "none")})
	}
	if err := run.local(ev.Attestation.Quote); err != nil {
		return run.fail(err)
	}
	if err := run.dstack(ev, b); err != nil {
		return run.fail(err)
	}
	if err := run.collateral(ctx); err != nil {
		return run.fail(err)
	}
	return run.judge(p)
}

// dstack runs the evidence checks that need no collateral.
func (x *run) dstack(ev *Evidence, b *Binding) error {
	d := &Dstack{}
	x.r.Dstack = d
	body := &x.q.Body

	if b == nil {
		x.skip(CheckChannelBinding, "no binding to check (no nonce or key given)")
	} else {
		if err := x.step(CheckChannelBinding, CheckBinding(body.ReportData, *b)); err != nil {
			return err
		}
		d.Binding = b.Mode
		if b.Mode == BindingNone {
			x.r.Checks[len(x.r.Checks)-1].Detail = "nonce only: the channel is NOT bound to this TD"
		}
	}

	events, matched, err := replayAgainst(body, ev.Attestation.EventLog)
	d.RTMRReplayed = matched
	if err := x.step(CheckEventLog, err); err != nil {
		return err
	}
	d.Events = events

	id, err := eventlog.ExtractIdentity(events)
	if err != nil {
		err = eventLogError("event log identity", err)
	}
	if err := x.step(CheckIdentity, err); err != nil {
		return err
	}
	d.Identity = *id

	form, err := checkMRConfigID(body.MRConfigID, id.ComposeHash)
	if err != nil {
		return x.step(CheckMRConfigID, err)
	}
	d.MRConfigID = form
	switch form {
	case MRConfigIDZero:
		x.skip(CheckMRConfigID, "MR_CONFIG_ID is zero: it binds nothing")
	case MRConfigIDOther:
		x.skip(CheckMRConfigID, "MR_CONFIG_ID is not in dstack's v1 form; reported, not checked")
	default:
		x.pass(CheckMRConfigID)
	}

	raw, asked := ev.appCompose()
	switch {
	case !asked:
		x.skip(CheckCompose, "no app compose supplied")
	case len(raw) == 0:
		return x.step(CheckCompose, mismatch(KindMissingCompose, "app compose", "the app-compose.json text (tcb_info.app_compose of the info document)", "none"))
	default:
		c, err := checkCompose(raw, id.ComposeHash)
		if err := x.step(CheckCompose, err); err != nil {
			return err
		}
		d.Compose = c
	}
	return nil
}
