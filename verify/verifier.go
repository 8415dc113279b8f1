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
// (dcap_collateral.go), revocation (dcap_revocation.go), the quote and QE
// signatures (dcap_signatures.go), the QE identity (dcap_qe.go), the order
// of TCB levels (dcap_levels.go), the TCB levels and statuses
// (dcap_tcb.go, dcap_status.go) and what a Verifier remembers of what it
// verified (dcap_memo.go). The dstack evidence checks live in the
// evidence_*.go files: the channel binding (evidence_binding.go), the event
// log replay (evidence_replay.go), MR_CONFIG_ID and the compose
// (evidence_compose.go). verification.go runs the checks in order and
// records each in Report.Checks. The wire protocol (paths, REPORTDATA,
// documents) is package wire; the parsers are the subpackages quote, pck,
// collateral, eventlog and compose.
//
// # Stricter than Intel's QVL
//
// Intel's Quote Verification Library (QVL,
// SGX-TDX-DCAP-QuoteVerificationLibrary, compared at commit 7e5b2a1) is
// the reference for the DCAP rules, and the verifier follows it: the order
// in which TCB levels are matched, how the TDX module and the QE are
// compared with the collateral, the issuer chains, the CRL of the CA that
// issued each certificate. Where the verifier refuses what QVL accepts, it
// does so on purpose, and the case is listed here with its reason. No case
// lets through a quote QVL refuses.
//
//   - Bytes after the quote. QVL ignores anything after the signature data
//     and any slack inside it. The verifier requires the signature data to
//     be used up exactly and allows only zero bytes after the quote (the
//     padding dstack's guest agent adds): no signature covers those bytes,
//     and unsigned content must not be mistaken for attested content.
//   - The upper half of the QE report data. QVL compares only its first 32
//     bytes with SHA-256(attestation key || QE auth data). The verifier also
//     requires the other 32 to be zero, as Intel's QE writes them: signed
//     bytes that should mean nothing are refused rather than ignored.
//   - A foreign PCK CRL issuer chain. QVL never reads the bundle's
//     pck_crl_issuer_chain; it verifies the PCK CRL with the key of the
//     intermediate in the quote's own PCK chain. The verifier makes that
//     same check, and it decides; it also requires the bundle's chain to be
//     exactly a PCK CA and a trusted root, valid, not revoked, whose CA
//     signed the CRL. A bundle whose chain names another CA than the one
//     that signed its CRL is inconsistent, and collateral is taken whole or
//     not at all.
//   - Configuration statuses on QE identity levels. QVL's parser accepts
//     ConfigurationNeeded and OutOfDateConfigurationNeeded on a QE identity
//     level and rates a QE on such a level OutOfDate. The verifier accepts
//     only UpToDate, OutOfDate and Revoked there and refuses the QE identity
//     otherwise (collateral_mismatch): a configuration status describes a
//     platform, not an enclave, Intel publishes none for a QE, and a signed
//     status the verifier would have to reinterpret is refused rather than
//     guessed at. QVL's own rating of such a QE, OutOfDate, is refused by
//     the default policy too.
//   - Unknown statuses on unused TDX module levels. QVL checks a module
//     level's status only when that level is the one matched. The verifier
//     refuses a TCB info with a status other than UpToDate, OutOfDate or
//     Revoked on any module level, for the same reason.
//   - Component SVNs over 255. QVL keeps the low byte of a TCB component
//     svn that does not fit one. The verifier refuses the TCB info: a
//     truncated SVN would be compared as a different one.
//   - Collateral issued after the verification time. QVL never compares a
//     TCB info's or QE identity's issueDate with the verification time
//     (only a CRL's thisUpdate). The verifier requires issueDate at or
//     before it: collateral dated in the future is a clock error or a
//     forgery, and is not used before its time.
//   - Certificates not yet valid. QVL checks only notAfter. The verifier
//     checks notBefore too, for every certificate of the PCK chain and of
//     the collateral's issuer chains.
//   - The nextUpdate boundary. QVL treats a TCB info, QE identity or CRL as
//     current up to and including its nextUpdate. The verifier uses each
//     item in [issueDate, nextUpdate), so at nextUpdate it has expired:
//     Intel publishes the next item before then, and the caches that keep
//     collateral until nextUpdate stop at the same instant.
//   - Expiry is fatal. Intel's Quote Verification Enclave reports expired
//     collateral or certificates as a flag beside its verdict. The verifier
//     refuses them (collateral_expired, cert_chain): a Report has no such
//     flag, and a policy cannot overlook what it is never shown.
//   - Signatures over the raw JSON. QVL verifies the TCB info and QE
//     identity signatures over its own compact re-serialization of the JSON
//     it parsed. The verifier verifies them over the exact bytes received,
//     and parses those same bytes, so what is signed is always what is
//     read: duplicate keys, number forms and escapes cannot differ between
//     the two. A re-indented item that QVL accepts is refused; Intel signs
//     and serves the compact form, which verifies either way.
//   - Member names in the signed JSON. QVL reads the TCB info and QE
//     identity with a parser that takes the first of duplicate members;
//     encoding/json would take the last, whatever the case of its name.
//     The verifier refuses a member given twice, or named like a known
//     one in another case (collateral_mismatch): two readers of the same
//     signed bytes must not see different values. Intel writes neither.
//   - The order of chains. QVL finds the roles of the certificates in the
//     PCK chain and in the collateral issuer chains whatever their order.
//     The verifier requires Intel's order: the leaf (or signing
//     certificate), then the intermediate, then the root.
//   - Names, keys and roots. QVL requires common names that contain "SGX
//     PCK Certificate", "CA" and "SGX TCB Signing", and compares the chain's
//     root with the trusted root by its signature (Intel's Quote
//     Verification Enclave pins its key). The verifier requires Intel's
//     exact names, an intermediate that is a CA, P-256 keys in the PCK leaf
//     and the signing certificates, no unhandled critical extension, and
//     the trusted root by its exact DER.
//   - The TDX module without collateral. With Options.NoCollateral there is
//     no TCB info to compare MRSIGNERSEAM and SEAMATTRIBUTES with, and QVL,
//     which always has one, has no rule for it. The verifier then requires
//     both to be zero, which is what Intel's TCB infos publish for its
//     modules.
//   - Quote size. A quote over 64 KiB, padding included, is refused.
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

// collateralCacheSize bounds the verified collateral kept. A verifier meets
// few platforms (FMSPC and CA pairs), so a small cache holds all of them.
const collateralCacheSize = 64

// Verifier verifies TDX quotes and dstack evidence. It is safe for
// concurrent use, and one Verifier serves every policy: it caches verified
// collateral until its nextUpdate, and remembers the PCK chains, QE report
// signatures and signing certificates it has verified (dcap_memo.go), so
// that a quote on a known platform costs one signature check, its own.
// Validity and revocation are checked on every verification.
type Verifier struct {
	source      collateral.Source
	noColl      bool
	trust       *trustStore
	now         func() time.Time
	collaterals *collateralCache
	chains      *chainMemo
	qeReports   *qeReportMemo
	certs       *certMemo
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
	if err := v.newMemos(); err != nil {
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
