package quote_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// fill returns n bytes counting up from seed, so that every field of a
// synthetic quote holds distinct, recognisable bytes.
func fill(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

// syntheticQuote returns a quote of the given version and body type with
// every field set to a distinct pattern and a one-certificate PCK chain.
func syntheticQuote(tb testing.TB, version, bodyType uint16) *quote.Quote {
	tb.Helper()
	q := &quote.Quote{
		Header: quote.Header{
			Version:            version,
			AttestationKeyType: quote.AttestationKeyTypeECDSAP256,
			TEEType:            quote.TEETypeTDX,
			QESVN:              0x0102,
			PCESVN:             0x0304,
			QEVendorID:         quote.IntelQEVendorID,
		},
		BodyType: bodyType,
		QEReport: quote.EnclaveReport{
			MiscSelect: 0x05060708,
			ISVProdID:  2,
			ISVSVN:     0x0a0b,
		},
		QEAuthData:  fill(0xa0, 32),
		PCKChainPEM: selfSignedPEM(tb),
	}
	copy(q.Header.UserData[:], fill(0x10, 20))
	b := &q.Body
	for i, f := range [][]byte{
		b.TEETCBSVN[:], b.MRSEAM[:], b.MRSignerSEAM[:], b.SEAMAttributes[:], b.TDAttributes[:],
		b.XFAM[:], b.MRTD[:], b.MRConfigID[:], b.MROwner[:], b.MROwnerConfig[:],
		b.RTMR[0][:], b.RTMR[1][:], b.RTMR[2][:], b.RTMR[3][:], b.ReportData[:],
	} {
		copy(f, fill(byte(0x20+16*i), len(f)))
	}
	if bodyType == quote.BodyTypeTD15 {
		copy(b.TEETCBSVN2[:], fill(0xc0, 16))
		copy(b.MRServiceTD[:], fill(0xd0, 48))
	}
	copy(q.Signature[:], fill(0x30, quote.SignatureSize))
	copy(q.AttestationKey[:], fill(0x70, quote.PublicKeySize))
	copy(q.QEReportSignature[:], fill(0xb0, quote.SignatureSize))
	r := &q.QEReport
	copy(r.CPUSVN[:], fill(0x01, 16))
	copy(r.Attributes[:], fill(0x11, 16))
	copy(r.MREnclave[:], fill(0x21, 32))
	copy(r.MRSigner[:], fill(0x41, 32))
	copy(r.ReportData[:], fill(0x61, 64))
	return q
}

// marshalled returns the wire bytes of a synthetic quote.
func marshalled(tb testing.TB, version, bodyType uint16) []byte {
	tb.Helper()
	b, err := syntheticQuote(tb, version, bodyType).Marshal()
	require.NoError(tb, err)
	return b
}

// selfSignedPEM returns a fresh self-signed P-256 certificate in PEM.
func selfSignedPEM(tb testing.TB) []byte {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "synthetic PCK"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(1<<31, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(tb, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
