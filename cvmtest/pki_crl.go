package cvmtest

import (
	"crypto/ecdsa"
	"crypto/x509"
	"math/big"
	"time"
)

// CRLOptions describes one CRL.
type CRLOptions struct {
	// ThisUpdate and NextUpdate bound the CRL's validity.
	ThisUpdate, NextUpdate time.Time
	// Revoked lists the revoked serial numbers, revoked at ThisUpdate.
	Revoked []*big.Int
	// Number is the CRL number; nil means 1.
	Number *big.Int
}

// PCKCRL returns a DER CRL issued by the PCK intermediate CA.
func (p *PKI) PCKCRL(opts CRLOptions) ([]byte, error) {
	return makeCRL("PCK CRL", opts, p.Intermediate, p.IntermediateKey)
}

// RootCRL returns a DER CRL issued by the root CA.
func (p *PKI) RootCRL(opts CRLOptions) ([]byte, error) {
	return makeCRL("root CA CRL", opts, p.Root, p.RootKey)
}

func makeCRL(what string, opts CRLOptions, issuer *x509.Certificate, key *ecdsa.PrivateKey) ([]byte, error) {
	number := opts.Number
	if number == nil {
		number = big.NewInt(1)
	}
	tmpl := &x509.RevocationList{
		SignatureAlgorithm: x509.ECDSAWithSHA256,
		Number:             number,
		ThisUpdate:         opts.ThisUpdate.UTC().Truncate(time.Second),
		NextUpdate:         opts.NextUpdate.UTC().Truncate(time.Second),
	}
	for _, s := range opts.Revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber:   s,
			RevocationTime: tmpl.ThisUpdate,
		})
	}
	// A nil random source makes the signature deterministic (RFC 6979).
	der, err := x509.CreateRevocationList(nil, tmpl, issuer, key)
	if err != nil {
		return nil, &Error{Op: what, Err: err}
	}
	return der, nil
}
