package transport

import (
	"context"
)

// attestLapsed attests o again in the path of a request that found a
// verdict of o lapsed, then closes the connections of the verdicts that
// are still lapsed.
//
// It attests over a new connection. Most often the CVM still presents the
// lapsed key, and its new verdict keeps the pooled connections that
// present it open. Closing them first would race with the pool:
// http.Transport learns that a connection is closed only when its reader
// sees it, and until then can hand it to the very request that found the
// lapse, which fails on the closed connection whatever its method.
// Concurrent requests share one such attestation. Its failure is recorded
// against the key like any other, and a request meets it again when it
// dials; only the caller's context ending is returned.
func (t *Transport) attestLapsed(ctx context.Context, o *origin) error {
	ch := t.flights.DoChan(o.name+" lapsed", func() (any, error) {
		defer func() { closeAll(o.expire(t.cfg.now())) }()
		pol, err := t.policyFor(o.name)
		if err != nil {
			return nil, nil // the dial meets it again
		}
		actx, cancel := context.WithTimeout(context.Background(), t.cfg.timeout)
		defer cancel()
		if _, err := t.attestMet(actx, o, pol, nil); err != nil {
			t.logf("lapsed verdict: connect", o.name, keyID{}, err)
		}
		return nil, nil
	})
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return &AttestationError{Origin: o.name, Step: StepConnect, Err: unreachable("wait for attestation", ctx.Err())}
	}
}
