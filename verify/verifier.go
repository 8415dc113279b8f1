// Package verify turns a TDX quote, and dstack evidence around it, into a
// verified Report, or a typed *Error that says which check failed and why.
//
// Verification is local: quotes are checked against Intel's SGX root CA,
// pinned in this package, and against collateral (TCB info, QE identity,
// CRLs) whose own signatures chain to that root. A test root is trusted only
// when Options.TrustedRoots says so. What a caller accepts is a Policy
// passed on each call, so one Verifier and its caches serve every policy.
//
// # Where things are
//
// The DCAP checks live in the dcap_*.go files: the PCK chain
// (dcap_chain.go), the pinned root (dcap_root.go), collateral
// (dcap_collateral.go), the quote and QE signatures (dcap_signatures.go),
// the QE identity (dcap_qe.go) and the TCB levels and statuses
// (dcap_tcb.go, dcap_status.go). The dstack evidence checks live in the
// evidence_*.go files: the channel binding (evidence_binding.go), the event
// log replay (evidence_replay.go), MR_CONFIG_ID and the compose
// (evidence_compose.go). verification.go runs the checks in order and
// records each in Report.Checks. The wire protocol (paths, REPORTDATA,
// documents) is package wire; the parsers are the subpackages quote, pck,
// collateral, eventlog and compose.
//
// # The TD's own configuration
//
// Intel's QVL checks none of the TD report's own fields (TDATTRIBUTES,
// XFAM, MROWNER, MROWNERCONFIG, MRSERVICETD). This package is stricter by
// default, in Accept and in package policy unless a policy's td section
// states what it accepts: CheckTDAttributes refuses DEBUG (unless allowed)
// and the rest of the TD-under-debug group (bits 1-7), MIGRATABLE, TPA and
// the bits the TDX module reserves, and requires SEPT_VE_DISABLE, which
// every Linux TD sets; CheckServiceTD refuses a TD with a service TD bound.
// Every real dstack TD seen so far (SEPT_VE_DISABLE alone, TD 1.0) passes.
package verify

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// Options configures a Verifier. The zero value verifies against Intel's
// pinned root with collateral from Intel PCS. What is accepted is not an
// option: it is the Policy passed on each call.
type Options struct {
	// Collateral supplies collateral. Nil means Intel PCS behind a cache.
	Collateral collateral.Source
	// NoCollateral verifies signatures and the PCK chain without any
	// collateral: no CRLs and no TCB evaluation. Every TCB status in the
	// report is StatusUnknown, which the policy must then accept.
	// Collateral is ignored.
	NoCollateral bool
	// TrustedRoots replaces Intel's pinned root CA. For tests only.
	TrustedRoots []*x509.Certificate
	// Now returns the verification time. Nil means time.Now.
	Now func() time.Time
}

// Cache sizes. A verifier meets few platforms (FMSPC and CA pairs) and few
// PCK intermediates, so small caches hold all of them.
const (
	collateralCacheSize = 64
	chainCacheSize      = 64
)

// Verifier verifies TDX quotes and dstack evidence. It is safe for
// concurrent use, and one Verifier serves every policy: it caches verified
// collateral until its nextUpdate and verified PCK intermediate
// certificates within their validity, so that a quote on a known platform
// costs three signature checks.
type Verifier struct {
	source      collateral.Source
	noColl      bool
	trust       *trustStore
	now         func() time.Time
	collaterals *collateralCache
	chains      *chainCache
}

// New returns a Verifier for opts. Options are copied; later changes to
// opts do not affect the Verifier. It fails on an unusable trusted root.
func New(opts Options) (*Verifier, error) {
	trust, err := newTrustStore(opts.TrustedRoots)
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		source: opts.Collateral,
		noColl: opts.NoCollateral,
		trust:  trust,
		now:    opts.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.source == nil && !v.noColl {
		// The cache expires entries on the verifier's clock, so that a
		// fixed Now never sees collateral the cache thinks expired.
		v.source = collateral.NewCache(collateral.NewPCS(collateral.HTTPOptions{}), collateral.CacheOptions{Now: v.now})
	}
	if v.collaterals, err = lru.New[*collateral.Collateral, *verifiedCollateral](collateralCacheSize); err != nil {
		return nil, err
	}
	if v.chains, err = lru.New[[sha256.Size]byte, *verifiedCA](chainCacheSize); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify parses and verifies a raw quote at the verifier's current time,
// running every check of DESIGN.md against that one time, then judges the
// report with p (Accept{}, UpToDate only, when p is nil). The checks that
// need no collateral run first, so a forged quote never costs a fetch.
//
// On failure the report is nil and the error is an *Error; errors of ctx
// and of the collateral source are wrapped in it, and a policy's error is
// wrapped with KindPolicy unless it has a kind of its own. The error's
// Report holds what was established, its Checks included, for diagnostics.
func (v *Verifier) Verify(ctx context.Context, rawQuote []byte, p Policy) (*Report, error) {
	run := v.begin(quoteChecks)
	if err := run.local(rawQuote); err != nil {
		return run.fail(err)
	}
	if err := run.collateral(ctx); err != nil {
		return run.fail(err)
	}
	return run.judge(p)
}

// reject tells a source that keeps collateral, such as a cache, to drop c:
// it failed verification or is for another platform.
func (v *Verifier) reject(req collateral.Request, c *collateral.Collateral) {
	if r, ok := v.source.(collateral.Rejecter); ok {
		r.Reject(req, c)
	}
}

// parseQuote parses raw, classifying format errors.
func parseQuote(raw []byte) (*quote.Quote, error) {
	q, err := quote.Parse(raw)
	switch {
	case err == nil:
		return q, nil
	case errors.Is(err, quote.ErrUnsupported):
		return nil, newError(KindUnsupportedQuote, "parse", err)
	default:
		return nil, newError(KindMalformedQuote, "parse", err)
	}
}

// fetchError classifies a collateral source failure: malformed collateral
// is collateral_mismatch, anything else (unreachable source, ctx
// cancellation or deadline) collateral_unavailable.
func fetchError(err error) error {
	if errors.Is(err, collateral.ErrMalformed) && !errors.Is(err, collateral.ErrUnavailable) {
		return newError(KindCollateralMismatch, "collateral fetch", err)
	}
	return newError(KindCollateralUnavailable, "collateral fetch", err)
}

// checkRevocation checks the PCK chain against the collateral's CRLs: the
// root CRL comes from the chain's root and does not list the intermediate,
// the PCK CRL comes from the leaf's issuer and does not list the leaf.
func checkRevocation(vc *verifiedCollateral, chain *pckChain) error {
	if vc.rootCRLSigner != chain.root {
		return mismatch(KindCollateralMismatch, "root ca crl", "issued by the PCK chain's root", "issued by another root")
	}
	if vc.rootCRL.revokes(chain.intermediate) {
		return mismatch(KindRevoked, "pck chain: intermediate", "not revoked by the root CA CRL", "serial "+serialKey(chain.intermediate.SerialNumber)+" revoked")
	}
	if string(vc.pckCRL.issuer) != string(chain.leaf.RawIssuer) {
		return mismatch(KindCollateralMismatch, "pck crl", "issued by "+chain.intermediate.Subject.CommonName, "issued by "+vc.pckCRL.issuerName)
	}
	if vc.pckCRL.revokes(chain.leaf) {
		return mismatch(KindRevoked, "pck chain: leaf", "not revoked by the PCK CRL", "serial "+serialKey(chain.leaf.SerialNumber)+" revoked")
	}
	return nil
}

// checkPlatform checks that the TCB info is for the PCK certificate's
// FMSPC and PCE id.
func checkPlatform(info *collateral.TCBInfo, ext *pck.Extensions) error {
	if string(info.FMSPC) != string(ext.FMSPC[:]) {
		return mismatch(KindCollateralMismatch, "tcb info: fmspc", ext.FMSPCHex(), strings.ToUpper(hex.EncodeToString(info.FMSPC)))
	}
	if string(info.PCEID) != string(ext.PCEID[:]) {
		return mismatch(KindCollateralMismatch, "tcb info: pceId", ext.PCEIDHex(), strings.ToUpper(hex.EncodeToString(info.PCEID)))
	}
	return nil
}
