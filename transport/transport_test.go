package transport_test

import (
	"crypto/sha256"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

func TestFirstContactAttestsThenPins(t *testing.T) {
	for name, tc := range map[string]struct {
		opts  []transport.Option
		proto int
	}{
		"http2": {nil, 2},
		"http1": {[]transport.Option{http1()}, 1},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			client := newTransport(t, s.Policy(), s, tc.opts...).Client()
			resp, body := get(t, client, s.URL+"/hello")
			assert.Equal(t, "hello /hello", body)
			assert.Equal(t, tc.proto, resp.ProtoMajor)
			v, ok := transport.VerdictFor(resp)
			require.True(t, ok)
			assert.Equal(t, verify.StatusUpToDate, v.TCBStatus)
			assert.Equal(t, verify.BindingSPKI, v.Binding)
			a := s.App()
			h := a.ComposeHash()
			assert.Equal(t, h[:], v.ComposeHash)
			assert.Equal(t, sha256.Sum256(s.Certificates()[0].RawSubjectPublicKeyInfo), v.SPKISHA256)
			assert.Equal(t, s.URL, v.Origin)
			for range 100 {
				mustGet(t, client, s.URL+"/again")
			}
			assert.EqualValues(t, 1, s.AttestationRequests())
			assert.EqualValues(t, 101, s.AppRequests())
		})
	}
}

// TestConcurrentFirstRequestsShareOneAttestation: 1000 concurrent first
// requests cause exactly one attestation. The base transport caps
// connections per host, as a production client would, so that the test
// does not measure 1000 TLS handshakes on a 2-core machine.
func TestConcurrentFirstRequestsShareOneAttestation(t *testing.T) {
	s := newServer(t)
	client := newTransport(t, s.Policy(), s, transport.WithBaseTransport(&http.Transport{MaxConnsPerHost: 32, MaxIdleConnsPerHost: 32})).Client()
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			resp, err := client.Get(s.URL + "/x")
			if assert.NoError(t, err) {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, s.AttestationRequests())
	assert.EqualValues(t, 1000, s.AppRequests())
}

func TestVerdictForOtherResponses(t *testing.T) {
	_, ok := transport.VerdictFor(&http.Response{Request: &http.Request{}})
	assert.False(t, ok)
	_, ok = transport.VerdictFor(nil)
	assert.False(t, ok)
}
