package transport_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// TestAttest: a one-shot attestation returns the full report and the
// documents as received, and pins the key for later requests.
func TestAttest(t *testing.T) {
	s := newServer(t)
	tr := newTransport(t, s.Policy(), s)
	a, err := tr.Attest(context.Background(), s.URL+"/any/path")
	require.NoError(t, err)
	require.NotNil(t, a.Report)
	require.NotNil(t, a.Report.Dstack)
	assert.NotEmpty(t, a.Report.Dstack.Events, "the full report keeps the event log")
	assert.NotNil(t, a.Report.Quote)
	_, err = wire.ParseAttestation(a.AttestationDocument)
	assert.NoError(t, err, "the attestation document as received")
	_, err = wire.ParseInfo(a.InfoDocument)
	assert.NoError(t, err, "the info document as received")
	assert.Equal(t, s.URL, a.Origin)
	require.Len(t, a.Nonce, wire.NonceSize, "the nonce, to replay the verification offline")
	assert.Equal(t, a.Nonce, a.Report.Body.ReportData[:wire.NonceSize])

	resp, err := tr.Client().Get(s.URL + "/x")
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 1, s.AttestationRequests(), "the key Attest verified is pinned")
	v, ok := transport.VerdictFor(resp)
	require.True(t, ok)
	assert.False(t, a.Expires.IsZero())
	assert.Equal(t, v.Expires, a.Expires, "Expires is when the pinned verdict lapses")

	// A second Attest attests again, whatever is pinned.
	_, err = tr.Attest(context.Background(), s.URL)
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.AttestationRequests())
}

func TestAttestFailure(t *testing.T) {
	honest := newServer(t)
	s := newServer(t, cvmtest.WithDebug())
	tr := newTransport(t, honest.Policy(), s)
	a, err := tr.Attest(context.Background(), s.URL)
	require.Error(t, err)
	assert.Equal(t, verify.KindPolicy, verify.KindOf(err))
	assert.Equal(t, err, a.Err)
	require.NotNil(t, a.Report, "what verification established, for diagnostics")
	assert.NotEmpty(t, a.AttestationDocument, "the documents are kept to replay the failure offline")
	assert.Len(t, a.Nonce, wire.NonceSize, "and the nonce")
	assert.True(t, a.Expires.IsZero(), "a failure pins nothing")

	_, err = tr.Attest(context.Background(), "http://"+strings.TrimPrefix(s.URL, "https://"))
	assert.Equal(t, verify.KindKeyBinding, verify.KindOf(err))
	_, err = tr.Attest(context.Background(), "https://127.0.0.1:1")
	assert.Equal(t, verify.KindUnreachable, verify.KindOf(err))
}
