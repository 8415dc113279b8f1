package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/remote"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// changedCompose is an app compose other than cvmtest's default: another
// image digest, so a CVM running it breaks app.compose_hashes. (The
// simulator's otherCompose is the same, but builds without the simulator
// leave it out, and these tests run there too.)
var changedCompose = strings.Replace(cvmtest.DefaultCompose, "0001", "0bad", 1)

// checkEvent is one recorded check.
type checkEvent struct {
	cvm string
	r   checkResult
}

// monitorFixture is a monitor on a fake clock with a local webhook, and
// an honest and a compromised simulated CVM (another compose) that share
// a test root and collateral.
type monitorFixture struct {
	m         *monitor
	clk       *fakeClock
	checks    chan checkEvent
	logs      *syncBuffer
	hook      *webhookReceiver
	good, bad *cvmtest.Server
	pol       *policy.Policy
}

// newMonitorFixture makes the fixture; edit adjusts the monitor options.
func newMonitorFixture(t *testing.T, edit ...func(*monitorOptions)) *monitorFixture {
	t.Helper()
	f := &monitorFixture{
		clk:    newFakeClock(time.Now()),
		checks: make(chan checkEvent, 100),
		logs:   &syncBuffer{},
		hook:   newWebhookReceiver(t),
		good:   cvmtest.NewServer(nil),
		bad:    cvmtest.NewServer(nil, cvmtest.WithComposeFile([]byte(changedCompose))),
	}
	t.Cleanup(f.good.Close)
	t.Cleanup(f.bad.Close)
	f.pol = f.good.Policy()
	v, err := verify.New(f.good.VerifyOptions())
	require.NoError(t, err)
	hook, err := newWebhook(f.hook.srv.URL, f.clk)
	require.NoError(t, err)
	opts := monitorOptions{
		clock: f.clk, rand: func() float64 { return 0.5 }, verifier: v,
		log:    slog.New(slog.NewJSONHandler(f.logs, nil)),
		alerts: hook, collateralAlert: defaultCollateralAlert, timeout: 10 * time.Second,
		transportOptions: []transport.Option{transport.WithRootCAs(f.good.PKI().TLSCAPool())},
		checked:          func(cvm string, r checkResult) { f.checks <- checkEvent{cvm, r} },
	}
	for _, e := range edit {
		e(&opts)
	}
	f.m = newMonitor(opts)
	return f
}

// config is a configuration of cvms, checked every minute without
// jitter, defaults filled in.
func (f *monitorFixture) config(t *testing.T, cvms ...*monitoredCVM) *monitorConfig {
	t.Helper()
	zero := 0.0
	cfg := &monitorConfig{Version: 1, Interval: policy.Duration(time.Minute), Jitter: &zero, CVMs: cvms}
	require.NoError(t, cfg.validate())
	return cfg
}

// cvm is a configured CVM at url judged by the honest CVM's policy.
func (f *monitorFixture) cvm(name, url string) *monitoredCVM {
	return &monitoredCVM{Name: name, URL: url, Policy: "policy.yaml", policy: f.pol}
}

// start runs the monitor on cfg; load answers reloads. It returns the
// reload channel and a stop function that returns run's error.
func (f *monitorFixture) start(t *testing.T, cfg *monitorConfig, load func() (*monitorConfig, error)) (chan<- os.Signal, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reload := make(chan os.Signal)
	done := make(chan error, 1)
	go func() { done <- f.m.run(ctx, cfg, reload, load) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(waitLimit):
				err = errors.New("run did not return")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return reload, stop
}

// next waits for the next recorded check.
func (f *monitorFixture) next(t *testing.T) checkEvent {
	t.Helper()
	select {
	case ev := <-f.checks:
		return ev
	case <-time.After(waitLimit):
		t.Fatal("no check recorded")
		return checkEvent{}
	}
}

// tick advances the clock to the next check of n CVMs (each has its timer
// pending first) and returns their checks.
func (f *monitorFixture) tick(t *testing.T, n int, d time.Duration) []checkEvent {
	t.Helper()
	f.clk.WaitTimers(t, n)
	f.clk.Advance(d)
	out := make([]checkEvent, n)
	for i := range out {
		out[i] = f.next(t)
	}
	return out
}

// TestMonitorAlertsOnceOnFailAndOnceOnRecovery: a CVM replaced behind
// its address by one running another compose raises exactly one alert
// however many checks fail, and one more when the honest CVM is back.
func TestMonitorAlertsOnceOnFailAndOnceOnRecovery(t *testing.T) {
	f := newMonitorFixture(t)
	sw := newSwitch(t, f.good.URL)
	f.start(t, f.config(t, f.cvm("api", sw.URL())), nil)

	ev := f.next(t) // jitter 0: the first check comes at once
	require.NoError(t, ev.r.err)
	assert.Empty(t, f.hook.Texts(), "a first pass raises no alert")
	assert.Equal(t, 1.0, gaugeValue(t, f.m, "cvmgate_monitor_verified", "api"))

	sw.set(f.bad.URL)
	for i := range 3 {
		ev := f.tick(t, 1, time.Minute)[0]
		require.Error(t, ev.r.err, "check %d", i)
		assert.Equal(t, verify.KindPolicy, verify.KindOf(ev.r.err))
		// Alerts are delivered before the check is reported, so the
		// count is exact here.
		require.Len(t, f.hook.Texts(), 1, "check %d", i)
	}
	text := f.hook.Texts()[0]
	assert.Contains(t, text, "CVM api ("+sw.URL()+") FAILED verification")
	assert.Contains(t, text, "app.compose_hashes")
	assert.Equal(t, 0.0, gaugeValue(t, f.m, "cvmgate_monitor_verified", "api"))
	assert.Equal(t, 3.0, counterValue(t, f.m, "cvmgate_monitor_failures_total", "api", "policy"))

	sw.set(f.good.URL)
	for range 2 {
		require.NoError(t, f.tick(t, 1, time.Minute)[0].r.err)
	}
	texts := f.hook.Texts()
	require.Len(t, texts, 2)
	assert.Contains(t, texts[1], "CVM api ("+sw.URL()+") verified again: TCB UpToDate, compose hash ")
	assert.Equal(t, 2.0, counterValue(t, f.m, "cvmgate_monitor_alerts_total", "fail", "sent")+counterValue(t, f.m, "cvmgate_monitor_alerts_total", "recover", "sent"))
	assert.Equal(t, 3.0, counterValue(t, f.m, "cvmgate_monitor_checks_total", "api", "pass"))
	assert.Equal(t, 3.0, counterValue(t, f.m, "cvmgate_monitor_checks_total", "api", "refused"))
}

// TestMonitorAlertsOnFirstFailure: a CVM that fails its first check is
// alerted once, and an unreachable one is "no verdict", not "FAILED".
func TestMonitorAlertsOnFirstFailure(t *testing.T) {
	f := newMonitorFixture(t)
	unreachable := "https://" + strings.TrimPrefix(closedURL(t), "http://")
	f.start(t, f.config(t, f.cvm("bad", f.bad.URL), f.cvm("gone", unreachable)), nil)
	got := map[string]checkEvent{}
	for range 2 {
		ev := f.next(t)
		got[ev.cvm] = ev
	}
	f.tick(t, 2, time.Minute)
	assert.Equal(t, resultRefused, got["bad"].r.result())
	assert.Equal(t, resultInconclusive, got["gone"].r.result())
	assert.Equal(t, "unreachable", got["gone"].r.kind())
	texts := f.hook.Texts()
	require.Len(t, texts, 2, "one alert each, not one per check")
	joined := strings.Join(texts, "\n")
	assert.Contains(t, joined, "CVM bad ("+f.bad.URL+") FAILED verification: policy: app.compose_hashes")
	assert.Contains(t, joined, "CVM gone ("+unreachable+") could not be verified (no verdict): unreachable")
}

// TestMonitorCollateralAlert: collateral reaching its nextUpdate within
// the threshold is alerted once per collateral, not at every check.
func TestMonitorCollateralAlert(t *testing.T) {
	f := newMonitorFixture(t)
	next, err := f.good.Collateral().NextUpdate()
	require.NoError(t, err)
	f.start(t, f.config(t, f.cvm("api", f.good.URL)), nil)
	require.NoError(t, f.next(t).r.err)
	assert.Empty(t, f.hook.Texts(), "collateral far from its nextUpdate")
	assert.InDelta(t, next.Sub(f.clk.Now()).Seconds(), gaugeValue(t, f.m, "cvmgate_monitor_collateral_expiry_seconds", "api"), 1)

	// The monitor's clock reaches 2h before the nextUpdate; the verifier
	// still verifies at the wall clock, so the CVM passes.
	f.clk.WaitTimers(t, 1)
	f.clk.Advance(next.Add(-2 * time.Hour).Sub(f.clk.Now()))
	require.NoError(t, f.next(t).r.err)
	for range 2 {
		require.NoError(t, f.tick(t, 1, time.Minute)[0].r.err)
	}
	texts := f.hook.Texts()
	require.Len(t, texts, 1)
	assert.Contains(t, texts[0], "the collateral CVM api ("+f.good.URL+") was verified with (FMSPC ")
	assert.Contains(t, texts[0], "expires at "+next.UTC().Format(time.RFC3339)+", in 2h0m0s")
	assert.InDelta(t, (2*time.Hour - 2*time.Minute).Seconds(), gaugeValue(t, f.m, "cvmgate_monitor_collateral_expiry_seconds", "api"), 1)
	assert.Equal(t, 1.0, counterValue(t, f.m, "cvmgate_monitor_alerts_total", "collateral", "sent"))
}

// TestMonitorSchedule: the first check comes after a random part of the
// jitter, the next ones every interval ± jitter.
func TestMonitorSchedule(t *testing.T) {
	draws := []float64{0.5, 0, 0.999}
	var mu sync.Mutex
	f := newMonitorFixture(t, func(o *monitorOptions) {
		o.rand = func() float64 {
			mu.Lock()
			defer mu.Unlock()
			r := draws[0]
			draws = append(draws[1:], r)
			return r
		}
	})
	jitter := 0.2
	cfg := f.config(t, f.cvm("api", f.good.URL))
	cfg.Jitter = &jitter
	f.start(t, cfg, nil)
	f.tick(t, 1, 6*time.Second) // 0.5 × 0.2 × 1m
	f.tick(t, 1, 48*time.Second)
	third := time.Minute + time.Duration((2*0.999-1)*float64(12*time.Second))
	f.tick(t, 1, third)
	f.clk.WaitTimers(t, 1)
	assert.Equal(t, []time.Duration{
		6 * time.Second,  // 0.5 × 0.2 × 1m
		48 * time.Second, // 1m - 0.2m at draw 0
		third,            // 1m + 0.2m at draw 0.999
		time.Minute,      // 1m at draw 0.5
	}, f.clk.Asked())
}

// TestMonitorReload: a reload keeps the running configuration when the
// new one is invalid; a valid one drops a removed CVM's state and series
// and checks an added one, raising no alert of its own.
func TestMonitorReload(t *testing.T) {
	f := newMonitorFixture(t)
	first := f.config(t, f.cvm("a", f.good.URL), f.cvm("b", f.good.URL))
	second := f.config(t, f.cvm("a", f.good.URL), f.cvm("c", f.good.URL))
	loads := make(chan func() (*monitorConfig, error), 1)
	reload, stop := f.start(t, first, func() (*monitorConfig, error) { return (<-loads)() })
	f.next(t)
	f.next(t)

	loads <- func() (*monitorConfig, error) { return nil, errors.New("cvms[0].url: expected an https:// URL") }
	reload <- syscall.SIGHUP
	// The old configuration goes on: both CVMs are checked at the next tick.
	got := f.tick(t, 2, time.Minute)
	assert.ElementsMatch(t, []string{"a", "b"}, []string{got[0].cvm, got[1].cvm})
	assert.Equal(t, 1.0, counterValue(t, f.m, "cvmgate_monitor_config_reloads_total", "failure"))
	assert.Contains(t, f.logs.String(), `"msg":"config reload failed; the running configuration stays","error":"cvms[0].url: expected an https:// URL"`)

	f.clk.WaitTimers(t, 2)
	loads <- func() (*monitorConfig, error) { return second, nil }
	reload <- syscall.SIGHUP
	got = []checkEvent{f.next(t), f.next(t)} // jitter 0: checked at once
	assert.ElementsMatch(t, []string{"a", "c"}, []string{got[0].cvm, got[1].cvm})
	assert.Equal(t, 1.0, counterValue(t, f.m, "cvmgate_monitor_config_reloads_total", "success"))
	assert.Empty(t, f.hook.Texts())
	names := map[string]bool{}
	for _, s := range f.m.snapshot() {
		names[s.name] = true
	}
	assert.Equal(t, map[string]bool{"a": true, "c": true}, names)
	_, found := series(t, f.m, "cvmgate_monitor_checks_total", "b", "pass")
	assert.False(t, found, "b's series are gone")
	assert.Equal(t, 3.0, counterValue(t, f.m, "cvmgate_monitor_checks_total", "a", "pass"))
	require.NoError(t, stop())
}

// TestMonitorStopCancelsCheckInProgress: a stop returns promptly though
// a CVM holds its check (it accepts the connection and never answers),
// and the cut check records nothing.
func TestMonitorStopCancelsCheckInProgress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	f := newMonitorFixture(t)
	_, stop := f.start(t, f.config(t, f.cvm("silent", "https://"+ln.Addr().String())), nil)
	select {
	case c := <-accepted:
		t.Cleanup(func() { c.Close() })
	case <-time.After(waitLimit):
		t.Fatal("the monitor did not connect")
	}
	require.NoError(t, stop())
	assert.Len(t, f.checks, 0, "no check recorded")
	assert.Empty(t, f.hook.Texts())
	assert.Contains(t, f.logs.String(), `"msg":"monitor stopped"`)
}

// TestMonitorOnce: --once exits 0 when every CVM passed, 1 when one was
// refused, 3 when one could not be verified and none was refused.
func TestMonitorOnce(t *testing.T) {
	f := newMonitorFixture(t)
	unreachable := "https://" + strings.TrimPrefix(closedURL(t), "http://")
	tests := map[string]struct {
		cvms []*monitoredCVM
		code int
		msg  string
	}{
		"all pass":    {[]*monitoredCVM{f.cvm("a", f.good.URL), f.cvm("b", f.good.URL)}, exitOK, ""},
		"one refused": {[]*monitoredCVM{f.cvm("a", f.good.URL), f.cvm("b", f.bad.URL), f.cvm("c", unreachable)}, exitRefused, "1 of 3 CVMs refused: b (policy), c (unreachable)"},
		"unreachable": {[]*monitoredCVM{f.cvm("a", f.good.URL), f.cvm("c", unreachable)}, exitNoVerdict, "1 of 2 CVMs could not be verified: c (unreachable)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := f.m.once(context.Background(), f.config(t, tc.cvms...))
			assert.Equal(t, tc.code, exitCode(err))
			if tc.msg != "" {
				assert.EqualError(t, err, tc.msg)
			}
		})
	}
	assert.Empty(t, f.hook.Texts(), "--once sends no alert")
}

// TestMonitorRemoteVerifier: with a remote verifier, local verification
// decides, the log and metrics say how the remote verdict compared, and a
// disagreement fails the check (and alerts) with its own kind.
func TestMonitorRemoteVerifier(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		answer    string
		bad       bool // check the CVM running another compose
		agreement string
		kind      string // "" for a pass
	}{
		{"agrees", http.StatusOK, `{"success": true, "quote": {"verified": true}}`, false, "agrees", ""},
		{"disagrees", http.StatusBadRequest, `{"detail": "Quote verification failed"}`, false, "disagrees", "remote_disagreement"},
		{"no answer", http.StatusServiceUnavailable, `{"detail": "down"}`, false, "unavailable", ""},
		{"policy is not its business", http.StatusOK, `{"quote": {"verified": true}}`, true, "agrees", "policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var quotes atomic.Int64
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				quotes.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.answer)
			}))
			t.Cleanup(fake.Close)
			client, err := remote.New(fake.URL, remote.Options{})
			require.NoError(t, err)
			f := newMonitorFixture(t, func(o *monitorOptions) { o.remote = client })
			url := f.good.URL
			if tc.bad {
				url = f.bad.URL
			}
			f.start(t, f.config(t, f.cvm("api", url)), nil)
			ev := f.next(t)
			assert.Equal(t, int64(1), quotes.Load())
			assert.Equal(t, tc.agreement, ev.r.remote)
			assert.Equal(t, 1.0, counterValue(t, f.m, "cvmgate_monitor_remote_verdicts_total", tc.agreement, "api"))
			line := jsonLines(t, f.logs.String())[0]
			assert.Equal(t, tc.agreement, line["remote"])
			if tc.kind == "" {
				require.NoError(t, ev.r.err)
				assert.Empty(t, f.hook.Texts())
			} else {
				assert.Equal(t, tc.kind, ev.r.kind())
				require.Len(t, f.hook.Texts(), 1)
				assert.Contains(t, f.hook.Texts()[0], tc.kind)
			}
			if tc.agreement == "unavailable" {
				assert.Contains(t, line["remote_error"], "HTTP 503")
			}
		})
	}
}
