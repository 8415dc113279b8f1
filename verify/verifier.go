// Package verify turns a TDX quote, and dstack evidence around it, into a
// verified Report, or a typed *Error that says which check failed and why.
//
// Verification is local: quotes are checked against Intel's SGX root CA,
// pinned in this package, and against collateral (TCB info, QE identity,
// CRLs) whose own signatures chain to that root. A test root is trusted only
// when Options.TrustedRoots says so.
package verify

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// Options configures a Verifier. The zero value verifies against Intel's
// pinned root with collateral from Intel PCS, accepting only UpToDate and
// refusing debug TDs.
type Options struct {
	// Collateral supplies collateral. Nil means Intel PCS behind a cache.
	Collateral collateral.Source
	// NoCollateral verifies signatures and the PCK chain without any
	// collateral: no CRLs and no TCB evaluation. Every TCB status in the
	// report is StatusUnknown, which AcceptStatuses must then list.
	NoCollateral bool
	// TrustedRoots replaces Intel's pinned root CA. For tests only.
	TrustedRoots []*x509.Certificate
	// Now returns the verification time. Nil means time.Now.
	Now func() time.Time
	// AcceptStatuses lists the final TCB statuses accepted. Empty means
	// only UpToDate.
	AcceptStatuses []TCBStatus
	// AllowDebug accepts TDs with the DEBUG attribute set.
	AllowDebug bool
}

// Verifier verifies TDX quotes. It is safe for concurrent use; it caches
// verified collateral until its nextUpdate.
type Verifier struct {
	opts Options
}

// New returns a Verifier for opts. Options are copied; later changes to
// opts do not affect the Verifier.
func New(opts Options) (*Verifier, error) {
	return &Verifier{opts: opts}, nil
}

// Verify parses and verifies a raw quote at the verifier's current time.
// On failure the report is nil and the error is an *Error.
func (v *Verifier) Verify(ctx context.Context, rawQuote []byte) (*Report, error) {
	panic("not implemented")
}
