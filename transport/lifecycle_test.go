package transport_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// observed collects attestations.
type observed struct{ ch chan transport.Attestation }

func newObserved() *observed { return &observed{ch: make(chan transport.Attestation, 100)} }

func (o *observed) observe(a transport.Attestation) { o.ch <- a }

func (o *observed) next(t *testing.T) transport.Attestation {
	t.Helper()
	select {
	case a := <-o.ch:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("no attestation observed")
		return transport.Attestation{}
	}
}

func withMaxAge(t *testing.T, p *policy.Policy, d time.Duration) *policy.Policy {
	t.Helper()
	p.Attestation.MaxAge = policy.Duration(d)
	require.NoError(t, p.Validate())
	return p
}

func mustGet(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestRenewalInBackground: past 80% of max_age the next request renews
// the verdict in the background and does not wait for it; the old verdict
// serves until the new one is pinned.
func TestRenewalInBackground(t *testing.T) {
	c := newCVM(t, false)
	clk, obs := newClock(), newObserved()
	tr, err := transport.New(withMaxAge(t, c.policy(t), 10*time.Minute),
		append(c.options(t), transport.WithClock(clk.Now), transport.WithObserver(obs.observe))...)
	require.NoError(t, err)
	client := tr.Client()
	mustGet(t, client, c.srv.URL+"/1")
	first := obs.next(t)
	require.NoError(t, first.Err)
	assert.False(t, first.Refresh)

	gate := make(chan struct{})
	c.mu.Lock()
	c.gate = gate
	c.mu.Unlock()
	clk.Add(9 * time.Minute) // due for renewal, not lapsed
	for range 5 {
		mustGet(t, client, c.srv.URL+"/during") // would hang if it waited on the gated renewal
	}
	close(gate)
	renewal := obs.next(t)
	require.NoError(t, renewal.Err)
	assert.True(t, renewal.Refresh)
	assert.EqualValues(t, 2, c.attHits.Load())

	// The renewed verdict runs from the renewal: 9 more minutes are fine.
	clk.Add(9 * time.Minute)
	mustGet(t, client, c.srv.URL+"/after")
	assert.EqualValues(t, 7, c.appHits.Load())
}

// TestLapsedVerdictReattests: once a verdict lapses its connections are
// closed and the next request attests again before it is sent.
func TestLapsedVerdictReattests(t *testing.T) {
	c := newCVM(t, true)
	clk, obs := newClock(), newObserved()
	tr, err := transport.New(withMaxAge(t, c.policy(t), 10*time.Minute),
		append(c.options(t), transport.WithClock(clk.Now), transport.WithObserver(obs.observe))...)
	require.NoError(t, err)
	client := tr.Client()
	mustGet(t, client, c.srv.URL+"/1")
	obs.next(t)
	clk.Add(11 * time.Minute)
	mustGet(t, client, c.srv.URL+"/2")
	a := obs.next(t)
	require.NoError(t, a.Err)
	assert.False(t, a.Refresh, "a lapsed verdict is attested in the request's path")
	assert.EqualValues(t, 2, c.attHits.Load())
}

// TestFailuresBackOff: concurrent requests to a CVM whose attestation fails
// cause one attestation; the failure is returned again until its backoff
// ends, then the CVM is tried again.
func TestFailuresBackOff(t *testing.T) {
	c := newCVM(t, false)
	c.app.Compose = `{"x":1}` // not what the policy accepts
	pol := newCVM(t, false).policy(t)
	clk := newClock()
	tr, err := transport.New(pol, append(c.options(t), transport.WithClock(clk.Now), transport.WithFailureBackoff(10*time.Second),
		transport.WithBaseTransport(&http.Transport{MaxConnsPerHost: 16}))...)
	require.NoError(t, err)
	client := tr.Client()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 100 {
		wg.Go(func() {
			if _, err := client.Get(c.srv.URL + "/x"); verify.KindOf(err) == verify.KindPolicy {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 100, failed.Load())
	assert.EqualValues(t, 1, c.attHits.Load())
	assert.EqualValues(t, 0, c.appHits.Load())

	clk.Add(9 * time.Second)
	_, err = client.Get(c.srv.URL + "/x")
	require.Error(t, err)
	assert.EqualValues(t, 1, c.attHits.Load(), "within the backoff the failure is returned")
	clk.Add(2 * time.Second)
	_, err = client.Get(c.srv.URL + "/x")
	require.Error(t, err)
	assert.EqualValues(t, 2, c.attHits.Load(), "after the backoff the CVM is tried again")
	clk.Add(15 * time.Second)
	_, err = client.Get(c.srv.URL + "/x")
	require.Error(t, err)
	assert.EqualValues(t, 2, c.attHits.Load(), "the backoff doubled")
}

// TestCallerCancelDoesNotCancelAttestation: a caller that gives up stops
// waiting; the attestation it started finishes for the others.
func TestCallerCancelDoesNotCancelAttestation(t *testing.T) {
	c := newCVM(t, false)
	gate := make(chan struct{})
	c.gate = gate
	obs := newObserved()
	tr, err := transport.New(c.policy(t), append(c.options(t), transport.WithObserver(obs.observe))...)
	require.NoError(t, err)
	client := tr.Client()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.srv.URL+"/cancelled", nil)
		_, err := client.Do(req)
		done <- err
	}()
	for c.attHits.Load() == 0 {
		runtimeGosched()
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	close(gate)
	a := obs.next(t)
	require.NoError(t, a.Err, "the attestation went on")
	mustGet(t, client, c.srv.URL+"/after")
	assert.EqualValues(t, 1, c.attHits.Load())
	assert.EqualValues(t, 1, c.appHits.Load(), "the cancelled request was never sent")
	_ = fmt.Sprint
}
