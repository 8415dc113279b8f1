package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/cvmgate/cvmgate/verify"
)

// AcceptedStatuses returns every converged TCB status Check may accept:
// those of tcb.accept (UpToDate when absent), then, when the policy has an
// out-of-date grace, OutOfDate, and OutOfDateConfigurationNeeded if
// ConfigurationNeeded is accepted. The last two pass Check only within the
// grace. The result is a new slice in a fixed order.
func (p *Policy) AcceptedStatuses() []verify.TCBStatus {
	base := p.TCB.accepted()
	out := make([]verify.TCBStatus, 0, len(knownStatuses))
	for _, s := range knownStatuses {
		if slices.Contains(base, s) || p.graceCovers(s) {
			out = append(out, s)
		}
	}
	return out
}

// graceCovers reports whether the out-of-date grace can accept status s.
// The grace forgives being out of date, nothing else: OutOfDate qualifies,
// and OutOfDateConfigurationNeeded does only when ConfigurationNeeded is
// accepted on its own.
func (p *Policy) graceCovers(s verify.TCBStatus) bool {
	if p.TCB.OutOfDateGrace <= 0 {
		return false
	}
	switch s {
	case verify.StatusOutOfDate:
		return true
	case verify.StatusOutOfDateConfigurationNeeded:
		return slices.Contains(p.TCB.accepted(), verify.StatusConfigurationNeeded)
	}
	return false
}

// checkTCB judges the report's TCB status and DEBUG attribute.
func (p *Policy) checkTCB(r *verify.Report, vs []error) []error {
	status := r.TCBStatus
	switch {
	case slices.Contains(p.TCB.accepted(), status):
	case p.graceCovers(status):
		if v := p.checkGrace(r); v != nil {
			vs = append(vs, v)
		}
	default:
		vs = append(vs, &Violation{Rule: "tcb.accept", Expected: p.expectedStatuses(), Found: quoteShort(string(status))})
	}
	if r.Debug && !p.TCB.AllowDebug {
		vs = append(vs, &Violation{Rule: "tcb.allow_debug", Expected: "a TD without the DEBUG attribute", Found: "DEBUG set"})
	}
	return vs
}

// checkGrace accepts an out-of-date report when it fell out of date at
// most OutOfDateGrace before it was verified.
func (p *Policy) checkGrace(r *verify.Report) *Violation {
	grace := time.Duration(p.TCB.OutOfDateGrace)
	expected := fmt.Sprintf("%s at most %s after the platform fell out of date", r.TCBStatus, p.TCB.OutOfDateGrace)
	switch {
	case r.OutOfDateSince.IsZero():
		return &Violation{Rule: "tcb.out_of_date_grace", Expected: expected, Found: fmt.Sprintf("%s with no platform out-of-date date (module or QE out of date)", r.TCBStatus)}
	case r.VerifiedAt.IsZero():
		return &Violation{Rule: "tcb.out_of_date_grace", Expected: expected, Found: fmt.Sprintf("%s with no verification time", r.TCBStatus)}
	}
	if late := r.VerifiedAt.Sub(r.OutOfDateSince); late > grace {
		return &Violation{Rule: "tcb.out_of_date_grace", Expected: expected, Found: fmt.Sprintf("%s since %s, %s before verification at %s",
			r.TCBStatus, r.OutOfDateSince.UTC().Format(time.RFC3339), late, r.VerifiedAt.UTC().Format(time.RFC3339))}
	}
	return nil
}

// expectedStatuses describes the accepted statuses for a violation.
func (p *Policy) expectedStatuses() string {
	msg := fmt.Sprintf("one of %v", p.TCB.accepted())
	if len(p.TCB.accepted()) == 0 {
		msg = emptyAllowlist
	}
	if p.TCB.OutOfDateGrace > 0 {
		graced := string(verify.StatusOutOfDate)
		if p.graceCovers(verify.StatusOutOfDateConfigurationNeeded) {
			graced += " or " + string(verify.StatusOutOfDateConfigurationNeeded)
		}
		msg += fmt.Sprintf(", or %s within %s of falling out of date", graced, p.TCB.OutOfDateGrace)
	}
	return msg
}
