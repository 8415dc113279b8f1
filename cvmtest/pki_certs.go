package cvmtest

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// Common names of Intel's SGX/TDX certificates, which verifiers check.
const (
	RootCN              = "Intel SGX Root CA"
	PlatformCACN        = "Intel SGX PCK Platform CA"
	ProcessorCACN       = "Intel SGX PCK Processor CA"
	PCKCertificateCN    = "Intel SGX PCK Certificate"
	TCBSigningCN        = "Intel SGX TCB Signing"
	intelOrganization   = "Intel Corporation"
	intelLocality       = "Santa Clara"
	intelProvince       = "CA"
	intelCountry        = "US"
	rootMaxPathLen      = 1
	subjectKeyIDByteLen = 20
)

// attribute and rdnSET encode a distinguished name the way Intel does: CN
// first, then O, L, ST, C, each a UTF8String in its own RDN. crypto/x509's
// own encoding would put C first and use PrintableString.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value string `asn1:"utf8"`
}

type rdnSET []attribute

// intelName returns the DER subject "CN=cn, O=Intel Corporation,
// L=Santa Clara, ST=CA, C=US".
func intelName(cn string) ([]byte, error) {
	name := []rdnSET{
		{{asn1.ObjectIdentifier{2, 5, 4, 3}, cn}},
		{{asn1.ObjectIdentifier{2, 5, 4, 10}, intelOrganization}},
		{{asn1.ObjectIdentifier{2, 5, 4, 7}, intelLocality}},
		{{asn1.ObjectIdentifier{2, 5, 4, 8}, intelProvince}},
		{{asn1.ObjectIdentifier{2, 5, 4, 6}, intelCountry}},
	}
	return asn1.Marshal(name)
}

// subjectKeyID is a 20-byte key identifier derived from the public key.
func subjectKeyID(pub *ecdsa.PublicKey) []byte {
	raw := rawPublicKey(pub)
	sum := sha256.Sum256(raw[:])
	return sum[:subjectKeyIDByteLen]
}

// makeCertificates issues the root, the PCK intermediate, the PCK leaf and
// the TCB signing certificate. Each carries the same extensions, in kind,
// as Intel's: go-tdx-guest insists on exactly six on the PCK leaf.
func (p *PKI) makeCertificates(c *pkiConfig) error {
	rootCRL := c.baseURL + RootCRLPath
	intermediateCN := PlatformCACN
	if c.ca == collateral.CAProcessor {
		intermediateCN = ProcessorCACN
	}
	sgxExt, err := p.Extensions.Marshal()
	if err != nil {
		return &Error{Op: "PCK SGX extension", Err: err}
	}

	rootTmpl, err := p.template(c, "root", RootCN, p.RootKey)
	if err != nil {
		return err
	}
	rootTmpl.IsCA = true
	rootTmpl.MaxPathLen = rootMaxPathLen
	rootTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	rootTmpl.AuthorityKeyId = rootTmpl.SubjectKeyId
	rootTmpl.CRLDistributionPoints = []string{rootCRL}
	if p.Root, err = issue("root CA certificate", rootTmpl, rootTmpl, p.RootKey, p.RootKey); err != nil {
		return err
	}

	caTmpl, err := p.template(c, "intermediate "+string(c.ca), intermediateCN, p.IntermediateKey)
	if err != nil {
		return err
	}
	caTmpl.SerialNumber = deriveSerial(c.intermediateSeed, "intermediate "+string(c.ca))
	caTmpl.IsCA = true
	caTmpl.MaxPathLen = 0
	caTmpl.MaxPathLenZero = true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	caTmpl.CRLDistributionPoints = []string{rootCRL}
	if p.Intermediate, err = issue("PCK CA certificate", caTmpl, p.Root, p.IntermediateKey, p.RootKey); err != nil {
		return err
	}

	leafTmpl, err := p.template(c, "pck", PCKCertificateCN, p.PCKKey)
	if err != nil {
		return err
	}
	leafTmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	leafTmpl.CRLDistributionPoints = []string{pckCRLURL(c.baseURL, c.ca)}
	leafTmpl.ExtraExtensions = []pkix.Extension{sgxExt}
	if p.PCK, err = issue("PCK certificate", leafTmpl, p.Intermediate, p.PCKKey, p.IntermediateKey); err != nil {
		return err
	}

	signTmpl, err := p.template(c, "tcb signing", TCBSigningCN, p.TCBSigningKey)
	if err != nil {
		return err
	}
	signTmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	signTmpl.CRLDistributionPoints = []string{rootCRL}
	if p.TCBSigning, err = issue("TCB signing certificate", signTmpl, p.Root, p.TCBSigningKey, p.RootKey); err != nil {
		return err
	}
	return nil
}

// template starts a certificate template with the parts every certificate
// of the PKI shares: an Intel-style subject, a seed-derived serial, the
// validity window, a subject key id and basic constraints (a leaf unless
// the caller sets IsCA).
func (p *PKI) template(c *pkiConfig, label, cn string, key *ecdsa.PrivateKey) (*x509.Certificate, error) {
	subject, err := intelName(cn)
	if err != nil {
		return nil, &Error{Op: "subject of " + cn, Err: err}
	}
	return &x509.Certificate{
		SerialNumber:          deriveSerial(p.seed, label),
		RawSubject:            subject,
		NotBefore:             c.notBefore,
		NotAfter:              c.notAfter,
		SubjectKeyId:          subjectKeyID(&key.PublicKey),
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.ECDSAWithSHA256,
	}, nil
}

// issue signs tmpl with parentKey. A nil random source makes crypto/ecdsa
// sign deterministically (RFC 6979), so certificates are reproducible.
func issue(what string, tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(nil, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, &Error{Op: what, Err: err}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &Error{Op: what, Err: fmt.Errorf("parse issued certificate: %w", err)}
	}
	return cert, nil
}
