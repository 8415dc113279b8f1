package collateral

import (
	"context"
	"fmt"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// Defaults of CacheOptions.
const (
	DefaultCacheSize         = 1024
	DefaultCacheFetchTimeout = 60 * time.Second
)

// CacheOptions configures a Cache. The zero value is ready to use.
type CacheOptions struct {
	// Now returns the current time, against which entries expire. Nil
	// means time.Now.
	Now func() time.Time
	// Size is the most entries kept; the least recently used goes first.
	// Zero means DefaultCacheSize.
	Size int
	// FetchTimeout bounds an upstream fetch shared by concurrent callers,
	// which no single caller's context may cancel. Zero means
	// DefaultCacheFetchTimeout.
	FetchTimeout time.Duration
}

// Cache is a Source that keeps collateral from another Source in memory,
// keyed by the request (FMSPC, CA) to that one source, until the
// collateral's NextUpdate. It never returns an entry at or after that time,
// never caches an error, and collapses concurrent fetches of one key into a
// single upstream fetch. It is safe for concurrent use.
type Cache struct {
	src     Source
	srcID   string
	now     func() time.Time
	timeout time.Duration
	entries *lru.Cache[Request, cacheEntry] // keyed by upper-case FMSPC
	flight  singleflight.Group
}

// cacheEntry is cached collateral and the time it stops being usable.
type cacheEntry struct {
	c    *Collateral
	next time.Time
}

// NewCache returns a Cache in front of src, which must not be nil.
func NewCache(src Source, opts CacheOptions) *Cache {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Size <= 0 {
		opts.Size = DefaultCacheSize
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultCacheFetchTimeout
	}
	entries, err := lru.New[Request, cacheEntry](opts.Size)
	if err != nil {
		// Unreachable: lru.New fails only for a size <= 0.
		panic(fmt.Sprintf("collateral: lru.New(%d): %v", opts.Size, err))
	}
	return &Cache{
		src:     src,
		srcID:   src.ID(),
		now:     opts.Now,
		timeout: opts.FetchTimeout,
		entries: entries,
	}
}

// ID implements Source. A cache answers with its source's collateral, so
// it has its source's ID.
func (c *Cache) ID() string { return c.srcID }

// Fetch implements Source. It returns cached collateral while the current
// time is before its NextUpdate, and otherwise fetches from the source. If
// ctx ends while waiting for a shared fetch, Fetch returns at once with an
// error matching ErrUnavailable and ctx.Err(); the fetch goes on for the
// other callers.
func (c *Cache) Fetch(ctx context.Context, req Request) (*Collateral, error) {
	req.FMSPC = strings.ToUpper(req.FMSPC)
	if e, ok := c.entries.Get(req); ok && c.now().Before(e.next) {
		return e.c, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, c.srcID, err)
	}
	flightKey := req.FMSPC + "\x00" + string(req.CA)
	ch := c.flight.DoChan(flightKey, func() (any, error) {
		// Detached from the first caller: its cancellation must not fail
		// the others waiting on this fetch.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		return c.fill(fctx, req)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, c.srcID, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Collateral), nil
	}
}

// windowSource is a Source that parses what it fetches and so knows the
// validity window of its answer without parsing it again.
type windowSource interface {
	fetchWindow(ctx context.Context, req Request) (*Collateral, validityWindow, error)
}

// fill fetches req from the source and caches the result if it is still
// usable. Collateral already past its NextUpdate is returned, uncached, so
// that the verifier can report it as expired.
func (c *Cache) fill(ctx context.Context, req Request) (*Collateral, error) {
	var (
		col *Collateral
		w   validityWindow
		err error
	)
	if ws, ok := c.src.(windowSource); ok {
		col, w, err = ws.fetchWindow(ctx, req)
	} else if col, err = c.src.Fetch(ctx, req); err == nil {
		w, err = col.window()
	}
	if err != nil {
		return nil, err
	}
	if c.now().Before(w.next) {
		c.entries.Add(req, cacheEntry{c: col, next: w.next})
	}
	return col, nil
}

// Reject implements Rejecter: it drops the entry for req if it still holds
// c, so that collateral a verifier refused is fetched again rather than
// served until the nextUpdate it claims. A newer entry is left alone.
func (c *Cache) Reject(req Request, col *Collateral) {
	req.FMSPC = strings.ToUpper(req.FMSPC)
	if e, ok := c.entries.Peek(req); ok && e.c == col {
		c.entries.Remove(req)
	}
}

// Len returns the number of entries held, expired ones included until they
// are replaced or evicted.
func (c *Cache) Len() int { return c.entries.Len() }

// Purge drops every entry.
func (c *Cache) Purge() { c.entries.Purge() }
