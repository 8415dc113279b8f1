package main

import (
	"context"
	"sync"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// recordingSource keeps the last collateral its source fetched, for a
// bundle of what a verification used, and announces each fetch.
type recordingSource struct {
	collateral.Source
	// onFetch, if set, is called before each fetch (a progress line).
	onFetch func()

	mu  sync.Mutex
	got *collateral.Collateral
}

// recordCollateral puts a recordingSource in front of opts.Collateral, or
// of Intel's PCS when opts names no source, and returns it.
func recordCollateral(opts *verify.Options) *recordingSource {
	src := opts.Collateral
	if src == nil {
		src = collateral.NewPCS(collateral.HTTPOptions{})
	}
	rec := &recordingSource{Source: src}
	opts.Collateral = rec
	return rec
}

// Fetch implements collateral.Source.
func (r *recordingSource) Fetch(ctx context.Context, req collateral.Request) (*collateral.Collateral, error) {
	if r.onFetch != nil {
		r.onFetch()
	}
	c, err := r.Source.Fetch(ctx, req)
	if err == nil {
		r.mu.Lock()
		r.got = c
		r.mu.Unlock()
	}
	return c, err
}

// collateral returns the last collateral fetched, or nil.
func (r *recordingSource) collateral() *collateral.Collateral {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got
}
