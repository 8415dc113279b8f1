package transport_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestFirstContactAttestsThenPins(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "http1", true: "h2"}[h2], func(t *testing.T) {
			c := newCVM(t, h2)
			tr, err := transport.New(c.policy(t), c.options(t)...)
			require.NoError(t, err)
			client := tr.Client()
			resp, body := get(t, client, c.srv.URL+"/hello")
			assert.Equal(t, "hello /hello", body)
			assert.Equal(t, map[bool]int{false: 1, true: 2}[h2], resp.ProtoMajor)
			r, ok := transport.ReportFor(resp)
			require.True(t, ok)
			assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
			require.NotNil(t, r.Dstack)
			assert.Equal(t, verify.BindingSPKI, r.Dstack.Binding)
			assert.Nil(t, r.Dstack.Events, "the compact report keeps no event log")
			for range 100 {
				get(t, client, c.srv.URL+"/again")
			}
			assert.EqualValues(t, 1, c.attHits.Load())
			assert.EqualValues(t, 101, c.appHits.Load())
		})
	}
}

// TestConcurrentFirstRequestsShareOneAttestation: 1000 concurrent first
// requests cause exactly one attestation. The base transport caps
// connections per host, as a production client would, so that the test
// does not measure 1000 TLS handshakes on a 2-core machine.
func TestConcurrentFirstRequestsShareOneAttestation(t *testing.T) {
	c := newCVM(t, false)
	tr, err := transport.New(c.policy(t), append(c.options(t), transport.WithBaseTransport(&http.Transport{MaxConnsPerHost: 32, MaxIdleConnsPerHost: 32}))...)
	require.NoError(t, err)
	client := tr.Client()
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			resp, err := client.Get(c.srv.URL + "/x")
			if assert.NoError(t, err) {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, c.attHits.Load())
	assert.EqualValues(t, 1000, c.appHits.Load())
}

func TestPlainHTTPRefused(t *testing.T) {
	c := newCVM(t, false)
	tr, err := transport.New(c.policy(t), c.options(t)...)
	require.NoError(t, err)
	_, err = tr.Client().Get("http://127.0.0.1:1/x")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, transport.StepScheme, ae.Step)
	assert.Equal(t, verify.KindKeyBinding, verify.KindOf(err))
	assert.EqualValues(t, 0, c.appHits.Load())
}

func TestWrongComposeRefused(t *testing.T) {
	c := newCVM(t, false)
	pol := c.policy(t)
	c.app.Compose = `{"docker_compose_file":"services: {}"}`
	tr, err := transport.New(pol, c.options(t)...)
	require.NoError(t, err)
	_, err = tr.Client().Get(c.srv.URL + "/x")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, transport.StepVerify, ae.Step)
	assert.Equal(t, verify.KindPolicy, verify.KindOf(err))
	assert.EqualValues(t, 0, c.appHits.Load())

	// The failure is remembered: a second request does not attest again.
	_, err = tr.Client().Get(c.srv.URL + "/x")
	require.Error(t, err)
	assert.EqualValues(t, 1, c.attHits.Load())
	_ = context.Background
}
