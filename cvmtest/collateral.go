package cvmtest

import (
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// Default validity of collateral, relative to CollateralOptions.Now.
const (
	// DefaultCollateralAge is how long before Now collateral is issued.
	DefaultCollateralAge = time.Hour
	// DefaultCollateralLifetime is how long after Now collateral stays valid.
	DefaultCollateralLifetime = 30 * 24 * time.Hour
)

// CollateralOptions configures PKI.Collateral. The zero value gives the
// default collateral, valid from an hour ago for 30 days.
type CollateralOptions struct {
	// Now anchors the default dates. Zero means time.Now().
	Now time.Time
	// IssueDate and NextUpdate bound the TCB info and the QE identity. Zero
	// means Now-DefaultCollateralAge and Now+DefaultCollateralLifetime.
	IssueDate, NextUpdate time.Time
	// CRLThisUpdate and CRLNextUpdate bound both CRLs. Zero means
	// IssueDate and NextUpdate.
	CRLThisUpdate, CRLNextUpdate time.Time

	// TCBInfo, if set, edits the default TCB info (see PKI.DefaultTCBInfo)
	// before it is serialized and signed.
	TCBInfo func(*collateral.TCBInfo)
	// QEIdentity, if set, edits the default QE identity (see
	// DefaultQEIdentity) before it is serialized and signed.
	QEIdentity func(*collateral.QEIdentity)

	// RevokedPCKSerials are added to the PCK CRL, and RevokedRootSerials
	// to the root CA CRL, after those revoked with PKI.RevokePCK and
	// friends.
	RevokedPCKSerials, RevokedRootSerials []*big.Int
}

// Collateral returns DCAP collateral for p's platform: TCB info and QE
// identity serialized as Intel does and signed by the TCB signing key over
// their exact JSON bytes (raw r || s), the PCK CRL signed by the PCK
// intermediate, the root CA CRL signed by the root, and the issuer chains.
//
// To write it as a dcap-qvl / dstack JSON bundle, use the result's
// MarshalBundle method.
func (p *PKI) Collateral(opts CollateralOptions) (*collateral.Collateral, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	issue, next := opts.IssueDate, opts.NextUpdate
	if issue.IsZero() {
		issue = now.Add(-DefaultCollateralAge)
	}
	if next.IsZero() {
		next = now.Add(DefaultCollateralLifetime)
	}
	crlThis, crlNext := opts.CRLThisUpdate, opts.CRLNextUpdate
	if crlThis.IsZero() {
		crlThis = issue
	}
	if crlNext.IsZero() {
		crlNext = next
	}

	info := p.DefaultTCBInfo(issue, next)
	if opts.TCBInfo != nil {
		opts.TCBInfo(info)
	}
	tcbRaw, err := json.Marshal(info)
	if err != nil {
		return nil, &Error{Op: "TCB info", Err: err}
	}
	qe := DefaultQEIdentity(issue, next)
	if opts.QEIdentity != nil {
		opts.QEIdentity(qe)
	}
	qeRaw, err := json.Marshal(qe)
	if err != nil {
		return nil, &Error{Op: "QE identity", Err: err}
	}

	revokedPCK, revokedRoot := p.revoked()
	pckCRL, err := p.PCKCRL(CRLOptions{
		ThisUpdate: crlThis, NextUpdate: crlNext,
		Revoked: append(revokedPCK, opts.RevokedPCKSerials...),
	})
	if err != nil {
		return nil, err
	}
	rootCRL, err := p.RootCRL(CRLOptions{
		ThisUpdate: crlThis, NextUpdate: crlNext,
		Revoked: append(revokedRoot, opts.RevokedRootSerials...),
	})
	if err != nil {
		return nil, err
	}

	tcbSig, err := p.SignCollateral(tcbRaw)
	if err != nil {
		return nil, err
	}
	qeSig, err := p.SignCollateral(qeRaw)
	if err != nil {
		return nil, err
	}
	return &collateral.Collateral{
		TCBInfo:               tcbRaw,
		TCBInfoSignature:      tcbSig,
		TCBInfoIssuerChain:    clone(p.TCBSigningChainPEM),
		QEIdentity:            qeRaw,
		QEIdentitySignature:   qeSig,
		QEIdentityIssuerChain: clone(p.TCBSigningChainPEM),
		PCKCRL:                pckCRL,
		PCKCRLIssuerChain:     clone(p.PCKCRLIssuerChainPEM),
		RootCACRL:             rootCRL,
	}, nil
}

// SignCollateral signs data with the TCB signing key as Intel signs TCB
// info and QE identity: ECDSA P-256 over SHA-256(data), returned as the raw
// 64-byte r || s. Tests use it to sign hand-made collateral JSON.
func (p *PKI) SignCollateral(data []byte) ([]byte, error) {
	sig, err := signRaw(p.TCBSigningKey, sha256.Sum256(data))
	if err != nil {
		return nil, &Error{Op: "sign collateral", Err: err}
	}
	return sig[:], nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
