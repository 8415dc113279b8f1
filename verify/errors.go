package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/verify/quote"
	"github.com/cvmgate/cvmgate/wire"
)

// Kind classifies a verification failure. Its string form is a stable name
// used by the CLI's JSON output and safe to match in scripts.
type Kind string

// Failure kinds of quote verification.
const (
	KindMalformedQuote        Kind = "malformed_quote"
	KindUnsupportedQuote      Kind = "unsupported_quote"
	KindQuoteSignature        Kind = "quote_signature"
	KindQEReportSignature     Kind = "qe_report_signature"
	KindQEReportBinding       Kind = "qe_report_binding"
	KindCertChain             Kind = "cert_chain"
	KindUntrustedRoot         Kind = "untrusted_root"
	KindRevoked               Kind = "revoked"
	KindCollateralExpired     Kind = "collateral_expired"
	KindCollateralSignature   Kind = "collateral_signature"
	KindCollateralMismatch    Kind = "collateral_mismatch"
	KindTCBNotSupported       Kind = "tcb_not_supported"
	KindQEIdentityMismatch    Kind = "qe_identity_mismatch"
	KindTDXModuleMismatch     Kind = "tdx_module_mismatch"
	KindTCBStatus             Kind = "tcb_status"
	KindDebugTD               Kind = "debug_td"
	KindCollateralUnavailable Kind = "collateral_unavailable"
)

// Failure kinds of the TD's own configuration, judged by the caller's
// policy (see CheckTDAttributes and CheckServiceTD).
const (
	// KindTDAttributes: TDATTRIBUTES, other than the debug bits
	// (KindDebugTD), that the caller does not accept.
	KindTDAttributes Kind = "td_attributes"
	// KindServiceTD: a service TD is bound to the TD (MRSERVICETD is not
	// zero) and the caller does not accept it.
	KindServiceTD Kind = "service_td"
)

// Failure kinds of dstack evidence verification.
const (
	// KindMalformedEvidence: an attestation or info document that cannot
	// be read (package wire), oversized ones included.
	KindMalformedEvidence   Kind = "malformed_evidence"
	KindEventLogMalformed   Kind = "event_log_malformed"
	KindEventDigestMismatch Kind = "event_digest_mismatch"
	KindRTMRMismatch        Kind = "rtmr_mismatch"
	KindDuplicateEvent      Kind = "duplicate_event"
	KindMissingEvent        Kind = "missing_event"
	// KindComposeMismatch: the app compose does not hash to the attested
	// compose hash, or MR_CONFIG_ID binds another one.
	KindComposeMismatch Kind = "compose_mismatch"
	// KindMissingCompose: an app compose was asked to be checked (an info
	// document or a file was supplied) but there is none to check.
	KindMissingCompose Kind = "missing_compose"
	// KindMalformedCompose: the app compose hashes to the attested compose
	// hash but cannot be parsed (package compose).
	KindMalformedCompose Kind = "malformed_compose"
	KindStaleNonce       Kind = "stale_nonce"
	KindKeyBinding       Kind = "key_binding"
	// KindPolicy: the verified facts break the caller's policy.
	KindPolicy Kind = "policy"
)

// KindRemoteDisagreement: a remote verifier asked for a second opinion
// (package remote) refuses a quote this package found genuine, or finds
// genuine a quote this package refused. Local verification decides; a
// disagreement means one of the two verifiers is wrong, out of date or
// not the one it claims to be, so a caller who asked for the second
// opinion refuses rather than guess which.
const KindRemoteDisagreement Kind = "remote_disagreement"

// Kinds of failures that leave no verdict, and of caller errors.
const (
	// KindUnreachable: the CVM could not be reached, or did not answer in
	// time or with success. No verdict was reached.
	KindUnreachable Kind = "unreachable"
	// KindInvalidPolicy: the caller's policy is invalid; nothing was judged.
	KindInvalidPolicy Kind = "invalid_policy"
)

// kinds lists every Kind, for KindOf's fallback and for tests.
var kinds = []Kind{
	KindMalformedQuote, KindUnsupportedQuote, KindQuoteSignature, KindQEReportSignature,
	KindQEReportBinding, KindCertChain, KindUntrustedRoot, KindRevoked, KindCollateralExpired,
	KindCollateralSignature, KindCollateralMismatch, KindTCBNotSupported, KindQEIdentityMismatch,
	KindTDXModuleMismatch, KindTCBStatus, KindDebugTD, KindCollateralUnavailable,
	KindTDAttributes, KindServiceTD,
	KindMalformedEvidence, KindEventLogMalformed, KindEventDigestMismatch, KindRTMRMismatch,
	KindDuplicateEvent, KindMissingEvent, KindComposeMismatch, KindMissingCompose,
	KindMalformedCompose, KindStaleNonce, KindKeyBinding, KindPolicy,
	KindRemoteDisagreement,
	KindUnreachable, KindInvalidPolicy,
}

// Kinds returns every Kind this package defines.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// Inconclusive reports whether a failure of kind k leaves no verdict: the
// evidence or its collateral could not be obtained, so nothing was refused
// on its merits. Retrying later may succeed.
func (k Kind) Inconclusive() bool {
	return k == KindCollateralUnavailable || k == KindUnreachable
}

// ErrTooLarge matches every input this module refuses for its size: an
// attestation or info document, a collateral body or bundle, a policy or
// compose file. Input over its bound is refused, never truncated.
var ErrTooLarge = limits.ErrTooLarge

// Error is a verification failure. Match a kind with errors.Is(err, kind)
// or inspect the details with errors.As(err, &*Error).
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Check names the check that failed, such as "pck chain".
	Check string
	// Expected and Found describe the mismatch, where there is one.
	Expected, Found string
	// Err is the underlying cause, if any.
	Err error
	// Report is what verification had established before this check
	// failed. It is for diagnostics only and must not be trusted.
	Report *Report
}

// Error implements error: "kind: check: expected X, found Y: cause".
func (e *Error) Error() string {
	msg := string(e.Kind)
	if e.Check != "" {
		msg += ": " + e.Check
	}
	if e.Expected != "" || e.Found != "" {
		msg += fmt.Sprintf(": expected %s, found %s", e.Expected, e.Found)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's Kind, so that
// errors.Is(err, verify.KindRevoked) works through any wrapping.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Error lets a Kind be used as an errors.Is target.
func (k Kind) Error() string { return string(k) }

// KindOf returns the Kind of err: that of the first *Error in its chain, or
// else the kind of an error of this module's lower layers (wire documents,
// quotes, collateral, event logs, composes), or of any error that matches
// a Kind with errors.Is (such as a policy violation). It returns "" only
// for nil and for errors from outside this module.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if k := layerKind(err); k != "" {
		return k
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return ""
}

// layerKind classifies an error of a package below verify.
func layerKind(err error) Kind {
	var de *wire.DocumentError
	switch {
	case errors.As(err, &de):
		if de.Field == "event_log" || de.Field == "tcb_info.event_log" {
			return KindEventLogMalformed
		}
		return KindMalformedEvidence
	case errors.Is(err, quote.ErrUnsupported):
		return KindUnsupportedQuote
	case errors.Is(err, quote.ErrMalformed):
		return KindMalformedQuote
	case errors.Is(err, compose.ErrMalformed):
		return KindMalformedCompose
	case errors.Is(err, eventlog.ErrMalformed), errors.Is(err, eventlog.ErrDigestMismatch),
		errors.Is(err, eventlog.ErrDuplicateEvent), errors.Is(err, eventlog.ErrMissingEvent):
		return eventLogError("event log", err).Kind
	case errors.Is(err, collateral.ErrMalformed), errors.Is(err, collateral.ErrUnavailable):
		return fetchError(err).(*Error).Kind
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return KindUnreachable
	}
	return ""
}

// newError builds an *Error of kind k for check, wrapping cause.
func newError(k Kind, check string, cause error) *Error {
	return &Error{Kind: k, Check: check, Err: cause}
}

// mismatch builds an *Error of kind k for check with expected and found values.
func mismatch(k Kind, check, expected, found string) *Error {
	return &Error{Kind: k, Check: check, Expected: expected, Found: found}
}
