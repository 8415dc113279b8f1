package collateral_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// These tests drive the HTTP sources against cvmtest's fake PCS and its
// hostile controls (Hang, Oversize, Fail), so that the client limits are
// exercised by the same server the rest of the project tests with.

var pcsNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newPCSServer starts a fake PCS serving the default collateral of the
// default test PKI, and returns it with that collateral and the request
// for it.
func newPCSServer(t *testing.T) (*cvmtest.PCSServer, *collateral.Collateral, collateral.Request) {
	t.Helper()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c, err := p.Collateral(cvmtest.CollateralOptions{Now: pcsNow})
	require.NoError(t, err)
	s := cvmtest.NewPCSServer(c, p)
	t.Cleanup(s.Close)
	return s, c, collateral.Request{FMSPC: p.FMSPC(), CA: p.CA}
}

func newSource(t *testing.T, s *cvmtest.PCSServer, opts collateral.HTTPOptions) collateral.Source {
	t.Helper()
	src, err := collateral.NewPCCS(s.URL, opts)
	require.NoError(t, err)
	return src
}

// waitEntered waits until n requests hang in s.
func waitEntered(t *testing.T, entered <-chan string, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case <-entered:
		case <-timeout:
			t.Fatalf("timed out waiting for %d hanging requests", n)
		}
	}
}

func TestPCSServerOversizeBodies(t *testing.T) {
	const limit = 64 << 10
	tests := []struct {
		name     string
		oversize int64
		wantErr  bool
	}{
		{"padded within the limit", limit, false},
		{"padded past the limit, with Content-Length", limit + 1, true},
		{"padded far past the limit", 16 << 20, true},
		{"endless, chunked", -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, want, req := newPCSServer(t)
			s.Oversize(tt.oversize)
			got, err := newSource(t, s, collateral.HTTPOptions{MaxBodySize: limit}).Fetch(context.Background(), req)
			if !tt.wantErr {
				// The padding is outside the signed values, which come
				// back byte for byte.
				require.NoError(t, err)
				assert.Equal(t, want.TCBInfo, got.TCBInfo)
				assert.Equal(t, want.QEIdentity, got.QEIdentity)
				assert.Equal(t, want.TCBInfoSignature, got.TCBInfoSignature)
				return
			}
			require.Error(t, err)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, verify.ErrTooLarge)
			assert.ErrorIs(t, err, collateral.ErrUnavailable)
			assert.NotErrorIs(t, err, collateral.ErrMalformed)
			var fe *collateral.FetchError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, http.StatusOK, fe.StatusCode)
		})
	}
}

// TestPCSServerEndlessErrorBody checks that an error answer's body is not
// read: with an endless body, the fetch fails on the status at once, not
// on the size limit or the timeout.
func TestPCSServerEndlessErrorBody(t *testing.T) {
	s, _, req := newPCSServer(t)
	s.Fail("", http.StatusServiceUnavailable)
	s.Oversize(-1)
	_, err := newSource(t, s, collateral.HTTPOptions{}).Fetch(context.Background(), req)
	require.Error(t, err)
	var fe *collateral.FetchError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, http.StatusServiceUnavailable, fe.StatusCode)
	assert.ErrorIs(t, err, collateral.ErrUnavailable)
	assert.NotErrorIs(t, err, verify.ErrTooLarge)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
}

func TestPCSServerHang(t *testing.T) {
	t.Run("option timeout", func(t *testing.T) {
		s, _, req := newPCSServer(t)
		release := make(chan struct{})
		defer close(release)
		s.Hang(release)
		_, err := newSource(t, s, collateral.HTTPOptions{Timeout: 100 * time.Millisecond}).Fetch(context.Background(), req)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, collateral.ErrUnavailable)
		assert.NotErrorIs(t, err, collateral.ErrMalformed)
		assert.Positive(t, s.TotalRequests())
	})

	t.Run("caller cancels", func(t *testing.T) {
		s, _, req := newPCSServer(t)
		release := make(chan struct{})
		defer close(release)
		entered := s.Hang(release)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := newSource(t, s, collateral.HTTPOptions{}).Fetch(ctx, req)
			errc <- err
		}()
		waitEntered(t, entered, 4)
		cancel()
		err := <-errc
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, collateral.ErrUnavailable)
	})

	t.Run("released in time", func(t *testing.T) {
		s, want, req := newPCSServer(t)
		release := make(chan struct{})
		entered := s.Hang(release)
		type result struct {
			c   *collateral.Collateral
			err error
		}
		done := make(chan result, 1)
		go func() {
			c, err := newSource(t, s, collateral.HTTPOptions{}).Fetch(context.Background(), req)
			done <- result{c, err}
		}()
		waitEntered(t, entered, 4)
		close(release)
		r := <-done
		require.NoError(t, r.err)
		assert.Equal(t, want, r.c)
	})
}

// TestCacheOverHangingPCS checks, against a real HTTP source, that a caller
// giving up on a shared fetch neither cancels it for the others nor costs
// a second upstream fetch.
func TestCacheOverHangingPCS(t *testing.T) {
	s, want, req := newPCSServer(t)
	cache := collateral.NewCache(newSource(t, s, collateral.HTTPOptions{}),
		collateral.CacheOptions{Now: func() time.Time { return pcsNow }})
	release := make(chan struct{})
	entered := s.Hang(release)

	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, err := cache.Fetch(ctxA, req)
		errA <- err
	}()
	waitEntered(t, entered, 4)

	var joined sync.WaitGroup
	joined.Add(1)
	type result struct {
		c   *collateral.Collateral
		err error
	}
	resB := make(chan result, 1)
	go func() {
		c, err := cache.Fetch(&doneSignal{Context: context.Background(), wg: &joined}, req)
		resB <- result{c, err}
	}()
	joined.Wait()

	cancelA()
	err := <-errA
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, collateral.ErrUnavailable)

	close(release)
	r := <-resB
	require.NoError(t, r.err)
	assert.Equal(t, want, r.c)
	for _, p := range []string{cvmtest.TCBInfoPath, cvmtest.QEIdentityPath, cvmtest.PCKCRLPath, cvmtest.RootCACRLPath} {
		assert.Equal(t, int64(1), s.Requests(p), p)
	}

	// Served from memory from now on, even while the PCS is down.
	s.Fail("", http.StatusServiceUnavailable)
	again, err := cache.Fetch(context.Background(), req)
	require.NoError(t, err)
	assert.Same(t, r.c, again)
	assert.Equal(t, int64(4), s.TotalRequests())
}

// doneSignal reports the first call of Done: Cache.Fetch calls it only
// once the caller waits on the shared fetch.
type doneSignal struct {
	context.Context
	once sync.Once
	wg   *sync.WaitGroup
}

func (c *doneSignal) Done() <-chan struct{} {
	c.once.Do(c.wg.Done)
	return c.Context.Done()
}
