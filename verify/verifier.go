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
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
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
	// Collateral is ignored.
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

// Cache sizes. A verifier meets few platforms (FMSPC and CA pairs) and few
// PCK intermediates, so small caches hold all of them.
const (
	collateralCacheSize = 64
	chainCacheSize      = 64
)

// Verifier verifies TDX quotes. It is safe for concurrent use; it caches
// verified collateral until its nextUpdate and verified PCK intermediate
// certificates within their validity, so that a quote on a known platform
// costs three signature checks.
type Verifier struct {
	source      collateral.Source
	noColl      bool
	trust       *trustStore
	now         func() time.Time
	accept      []TCBStatus
	allowDebug  bool
	collaterals *collateralCache
	chains      *chainCache
}

// New returns a Verifier for opts. Options are copied; later changes to
// opts do not affect the Verifier. It fails on an unknown status in
// AcceptStatuses or an unusable trusted root.
func New(opts Options) (*Verifier, error) {
	trust, err := newTrustStore(opts.TrustedRoots)
	if err != nil {
		return nil, err
	}
	accept := slices.Clone(opts.AcceptStatuses)
	if len(accept) == 0 {
		accept = []TCBStatus{StatusUpToDate}
	}
	for _, s := range accept {
		if !knownStatus(s) {
			return nil, fmt.Errorf("verify: Options.AcceptStatuses: unknown TCB status %q", s)
		}
	}
	v := &Verifier{
		source:     opts.Collateral,
		noColl:     opts.NoCollateral,
		trust:      trust,
		now:        opts.Now,
		accept:     accept,
		allowDebug: opts.AllowDebug,
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
// running every check of DESIGN.md against that one time. On failure the
// report is nil and the error is an *Error; errors of ctx, of the
// collateral source, are wrapped in it.
func (v *Verifier) Verify(ctx context.Context, rawQuote []byte) (*Report, error) {
	now := v.now()
	// Parse refuses versions, key types, TEE types and QE vendors other
	// than TDX quotes v4 and v5 by Intel's QE with ECDSA P-256 keys.
	q, err := parseQuote(rawQuote)
	if err != nil {
		return nil, err
	}

	// Checks 1 to 3: the PCK chain and the signatures that tie the quote
	// to it. They need no collateral, so a forged quote never costs a fetch.
	chain, err := v.verifyPCKChain(q.PCKChainPEM, now)
	if err != nil {
		return nil, err
	}
	ext, err := pck.ParseExtensions(chain.leaf)
	if err != nil {
		return nil, newError(KindCertChain, "pck certificate extensions", err)
	}
	if err := checkQEReportSignature(q, chain); err != nil {
		return nil, err
	}
	if err := checkQEReportBinding(q); err != nil {
		return nil, err
	}
	if err := checkQuoteSignature(q); err != nil {
		return nil, err
	}

	r := newReport(q, chain, ext, now)
	if v.noColl {
		r.TCBStatus, r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus = StatusUnknown, StatusUnknown, StatusUnknown, StatusUnknown
		return v.finish(r)
	}

	// Check 4: collateral, fetched for this platform and verified.
	req := collateral.Request{FMSPC: ext.FMSPCHex(), CA: chain.ca}
	c, err := v.source.Fetch(ctx, req)
	if err != nil {
		return nil, fetchError(err)
	}
	vc, err := v.verifyCollateral(c, now)
	if err == nil {
		err = checkPlatform(vc.tcbInfo, ext)
	}
	if err != nil {
		v.reject(req, c)
		return nil, err
	}
	if err := checkRevocation(vc, chain); err != nil {
		return nil, err
	}

	// Checks 5 to 8: TCB levels and convergence.
	tcb, err := evaluateTCB(vc, q, &ext.TCB)
	if err != nil {
		return nil, err
	}
	r.TCBStatus, r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus = tcb.final, tcb.platform, tcb.module, tcb.qe
	r.AdvisoryIDs = tcb.advisories
	r.TCBDate, r.OutOfDateSince = tcb.tcbDate, tcb.outOfDateSince
	r.TCBEvaluationDataNumber = vc.tcbInfo.TCBEvaluationDataNumber
	r.CollateralNextUpdate = vc.nextUpdate
	r.ValidUntil = earliest(r.ValidUntil, vc.until)
	return v.finish(r)
}

// reject tells a source that keeps collateral, such as a cache, to drop c:
// it failed verification or is for another platform.
func (v *Verifier) reject(req collateral.Request, c *collateral.Collateral) {
	if r, ok := v.source.(collateral.Rejecter); ok {
		r.Reject(req, c)
	}
}

// finish applies check 9 and the accepted statuses to a report whose
// statuses are set. A failure carries the report for diagnostics.
func (v *Verifier) finish(r *Report) (*Report, error) {
	if err := checkTDAttributes(&r.Quote.Body, v.allowDebug); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Report = r
		}
		return nil, err
	}
	if !accepted(v.accept, r.TCBStatus) {
		e := mismatch(KindTCBStatus, "tcb status", joinStatuses(v.accept), string(r.TCBStatus))
		e.Report = r
		return nil, e
	}
	return r, nil
}

// newReport fills the report fields that the quote and the PCK chain give.
func newReport(q *quote.Quote, chain *pckChain, ext *pck.Extensions, now time.Time) *Report {
	ppid := sha256.Sum256(ext.PPID[:])
	return &Report{
		Quote:         q,
		VerifiedAt:    now,
		FMSPC:         ext.FMSPCHex(),
		PCEID:         ext.PCEIDHex(),
		DeviceID:      hex.EncodeToString(ppid[:]),
		PCKCA:         string(chain.ca),
		ValidUntil:    earliest(chain.leaf.NotAfter, earliest(chain.intermediate.NotAfter, chain.root.NotAfter)),
		Debug:         q.Body.Debug(),
		SEPTVEDisable: q.Body.SEPTVEDisable(),
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
