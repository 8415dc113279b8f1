package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
)

// Common names Intel gives the certificates of the DCAP PKI.
const (
	cnPCKLeaf     = "Intel SGX PCK Certificate"
	cnPlatformCA  = "Intel SGX PCK Platform CA"
	cnProcessorCA = "Intel SGX PCK Processor CA"
	cnRootCA      = "Intel SGX Root CA"
	cnTCBSigning  = "Intel SGX TCB Signing"
)

// pckChainLen is the number of certificates in a quote's PCK chain: leaf,
// intermediate CA and root CA.
const pckChainLen = 3

// errChainFormat is the cause of every PCK chain encoding failure.
var errChainFormat = errors.New("malformed certificate chain")

// trustStore holds the root CAs a Verifier trusts, matched by exact DER.
type trustStore struct {
	roots []*x509.Certificate
}

// newTrustStore copies roots, or uses Intel's pinned root when roots is empty.
func newTrustStore(roots []*x509.Certificate) (*trustStore, error) {
	if len(roots) == 0 {
		root, err := IntelSGXRootCA()
		if err != nil {
			return nil, err
		}
		return &trustStore{roots: []*x509.Certificate{root}}, nil
	}
	ts := &trustStore{roots: make([]*x509.Certificate, 0, len(roots))}
	for i, r := range roots {
		if r == nil || len(r.Raw) == 0 {
			return nil, fmt.Errorf("verify: Options.TrustedRoots[%d] is empty", i)
		}
		// Re-parse so that later changes to the caller's certificate
		// cannot change what this verifier trusts.
		c, err := x509.ParseCertificate(bytes.Clone(r.Raw))
		if err != nil {
			return nil, fmt.Errorf("verify: Options.TrustedRoots[%d]: %w", i, err)
		}
		ts.roots = append(ts.roots, c)
	}
	return ts, nil
}

// byDER returns the trusted root whose DER is exactly der, or nil.
func (ts *trustStore) byDER(der []byte) *x509.Certificate {
	for _, r := range ts.roots {
		if bytes.Equal(r.Raw, der) {
			return r
		}
	}
	return nil
}

// signed is what a trusted root may sign: a certificate or a CRL.
type signed interface {
	CheckSignatureFrom(parent *x509.Certificate) error
}

// issuerOf returns the trusted root, named rawIssuer, that signed s, or nil.
func (ts *trustStore) issuerOf(rawIssuer []byte, s signed) *x509.Certificate {
	for _, r := range ts.roots {
		if bytes.Equal(r.RawSubject, rawIssuer) && s.CheckSignatureFrom(r) == nil {
			return r
		}
	}
	return nil
}

// describe names the trusted roots for error messages.
func (ts *trustStore) describe() string {
	var b bytes.Buffer
	for i, r := range ts.roots {
		if i > 0 {
			b.WriteString(" or ")
		}
		fmt.Fprintf(&b, "%q sha256:%s", r.Subject.CommonName, fingerprint(r.Raw))
	}
	return b.String()
}

// fingerprint is the lower-case hex SHA-256 of der.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// pckChain is a verified PCK certificate chain.
type pckChain struct {
	leaf, intermediate, root *x509.Certificate
	// ca names the intermediate: platform or processor.
	ca collateral.CA
	// key is the SHA-256 of the chain's PEM, its key in the chain memo.
	key memoKey
	// ext holds the SGX extensions of the leaf.
	ext *pck.Extensions
	// fmspc, pceID and deviceID are the report's platform fields, from
	// ext; leafSerial and caSerial the serial numbers of the leaf and the
	// intermediate as CRLs index them; from and until the times between
	// which all three certificates are valid, both included (as x509
	// validity is). They are derived once, with the chain.
	fmspc, pceID, deviceID string
	leafSerial, caSerial   string
	from, until            time.Time
}

// pckChainAt returns the quote's PEM PCK chain verified at now, with the
// SGX extensions of its leaf. A chain verified before is taken from the
// memo while now lies within the validity of its three certificates;
// otherwise verifyPCKChain checks it. Revocation is checked later, on
// every verification, against the collateral's CRLs.
func (v *Verifier) pckChainAt(pemChain []byte, now time.Time) (*pckChain, error) {
	key := sha256.Sum256(pemChain)
	if chain, ok := v.chains.Get(key); ok && validAt(now, chain.from, chain.until) {
		return chain, nil
	}
	chain, err := v.verifyPCKChain(pemChain, now)
	if err != nil {
		return nil, err
	}
	chain.key = key
	if chain.ext, err = pck.ParseExtensions(chain.leaf); err != nil {
		return nil, newError(KindCertChain, "pck certificate extensions", err)
	}
	ppid := sha256.Sum256(chain.ext.PPID[:])
	chain.fmspc, chain.pceID, chain.deviceID = chain.ext.FMSPCHex(), chain.ext.PCEIDHex(), hex.EncodeToString(ppid[:])
	chain.from = latest(chain.leaf.NotBefore, latest(chain.intermediate.NotBefore, chain.root.NotBefore))
	chain.until = earliest(chain.leaf.NotAfter, earliest(chain.intermediate.NotAfter, chain.root.NotAfter))
	v.chains.Add(key, chain)
	return chain, nil
}

// verifyPCKChain checks the quote's PEM PCK chain at now: exactly leaf,
// intermediate and root, the root one of the trusted roots by exact DER,
// names as Intel issues them, every certificate valid at now and each signed
// by the next.
func (v *Verifier) verifyPCKChain(pemChain []byte, now time.Time) (*pckChain, error) {
	const check = "pck chain"
	ders, err := splitPEMChain(pemChain)
	if err != nil {
		return nil, newError(KindCertChain, check, err)
	}
	if len(ders) != pckChainLen {
		e := mismatch(KindCertChain, check, fmt.Sprintf("%d certificates", pckChainLen), fmt.Sprintf("%d", len(ders)))
		e.Err = errChainFormat
		return nil, e
	}
	root := v.trust.byDER(ders[2])
	if root == nil {
		return nil, mismatch(KindUntrustedRoot, check, v.trust.describe(), "sha256:"+fingerprint(ders[2]))
	}
	intermediate, ca, err := v.verifiedIntermediate(ders[1], root, now)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(ders[0])
	if err != nil {
		return nil, newError(KindCertChain, check+": leaf", err)
	}
	if err := checkCertificate(leaf, cnPCKLeaf, now); err != nil {
		return nil, chainError(check+": leaf", err)
	}
	if err := leaf.CheckSignatureFrom(intermediate); err != nil || !bytes.Equal(leaf.RawIssuer, intermediate.RawSubject) {
		if err == nil {
			err = errors.New("issuer name differs from the intermediate's subject")
		}
		return nil, &Error{Kind: KindCertChain, Check: check + ": leaf signature",
			Expected: "signed by " + intermediate.Subject.CommonName, Found: "a signature that does not verify", Err: err}
	}
	if !isP256(leaf.PublicKey) {
		return nil, mismatch(KindCertChain, check+": leaf key", "ECDSA P-256", fmt.Sprintf("%T", leaf.PublicKey))
	}
	return &pckChain{leaf: leaf, intermediate: intermediate, root: root, ca: ca,
		leafSerial: serialKey(leaf.SerialNumber), caSerial: serialKey(intermediate.SerialNumber)}, nil
}

// verifiedIntermediate returns the intermediate CA of der, verified under
// root at now, and which PCK CA it is. A certificate accepted before as a
// PCK CA under root is not parsed nor its signature checked again; the
// validity of both certificates is checked every time.
func (v *Verifier) verifiedIntermediate(der []byte, root *x509.Certificate, now time.Time) (*x509.Certificate, collateral.CA, error) {
	const check = "pck chain: intermediate"
	if err := checkCertificate(root, cnRootCA, now); err != nil {
		return nil, "", chainError("pck chain: root", err)
	}
	key := certKey(rolePCKCA, der, root.Raw)
	cert, known := v.certs.Get(key)
	if !known {
		var err error
		if cert, err = x509.ParseCertificate(der); err != nil {
			return nil, "", newError(KindCertChain, check, err)
		}
	}
	var ca collateral.CA
	switch cert.Subject.CommonName {
	case cnPlatformCA:
		ca = collateral.CAPlatform
	case cnProcessorCA:
		ca = collateral.CAProcessor
	default:
		return nil, "", mismatch(KindCertChain, check+": common name", fmt.Sprintf("%q or %q", cnPlatformCA, cnProcessorCA), fmt.Sprintf("%q", cert.Subject.CommonName))
	}
	if err := checkCertificate(cert, "", now); err != nil {
		return nil, "", chainError(check, err)
	}
	if known {
		return cert, ca, nil
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return nil, "", mismatch(KindCertChain, check, "a CA certificate", "not a CA")
	}
	if err := cert.CheckSignatureFrom(root); err != nil || !bytes.Equal(cert.RawIssuer, root.RawSubject) {
		if err == nil {
			err = errors.New("issuer name differs from the root's subject")
		}
		return nil, "", &Error{Kind: KindCertChain, Check: check + " signature",
			Expected: "signed by " + root.Subject.CommonName, Found: "a signature that does not verify", Err: err}
	}
	v.certs.Add(key, cert)
	return cert, ca, nil
}

// certError is a certificate that is not what its place in a chain needs.
// chainError reports it as cert_chain for the PCK chain;
// collateralCertError reports it for collateral signing chains, where kind
// tells an expired certificate (collateral_expired) from a wrong one.
type certError struct {
	kind            Kind
	what            string
	expected, found string
}

// Error implements error.
func (e *certError) Error() string {
	return fmt.Sprintf("%s: expected %s, found %s", e.what, e.expected, e.found)
}

// chainError reports a certError of a PCK chain certificate.
func chainError(check string, err error) error {
	var ce *certError
	if errors.As(err, &ce) {
		return &Error{Kind: KindCertChain, Check: check + ": " + ce.what, Expected: ce.expected, Found: ce.found}
	}
	return newError(KindCertChain, check, err)
}

// checkCertificate checks c's common name (unless cn is ""), its validity
// at now and that it has no critical extension Go did not process.
func checkCertificate(c *x509.Certificate, cn string, now time.Time) error {
	if cn != "" && c.Subject.CommonName != cn {
		return &certError{kind: KindCertChain, what: "common name", expected: fmt.Sprintf("%q", cn), found: fmt.Sprintf("%q", c.Subject.CommonName)}
	}
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return &certError{kind: KindCollateralExpired, what: "validity",
			expected: fmt.Sprintf("valid at %s", now.UTC().Format(time.RFC3339)),
			found:    fmt.Sprintf("valid from %s to %s", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))}
	}
	if len(c.UnhandledCriticalExtensions) > 0 {
		return &certError{kind: KindCertChain, what: "critical extensions", expected: "none unhandled", found: c.UnhandledCriticalExtensions[0].String()}
	}
	return nil
}

// pemBegin starts every PEM block.
var pemBegin = []byte("-----BEGIN ")

// splitPEMChain returns the DER of each CERTIFICATE block of a PEM chain.
// Only whitespace may surround the blocks; blocks must have no headers.
func splitPEMChain(data []byte) ([][]byte, error) {
	var ders [][]byte
	for rest := data; ; {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			break
		}
		if !bytes.HasPrefix(rest, pemBegin) {
			return nil, fmt.Errorf("%w: text outside PEM blocks", errChainFormat)
		}
		block, r := pem.Decode(rest)
		// pem.Decode skips a block it cannot parse and returns a later
		// one; accept only the block rest starts with.
		if block == nil || bytes.Count(rest[:len(rest)-len(r)], pemBegin) != 1 {
			return nil, fmt.Errorf("%w: incomplete PEM block", errChainFormat)
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			return nil, fmt.Errorf("%w: PEM block %q with %d headers, want CERTIFICATE without headers", errChainFormat, block.Type, len(block.Headers))
		}
		ders = append(ders, block.Bytes)
		rest = r
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("%w: no PEM certificate", errChainFormat)
	}
	return ders, nil
}

// isP256 reports whether pub is an ECDSA P-256 public key.
func isP256(pub any) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == elliptic.P256()
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// earliest returns the earlier of a and b.
func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
