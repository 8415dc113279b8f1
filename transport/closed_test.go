package transport_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/transport"
)

// send makes a request of method with a small body to url.
func send(c *http.Client, method, url string, header http.Header) (string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader("payload"))
	if err != nil {
		return "", err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestLapseKeepsTheConnectionsOfAKeyAttestedAgain: a request that finds
// its origin's verdict lapsed waits for the key to be attested again, and
// the pooled connections that present the key then carry it. It never
// meets a connection closed under the pool, whatever its method and
// protocol; the pool's reader here does not notice a close until the test
// ends, so a request handed such a connection would fail every time.
func TestLapseKeepsTheConnectionsOfAKeyAttestedAgain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h2     bool
		method string
	}{
		{"http2 GET", true, http.MethodGet},
		{"http2 POST", true, http.MethodPost},
		{"http1 GET", false, http.MethodGet},
		{"http1 POST", false, http.MethodPost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			dialer := newLingering(t)
			clk, obs := newClock(), newObserved()
			base := &http.Transport{DialContext: dialer.DialContext, Protocols: protocols(true, tc.h2)}
			client := newTransport(t, withMaxAge(t, s.Policy(), 10*time.Minute), s, transport.WithBaseTransport(base),
				transport.WithClock(clk.Now), transport.WithObserver(obs.observe)).Client()
			_, err := send(client, tc.method, s.URL+"/1", nil)
			require.NoError(t, err)
			require.NoError(t, obs.next(t).Err)
			require.Equal(t, 2, dialer.dials(), "one connection carried the attestation, one the request")

			clk.Add(11 * time.Minute)
			body, err := send(client, tc.method, s.URL+"/2", nil)
			require.NoError(t, err)
			assert.Equal(t, "hello /2", body)
			a := obs.next(t)
			require.NoError(t, a.Err)
			assert.False(t, a.Refresh, "a lapsed verdict is attested in the request's path")
			assert.Equal(t, 3, dialer.dials(), "one more connection, for the attestation; the request went over the pooled one")
			assert.EqualValues(t, 2, s.AttestationRequests())
			assert.EqualValues(t, 2, s.AppRequests())
		})
	}
}

// TestClosedConnectionReplayed: the connections of an evicted origin are
// closed under the pool, which may hand one to the next request for that
// origin. A request that net/http would replay is sent again, over a
// connection attested anew; any other gets the error and is not sent
// twice.
func TestClosedConnectionReplayed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		method  string
		header  http.Header
		replays bool
	}{
		{"GET", http.MethodGet, nil, true},
		{"HEAD", http.MethodHead, nil, true},
		{"POST with Idempotency-Key", http.MethodPost, http.Header{"Idempotency-Key": {"k1"}}, true},
		{"PUT with X-Idempotency-Key", http.MethodPut, http.Header{"X-Idempotency-Key": {"k1"}}, true},
		{"POST", http.MethodPost, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newServer(t), newServer(t)
			dialer := newLingering(t)
			base := &http.Transport{DialContext: dialer.DialContext}
			client := newTransport(t, a.Policy(), a, transport.WithBaseTransport(base), transport.WithMaxOrigins(1)).Client()
			mustGet(t, client, a.URL+"/a")
			mustGet(t, client, b.URL+"/b") // evicts a, closing its connections

			_, err := send(client, tc.method, a.URL+"/again", tc.header)
			if !tc.replays {
				require.ErrorIs(t, err, net.ErrClosed)
				assert.EqualValues(t, 1, a.AppRequests(), "the request never reached the CVM")
				return
			}
			require.NoError(t, err)
			assert.EqualValues(t, 2, a.AttestationRequests(), "the evicted origin is attested again")
			assert.EqualValues(t, 2, a.AppRequests())
		})
	}
}
