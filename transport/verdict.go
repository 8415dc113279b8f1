package transport

import (
	"bytes"
	"slices"
	"time"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Verdict is what a Transport keeps of an attested key and gives back with
// VerdictFor, for audit logs: which CVM answered, what it runs and how its
// TCB was rated, in about a kilobyte. It holds none of the raw quote, its
// certificate chain, the event log or the compose text; the full
// verify.Report of an attestation goes to WithObserver.
type Verdict struct {
	// Origin is "https://host:port".
	Origin string
	// SPKISHA256 is the SHA-256 of the attested TLS key's
	// SubjectPublicKeyInfo: the key the connection presented.
	SPKISHA256 [32]byte
	// VerifiedAt is when the evidence was verified (the verifier's clock).
	VerifiedAt time.Time
	// Expires is when the verdict lapses: the earliest of the report's
	// ValidUntil and the policy's attestation.max_age.
	Expires time.Time

	// TCBStatus is the converged TCB status, AdvisoryIDs Intel's advisories.
	TCBStatus   verify.TCBStatus
	AdvisoryIDs []string
	// FMSPC is the platform's FMSPC.
	FMSPC string
	// MRTD, RTMR and TDAttributes are the TD's measurements and attributes.
	MRTD         [48]byte
	RTMR         [4][48]byte
	TDAttributes [8]byte

	// AppID, ComposeHash, InstanceID and OSImageHash are the dstack
	// identity the event log records; KeyProvider is its key provider.
	AppID, ComposeHash, InstanceID, OSImageHash []byte
	KeyProvider                                 eventlog.KeyProvider
	// Binding is how the channel was bound to the TD.
	Binding verify.BindingMode
}

// newVerdict keeps what an audit log needs of r, as fresh copies.
func newVerdict(origin string, k keyID, r *verify.Report, expires time.Time) Verdict {
	v := Verdict{
		Origin: origin, SPKISHA256: k, VerifiedAt: r.VerifiedAt, Expires: expires,
		TCBStatus: r.TCBStatus, AdvisoryIDs: slices.Clone(r.AdvisoryIDs), FMSPC: r.FMSPC,
		MRTD: r.Body.MRTD, RTMR: r.Body.RTMR, TDAttributes: r.Body.TDAttributes,
	}
	if d := r.Dstack; d != nil {
		id := &d.Identity
		v.AppID, v.ComposeHash = bytes.Clone(id.AppID), bytes.Clone(id.ComposeHash)
		v.InstanceID, v.OSImageHash = bytes.Clone(id.InstanceID), bytes.Clone(id.OSImageHash)
		if id.KeyProvider != nil {
			v.KeyProvider = *id.KeyProvider
		}
		v.Binding = d.Binding
	}
	return v
}
