package transport

import (
	"fmt"
	"time"

	"github.com/cvmgate/cvmgate/verify"
)

// Steps of an attestation, named in AttestationError.Step.
const (
	StepScheme      = "scheme"      // the request is not https
	StepPolicy      = "policy"      // no policy for the origin
	StepConnect     = "connect"     // dialing, the proxy or the TLS handshake
	StepAttestation = "attestation" // fetching the attestation document
	StepInfo        = "info"        // fetching the info document
	StepVerify      = "verify"      // verification or the policy refused the evidence
	StepKeys        = "keys"        // the origin presented too many unknown keys
)

// AttestationError is the error of a request that did not reach a CVM
// because its attestation failed. It wraps the cause, so that
// verify.KindOf(err) gives the verify.Kind of the failure and
// errors.Is(err, verify.KindStaleNonce) and the like work through it; a
// network failure has kind verify.KindUnreachable.
type AttestationError struct {
	// Origin is "https://host:port".
	Origin string
	// Step is where the attestation failed, one of the Step constants.
	Step string
	// SPKISHA256 is the hex SHA-256 of the key being attested, "" when
	// no key was seen.
	SPKISHA256 string
	// Err is the cause; a *verify.Error, or wraps one.
	Err error
}

// Error implements error.
func (e *AttestationError) Error() string {
	msg := fmt.Sprintf("transport: %s: attestation failed at %s", e.Origin, e.Step)
	if e.SPKISHA256 != "" {
		msg += " (key sha256:" + e.SPKISHA256[:16] + "...)"
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *AttestationError) Unwrap() error { return e.Err }

// Attestation is one attestation of a CVM key, as WithObserver sees it.
type Attestation struct {
	// Origin is "https://host:port".
	Origin string
	// SPKISHA256 is the hex SHA-256 of the attested key's
	// SubjectPublicKeyInfo, "" when the attestation failed before a key
	// was seen.
	SPKISHA256 string
	// Report is the full verified report, quote and event log included,
	// for an audit log to keep. On failure it is what verification had
	// established, for diagnostics only, or nil. The Transport itself keeps
	// only a Verdict.
	Report *verify.Report
	// Err is the failure, an *AttestationError; nil on success.
	Err error
	// Expires is when the verdict the attestation pinned lapses: the
	// earliest of Report.ValidUntil and the policy's attestation.max_age
	// after the attestation began. Zero on failure.
	Expires time.Time
	// Duration is how long the attestation took.
	Duration time.Duration
	// Refresh says the attestation renewed a verdict in the background.
	Refresh bool
	// Nonce is the fresh nonce the attestation was requested with, which
	// REPORTDATA must start with; nil when no request was made. With the
	// documents and SPKISHA256 it is what an offline replay of the
	// verification needs (cvmgate evidence verify --nonce --spki-sha256).
	Nonce []byte
	// AttestationDocument and InfoDocument are the documents as received,
	// for an audit log or to replay the verification offline (cvmgate
	// evidence verify); nil when they were not fetched.
	AttestationDocument, InfoDocument []byte
}
