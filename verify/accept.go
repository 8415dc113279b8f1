package verify

import (
	"fmt"
	"slices"
)

// Policy judges a report whose facts verification has established. It is
// passed on each call, so that one Verifier, with its caches, serves every
// caller and every policy. *policy.Policy implements it; Accept is the
// minimal one.
type Policy interface {
	// Check returns nil when the caller accepts r, and otherwise an error
	// saying why, every violation at once where there are several.
	Check(r *Report) error
}

// Accept is the minimal Policy: which TCB statuses are accepted and
// whether a debug TD is. Its zero value accepts only UpToDate and refuses
// debug TDs; it is what Verify and VerifyEvidence use when given no
// Policy. It always applies the default rules on the TD's own
// configuration, CheckTDAttributes and CheckServiceTD, which package
// policy shares. It judges nothing of a dstack app's identity: use
// package policy for that.
type Accept struct {
	// Statuses lists the final TCB statuses accepted. Empty means only
	// UpToDate. StatusUnknown, the status without collateral, is accepted
	// only when listed.
	Statuses []TCBStatus
	// AllowDebug accepts TDs with the DEBUG attribute set. Never in
	// production: the host can read and change a debug TD's memory.
	AllowDebug bool
}

// Check refuses a report whose TD is in debug mode without AllowDebug or
// has another TD-under-debug bit (KindDebugTD), whose TD attributes
// CheckTDAttributes refuses otherwise (KindTDAttributes), which has a
// service TD bound (KindServiceTD), or whose TCB status is not accepted
// (KindTCBStatus). A list naming an unknown status is KindInvalidPolicy.
func (a Accept) Check(r *Report) error {
	list := a.Statuses
	if len(list) == 0 {
		list = []TCBStatus{StatusUpToDate}
	}
	for _, s := range list {
		if !knownStatus(s) {
			return mismatch(KindInvalidPolicy, "accepted tcb statuses", "names from verify.Statuses()", fmt.Sprintf("%q", s))
		}
	}
	if r == nil || r.QuoteVersion == 0 {
		return mismatch(KindPolicy, "report", "a verified report with its quote", "none")
	}
	if err := CheckTDAttributes(r.Body.TDAttributes, a.AllowDebug); err != nil {
		return err
	}
	if err := CheckServiceTD(&r.Body); err != nil {
		return err
	}
	if !slices.Contains(list, r.TCBStatus) {
		return mismatch(KindTCBStatus, "tcb status", joinStatuses(list), string(r.TCBStatus))
	}
	return nil
}
