package verify

// Collateral failures map to kinds as follows. Anything that stops the
// verifier from establishing that Intel signed an item (a signature that
// is not 64 bytes or does not verify, an issuer chain or CRL that does not
// parse or does not lead to a trusted root) is collateral_signature. An
// item Intel did sign but that is not what this verifier can use (JSON
// that does not parse, a wrong id or version, an unknown status, a CRL
// without nextUpdate, collateral of another platform) is
// collateral_mismatch, as is a source answer that matches
// collateral.ErrMalformed. An item outside its validity window, or signed by
// a certificate outside its own, is collateral_expired. A revoked signing
// certificate is revoked. Failing to obtain collateral at all is
// collateral_unavailable.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// Collateral identifiers and versions this verifier accepts.
const (
	tcbInfoID         = "TDX"
	tcbInfoVersion    = 3
	tcbInfoType       = 0
	qeIdentityID      = "TD_QE"
	qeIdentityVersion = 2
)

// verifiedCollateral is collateral whose signatures, chains and formats have
// been checked; it may be used while now lies in [from, until).
type verifiedCollateral struct {
	tcbInfo    *collateral.TCBInfo
	qeIdentity *collateral.QEIdentity
	// platformLevels are the TCB info's platform levels in the order
	// Intel's QVL matches them (dcap_levels.go), highest first.
	platformLevels []collateral.TCBLevel
	// moduleLevels holds each module identity's levels, highest isvsvn
	// first, indexed like tcbInfo.TDXModuleIdentities.
	moduleLevels [][]collateral.ISVTCBLevel

	pckCRL, rootCRL *verifiedCRL

	// nextUpdate is the earliest nextUpdate of the four items.
	nextUpdate time.Time
	// window is where every item and signing certificate is current.
	window
}

// collateralCache remembers verified collateral by the identity of the
// *collateral.Collateral a Source returned, which Sources never modify.
type collateralCache = lru.Cache[*collateral.Collateral, *verifiedCollateral]

// verifyCollateral returns c verified at now, from the cache while now is
// within the window in which everything in it is current.
func (v *Verifier) verifyCollateral(c *collateral.Collateral, now time.Time) (*verifiedCollateral, error) {
	if vc, ok := v.collaterals.Get(c); ok && !now.Before(vc.from) && now.Before(vc.until) {
		return vc, nil
	}
	vc, err := v.checkCollateral(c, now)
	if err != nil {
		return nil, err
	}
	v.collaterals.Add(c, vc)
	return vc, nil
}

// checkCollateral verifies every item of c at now (check 4 of DESIGN.md).
func (v *Verifier) checkCollateral(c *collateral.Collateral, now time.Time) (*verifiedCollateral, error) {
	if c == nil {
		return nil, mismatch(KindCollateralMismatch, "collateral", "collateral", "nil")
	}
	vc := &verifiedCollateral{}
	w := &vc.window
	var err error

	// The root CA CRL comes first: the other items' signers are checked
	// against it.
	if vc.rootCRL, err = v.checkRootCRL(c.RootCACRL, now, w); err != nil {
		return nil, err
	}
	if vc.tcbInfo, err = v.checkTCBInfo(c, now, vc.rootCRL, w); err != nil {
		return nil, err
	}
	if vc.qeIdentity, err = v.checkQEIdentityItem(c, now, vc.rootCRL, w); err != nil {
		return nil, err
	}
	if vc.pckCRL, err = v.checkPCKCRL(c, now, vc.rootCRL, w); err != nil {
		return nil, err
	}

	if vc.platformLevels, err = platformLevelsInOrder(vc.tcbInfo.TCBLevels); err != nil {
		return nil, err
	}
	if vc.moduleLevels, err = moduleLevelsInOrder(vc.tcbInfo.TDXModuleIdentities); err != nil {
		return nil, err
	}
	vc.nextUpdate = earliest(earliest(vc.tcbInfo.NextUpdate, vc.qeIdentity.NextUpdate),
		earliest(vc.pckCRL.nextUpdate, vc.rootCRL.nextUpdate))
	return vc, nil
}

// window accumulates the intersection of validity periods, [from, until).
type window struct {
	from, until time.Time
}

// add narrows w to [from, until).
func (w *window) add(from, until time.Time) {
	if w.from.IsZero() || from.After(w.from) {
		w.from = from
	}
	if w.until.IsZero() || until.Before(w.until) {
		w.until = until
	}
}

// addCert narrows w to c's validity, whose NotAfter is inclusive.
func (w *window) addCert(c *x509.Certificate) {
	w.add(c.NotBefore, c.NotAfter.Add(time.Nanosecond))
}

// checkPeriod reports an item used outside [issued, next).
func checkPeriod(check string, issued, next, now time.Time) error {
	if now.Before(issued) || !now.Before(next) {
		return &Error{Kind: KindCollateralExpired, Check: check,
			Expected: fmt.Sprintf("issued at or before %s and next update after it", now.UTC().Format(time.RFC3339)),
			Found:    fmt.Sprintf("issued %s, next update %s", issued.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339))}
	}
	return nil
}

// checkRootCRL verifies the root CA CRL: signed by a trusted root, current.
// Which root it must come from is checked where it is used, against the
// root of each chain (verifiedCRL.from).
func (v *Verifier) checkRootCRL(der []byte, now time.Time, w *window) (*verifiedCRL, error) {
	const check = "root ca crl"
	crl, err := parseCRL(check, der)
	if err != nil {
		return nil, err
	}
	signer := v.trust.issuerOf(crl.RawIssuer, crl)
	if signer == nil {
		return nil, &Error{Kind: KindCollateralSignature, Check: check,
			Expected: "signed by " + v.trust.describe(), Found: "issuer " + crl.Issuer.String(), Err: errBadSignature}
	}
	vcrl, err := finishCRL(check, crl, signer, now, w)
	if err != nil {
		return nil, err
	}
	w.addCert(signer)
	return vcrl, nil
}

// checkPCKCRL verifies the PCK CRL: its issuer chain leads to a trusted
// root, the issuer is a PCK CA not revoked by the root, it signed the CRL,
// and the CRL is current. That the CRL comes from the CA that issued the
// quote's PCK certificate is checked with the quote (checkRevocation).
func (v *Verifier) checkPCKCRL(c *collateral.Collateral, now time.Time, rootCRL *verifiedCRL, w *window) (*verifiedCRL, error) {
	const check = "pck crl"
	crl, err := parseCRL(check, c.PCKCRL)
	if err != nil {
		return nil, err
	}
	issuer, err := v.checkIssuerChain(check+" issuer chain", c.PCKCRLIssuerChain, rolePCKCRLIssuer, now, rootCRL, w)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
		return nil, &Error{Kind: KindCollateralSignature, Check: check,
			Expected: "signed by " + issuer.Subject.CommonName, Found: "issuer " + crl.Issuer.String(), Err: errBadSignature}
	}
	return finishCRL(check, crl, issuer, now, w)
}

// parseCRL parses a DER CRL of the collateral.
func parseCRL(check string, der []byte) (*x509.RevocationList, error) {
	if len(der) == 0 {
		return nil, mismatch(KindCollateralSignature, check, "a DER CRL", "none")
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, newError(KindCollateralSignature, check, err)
	}
	return crl, nil
}

// finishCRL checks the period of a CRL whose signature signer verified,
// signer being named as the CRL's issuer, and indexes its revoked serial
// numbers.
func finishCRL(check string, crl *x509.RevocationList, signer *x509.Certificate, now time.Time, w *window) (*verifiedCRL, error) {
	if crl.NextUpdate.IsZero() {
		return nil, mismatch(KindCollateralMismatch, check+": nextUpdate", "a date", "none")
	}
	if err := checkPeriod(check, crl.ThisUpdate, crl.NextUpdate, now); err != nil {
		return nil, err
	}
	w.add(crl.ThisUpdate, crl.NextUpdate)
	out := &verifiedCRL{
		signer:     signer,
		revoked:    make(map[string]struct{}, len(crl.RevokedCertificateEntries)),
		nextUpdate: crl.NextUpdate,
	}
	for _, e := range crl.RevokedCertificateEntries {
		out.revoked[serialKey(e.SerialNumber)] = struct{}{}
	}
	return out, nil
}

// issuerChainLen is the number of certificates in the issuer chain of a
// collateral item: the signing certificate and the root. Intel's QVL
// refuses any other number for the TCB info and the QE identity
// (EXPECTED_CERTIFICATE_COUNT_IN_TCB_CHAIN, QuoteVerification.cpp).
const issuerChainLen = 2

// checkIssuerChain verifies the PEM issuer chain of a collateral item:
// exactly the signing certificate and then a trusted root by exact DER.
// The signing certificate has a common name of its role, is valid at now,
// is signed by that root and is not revoked by the root CA CRL, which must
// come from that root. It returns the signing certificate.
//
// A certificate accepted before for role under that root (or, for the PCK
// CRL issuer, as the intermediate of a PCK chain) is not parsed nor its
// signature checked again; its validity, the root's and revocation are
// checked every time.
func (v *Verifier) checkIssuerChain(check string, pemChain []byte, role certRole, now time.Time, rootCRL *verifiedCRL, w *window) (*x509.Certificate, error) {
	ders, err := splitPEMChain(pemChain)
	if err != nil {
		return nil, newError(KindCollateralSignature, check, err)
	}
	if len(ders) != issuerChainLen {
		return nil, mismatch(KindCollateralSignature, check, "a signing certificate and its root", fmt.Sprintf("%d certificates", len(ders)))
	}
	root := v.trust.byDER(ders[1])
	if root == nil {
		return nil, mismatch(KindCollateralSignature, check+": root", v.trust.describe(), "sha256:"+fingerprint(ders[1]))
	}
	key := certKey(role, ders[0], root.Raw)
	cert, known := v.certs.Get(key)
	if !known && role == rolePCKCRLIssuer {
		cert, known = v.certs.Get(certKey(rolePCKCA, ders[0], root.Raw))
	}
	if !known {
		if cert, err = x509.ParseCertificate(ders[0]); err != nil {
			return nil, newError(KindCollateralSignature, check, err)
		}
		if cns := roleNames[role]; !slices.Contains(cns, cert.Subject.CommonName) {
			return nil, mismatch(KindCollateralSignature, check+": common name", fmt.Sprintf("%q", cns), fmt.Sprintf("%q", cert.Subject.CommonName))
		}
	}
	if err := checkCertificate(cert, "", now); err != nil {
		return nil, collateralCertError(check, err)
	}
	if !known {
		if !bytes.Equal(cert.RawIssuer, root.RawSubject) || cert.CheckSignatureFrom(root) != nil {
			return nil, &Error{Kind: KindCollateralSignature, Check: check,
				Expected: fmt.Sprintf("signed by the chain's root %q sha256:%s", root.Subject.CommonName, fingerprint(root.Raw)),
				Found:    "issuer " + cert.Issuer.String(), Err: errBadSignature}
		}
	}
	if err := checkCertificate(root, "", now); err != nil {
		return nil, collateralCertError(check+": root", err)
	}
	if err := rootCRL.from(check+": root ca crl", root); err != nil {
		return nil, err
	}
	if rootCRL.revokes(cert) {
		return nil, mismatch(KindRevoked, check, "not revoked by the root CA CRL", "serial "+serialKey(cert.SerialNumber)+" revoked")
	}
	if !isP256(cert.PublicKey) {
		return nil, mismatch(KindCollateralSignature, check+": key", "ECDSA P-256", fmt.Sprintf("%T", cert.PublicKey))
	}
	if !known {
		v.certs.Add(key, cert)
	}
	w.addCert(cert)
	w.addCert(root)
	return cert, nil
}

// roleNames are the common names a collateral signing certificate of each
// role may have.
var roleNames = map[certRole][]string{
	rolePCKCRLIssuer: {cnPlatformCA, cnProcessorCA},
	roleTCBSigning:   {cnTCBSigning},
}

// collateralCertError reports a certError of a collateral signing chain.
func collateralCertError(check string, err error) error {
	var ce *certError
	if errors.As(err, &ce) {
		kind := KindCollateralSignature
		if ce.kind == KindCollateralExpired {
			kind = KindCollateralExpired
		}
		return &Error{Kind: kind, Check: check + ": " + ce.what, Expected: ce.expected, Found: ce.found}
	}
	return newError(KindCollateralSignature, check, err)
}

// checkSignedItem verifies the signature over a signed JSON item with the
// signing certificate its issuer chain names.
func (v *Verifier) checkSignedItem(check string, raw, sig, chain []byte, now time.Time, rootCRL *verifiedCRL, w *window) error {
	signer, err := v.checkIssuerChain(check+" issuer chain", chain, roleTCBSigning, now, rootCRL, w)
	if err != nil {
		return err
	}
	if len(sig) != 64 {
		return mismatch(KindCollateralSignature, check+" signature", "64 bytes (r || s)", fmt.Sprintf("%d bytes", len(sig)))
	}
	if !verifyRawSignature(signer.PublicKey.(*ecdsa.PublicKey), raw, sig) {
		return &Error{Kind: KindCollateralSignature, Check: check + " signature",
			Expected: "signature by " + signer.Subject.CommonName, Found: "invalid signature", Err: errBadSignature}
	}
	return nil
}

// checkTCBInfo verifies and parses the TCB info.
func (v *Verifier) checkTCBInfo(c *collateral.Collateral, now time.Time, rootCRL *verifiedCRL, w *window) (*collateral.TCBInfo, error) {
	const check = "tcb info"
	if err := v.checkSignedItem(check, c.TCBInfo, c.TCBInfoSignature, c.TCBInfoIssuerChain, now, rootCRL, w); err != nil {
		return nil, err
	}
	info, err := collateral.ParseTCBInfo(c.TCBInfo)
	if err != nil {
		return nil, newError(KindCollateralMismatch, check, err)
	}
	if info.ID != tcbInfoID || info.Version != tcbInfoVersion {
		return nil, mismatch(KindCollateralMismatch, check+": id and version",
			fmt.Sprintf("%s v%d", tcbInfoID, tcbInfoVersion), fmt.Sprintf("%s v%d", info.ID, info.Version))
	}
	if info.TCBType != tcbInfoType {
		return nil, mismatch(KindCollateralMismatch, check+": tcbType", fmt.Sprint(tcbInfoType), fmt.Sprint(info.TCBType))
	}
	for i, l := range info.TCBLevels {
		if !slices.Contains(platformStatuses, TCBStatus(l.TCBStatus)) {
			return nil, mismatch(KindCollateralMismatch, fmt.Sprintf("%s: tcbLevels[%d].tcbStatus", check, i), "a platform TCB status", fmt.Sprintf("%q", l.TCBStatus))
		}
	}
	for i, m := range info.TDXModuleIdentities {
		for j, l := range m.TCBLevels {
			if !slices.Contains(isvStatuses, TCBStatus(l.TCBStatus)) {
				return nil, mismatch(KindCollateralMismatch, fmt.Sprintf("%s: tdxModuleIdentities[%d].tcbLevels[%d].tcbStatus", check, i, j), "UpToDate, OutOfDate or Revoked", fmt.Sprintf("%q", l.TCBStatus))
			}
		}
	}
	if err := checkPeriod(check, info.IssueDate, info.NextUpdate, now); err != nil {
		return nil, err
	}
	w.add(info.IssueDate, info.NextUpdate)
	return info, nil
}

// checkQEIdentityItem verifies and parses the QE identity.
func (v *Verifier) checkQEIdentityItem(c *collateral.Collateral, now time.Time, rootCRL *verifiedCRL, w *window) (*collateral.QEIdentity, error) {
	const check = "qe identity"
	if err := v.checkSignedItem(check, c.QEIdentity, c.QEIdentitySignature, c.QEIdentityIssuerChain, now, rootCRL, w); err != nil {
		return nil, err
	}
	id, err := collateral.ParseQEIdentity(c.QEIdentity)
	if err != nil {
		return nil, newError(KindCollateralMismatch, check, err)
	}
	if id.ID != qeIdentityID || id.Version != qeIdentityVersion {
		return nil, mismatch(KindCollateralMismatch, check+": id and version",
			fmt.Sprintf("%s v%d", qeIdentityID, qeIdentityVersion), fmt.Sprintf("%s v%d", id.ID, id.Version))
	}
	for i, l := range id.TCBLevels {
		if !slices.Contains(isvStatuses, TCBStatus(l.TCBStatus)) {
			return nil, mismatch(KindCollateralMismatch, fmt.Sprintf("%s: tcbLevels[%d].tcbStatus", check, i), "UpToDate, OutOfDate or Revoked", fmt.Sprintf("%q", l.TCBStatus))
		}
	}
	if err := checkPeriod(check, id.IssueDate, id.NextUpdate, now); err != nil {
		return nil, err
	}
	w.add(id.IssueDate, id.NextUpdate)
	return id, nil
}
