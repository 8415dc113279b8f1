package cvmtest_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// transportClient returns a verifying client built from srv's Policy and
// TransportOptions.
func transportClient(t *testing.T, srv *cvmtest.Server) *http.Client {
	t.Helper()
	tr, err := transport.New(srv.Policy(), srv.TransportOptions()...)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	return tr.Client()
}

// getBody fetches u and returns its body.
func getBody(c *http.Client, u string) (string, *http.Response, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), resp, err
}

// TestTransportThroughServer checks the end to end path: a transport
// built from a server's Policy and TransportOptions attests the server
// once, over HTTP/2, then reaches its application for every request.
func TestTransportThroughServer(t *testing.T) {
	srv := cvmtest.NewServer(okApp)
	defer srv.Close()
	c := transportClient(t, srv)
	for range 5 {
		body, resp, err := getBody(c, srv.URL+"/hello")
		require.NoError(t, err)
		assert.Equal(t, "ok", body)
		assert.Equal(t, 2, resp.ProtoMajor)
	}
	assert.Equal(t, int64(5), srv.AppRequests())
	assert.Equal(t, int64(1), srv.AttestationRequests())
}

// TestTransportOptionsShared checks that one server's Policy and
// TransportOptions serve against another server of the default PKI.
func TestTransportOptionsShared(t *testing.T) {
	a := cvmtest.NewServer(okApp)
	defer a.Close()
	b := cvmtest.NewServer(okApp)
	defer b.Close()
	tr, err := transport.New(a.Policy(), a.TransportOptions()...)
	require.NoError(t, err)
	defer tr.CloseIdleConnections()
	body, _, err := getBody(tr.Client(), b.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, "ok", body)
	assert.Equal(t, int64(1), b.AttestationRequests())
}

// TestTransportRefusesThreats checks that the transport refuses a
// replaying server, a relay, and a server without key binding under a
// binding "spki" policy, with the kind of error that names each, and that
// no request reached their application.
func TestTransportRefusesThreats(t *testing.T) {
	honest := cvmtest.NewServer(okApp)
	defer honest.Close()
	tests := []struct {
		name string
		make func() *cvmtest.Server
		prep func(*cvmtest.Server)
		kind verify.Kind
	}{
		{
			name: "replay",
			make: func() *cvmtest.Server { return cvmtest.NewServer(okApp, cvmtest.WithReplay()) },
			prep: func(s *cvmtest.Server) {
				// Someone else fetched the quote the server will replay.
				resp, err := s.Client().Get(s.URL + wire.AttestationPath + "?reportData=" + strings.Repeat("00", 31) + "ff")
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
			},
			kind: verify.KindStaleNonce,
		},
		{name: "relay", make: func() *cvmtest.Server { return cvmtest.NewRelay(honest) }, kind: verify.KindKeyBinding},
		{name: "unbound key", make: func() *cvmtest.Server { return cvmtest.NewServer(okApp, cvmtest.WithoutKeyBinding()) }, kind: verify.KindKeyBinding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.make()
			defer srv.Close()
			if tt.prep != nil {
				tt.prep(srv)
			}
			before := honest.AppRequests()
			tr, err := transport.New(honest.Policy(), honest.TransportOptions()...)
			require.NoError(t, err)
			defer tr.CloseIdleConnections()
			_, _, err = getBody(tr.Client(), srv.URL+"/")
			require.Error(t, err)
			var ae *transport.AttestationError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, tt.kind, verify.KindOf(err), "%v", err)
			assert.Zero(t, srv.AppRequests())
			assert.Equal(t, before, honest.AppRequests(), "the relay forwarded nothing to the app")
		})
	}
}

// TestTransportUnboundPolicy checks that a seed-style server is reached
// with its own policy (binding "none"), WebPKI validation on against the
// TLS CA of TransportOptions.
func TestTransportUnboundPolicy(t *testing.T) {
	srv := cvmtest.NewServer(okApp, cvmtest.WithoutKeyBinding())
	defer srv.Close()
	body, _, err := getBody(transportClient(t, srv), srv.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, "ok", body)
}

// TestTransportAfterRotation checks that after RotateKey the next request
// attests the new key once and reaches the application once.
func TestTransportAfterRotation(t *testing.T) {
	srv := cvmtest.NewServer(okApp)
	defer srv.Close()
	c := transportClient(t, srv)
	_, _, err := getBody(c, srv.URL+"/")
	require.NoError(t, err)
	require.NoError(t, srv.RotateKey())
	_, _, err = getBody(c, srv.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, int64(2), srv.AttestationRequests())
	assert.Equal(t, int64(2), srv.AppRequests())
}

// TestTransportReplicas checks that N replicas behind one address cost N
// attestations under concurrent load, each replica's key attested once.
func TestTransportReplicas(t *testing.T) {
	const replicas, requests = 3, 50
	srv := cvmtest.NewServer(okApp, cvmtest.WithReplicas(replicas))
	defer srv.Close()
	c := transportClient(t, srv)
	errs := make(chan error, requests)
	for range requests {
		go func() {
			_, _, err := getBody(c, srv.URL+"/")
			errs <- err
		}()
	}
	for range requests {
		require.NoError(t, <-errs)
	}
	assert.Equal(t, int64(replicas), srv.AttestationRequests())
	assert.Equal(t, int64(requests), srv.AppRequests())
}
