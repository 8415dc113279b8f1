package collateral

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
)

// maxChainCerts bounds the certificates accepted in one issuer chain. Intel's
// chains hold two or three.
const maxChainCerts = 8

// pemBegin starts every PEM block.
var pemBegin = []byte("-----BEGIN ")

// parseChain parses a PEM issuer chain: one or more CERTIFICATE blocks
// without headers and nothing else but white space, the rule package verify
// applies. pem.Decode alone would skip text before a block and a block it
// cannot parse, so each block must start where the previous one ended.
func parseChain(item, field string, chain []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := chain; ; {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			break
		}
		if !bytes.HasPrefix(rest, pemBegin) {
			return nil, formatErr(item, field, "expected only PEM certificates and white space, found %s", truncate(rest))
		}
		block, r := pem.Decode(rest)
		if block == nil || bytes.Count(rest[:len(rest)-len(r)], pemBegin) != 1 {
			return nil, formatErr(item, field, "expected a complete PEM block, found %s", truncate(rest))
		}
		rest = r
		if block.Type != "CERTIFICATE" {
			return nil, formatErr(item, field, "expected a CERTIFICATE PEM block, found %q", block.Type)
		}
		if len(block.Headers) != 0 {
			return nil, formatErr(item, field, "expected a PEM block without headers, found %d", len(block.Headers))
		}
		if len(certs) == maxChainCerts {
			return nil, formatErr(item, field, "expected at most %d certificates, found more", maxChainCerts)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &FormatError{Item: item, Field: field, Err: err}
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, formatErr(item, field, "expected a PEM certificate chain, found no certificate")
	}
	return certs, nil
}

// parseCRL parses a DER CRL. It checks the shape only, not the signature.
func parseCRL(item string, der []byte) (*x509.RevocationList, error) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, &FormatError{Item: item, Err: err}
	}
	return crl, nil
}

// decodeCRLBody returns the DER bytes of a CRL served as DER, as PEM
// ("X509 CRL") or as hex text, as Intel's PCCS does for the root CA CRL,
// and the CRL they parse to.
func decodeCRLBody(item string, body []byte) ([]byte, *x509.RevocationList, error) {
	der := body
	trimmed := bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		block, rest := pem.Decode(trimmed)
		if block == nil || block.Type != "X509 CRL" {
			return nil, nil, formatErr(item, "body", "expected an X509 CRL PEM block, found none")
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			return nil, nil, formatErr(item, "body", "expected one PEM block, found %d trailing bytes", len(rest))
		}
		der = block.Bytes
	case isHex(trimmed):
		// A DER CRL starts 0x30 0x8N, and 0x8N is not a hex digit, so
		// text made only of hex digits cannot be DER.
		der = make([]byte, len(trimmed)/2)
		if _, err := hex.Decode(der, trimmed); err != nil {
			return nil, nil, &FormatError{Item: item, Field: "body", Err: err}
		}
	}
	crl, err := parseCRL(item, der)
	if err != nil {
		return nil, nil, err
	}
	return der, crl, nil
}

// isHex reports whether b is a non-empty, even-length run of hex digits.
func isHex(b []byte) bool {
	if len(b) == 0 || len(b)%2 != 0 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
