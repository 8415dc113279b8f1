package collateral

import (
	"context"
	"fmt"
)

// Static returns a Source that answers every request with c and names
// itself id, such as "bundle:collateral.json". It serves c whatever FMSPC
// or CA is asked for: package verify checks that the collateral matches the
// quote. c must not be modified afterwards.
func Static(c *Collateral, id string) Source {
	return staticSource{c: c, id: id}
}

// staticSource is the Source returned by Static.
type staticSource struct {
	c  *Collateral
	id string
}

// ID implements Source.
func (s staticSource) ID() string { return s.id }

// Fetch implements Source. It fails only if ctx is done or c is nil.
func (s staticSource) Fetch(ctx context.Context, _ Request) (*Collateral, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, s.id, err)
	}
	if s.c == nil {
		return nil, fmt.Errorf("%w: %s: no collateral", ErrUnavailable, s.id)
	}
	return s.c, nil
}
