// Package wire is the protocol between a cvmgate client and a dstack CVM,
// in code: the paths and query parameter a client asks for evidence with,
// the REPORTDATA a CVM binds into its quote, and the two documents a CVM
// serves.
//
// A client sends GET AttestationPath?reportData=<64 hex> with a fresh
// 32-byte nonce, and GET InfoPath. The CVM answers the first with an
// Attestation whose quote carries ReportData(nonce, SPKI of its own TLS
// leaf), and the second with its Info. The CVM binds its own key: a
// client-chosen report_data would let a man in the middle relay the
// request to the real CVM.
//
// Nothing in these documents is evidence until package verify has checked
// the quote and replayed the event log against it; Parse functions only
// read them, strictly and within MaxDocumentSize. Errors are
// *DocumentError values matching ErrMalformedAttestation or
// ErrMalformedInfo (and verify.ErrTooLarge for size).
package wire

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// Paths and the query parameter of the protocol.
const (
	// AttestationPath serves an Attestation for the nonce in ReportDataParam.
	AttestationPath = "/attestation"
	// InfoPath serves the CVM's Info.
	InfoPath = "/info"
	// ReportDataParam is the query parameter carrying the client's nonce
	// as exactly 2*NonceSize lower- or upper-case hex characters.
	ReportDataParam = "reportData"
)

// Sizes of the protocol.
const (
	// NonceSize is the size of a client nonce: REPORTDATA[0:32].
	NonceSize = 32
	// ReportDataSize is the size of a TD quote's REPORTDATA.
	ReportDataSize = 64
	// MaxDocumentSize bounds an Attestation or Info document. Real ones
	// are about 30 KiB.
	MaxDocumentSize = 1 << 20
)

// ratlsTag is the tag dstack's RA-TLS hashes before the certificate's
// SubjectPublicKeyInfo (QuoteContentType::RaTlsCert in dstack-attest).
const ratlsTag = "ratls-cert:"

// ReportData returns the REPORTDATA a CVM binds for a client's nonce when
// it serves TLS with the key whose DER SubjectPublicKeyInfo is spki:
// nonce || SHA-256(spki). The nonce must be NonceSize bytes.
func ReportData(nonce, spki []byte) ([ReportDataSize]byte, error) {
	var rd [ReportDataSize]byte
	if len(nonce) != NonceSize {
		return rd, fmt.Errorf("wire: nonce: expected %d bytes, found %d", NonceSize, len(nonce))
	}
	if len(spki) == 0 {
		return rd, fmt.Errorf("wire: spki: expected a DER SubjectPublicKeyInfo, found none")
	}
	copy(rd[:NonceSize], nonce)
	h := sha256.Sum256(spki)
	copy(rd[NonceSize:], h[:])
	return rd, nil
}

// RATLSReportData returns the REPORTDATA of dstack's RA-TLS certificate
// binding: SHA-512("ratls-cert:" || spki). It carries no nonce.
func RATLSReportData(spki []byte) [ReportDataSize]byte {
	h := sha512.New()
	h.Write([]byte(ratlsTag))
	h.Write(spki)
	var rd [ReportDataSize]byte
	h.Sum(rd[:0])
	return rd
}

// AttestationURL returns the URL of origin's attestation for nonce:
// origin + AttestationPath + "?reportData=" + hex(nonce). origin is a
// scheme and authority such as "https://app.example:8443"; a path in it is
// replaced.
func AttestationURL(origin string, nonce []byte) (string, error) {
	u, err := originURL(origin)
	if err != nil {
		return "", err
	}
	if len(nonce) != NonceSize {
		return "", fmt.Errorf("wire: nonce: expected %d bytes, found %d", NonceSize, len(nonce))
	}
	u.Path = AttestationPath
	u.RawQuery = ReportDataParam + "=" + hex.EncodeToString(nonce)
	return u.String(), nil
}

// InfoURL returns the URL of origin's Info document.
func InfoURL(origin string) (string, error) {
	u, err := originURL(origin)
	if err != nil {
		return "", err
	}
	u.Path = InfoPath
	return u.String(), nil
}

// originURL parses an origin: a URL with a scheme and a host, nothing else
// that matters.
func originURL(origin string) (*url.URL, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return nil, fmt.Errorf("wire: origin %q: %w", origin, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("wire: origin %q: expected scheme://host[:port]", origin)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// ParseNonce reads the value of ReportDataParam: exactly 2*NonceSize hex
// characters, without a 0x prefix. Anything else is an error; a CVM must
// answer it with 400 and never quote it.
func ParseNonce(s string) ([NonceSize]byte, error) {
	var n [NonceSize]byte
	if len(s) != 2*NonceSize {
		return n, fmt.Errorf("wire: %s: expected %d hex characters, found %d characters", ReportDataParam, 2*NonceSize, len(s))
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return n, fmt.Errorf("wire: %s: expected %d hex characters without 0x", ReportDataParam, 2*NonceSize)
	}
	if _, err := hex.Decode(n[:], []byte(s)); err != nil {
		return n, fmt.Errorf("wire: %s: expected hex: %w", ReportDataParam, err)
	}
	return n, nil
}
