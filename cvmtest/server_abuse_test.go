package cvmtest_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// attestationURL is srv's attestation URL for a zero nonce.
func attestationURL(srv *cvmtest.Server) string {
	u, _ := wire.AttestationURL(srv.URL, make([]byte, wire.NonceSize))
	return u
}

// TestServerOversizedEventLog checks the flooding CVM: its answer has the
// configured size as Content-Length and in fact, is one JSON document, and
// holds the real events and then copies of one more; a small one parses.
func TestServerOversizedEventLog(t *testing.T) {
	const n = 3 * wire.MaxDocumentSize
	srv := cvmtest.NewServer(nil, cvmtest.WithOversizedEventLog(n))
	defer srv.Close()
	resp, err := client(t, srv).Get(attestationURL(srv))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(n), resp.Header.Get("Content-Length"))
	assert.Len(t, body, n)
	var doc struct {
		Quote    string            `json:"quote"`
		EventLog []json.RawMessage `json:"event_log"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	app := srv.App()
	assert.Greater(t, len(doc.EventLog), 10*len(app.EventLog()))

	small := cvmtest.NewServer(nil, cvmtest.WithOversizedEventLog(64<<10))
	defer small.Close()
	_, err = verifyServer(t, client(t, small), small, small, small.Policy())
	assert.Equal(t, verify.KindRTMRMismatch, verify.KindOf(err), "the flood was never extended into RTMR3: %v", err)
}

// TestServerTrickledAttestation checks the slowloris CVM: the headers come
// at once, the body a byte at a time, and whole it is the real answer.
func TestServerTrickledAttestation(t *testing.T) {
	srv := cvmtest.NewServer(nil, cvmtest.WithTrickledAttestation(time.Microsecond))
	defer srv.Close()
	resp, err := client(t, srv).Get(attestationURL(srv))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(-1), resp.ContentLength)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	_, err = wire.ParseAttestation(body)
	assert.NoError(t, err)

	// The headers come at once, the first byte after an hour; a client
	// that gives up ends the answer.
	slow := cvmtest.NewServer(nil, cvmtest.WithTrickledAttestation(time.Hour))
	defer slow.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, attestationURL(slow), nil)
	resp, err = client(t, slow).Do(req)
	require.NoError(t, err)
	cancel()
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestServerInfoResponder checks that the info responder answers /info.
func TestServerInfoResponder(t *testing.T) {
	srv := cvmtest.NewServer(nil, cvmtest.WithInfoResponder(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"app_id":1}`)
	}))
	defer srv.Close()
	_, err := gather(context.Background(), client(t, srv), srv.URL)
	assert.Equal(t, verify.KindMalformedEvidence, verify.KindOf(err), "%v", err)
	assert.Contains(t, err.Error(), "app_id")
}

// TestServerFixedCertificate checks WithTLSCertificate: every replica
// serves the one certificate, RotateKey keeps it, and evidence bound to
// it with RA-TLS verifies.
func TestServerFixedCertificate(t *testing.T) {
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	cert, err := p.TLSCertificate(cvmtest.TLSCertOptions{Subject: "fixed", ServerAuth: true})
	require.NoError(t, err)
	cert.Leaf = nil // parsed by the option
	srv := cvmtest.NewServer(nil, cvmtest.WithTLSCertificate(cert), cvmtest.WithReplicas(2))
	defer srv.Close()
	require.NoError(t, srv.RotateKey())
	for _, leaf := range srv.Certificates() {
		assert.Equal(t, cert.Certificate[0], leaf.Raw)
	}
	e, err := gather(context.Background(), client(t, srv), srv.URL)
	require.NoError(t, err)
	assert.Equal(t, mustLeaf(t, cert.Certificate[0]).RawSubjectPublicKeyInfo, e.spki)

	app := srv.App()
	rd := wire.RATLSReportData(e.spki)
	att, err := p.AttestationDocument(&app, cvmtest.QuoteOptions{ReportData: rd})
	require.NoError(t, err)
	v, err := verify.New(srv.VerifyOptions())
	require.NoError(t, err)
	_, err = v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att},
		&verify.Binding{Mode: verify.BindingRATLS, SPKI: e.spki}, nil)
	require.NoError(t, err)
}

func mustLeaf(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}
