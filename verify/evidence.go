package verify

import (
	"context"
	"errors"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Evidence is what a client gathers from a dstack CVM: the attestation
// (quote and event log) and, optionally, the /info document whose
// app_compose text is checked against the attested compose hash.
type Evidence struct {
	// Attestation is the quote and event log. Required.
	Attestation *Attestation
	// Info is the CVM's /info document; only its app_compose is used.
	Info *Info
	// AppCompose, when non-nil, is the app-compose.json text to check
	// instead of Info's (for example a file the caller deployed).
	AppCompose []byte
}

// appCompose returns the compose text to check, or nil if none was given.
func (ev *Evidence) appCompose() []byte {
	if ev.AppCompose != nil {
		return ev.AppCompose
	}
	if ev.Info != nil && ev.Info.TCBInfo.AppCompose != "" {
		return []byte(ev.Info.TCBInfo.AppCompose)
	}
	return nil
}

// VerifyEvidence verifies dstack evidence:
//
//  1. the quote, with Verify;
//  2. when b is non-nil, the channel binding of its REPORTDATA, with
//     CheckBinding;
//  3. the event log: replayed, runtime digests recomputed, all four RTMRs
//     equal to the quote's (KindRTMRMismatch names the first that is not;
//     KindEventDigestMismatch and KindEventLogMalformed come from the log);
//  4. the identity in RTMR3 before system-ready (KindDuplicateEvent,
//     KindMissingEvent, KindEventLogMalformed);
//  5. MR_CONFIG_ID, when it has dstack's v1 form, against the compose hash
//     (KindComposeMismatch);
//  6. the app compose, when one is supplied: SHA-256 of its exact text
//     equals the compose hash (KindComposeMismatch), then its services.
//
// On success the report's Dstack field holds the verified events, identity
// and compose. On failure the report is nil and the error is an *Error
// whose Report field holds what was established, for diagnostics only.
func (v *Verifier) VerifyEvidence(ctx context.Context, ev *Evidence, b *Binding) (*Report, error) {
	if ev == nil || ev.Attestation == nil {
		return nil, mismatch(KindMalformedQuote, "evidence", "an attestation", "none")
	}
	rep, err := v.Verify(ctx, ev.Attestation.Quote)
	if err != nil {
		return nil, err
	}
	d := &Dstack{}
	fail := func(err error) (*Report, error) {
		var e *Error
		if !errors.As(err, &e) {
			e = newError(KindEventLogMalformed, "evidence", err)
		}
		rep.Dstack = d
		e.Report = rep
		return nil, e
	}
	body := &rep.Quote.Body

	if b != nil {
		if err := CheckBinding(body.ReportData, *b); err != nil {
			return fail(err)
		}
		d.Binding = b.Mode
	}

	events, matched, err := replayAgainst(body, ev.Attestation.EventLog)
	d.RTMRReplayed = matched
	if err != nil {
		return fail(err)
	}
	d.Events = events

	id, err := eventlog.ExtractIdentity(events)
	if err != nil {
		return fail(eventLogError("event log identity", err))
	}
	d.Identity = *id

	if d.MRConfigID, err = checkMRConfigID(body.MRConfigID, id.ComposeHash); err != nil {
		return fail(err)
	}

	if raw := ev.appCompose(); raw != nil {
		if d.Compose, err = checkCompose(raw, id.ComposeHash); err != nil {
			return fail(err)
		}
	}
	rep.Dstack = d
	return rep, nil
}
