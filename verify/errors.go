package verify

import (
	"errors"
	"fmt"
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

// Failure kinds of dstack evidence verification.
const (
	KindEventLogMalformed   Kind = "event_log_malformed"
	KindEventDigestMismatch Kind = "event_digest_mismatch"
	KindRTMRMismatch        Kind = "rtmr_mismatch"
	KindDuplicateEvent      Kind = "duplicate_event"
	KindMissingEvent        Kind = "missing_event"
	KindComposeMismatch     Kind = "compose_mismatch"
	KindStaleNonce          Kind = "stale_nonce"
	KindKeyBinding          Kind = "key_binding"
	KindPolicy              Kind = "policy"
)

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

// KindOf returns the Kind of the first *Error in err's chain, or "" if none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
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
