package cvm_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// startAgent starts a fake guest agent on a unix socket and returns it
// with a client of it.
func startAgent(t testing.TB) (*cvmtest.Agent, *cvm.Client) {
	t.Helper()
	a, srv := cvmtest.StartAgent(t, cvmtest.AgentOptions{Quote: cvmtest.QuoteOptions{Padding: 70}})
	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: srv.Endpoint})
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return a, c
}

// serveUnix serves h on a unix socket in a new short-named directory and
// returns the socket path.
func serveUnix(t testing.TB, h http.Handler) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cvm-test")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return path
}

// agentCert asks the agent for a TLS certificate for localhost.
func agentCert(t testing.TB, c *cvm.Client) tls.Certificate {
	t.Helper()
	cert, err := c.GetTLSKey(context.Background(), cvm.TLSKeyOptions{
		Subject: "localhost", AltNames: []string{"localhost", "127.0.0.1"}, UsageServerAuth: true,
	})
	require.NoError(t, err)
	return cert
}

// startTLS serves h over TLS with cvm.TLSConfig(base) and cvm.ConnContext,
// HTTP/2 enabled. The server's URL is https.
func startTLS(t testing.TB, h http.Handler, base *tls.Config) *httptest.Server {
	t.Helper()
	cfg, err := cvm.TLSConfig(base)
	require.NoError(t, err)
	if cfg.NextProtos == nil {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Listener = tls.NewListener(ts.Listener, cfg)
	ts.Config.ConnContext = cvm.ConnContext
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Start()
	ts.URL = "https://" + ts.Listener.Addr().String()
	t.Cleanup(ts.Close)
	return ts
}

// startSelfSigned serves h as startTLS does with a fresh self-signed
// certificate, and returns it with an HTTP/2 client that trusts it.
func startSelfSigned(t testing.TB, h http.Handler) (*httptest.Server, *http.Client) {
	t.Helper()
	cert := testCert(t)
	ts := startTLS(t, h, &tls.Config{Certificates: []tls.Certificate{cert}})
	return ts, tlsClient(t, certPool(cert), true)
}

// tlsClient returns a client trusting pool; h2 selects HTTP/2 or HTTP/1.1.
func tlsClient(t testing.TB, pool *x509.CertPool, h2 bool) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// attestationPath is an attestation request for a fixed nonce.
var attestationPath = wire.AttestationPath + "?" + wire.ReportDataParam + "=" + strings.Repeat("01", wire.NonceSize)

// newNonce returns a fresh random nonce.
func newNonce() []byte {
	n := make([]byte, wire.NonceSize)
	_, _ = rand.Read(n)
	return n
}

// attest fetches origin's attestation for nonce and returns it with the
// SPKI of the leaf the connection presented.
func attest(t testing.TB, c *http.Client, origin string, nonce []byte) (*wire.Attestation, []byte, *http.Response) {
	t.Helper()
	u, err := wire.AttestationURL(origin, nonce)
	require.NoError(t, err)
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	att, err := wire.ParseAttestation(body)
	require.NoError(t, err)
	return att, resp.TLS.PeerCertificates[0].RawSubjectPublicKeyInfo, resp
}

// newVerifier verifies against p's root with fresh collateral.
func newVerifier(t testing.TB, p *cvmtest.PKI) *verify.Verifier {
	t.Helper()
	c, err := p.Collateral(cvmtest.CollateralOptions{})
	require.NoError(t, err)
	v, err := verify.New(p.VerifyOptions(c))
	require.NoError(t, err)
	return v
}
