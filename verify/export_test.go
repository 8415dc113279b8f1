package verify

import (
	"crypto/x509"
	"math/big"
	"time"
)

// The test hooks below let the memo tests, which build their inputs with
// cvmtest and so live in package verify_test (cvmtest imports verify),
// look at the verifier's memos.

// MemoLens returns how many entries each memo of v holds.
func MemoLens(v *Verifier) (chains, qeReports, certs int) {
	return v.chains.Len(), v.qeReports.Len(), v.certs.Len()
}

// PCKChainAt is v.pckChainAt; it returns the remembered chain and leaf
// extensions as opaque values to compare by identity.
func PCKChainAt(v *Verifier, pemChain []byte, now time.Time) (chain, ext any, err error) {
	c, err := v.pckChainAt(pemChain, now)
	if err != nil {
		return nil, nil, err
	}
	return c, c.ext, nil
}

// VerifiedIntermediate is v.verifiedIntermediate.
var VerifiedIntermediate = (*Verifier).verifiedIntermediate

// CertRole names the role a certificate is remembered for.
type CertRole = certRole

// Roles of remembered certificates.
const (
	RoleTCBSigning   = roleTCBSigning
	RolePCKCRLIssuer = rolePCKCRLIssuer
)

// RootCRL is a verified root CA CRL, opaque to the tests.
type RootCRL = *verifiedCRL

// CheckRootCRL verifies a root CA CRL at now.
func CheckRootCRL(v *Verifier, der []byte, now time.Time) (RootCRL, error) {
	return v.checkRootCRL(der, now, &window{})
}

// CheckIssuerChain verifies an issuer chain for role at now.
func CheckIssuerChain(v *Verifier, chain []byte, role CertRole, now time.Time, crl RootCRL) (*x509.Certificate, error) {
	return v.checkIssuerChain("test issuer chain", chain, role, now, crl, &window{})
}

// RememberedCert returns the certificate v remembers for role, DER and root.
func RememberedCert(v *Verifier, role CertRole, der, root []byte) (*x509.Certificate, bool) {
	return v.certs.Get(certKey(role, der, root))
}

// MemoSizes are the bounds of the memos.
const (
	ChainMemoSize    = chainMemoSize
	QEReportMemoSize = qeReportMemoSize
	CertMemoSize     = certMemoSize
)

// FillMemos adds twice each memo's bound of distinct entries to v.
func FillMemos(v *Verifier) {
	key := func(i int) memoKey { return certKey(rolePCKCA, big.NewInt(int64(i)).Bytes(), nil) }
	for i := range 2 * chainMemoSize {
		v.chains.Add(key(i), &pckChain{})
	}
	for i := range 2 * qeReportMemoSize {
		v.qeReports.Add(key(i), struct{}{})
	}
	for i := range 2 * certMemoSize {
		v.certs.Add(key(i), &x509.Certificate{})
	}
}
