package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// caCert makes a self-signed CA certificate named cn with key and serial.
func caCert(t *testing.T, cn string, key *ecdsa.PrivateKey, serial int64) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Unix(1<<32, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// TestVerifiedCRLFrom checks that a CRL is matched to a CA by name and key,
// as Intel's QVL verifies it with that CA's key: a certificate of the same
// name and key (a re-issued CA) matches, one of the same name and another
// key does not.
func TestVerifiedCRLFrom(t *testing.T) {
	t.Parallel()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	key, otherKey := newKey(), newKey()
	signer := caCert(t, cnPlatformCA, key, 1)
	crl := &verifiedCRL{signer: signer}
	cases := []struct {
		name string
		ca   *x509.Certificate
		kind Kind
	}{
		{"the signer itself", signer, ""},
		{"the signer's key re-issued under its name", caCert(t, cnPlatformCA, key, 2), ""},
		{"another key under the signer's name", caCert(t, cnPlatformCA, otherKey, 3), KindCollateralSignature},
		{"the signer's key under another name", caCert(t, cnProcessorCA, key, 4), KindCollateralMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := crl.from("pck crl", tc.ca)
			if tc.kind == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.kind, KindOf(err))
		})
	}
}
