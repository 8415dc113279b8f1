package cvm_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
)

// testCert returns a self-signed certificate for localhost and 127.0.0.1.
func testCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// certPool trusts cert itself.
func certPool(cert tls.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(cert.Leaf)
	return p
}

// TestTLSConfigRefusesNoCertificate checks that a configuration with
// nothing to serve is refused when it is set up, not at the first
// handshake.
func TestTLSConfigRefusesNoCertificate(t *testing.T) {
	_, err := cvm.TLSConfig(nil)
	assert.ErrorIs(t, err, cvm.ErrNoCertificate)
	_, err = cvm.TLSConfig(&tls.Config{})
	assert.ErrorIs(t, err, cvm.ErrNoCertificate)
	assert.ErrorIs(t, cvm.Configure(&http.Server{}), cvm.ErrNoCertificate)
}

// TestTLSConfigCopies checks that TLSConfig leaves base alone and turns
// session tickets off in its copy.
func TestTLSConfigCopies(t *testing.T) {
	base := &tls.Config{Certificates: []tls.Certificate{testCert(t)}}
	cfg, err := cvm.TLSConfig(base)
	require.NoError(t, err)
	assert.True(t, cfg.SessionTicketsDisabled)
	assert.Empty(t, cfg.Certificates, "every handshake goes through GetCertificate")
	assert.NotNil(t, cfg.GetCertificate)
	assert.False(t, base.SessionTicketsDisabled)
	assert.Nil(t, base.GetCertificate)
}

type ctxKey struct{}

// TestConfigure checks that Configure records served certificates and
// keeps the server's own ConnContext.
func TestConfigure(t *testing.T) {
	cert := testCert(t)
	var seen *tls.Certificate
	var prevValue any
	srv := &http.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, ctxKey{}, "mine")
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = cvm.ServedCertificate(r.Context())
			prevValue = r.Context().Value(ctxKey{})
		}),
	}
	require.NoError(t, cvm.Configure(srv))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	defer srv.Close()

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certPool(cert)}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 2, resp.ProtoMajor, "ServeTLS still negotiates HTTP/2")
	require.NotNil(t, seen)
	assert.Equal(t, cert.Certificate[0], seen.Certificate[0])
	assert.Equal(t, "mine", prevValue)
	assert.Nil(t, cvm.ServedCertificate(context.Background()))
}
