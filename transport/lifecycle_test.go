package transport_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// TestRenewalInBackground: past 80% of max_age the next request renews
// the verdict in the background and does not wait for it; the old verdict
// serves until the new one is pinned.
func TestRenewalInBackground(t *testing.T) {
	gate := make(chan struct{})
	s := newServer(t, cvmtest.WithAttestationGate(gate))
	clk, obs := newClock(), newObserved()
	client := newTransport(t, withMaxAge(t, s.Policy(), 10*time.Minute), s,
		transport.WithClock(clk.Now), transport.WithObserver(obs.observe)).Client()
	go func() { gate <- struct{}{} }() // the first attestation goes through
	mustGet(t, client, s.URL+"/1")
	first := obs.next(t)
	require.NoError(t, first.Err)
	assert.False(t, first.Refresh)

	clk.Add(9 * time.Minute) // due for renewal, not lapsed
	for range 5 {
		mustGet(t, client, s.URL+"/during") // would hang if it waited on the gated renewal
	}
	close(gate)
	renewal := obs.next(t)
	require.NoError(t, renewal.Err)
	assert.True(t, renewal.Refresh)
	assert.EqualValues(t, 2, s.AttestationRequests())

	// The renewed verdict runs from the renewal: 9 more minutes are fine.
	clk.Add(9 * time.Minute)
	mustGet(t, client, s.URL+"/after")
	assert.EqualValues(t, 7, s.AppRequests())
	assert.EqualValues(t, 2, s.AttestationRequests())
}

// TestLapsedVerdictReattests: once a verdict lapses its connections are
// closed and the next request attests again before it is sent.
func TestLapsedVerdictReattests(t *testing.T) {
	s := newServer(t)
	clk, obs := newClock(), newObserved()
	client := newTransport(t, withMaxAge(t, s.Policy(), 10*time.Minute), s,
		transport.WithClock(clk.Now), transport.WithObserver(obs.observe)).Client()
	mustGet(t, client, s.URL+"/1")
	obs.next(t)
	clk.Add(11 * time.Minute)
	mustGet(t, client, s.URL+"/2")
	a := obs.next(t)
	require.NoError(t, a.Err)
	assert.False(t, a.Refresh, "a lapsed verdict is attested in the request's path")
	assert.EqualValues(t, 2, s.AttestationRequests())
	assert.EqualValues(t, 2, s.AppRequests())
}

// TestFailuresBackOff: concurrent requests to a CVM whose attestation fails
// cause one attestation; the failure is returned again until its backoff
// ends, then the CVM is tried again, and the backoff doubles.
func TestFailuresBackOff(t *testing.T) {
	honest := newServer(t)
	s := newServer(t, cvmtest.WithComposeFile([]byte(`{"runner":"docker-compose","docker_compose_file":"services: {}"}`)))
	clk := newClock()
	client := newTransport(t, honest.Policy(), s, transport.WithClock(clk.Now), transport.WithFailureBackoff(10*time.Second),
		transport.WithBaseTransport(&http.Transport{MaxConnsPerHost: 16})).Client()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 200 {
		wg.Go(func() {
			if _, err := client.Get(s.URL + "/x"); verify.KindOf(err) == verify.KindPolicy {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 200, failed.Load())
	assert.EqualValues(t, 1, s.AttestationRequests())
	assert.Zero(t, s.AppRequests())

	for _, step := range []struct {
		advance time.Duration
		want    int64
		why     string
	}{
		{9 * time.Second, 1, "within the backoff the failure is returned"},
		{2 * time.Second, 2, "after the backoff the CVM is tried again"},
		{15 * time.Second, 2, "the backoff doubled"},
		{6 * time.Second, 3, "and ended"},
	} {
		clk.Add(step.advance)
		_, err := client.Get(s.URL + "/x")
		require.Error(t, err)
		assert.EqualValues(t, step.want, s.AttestationRequests(), step.why)
	}
}

// TestCallerCancelDoesNotCancelAttestation: a caller that gives up stops
// waiting; the attestation it started finishes for the others.
func TestCallerCancelDoesNotCancelAttestation(t *testing.T) {
	gate := make(chan struct{})
	s := newServer(t, cvmtest.WithAttestationGate(gate))
	obs := newObserved()
	client := newTransport(t, s.Policy(), s, transport.WithObserver(obs.observe)).Client()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/cancelled", nil)
		_, err := client.Do(req)
		done <- err
	}()
	waitFor(t, func() bool { return s.AttestationRequests() > 0 })
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	close(gate)
	require.NoError(t, obs.next(t).Err, "the attestation went on")
	mustGet(t, client, s.URL+"/after")
	assert.EqualValues(t, 1, s.AttestationRequests())
	assert.EqualValues(t, 1, s.AppRequests(), "the cancelled request was never sent")
}

// TestRotationReattestsOnce: after the CVM's key changes the next request
// attests the new key once and reaches the app once; the old key's
// connections are gone.
func TestRotationReattestsOnce(t *testing.T) {
	for name, opts := range map[string][]transport.Option{"http2": nil, "http1": {http1()}} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			client := newTransport(t, s.Policy(), s, opts...).Client()
			mustGet(t, client, s.URL+"/before")
			require.NoError(t, s.RotateKey())
			resp, _ := get(t, client, s.URL+"/after")
			v, ok := transport.VerdictFor(resp)
			require.True(t, ok)
			assert.Equal(t, sha256Of(s.Certificates()[0].RawSubjectPublicKeyInfo), v.SPKISHA256, "the new key")
			assert.EqualValues(t, 2, s.AttestationRequests())
			assert.EqualValues(t, 2, s.AppRequests())
		})
	}
}

// TestReplicasAttestedOnceEach: N replicas behind one address, one key
// each, cost N attestations under concurrent load, over HTTP/2.
func TestReplicasAttestedOnceEach(t *testing.T) {
	const replicas, requests = 3, 60
	s := newServer(t, cvmtest.WithReplicas(replicas))
	// A connection per request, so that the round robin reaches every
	// replica: over kept-alive HTTP/2 connections the requests could all
	// share the connections of fewer replicas than there are.
	base := &http.Transport{DisableKeepAlives: true}
	client := newTransport(t, s.Policy(), s, transport.WithBaseTransport(base)).Client()
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() { mustGet(t, client, s.URL+"/r") })
	}
	wg.Wait()
	assert.EqualValues(t, replicas, s.AttestationRequests())
	assert.EqualValues(t, requests, s.AppRequests())
}

// waitFor polls cond, yielding, until it holds; the test's deadline bounds
// it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-t.Context().Done():
			t.Fatal("condition never held")
		case <-time.After(time.Millisecond):
		}
	}
}
