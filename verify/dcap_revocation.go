package verify

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"math/big"
	"time"
)

// verifiedCRL is a CRL whose signature has been checked.
type verifiedCRL struct {
	// signer is the certificate whose key verified the CRL's signature
	// and whose subject is the CRL's issuer name: a trusted root for the
	// root CA CRL, the first certificate of the bundle's issuer chain for
	// the PCK CRL.
	signer     *x509.Certificate
	revoked    map[string]struct{}
	nextUpdate time.Time
}

// revokes reports whether the CRL lists c's serial number.
func (crl *verifiedCRL) revokes(c *x509.Certificate) bool {
	return crl.revokesSerial(serialKey(c.SerialNumber))
}

// revokesSerial reports whether the CRL lists the serial number whose
// serialKey is key.
func (crl *verifiedCRL) revokesSerial(key string) bool {
	_, ok := crl.revoked[key]
	return ok
}

// serialKey is the map key of a certificate serial number.
func serialKey(n *big.Int) string {
	if n == nil {
		return ""
	}
	return n.Text(16)
}

// from checks that ca, a CA of a verified chain, issued the CRL: the CRL
// names ca as its issuer and its signature verifies with ca's key, as
// Intel's QVL requires of the CRL of each CA it checks revocation against
// (PckCrlVerifier::verify). The signature was verified with the signer's
// key, so it verifies with ca's exactly when the two keys are equal; this
// costs no signature check per quote, and when the signer is ca's very
// certificate, as for Intel's collateral, no key comparison either. A CRL
// of a CA of another name is
// collateral_mismatch; one under ca's name signed with another key, such as
// a re-keyed CA's or a forger's, is collateral_signature.
func (crl *verifiedCRL) from(check string, ca *x509.Certificate) error {
	if !bytes.Equal(crl.signer.RawSubject, ca.RawSubject) {
		return mismatch(KindCollateralMismatch, check, "issued by "+ca.Subject.CommonName, "issued by "+crl.signer.Subject.CommonName)
	}
	if bytes.Equal(crl.signer.Raw, ca.Raw) {
		return nil
	}
	if k, ok := ca.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(crl.signer.PublicKey) {
		return &Error{Kind: KindCollateralSignature, Check: check,
			Expected: "signed by the key of " + ca.Subject.CommonName + " sha256:" + fingerprint(ca.Raw),
			Found:    "signed by the key of another certificate of that name, sha256:" + fingerprint(crl.signer.Raw),
			Err:      errBadSignature}
	}
	return nil
}

// checkRevocation checks the PCK chain against the collateral's CRLs: the
// root CA CRL comes from the chain's root and does not list the
// intermediate, the PCK CRL comes from the intermediate that issued the
// leaf and does not list the leaf. A CRL from another CA is the
// collateral's fault, not the quote's: its error has a collateral kind.
func checkRevocation(vc *verifiedCollateral, chain *pckChain) error {
	if err := vc.rootCRL.from("root ca crl", chain.root); err != nil {
		return err
	}
	if vc.rootCRL.revokesSerial(chain.caSerial) {
		return mismatch(KindRevoked, "pck chain: intermediate", "not revoked by the root CA CRL", "serial "+chain.caSerial+" revoked")
	}
	if err := vc.pckCRL.from("pck crl", chain.intermediate); err != nil {
		return err
	}
	if vc.pckCRL.revokesSerial(chain.leafSerial) {
		return mismatch(KindRevoked, "pck chain: leaf", "not revoked by the PCK CRL", "serial "+chain.leafSerial+" revoked")
	}
	return nil
}
