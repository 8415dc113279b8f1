package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cvmgate/cvmgate/remote"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// monitor checks the CVMs of a configuration on their intervals, keeps
// what each check left for the metrics, logs every check and alerts on
// changes. Its time comes from clock and its randomness from rand, so
// that tests drive it without waiting.
type monitor struct {
	monitorOptions
	metrics *monitorMetrics

	mu     sync.Mutex
	cfg    *monitorConfig
	states map[string]*cvmState
}

// monitorOptions configure newMonitor.
type monitorOptions struct {
	clock    clock
	rand     func() float64 // in [0, 1)
	verifier *verify.Verifier
	log      *slog.Logger
	// alerts delivers alerts; nil sends none.
	alerts alerter
	// remote, if set, gives a second opinion on every quote.
	remote *remote.Client
	// collateralAlert is how long ahead of the collateral's nextUpdate
	// to alert; zero never alerts.
	collateralAlert time.Duration
	// timeout bounds one attestation; zero means
	// transport.DefaultAttestationTimeout.
	timeout time.Duration
	// transportOptions are added to every CVM's transport options.
	transportOptions []transport.Option
	// checked, if set, is called after each check is recorded (tests).
	checked func(cvm string, r checkResult)
}

// newMonitor returns a monitor with its metrics registered.
func newMonitor(o monitorOptions) *monitor {
	m := &monitor{monitorOptions: o, states: map[string]*cvmState{}}
	if m.timeout <= 0 {
		m.timeout = transport.DefaultAttestationTimeout
	}
	m.metrics = newMonitorMetrics(m)
	return m
}

// target is a CVM of the running configuration with its transport.
type target struct {
	*monitoredCVM
	every time.Duration
	tr    *transport.Transport
}

// generation is the running configuration: one goroutine per CVM.
type generation struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// stop ends the generation's checks, cancelling those in progress, and
// waits for them.
func (g *generation) stop() {
	g.cancel()
	g.wg.Wait()
}

// run checks the CVMs of cfg until ctx ends. On each signal of reload
// (SIGHUP) it loads the configuration again with load; an invalid one is
// logged and the running one kept.
func (m *monitor) run(ctx context.Context, cfg *monitorConfig, reload <-chan os.Signal, load func() (*monitorConfig, error)) error {
	targets, err := m.targets(cfg)
	if err != nil {
		return err
	}
	gen := m.launch(ctx, cfg, targets)
	for {
		select {
		case <-ctx.Done():
			gen.stop()
			m.log.Info("monitor stopped")
			return nil
		case <-reload:
			next, err := load()
			var nextTargets []*target
			if err == nil {
				nextTargets, err = m.targets(next)
			}
			if err != nil {
				m.metrics.reloads.WithLabelValues("failure").Inc()
				m.log.Error("config reload failed; the running configuration stays", slog.String("error", err.Error()))
				continue
			}
			gen.stop()
			m.metrics.reloads.WithLabelValues("success").Inc()
			m.log.Info("config reloaded", slog.Int("cvms", len(next.CVMs)))
			gen = m.launch(ctx, next, nextTargets)
		}
	}
}

// targets makes the transport of each CVM of cfg; all share the
// monitor's verifier.
func (m *monitor) targets(cfg *monitorConfig) ([]*target, error) {
	out := make([]*target, len(cfg.CVMs))
	for i, c := range cfg.CVMs {
		opts := append([]transport.Option{transport.WithVerifier(m.verifier), transport.WithAttestationTimeout(m.timeout)}, m.transportOptions...)
		tr, err := transport.New(c.policy, opts...)
		if err != nil {
			return nil, fmt.Errorf("cvms[%d] (%s): %w", i, c.Name, err)
		}
		out[i] = &target{monitoredCVM: c, every: cfg.interval(c), tr: tr}
	}
	return out, nil
}

// launch makes cfg the running configuration: the state of CVMs no
// longer in it is dropped (a CVM that stays keeps its state, so that a
// reload raises no alert of its own), and a goroutine per CVM checks it
// after a random part of the jitter, then on its interval.
func (m *monitor) launch(ctx context.Context, cfg *monitorConfig, targets []*target) *generation {
	m.apply(cfg)
	gctx, cancel := context.WithCancel(ctx)
	g := &generation{cancel: cancel}
	jitter := cfg.jitter()
	for _, t := range targets {
		g.wg.Go(func() { m.loop(gctx, t, jitter) })
	}
	return g
}

// apply makes cfg the configuration whose CVMs have a state.
func (m *monitor) apply(cfg *monitorConfig) {
	m.mu.Lock()
	m.cfg = cfg
	keep := map[string]bool{}
	for _, c := range cfg.CVMs {
		keep[c.Name] = true
		if m.states[c.Name] == nil {
			m.states[c.Name] = &cvmState{name: c.Name}
		}
	}
	var gone []string
	for name := range m.states {
		if !keep[name] {
			gone = append(gone, name)
			delete(m.states, name)
		}
	}
	m.mu.Unlock()
	for _, name := range gone {
		m.metrics.forget(name)
	}
}

// loop checks t until ctx ends: first after a random fraction of
// jitter×interval, then every interval ± jitter×interval.
func (m *monitor) loop(ctx context.Context, t *target, jitter float64) {
	spread := jitter * float64(t.every)
	delay := time.Duration(m.rand() * spread)
	for {
		c, stop := m.clock.Timer(delay)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c:
		}
		m.checkAndAlert(ctx, t)
		delay = t.every + time.Duration((2*m.rand()-1)*spread)
	}
}

// once checks every CVM of cfg once, all at the same time, and sends no
// alert. It returns nil when every CVM passed, and otherwise an error
// whose exit status is 1 when one was refused, 3 when none was but one
// could not be verified.
func (m *monitor) once(ctx context.Context, cfg *monitorConfig) error {
	targets, err := m.targets(cfg)
	if err != nil {
		return err
	}
	m.apply(cfg)
	results := make([]checkResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { results[i], _, _ = m.check(ctx, t) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return exitError{exitNoVerdict, fmt.Errorf("interrupted: %w", err)}
	}
	var refused, inconclusive []string
	for i, r := range results {
		switch r.result() {
		case resultRefused:
			refused = append(refused, targets[i].Name+" ("+r.kind()+")")
		case resultInconclusive:
			inconclusive = append(inconclusive, targets[i].Name+" ("+r.kind()+")")
		}
	}
	switch {
	case len(refused) > 0:
		return exitError{exitRefused, fmt.Errorf("%d of %d CVMs refused: %s", len(refused), len(targets), strings.Join(append(refused, inconclusive...), ", "))}
	case len(inconclusive) > 0:
		return exitError{exitNoVerdict, fmt.Errorf("%d of %d CVMs could not be verified: %s", len(inconclusive), len(targets), strings.Join(inconclusive, ", "))}
	}
	return nil
}

// config returns the running configuration.
func (m *monitor) config() *monitorConfig {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg
}

// snapshot returns a copy of every CVM's state, by name.
func (m *monitor) snapshot() []cvmState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]cvmState, 0, len(m.states))
	for _, name := range slices.Sorted(maps.Keys(m.states)) {
		out = append(out, *m.states[name])
	}
	return out
}
