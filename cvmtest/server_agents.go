package cvmtest

import (
	"context"
	"sync"
	"time"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/wire"
)

// replayAgent answers every GetQuote with the first attestation it got:
// a replaying CVM.
type replayAgent struct {
	next  cvm.Agent
	mu    sync.Mutex
	first *wire.Attestation
}

func (a *replayAgent) GetQuote(ctx context.Context, reportData []byte) (*wire.Attestation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.first != nil {
		return a.first, nil
	}
	att, err := a.next.GetQuote(ctx, reportData)
	if err == nil {
		a.first = att
	}
	return att, err
}

func (a *replayAgent) Info(ctx context.Context) (*wire.Info, error) { return a.next.Info(ctx) }

// unboundAgent quotes only the nonce, which the agent pads with zeros: a
// seed-style CVM that does not bind its TLS key.
type unboundAgent struct{ next cvm.Agent }

func (a unboundAgent) GetQuote(ctx context.Context, reportData []byte) (*wire.Attestation, error) {
	return a.next.GetQuote(ctx, reportData[:min(len(reportData), wire.NonceSize)])
}

func (a unboundAgent) Info(ctx context.Context) (*wire.Info, error) { return a.next.Info(ctx) }

// slowAgent makes each quote wait for a delay and a gate, as a slow
// quoting enclave would, holding the handler's quote slot meanwhile.
type slowAgent struct {
	next  cvm.Agent
	delay time.Duration
	gate  <-chan struct{}
}

func (a slowAgent) GetQuote(ctx context.Context, reportData []byte) (*wire.Attestation, error) {
	if d := a.delay; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if a.gate != nil {
		select {
		case <-a.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return a.next.GetQuote(ctx, reportData)
}

func (a slowAgent) Info(ctx context.Context) (*wire.Info, error) { return a.next.Info(ctx) }
