package cvmtest_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// evidence is what a client gathers from a server over one client.
type evidence struct {
	ev    *verify.Evidence
	nonce []byte
	spki  []byte
	conn  tls.ConnectionState
}

// gather fetches a server's attestation for a fresh nonce and its info,
// as a verifying client would, without verifying anything. Documents are
// read within wire.MaxDocumentSize.
func gather(ctx context.Context, c *http.Client, origin string) (*evidence, error) {
	nonce := make([]byte, wire.NonceSize)
	_, _ = rand.Read(nonce)
	u, err := wire.AttestationURL(origin, nonce)
	if err != nil {
		return nil, err
	}
	body, resp, err := fetch(ctx, c, u)
	if err != nil {
		return nil, err
	}
	att, err := wire.ParseAttestation(body)
	if err != nil {
		return nil, err
	}
	infoURL, _ := wire.InfoURL(origin)
	infoBody, _, err := fetch(ctx, c, infoURL)
	if err != nil {
		return nil, err
	}
	info, err := wire.ParseInfo(infoBody)
	if err != nil {
		return nil, err
	}
	return &evidence{
		ev:    &verify.Evidence{Attestation: att, Info: info},
		nonce: nonce,
		spki:  resp.TLS.PeerCertificates[0].RawSubjectPublicKeyInfo,
		conn:  *resp.TLS,
	}, nil
}

// fetch gets u and reads its body within wire.MaxDocumentSize.
func fetch(ctx context.Context, c *http.Client, u string) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := limits.ReadAll(resp.Body, wire.MaxDocumentSize)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, &statusError{resp.StatusCode, string(body)}
	}
	return body, resp, nil
}

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return http.StatusText(e.status) + ": " + e.body }

// verifyServer gathers srv's evidence with c and verifies it with the
// verify options of opts and p, binding the key per p's channel binding.
func verifyServer(t *testing.T, c *http.Client, srv *cvmtest.Server, opts *cvmtest.Server, p *policy.Policy) (*verify.Report, error) {
	t.Helper()
	ctx := context.Background()
	e, err := gather(ctx, c, srv.URL)
	if err != nil {
		return nil, err
	}
	v, err := verify.New(opts.VerifyOptions())
	require.NoError(t, err)
	b := &verify.Binding{Mode: p.Channel.Binding, Nonce: e.nonce, SPKI: e.spki}
	return v.VerifyEvidence(ctx, e.ev, b, p)
}

// client returns srv's plain client, closed when the test ends.
func client(t *testing.T, srv *cvmtest.Server) *http.Client {
	c := srv.Client()
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// okApp is an application that answers "ok".
var okApp = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
