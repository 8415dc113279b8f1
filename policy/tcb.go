package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/verify"
)

// AcceptedStatuses returns every converged TCB status Check may accept:
// those of tcb.accept (UpToDate when absent), then, when the policy has an
// out-of-date grace, OutOfDate if UpToDate or SWHardeningNeeded is
// accepted, and OutOfDateConfigurationNeeded if ConfigurationNeeded or
// ConfigurationAndSWHardeningNeeded is. The last two pass Check only
// within the grace, and only when the status without the out-of-date parts
// is accepted. The result is a new slice in a fixed order.
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
// The grace forgives being out of date, nothing else: s qualifies when
// one of the statuses it can hide (see withoutOutOfDate) is accepted.
func (p *Policy) graceCovers(s verify.TCBStatus) bool {
	if p.TCB.OutOfDateGrace <= 0 {
		return false
	}
	accepted := p.TCB.accepted()
	switch s {
	case verify.StatusOutOfDate:
		return slices.Contains(accepted, verify.StatusUpToDate) || slices.Contains(accepted, verify.StatusSWHardeningNeeded)
	case verify.StatusOutOfDateConfigurationNeeded:
		return slices.Contains(accepted, verify.StatusConfigurationNeeded) || slices.Contains(accepted, verify.StatusConfigurationAndSWHardeningNeeded)
	}
	return false
}

// withoutOutOfDate returns the status a TD would have were none of its
// parts out of date: the platform's status with its out-of-date part
// removed. An out-of-date TDX module or QE only adds OutOfDate to the
// platform's status, so forgiving them leaves the platform's status as it
// is: a SWHardeningNeeded platform under an out-of-date QE is still
// SWHardeningNeeded.
func withoutOutOfDate(platform verify.TCBStatus) verify.TCBStatus {
	switch platform {
	case verify.StatusOutOfDate:
		return verify.StatusUpToDate
	case verify.StatusOutOfDateConfigurationNeeded:
		return verify.StatusConfigurationNeeded
	}
	return platform
}

// checkTCB judges the report's TCB status.
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
	return vs
}

// outOfDatePart is a part of the TCB whose own level is out of date.
type outOfDatePart struct {
	name  string
	since time.Time
}

// outOfDateParts lists the parts of r's TCB whose own level is out of date,
// with the date each fell out of date.
func outOfDateParts(r *verify.Report) []outOfDatePart {
	var parts []outOfDatePart
	if s := r.PlatformTCBStatus; s == verify.StatusOutOfDate || s == verify.StatusOutOfDateConfigurationNeeded {
		parts = append(parts, outOfDatePart{"platform", r.PlatformOutOfDateSince})
	}
	if r.TDXModuleTCBStatus == verify.StatusOutOfDate {
		parts = append(parts, outOfDatePart{"TDX module", r.TDXModuleOutOfDateSince})
	}
	if r.QETCBStatus == verify.StatusOutOfDate {
		parts = append(parts, outOfDatePart{"QE", r.QEOutOfDateSince})
	}
	return parts
}

// checkGrace accepts an out-of-date report when the status without its
// out-of-date parts is accepted and every part that is out of date fell
// out of date at most OutOfDateGrace before the report was verified.
func (p *Policy) checkGrace(r *verify.Report) *Violation {
	grace := time.Duration(p.TCB.OutOfDateGrace)
	parts := outOfDateParts(r)
	layers := fmt.Sprintf("%s (platform %s, TDX module %s, QE %s)", r.TCBStatus,
		orNone(string(r.PlatformTCBStatus)), orNone(string(r.TDXModuleTCBStatus)), orNone(string(r.QETCBStatus)))
	if len(parts) == 0 {
		return &Violation{Rule: "tcb.out_of_date_grace", Expected: "an out-of-date platform, TDX module or QE to forgive", Found: layers}
	}
	if base := withoutOutOfDate(r.PlatformTCBStatus); !slices.Contains(p.TCB.accepted(), base) {
		return &Violation{Rule: "tcb.accept", Expected: p.expectedStatuses(),
			Found: fmt.Sprintf("%s, which is %s without its out-of-date parts", layers, quoteShort(string(base)))}
	}
	expected := fmt.Sprintf("every out-of-date part out of date for at most %s", p.TCB.OutOfDateGrace)
	if r.VerifiedAt.IsZero() {
		return &Violation{Rule: "tcb.out_of_date_grace", Expected: expected, Found: layers + " with no verification time"}
	}
	var late []string
	for _, part := range parts {
		switch d := r.VerifiedAt.Sub(part.since); {
		case part.since.IsZero():
			late = append(late, part.name+" out of date with no date (its level is the newest)")
		case d > grace:
			late = append(late, fmt.Sprintf("%s out of date since %s, %s before verification at %s",
				part.name, part.since.UTC().Format(time.RFC3339), d, r.VerifiedAt.UTC().Format(time.RFC3339)))
		}
	}
	if late != nil {
		return &Violation{Rule: "tcb.out_of_date_grace", Expected: expected, Found: layers + ": " + strings.Join(late, "; ")}
	}
	return nil
}

// orNone writes an empty status as "none".
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// expectedStatuses describes the accepted statuses for a violation.
func (p *Policy) expectedStatuses() string {
	msg := fmt.Sprintf("one of %v", p.TCB.accepted())
	if len(p.TCB.accepted()) == 0 {
		msg = emptyAllowlist
	}
	var graced []string
	for _, s := range []verify.TCBStatus{verify.StatusOutOfDate, verify.StatusOutOfDateConfigurationNeeded} {
		if p.graceCovers(s) {
			graced = append(graced, string(s))
		}
	}
	if graced != nil {
		msg += fmt.Sprintf(", or %s whose out-of-date parts fell out of date within %s and which is accepted without them",
			strings.Join(graced, " or "), p.TCB.OutOfDateGrace)
	}
	return msg
}
