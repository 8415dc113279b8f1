package cvmtest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
)

// testNow is the verification time of tests that do not care about the
// clock: inside the default certificate window, fixed so that collateral
// is reproducible.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// defaultPKI is shared by tests that only read it (a PKI is safe for
// concurrent use, and revocation tests make their own).
var defaultPKI = sync.OnceValues(func() (*cvmtest.PKI, error) { return cvmtest.NewPKI(cvmtest.PKIOptions{}) })

func mustDefaultPKI(t testing.TB) *cvmtest.PKI {
	t.Helper()
	p, err := defaultPKI()
	require.NoError(t, err)
	return p
}

// verifyRaw checks a raw r || s ECDSA signature over SHA-256(data).
func verifyRaw(pub *ecdsa.PublicKey, data, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	digest := sha256.Sum256(data)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, digest[:], r, s)
}

// mustECDSA returns a certificate's ECDSA public key.
func mustECDSA(t testing.TB, c *x509.Certificate) *ecdsa.PublicKey {
	t.Helper()
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	require.True(t, ok, "public key of %q is %T", c.Subject.CommonName, c.PublicKey)
	return pub
}

// rawKey parses a 64-byte x || y P-256 public key.
func rawKey(t testing.TB, raw []byte) *ecdsa.PublicKey {
	t.Helper()
	require.Len(t, raw, 64)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, raw...))
	require.NoError(t, err)
	return pub
}

// parsePEMCerts parses every CERTIFICATE block of a PEM chain.
func parsePEMCerts(t testing.TB, chain []byte) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, chain = pem.Decode(chain)
		if block == nil {
			break
		}
		require.Equal(t, "CERTIFICATE", block.Type)
		c, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err)
		certs = append(certs, c)
	}
	return certs
}

// sgxExtensionOIDs lists the OIDs directly inside a certificate's SGX
// extension, in order, to compare its shape with Intel's.
func sgxExtensionOIDs(t testing.TB, cert *x509.Certificate) []string {
	t.Helper()
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(asn1.ObjectIdentifier{1, 2, 840, 113741, 1, 13, 1}) {
			continue
		}
		var entries []asn1.RawValue
		rest, err := asn1.Unmarshal(ext.Value, &entries)
		require.NoError(t, err)
		require.Empty(t, rest)
		var oids []string
		for _, e := range entries {
			var head struct {
				ID   asn1.ObjectIdentifier
				Rest asn1.RawValue
			}
			_, err := asn1.Unmarshal(e.FullBytes, &head)
			require.NoError(t, err)
			oids = append(oids, head.ID.String())
		}
		return oids
	}
	t.Fatalf("certificate %q has no SGX extension", cert.Subject.CommonName)
	return nil
}

// extensionOIDs lists a certificate's extension OIDs, with criticality.
func extensionOIDs(cert *x509.Certificate) map[string]bool {
	out := map[string]bool{}
	for _, e := range cert.Extensions {
		out[e.Id.String()] = e.Critical
	}
	return out
}
