package collateral

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := new(fakeClock)
	c.set(t)
	return c
}

func (c *fakeClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }

// fakeSource is an upstream Source that counts its fetches, can hold them
// until released, and answers through result.
type fakeSource struct {
	id      string
	calls   atomic.Int32
	entered chan context.Context // receives each fetch's context, if set
	release chan struct{}        // if set, fetches wait for it or their ctx
	result  func(n int32, req Request) (*Collateral, error)
}

// ID implements Source.
func (s *fakeSource) ID() string { return s.id }

// Fetch implements Source.
func (s *fakeSource) Fetch(ctx context.Context, req Request) (*Collateral, error) {
	n := s.calls.Add(1)
	if s.entered != nil {
		s.entered <- ctx
	}
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.result(n, req)
}

// signalCtx reports when its Done method is first called: Cache.Fetch
// calls it only once its caller is registered with the shared fetch.
type signalCtx struct {
	context.Context
	once sync.Once
	wg   *sync.WaitGroup
}

// Done implements context.Context.
func (c *signalCtx) Done() <-chan struct{} {
	c.once.Do(c.wg.Done)
	return c.Context.Done()
}

// waitOrFail waits for wg, failing the test after a generous bound.
func waitOrFail(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

var (
	cacheBase = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	reqA      = Request{FMSPC: "B0C06F000000", CA: CAPlatform}
)

// collaterals returns n collaterals, the i-th valid until base + (i+1)h.
func collaterals(t testing.TB, n int) []*Collateral {
	p := newTestPKI(t)
	out := make([]*Collateral, n)
	for i := range out {
		out[i] = p.makeCollateral(t, uniform(cacheBase, cacheBase.Add(time.Duration(i+1)*time.Hour)))
	}
	return out
}

func TestCacheServesUntilNextUpdate(t *testing.T) {
	cols := collaterals(t, 2)
	src := &fakeSource{id: "fake", result: func(n int32, _ Request) (*Collateral, error) { return cols[n-1], nil }}
	clock := newFakeClock(cacheBase)
	cache := NewCache(src, CacheOptions{Now: clock.now})
	assert.Equal(t, "fake", cache.ID())
	ctx := context.Background()

	steps := []struct {
		at        time.Time
		wantCalls int32
		want      *Collateral
	}{
		{cacheBase, 1, cols[0]},
		{cacheBase.Add(30 * time.Minute), 1, cols[0]},
		{cacheBase.Add(time.Hour - time.Nanosecond), 1, cols[0]},
		{cacheBase.Add(time.Hour), 2, cols[1]}, // at nextUpdate: never served
		{cacheBase.Add(90 * time.Minute), 2, cols[1]},
	}
	for i, s := range steps {
		clock.set(s.at)
		got, err := cache.Fetch(ctx, reqA)
		require.NoError(t, err, "step %d", i)
		assert.Same(t, s.want, got, "step %d", i)
		assert.Equal(t, s.wantCalls, src.calls.Load(), "step %d", i)
	}
}

func TestCacheKeys(t *testing.T) {
	cols := collaterals(t, 1)
	src := &fakeSource{id: "fake", result: func(int32, Request) (*Collateral, error) { return cols[0], nil }}
	cache := NewCache(src, CacheOptions{Now: newFakeClock(cacheBase).now})
	ctx := context.Background()
	reqs := []struct {
		req       Request
		wantCalls int32
	}{
		{Request{FMSPC: "B0C06F000000", CA: CAPlatform}, 1},
		{Request{FMSPC: "b0c06f000000", CA: CAPlatform}, 1}, // FMSPC case does not matter
		{Request{FMSPC: "B0C06F000000", CA: CAProcessor}, 2},
		{Request{FMSPC: "00606A000000", CA: CAPlatform}, 3},
		{Request{FMSPC: "00606a000000", CA: CAPlatform}, 3},
	}
	for _, r := range reqs {
		_, err := cache.Fetch(ctx, r.req)
		require.NoError(t, err)
		assert.Equal(t, r.wantCalls, src.calls.Load(), "%+v", r.req)
	}
	assert.Equal(t, 3, cache.Len())
	cache.Purge()
	assert.Zero(t, cache.Len())
}

func TestCacheDoesNotCacheErrorsOrExpired(t *testing.T) {
	cols := collaterals(t, 1)
	broken := &Collateral{TCBInfo: []byte("{}")}
	upstreamErr := &FetchError{URL: "https://pcs.example/tcb", StatusCode: 503}
	src := &fakeSource{id: "fake", result: func(n int32, _ Request) (*Collateral, error) {
		switch n {
		case 1:
			return nil, upstreamErr
		case 2:
			return broken, nil
		default:
			return cols[0], nil
		}
	}}
	clock := newFakeClock(cacheBase.Add(2 * time.Hour)) // past cols[0]'s nextUpdate
	cache := NewCache(src, CacheOptions{Now: clock.now})
	ctx := context.Background()

	_, err := cache.Fetch(ctx, reqA)
	assert.ErrorIs(t, err, ErrUnavailable)
	var fe *FetchError
	require.ErrorAs(t, err, &fe)
	assert.Same(t, upstreamErr, fe, "the upstream error is returned as is")

	_, err = cache.Fetch(ctx, reqA)
	assert.ErrorIs(t, err, ErrMalformed, "collateral without a nextUpdate is an error")

	// Expired collateral is handed over for the verifier to reject, but
	// never cached.
	for want := int32(3); want <= 4; want++ {
		got, err := cache.Fetch(ctx, reqA)
		require.NoError(t, err)
		assert.Same(t, cols[0], got)
		assert.Equal(t, want, src.calls.Load())
	}
	assert.Zero(t, cache.Len())
}

func TestCacheCollapsesConcurrentFetches(t *testing.T) {
	const n = 64
	cols := collaterals(t, 1)
	src := &fakeSource{
		id:      "fake",
		release: make(chan struct{}),
		result:  func(int32, Request) (*Collateral, error) { return cols[0], nil },
	}
	cache := NewCache(src, CacheOptions{Now: newFakeClock(cacheBase).now})

	var registered, done sync.WaitGroup
	registered.Add(n)
	done.Add(n)
	results := make([]*Collateral, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			ctx := &signalCtx{Context: context.Background(), wg: &registered}
			results[i], errs[i] = cache.Fetch(ctx, reqA)
		}()
	}
	// Release the upstream only once every caller waits on it.
	waitOrFail(t, &registered, "all callers to wait on the shared fetch")
	close(src.release)
	waitOrFail(t, &done, "all callers to return")

	assert.Equal(t, int32(1), src.calls.Load(), "exactly one upstream fetch")
	for i := range results {
		require.NoError(t, errs[i])
		assert.Same(t, cols[0], results[i])
	}
}

func TestCacheCanceledCallerDoesNotCancelSharedFetch(t *testing.T) {
	cols := collaterals(t, 1)
	src := &fakeSource{
		id:      "fake",
		entered: make(chan context.Context, 1),
		release: make(chan struct{}),
		result:  func(int32, Request) (*Collateral, error) { return cols[0], nil },
	}
	cache := NewCache(src, CacheOptions{Now: newFakeClock(cacheBase).now})

	// Caller A starts the shared fetch, then gives up.
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, err := cache.Fetch(ctxA, reqA)
		errA <- err
	}()
	upstreamCtx := <-src.entered

	// Caller B joins the same fetch.
	var registered sync.WaitGroup
	registered.Add(1)
	type result struct {
		c   *Collateral
		err error
	}
	resB := make(chan result, 1)
	go func() {
		c, err := cache.Fetch(&signalCtx{Context: context.Background(), wg: &registered}, reqA)
		resB <- result{c, err}
	}()
	waitOrFail(t, &registered, "caller B to join")

	cancelA()
	err := <-errA // A returns at once, while the upstream still waits
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.NoError(t, upstreamCtx.Err(), "the shared fetch is not canceled")

	close(src.release)
	r := <-resB
	require.NoError(t, r.err)
	assert.Same(t, cols[0], r.c)
	assert.Equal(t, int32(1), src.calls.Load())
}

func TestCacheCanceledBeforeFetch(t *testing.T) {
	src := &fakeSource{id: "fake", result: func(int32, Request) (*Collateral, error) { return nil, errors.New("unreached") }}
	cache := NewCache(src, CacheOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := cache.Fetch(ctx, reqA)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.Zero(t, src.calls.Load())
}

func TestCacheFetchTimeout(t *testing.T) {
	src := &fakeSource{
		id:      "fake",
		release: make(chan struct{}), // never closed: only the timeout ends the fetch
		result:  func(int32, Request) (*Collateral, error) { return nil, errors.New("unreached") },
	}
	cache := NewCache(src, CacheOptions{FetchTimeout: 50 * time.Millisecond})
	_, err := cache.Fetch(context.Background(), reqA)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCacheSizeBound(t *testing.T) {
	cols := collaterals(t, 1)
	src := &fakeSource{id: "fake", result: func(int32, Request) (*Collateral, error) { return cols[0], nil }}
	cache := NewCache(src, CacheOptions{Now: newFakeClock(cacheBase).now, Size: 2})
	ctx := context.Background()
	fmspcs := []string{"000000000001", "000000000002", "000000000003", "000000000001"}
	for _, f := range fmspcs {
		_, err := cache.Fetch(ctx, Request{FMSPC: f, CA: CAPlatform})
		require.NoError(t, err)
	}
	assert.Equal(t, 2, cache.Len())
	assert.Equal(t, int32(4), src.calls.Load(), "the first key was evicted and fetched again")
}

func TestCacheInFrontOfPCCS(t *testing.T) {
	f := newFakePCS(t)
	pccs := newPCCS(t, f, HTTPOptions{})

	// Find the window of go-tdx-guest's 2023 collateral.
	first, err := pccs.Fetch(context.Background(), realReq)
	require.NoError(t, err)
	next, err := first.NextUpdate()
	require.NoError(t, err)
	requests := len(f.seen())

	clock := newFakeClock(next.Add(-time.Hour))
	cache := NewCache(pccs, CacheOptions{Now: clock.now})
	for i := 0; i < 3; i++ {
		c, err := cache.Fetch(context.Background(), realReq)
		require.NoError(t, err)
		assert.Equal(t, first.TCBInfo, c.TCBInfo)
	}
	assert.Len(t, f.seen(), 2*requests, "one upstream fetch of four requests")

	clock.set(next)
	_, err = cache.Fetch(context.Background(), realReq)
	require.NoError(t, err)
	assert.Len(t, f.seen(), 3*requests, "refetched at nextUpdate")
}

func BenchmarkCacheHit(b *testing.B) {
	cols := collaterals(b, 1)
	src := &fakeSource{id: "fake", result: func(int32, Request) (*Collateral, error) { return cols[0], nil }}
	cache := NewCache(src, CacheOptions{Now: func() time.Time { return cacheBase }})
	ctx := context.Background()
	if _, err := cache.Fetch(ctx, reqA); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cache.Fetch(ctx, reqA); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := cache.Fetch(ctx, reqA); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	if n := src.calls.Load(); n != 1 {
		b.Fatalf("expected 1 upstream fetch, found %d", n)
	}
}

func TestCacheReject(t *testing.T) {
	cols := collaterals(t, 2)
	src := &fakeSource{id: "fake", result: func(n int32, _ Request) (*Collateral, error) { return cols[n-1], nil }}
	cache := NewCache(src, CacheOptions{Now: newFakeClock(cacheBase).now})
	var _ Rejecter = cache
	ctx := context.Background()

	got, err := cache.Fetch(ctx, reqA)
	require.NoError(t, err)
	require.Same(t, cols[0], got)

	cache.Reject(reqA, cols[1])
	got, err = cache.Fetch(ctx, reqA)
	require.NoError(t, err)
	assert.Same(t, cols[0], got, "rejecting collateral the cache does not hold leaves the entry")
	assert.Equal(t, int32(1), src.calls.Load())

	lower := reqA
	lower.FMSPC = strings.ToLower(reqA.FMSPC)
	cache.Reject(lower, cols[0])
	got, err = cache.Fetch(ctx, reqA)
	require.NoError(t, err)
	assert.Same(t, cols[1], got, "a rejected entry is fetched again")
	assert.Equal(t, int32(2), src.calls.Load())
}

// TestCacheTakesTheWindowOfWhatTheSourceParsed: behind a Cache, an HTTP
// source's answer is parsed once, by the source, and the window it found
// is the one NextUpdate and IssueDate compute from the bytes.
func TestCacheTakesTheWindowOfWhatTheSourceParsed(t *testing.T) {
	f := newFakePCS(t)
	pccs := newPCCS(t, f, HTTPOptions{})
	ws, ok := pccs.(windowSource)
	require.True(t, ok, "the HTTP sources hand their window to a Cache")
	c, w, err := ws.fetchWindow(context.Background(), realReq)
	require.NoError(t, err)
	next, err := c.NextUpdate()
	require.NoError(t, err)
	issue, err := c.IssueDate()
	require.NoError(t, err)
	assert.Equal(t, validityWindow{issue: issue, next: next}, w)
}

// TestCacheRefusesACRLWithoutNextUpdateFromAnHTTPSource: the window taken
// from the source keeps the refusal NextUpdate makes.
func TestCacheRefusesACRLWithoutNextUpdateFromAnHTTPSource(t *testing.T) {
	f := newFakePCS(t)
	f.rootCRL = crlWithoutNextUpdate(t, time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC))
	cache := NewCache(newPCCS(t, f, HTTPOptions{}), CacheOptions{Now: func() time.Time { return time.Date(2023, 6, 2, 0, 0, 0, 0, time.UTC) }})
	_, err := cache.Fetch(context.Background(), realReq)
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, itemRootCACRL, fe.Item)
	assert.Equal(t, "nextUpdate", fe.Field)
	assert.Zero(t, cache.Len())
}
