package pck_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// pckLeaf returns the PCK leaf certificate of a quote.
func pckLeaf(tb testing.TB, raw []byte) *x509.Certificate {
	tb.Helper()
	q, err := quote.Parse(raw)
	require.NoError(tb, err)
	chain, err := q.PCKChain()
	require.NoError(tb, err)
	require.Equal(tb, "Intel SGX PCK Certificate", chain[0].Subject.CommonName)
	return chain[0]
}

// sgxExtension returns the raw SGX extension value of cert.
func sgxExtension(tb testing.TB, cert *x509.Certificate) []byte {
	tb.Helper()
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(pck.OID) {
			return ext.Value
		}
	}
	tb.Fatal("no SGX extension")
	return nil
}

// certWith returns a certificate value carrying the given extensions, as
// ParseExtensions sees a parsed certificate.
func certWith(exts ...pkix.Extension) *x509.Certificate {
	return &x509.Certificate{Extensions: exts}
}

// withValue returns a certificate whose SGX extension has value v.
func withValue(v []byte) *x509.Certificate {
	return certWith(pkix.Extension{Id: pck.OID, Value: v})
}

// unhex decodes a hex constant of a test table.
func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(tb, err)
	return b
}

// der marshals v with encoding/asn1, for building test inputs.
func der(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := asn1.Marshal(v)
	require.NoError(tb, err)
	return b
}

// sequence wraps DER elements in a SEQUENCE.
func sequence(tb testing.TB, parts ...[]byte) []byte {
	tb.Helper()
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	return der(tb, asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
}

// entry builds SEQUENCE {OID pck.OID.arcs, value}.
func entry(tb testing.TB, value []byte, arcs ...int) []byte {
	tb.Helper()
	oid := append(asn1.ObjectIdentifier{}, pck.OID...)
	oid = append(oid, arcs...)
	return sequence(tb, der(tb, oid), value)
}

// selfSigned issues a self-signed certificate carrying ext.
func selfSigned(t *testing.T, ext pkix.Extension) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(1),
		Subject:         pkix.Name{CommonName: "Intel SGX PCK Certificate"},
		NotBefore:       time.Unix(0, 0),
		NotAfter:        time.Unix(1<<31, 0),
		ExtraExtensions: []pkix.Extension{ext},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}
