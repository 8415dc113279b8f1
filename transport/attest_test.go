package transport_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// TestAttest: a one-shot attestation returns the full report and the
// documents as received, and pins the key for later requests.
func TestAttest(t *testing.T) {
	c := newCVM(t, true)
	tr, err := transport.New(c.policy(t), c.options(t)...)
	require.NoError(t, err)
	a, err := tr.Attest(context.Background(), c.srv.URL+"/any/path")
	require.NoError(t, err)
	require.NotNil(t, a.Report)
	require.NotNil(t, a.Report.Dstack)
	assert.NotEmpty(t, a.Report.Dstack.Events, "the full report keeps the event log")
	assert.NotNil(t, a.Report.Quote)
	_, err = wire.ParseAttestation(a.AttestationDocument)
	assert.NoError(t, err, "the attestation document as received")
	_, err = wire.ParseInfo(a.InfoDocument)
	assert.NoError(t, err, "the info document as received")
	assert.Equal(t, c.srv.URL, a.Origin)
	require.Len(t, a.Nonce, wire.NonceSize, "the nonce, to replay the verification offline")
	assert.Equal(t, a.Nonce, a.Report.Body.ReportData[:wire.NonceSize])

	mustGet(t, tr.Client(), c.srv.URL+"/x")
	assert.EqualValues(t, 1, c.attHits.Load(), "the key Attest verified is pinned")

	// A second Attest attests again, whatever is pinned.
	_, err = tr.Attest(context.Background(), c.srv.URL)
	require.NoError(t, err)
	assert.EqualValues(t, 2, c.attHits.Load())
}

func TestAttestFailure(t *testing.T) {
	c := newCVM(t, false)
	pol := c.policy(t)
	c.app.Compose = `{"x":1}`
	tr, err := transport.New(pol, c.options(t)...)
	require.NoError(t, err)
	a, err := tr.Attest(context.Background(), c.srv.URL)
	require.Error(t, err)
	assert.Equal(t, verify.KindPolicy, verify.KindOf(err))
	assert.Equal(t, err, a.Err)
	require.NotNil(t, a.Report, "what verification established, for diagnostics")
	assert.NotEmpty(t, a.AttestationDocument, "the documents are kept to replay the failure offline")
	assert.Len(t, a.Nonce, wire.NonceSize, "and the nonce")

	_, err = tr.Attest(context.Background(), "http://"+c.srv.Listener.Addr().String())
	assert.Equal(t, verify.KindKeyBinding, verify.KindOf(err))
}
