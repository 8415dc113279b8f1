package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/remote"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// checkStatus is where a CVM stands after its last check.
type checkStatus int

const (
	statusUnchecked checkStatus = iota // not checked since it was configured
	statusPass
	statusFail
)

// Check results, in logs and the result label of checks_total.
const (
	resultPass         = "pass"
	resultRefused      = "refused"      // the evidence was examined and refused
	resultInconclusive = "inconclusive" // no verdict: unreachable, collateral unavailable
)

// cvmState is what a CVM's checks left.
type cvmState struct {
	name   string
	status checkStatus
	// lastCheck and lastSuccess are when the CVM was last checked, and
	// last passed.
	lastCheck, lastSuccess time.Time
	// tcbStatus is the status its platform was last rated ("" before).
	tcbStatus verify.TCBStatus
	// collateralNextUpdate is that of the collateral it was last
	// verified with; verdictExpires when its verdict lapses (zero while
	// it fails).
	collateralNextUpdate, verdictExpires time.Time
	// alertedCollateral is the collateral nextUpdate an expiry alert was
	// sent for, so that one collateral raises one alert.
	alertedCollateral time.Time
}

// checkResult is the outcome of one check.
type checkResult struct {
	at       time.Time
	duration time.Duration
	// report is the verified report, or on failure what verification
	// established (nil when it did not get that far).
	report *verify.Report
	// err is the failure; nil when the CVM passed.
	err error
	// verdictExpires is when the verdict of a pass lapses.
	verdictExpires time.Time
	// remote is how the remote verifier's verdict compared with the local
	// one ("" without --remote-verifier, remoteUnavailable when it gave
	// none), and remoteErr why it gave none.
	remote    string
	remoteErr error
}

// remoteUnavailable is the remote outcome of a check the remote verifier
// gave no verdict for.
const remoteUnavailable = "unavailable"

// result names r for logs and metrics.
func (r checkResult) result() string {
	switch {
	case r.err == nil:
		return resultPass
	case verify.KindOf(r.err).Inconclusive():
		return resultInconclusive
	}
	return resultRefused
}

// kind is the failure's kind, "other" for an error without one.
func (r checkResult) kind() string {
	if k := verify.KindOf(r.err); k != "" {
		return string(k)
	}
	return "other"
}

// check attests t once, records the result and logs it, and returns the
// result with the alerts it raises. A check cut short by ctx (a stop or a
// reload) records nothing, and check reports false: it reached no verdict
// about the CVM.
func (m *monitor) check(ctx context.Context, t *target) (checkResult, []alert, bool) {
	start := time.Now() // a measurement, not a decision: the wall clock
	a, err := t.tr.Attest(ctx, t.URL)
	if ctx.Err() != nil {
		return checkResult{}, nil, false
	}
	r := checkResult{at: m.clock.Now(), duration: time.Since(start), report: a.Report, err: err}
	if m.remote != nil {
		if !m.secondOpinion(ctx, a, &r) {
			return checkResult{}, nil, false
		}
	}
	if r.err == nil {
		r.verdictExpires = a.Expires
	}
	alerts := m.record(t, r)
	m.logCheck(t, r)
	return r, alerts, true
}

// secondOpinion asks the remote verifier about the quote of a, when
// local verification got one, and records in r how the two compare. A
// disagreement becomes the check's error (verify.KindRemoteDisagreement):
// the check fails rather than guess which verifier is wrong. A remote
// verifier that gives no verdict changes nothing: local verification
// decides. It reports false when ctx ended meanwhile.
func (m *monitor) secondOpinion(ctx context.Context, a transport.Attestation, r *checkResult) bool {
	if a.Report == nil {
		return true // nothing was verified: nothing to compare
	}
	q := quoteOf(a.AttestationDocument)
	if q == nil {
		return true // no quote was obtained from the CVM
	}
	v, err := m.remote.Verify(ctx, q)
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		r.remote, r.remoteErr = remoteUnavailable, err
		return true
	}
	agreement, disagreement := remote.Compare(a.Report, v)
	r.remote = string(agreement)
	if disagreement != nil {
		r.err = disagreement
	}
	return true
}

// checkAndAlert checks t and delivers the alerts the result raises.
func (m *monitor) checkAndAlert(ctx context.Context, t *target) {
	r, alerts, ok := m.check(ctx, t)
	if !ok {
		return
	}
	for _, a := range alerts {
		m.sendAlert(ctx, a)
	}
	if m.checked != nil {
		m.checked(t.Name, r)
	}
}

// record updates t's state and metrics with r and returns the alerts the
// change raises: a failure after a pass (or as the first result), a pass
// after a failure, and collateral expiring within collateralAlert.
func (m *monitor) record(t *target, r checkResult) []alert {
	m.metrics.duration.WithLabelValues(t.Name).Observe(r.duration.Seconds())
	m.metrics.checks.WithLabelValues(t.Name, r.result()).Inc()
	if r.remote != "" {
		m.metrics.remote.WithLabelValues(t.Name, r.remote).Inc()
	}
	if r.err != nil {
		m.metrics.failures.WithLabelValues(t.Name, r.kind()).Inc()
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.states[t.Name]
	if s == nil { // dropped by a reload while the check ran
		return nil
	}
	prev := s.status
	s.lastCheck = r.at
	if r.report != nil && r.report.TCBStatus != "" {
		s.tcbStatus = r.report.TCBStatus
	}
	if r.report != nil && !r.report.CollateralNextUpdate.IsZero() {
		s.collateralNextUpdate = r.report.CollateralNextUpdate
	}
	var out []alert
	if r.err != nil {
		s.status, s.verdictExpires = statusFail, time.Time{}
		if prev != statusFail {
			out = append(out, alert{event: alertFail, cvm: t.Name, text: failText(t, r)})
		}
		return out
	}
	s.status, s.lastSuccess, s.verdictExpires = statusPass, r.at, r.verdictExpires
	if prev == statusFail {
		out = append(out, alert{event: alertRecover, cvm: t.Name, text: recoverText(t, r)})
	}
	next := s.collateralNextUpdate
	if m.collateralAlert > 0 && !next.IsZero() && next.Sub(r.at) <= m.collateralAlert && !next.Equal(s.alertedCollateral) {
		s.alertedCollateral = next
		out = append(out, alert{event: alertCollateral, cvm: t.Name, text: collateralText(t, r, next)})
	}
	return out
}

// sendAlert delivers a, logging and counting the outcome.
func (m *monitor) sendAlert(ctx context.Context, a alert) {
	if m.alerts == nil {
		return
	}
	attrs := []any{slog.String("cvm", a.cvm), slog.String("event", a.event)}
	if err := m.alerts.send(ctx, a); err != nil {
		m.metrics.alerts.WithLabelValues(a.event, "failed").Inc()
		m.log.Error("alert not delivered", append(attrs, slog.String("error", err.Error()))...)
		return
	}
	m.metrics.alerts.WithLabelValues(a.event, "sent").Inc()
	m.log.Info("alert sent", attrs...)
}

// logCheck logs one check as a JSON line (docs/json.md, monitor-check).
func (m *monitor) logCheck(t *target, r checkResult) {
	attrs := []slog.Attr{
		slog.String("cvm", t.Name),
		slog.String("url", t.URL),
		slog.Any("labels", labelsOrEmpty(t.Labels)),
		slog.String("result", r.result()),
		slog.Float64("duration_seconds", r.duration.Seconds()),
	}
	if rep := r.report; rep != nil {
		if rep.TCBStatus != "" {
			attrs = append(attrs, slog.String("tcb_status", string(rep.TCBStatus)))
		}
		if d := rep.Dstack; d != nil {
			attrs = append(attrs,
				slog.String("app_id", hex.EncodeToString(d.Identity.AppID)),
				slog.String("compose_hash", hex.EncodeToString(d.Identity.ComposeHash)))
		}
		if !rep.CollateralNextUpdate.IsZero() {
			attrs = append(attrs, slog.Time("collateral_next_update", rep.CollateralNextUpdate.UTC()))
		}
	}
	if r.remote != "" {
		attrs = append(attrs, slog.String("remote", r.remote))
	}
	if r.remoteErr != nil {
		attrs = append(attrs, slog.String("remote_error", r.remoteErr.Error()))
	}
	level := slog.LevelInfo
	if r.err == nil {
		attrs = append(attrs, slog.Time("verdict_expires", r.verdictExpires.UTC()))
	} else {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("kind", r.kind()), slog.String("error", describe(r.err)))
		if h := hint(r.err); h != "" {
			attrs = append(attrs, slog.String("hint", h))
		}
	}
	m.log.LogAttrs(context.Background(), level, "check", attrs...)
}

// labelsOrEmpty returns labels, or an empty map, so that the log line
// always has an object.
func labelsOrEmpty(l map[string]string) map[string]string {
	if l == nil {
		return map[string]string{}
	}
	return l
}

// describeCVM names t in an alert: its name, labels and URL.
func describeCVM(t *target) string {
	s := "CVM " + t.Name
	if len(t.Labels) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(t.Labels)) {
			kv = append(kv, k+"="+t.Labels[k])
		}
		s += " [" + strings.Join(kv, " ") + "]"
	}
	return s + " (" + t.URL + ")"
}

// failText is the alert of a CVM that stopped passing.
func failText(t *target, r checkResult) string {
	what := "FAILED verification"
	if r.result() == resultInconclusive {
		what = "could not be verified (no verdict)"
	}
	text := fmt.Sprintf(":rotating_light: cvmgate: %s %s: %s", describeCVM(t), what, describe(r.err))
	if h := hint(r.err); h != "" {
		text += "\nHint: " + h
	}
	return text
}

// recoverText is the alert of a failing CVM that passed again.
func recoverText(t *target, r checkResult) string {
	text := fmt.Sprintf(":white_check_mark: cvmgate: %s verified again", describeCVM(t))
	if r.report != nil {
		text += ": TCB " + string(r.report.TCBStatus)
		if d := r.report.Dstack; d != nil {
			text += ", compose hash " + hex.EncodeToString(d.Identity.ComposeHash)
		}
	}
	return text
}

// collateralText is the alert of collateral about to expire.
func collateralText(t *target, r checkResult, next time.Time) string {
	fmspc := ""
	if r.report != nil && r.report.FMSPC != "" {
		fmspc = " (FMSPC " + r.report.FMSPC + ")"
	}
	return fmt.Sprintf(":warning: cvmgate: the collateral %s was verified with%s expires at %s, in %s; "+
		"after that its verification fails with collateral_expired unless newer collateral is fetched: "+
		"check the PCCS, or refresh the bundle given with --collateral ('cvmgate collateral fetch')",
		describeCVM(t), fmspc, next.UTC().Format(time.RFC3339), next.Sub(r.at).Round(time.Minute))
}

// unixSeconds is t as unix seconds with a fraction.
func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
