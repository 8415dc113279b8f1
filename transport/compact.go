package transport

import (
	"bytes"
	"slices"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// Compact returns what the Transport keeps of a verified report: every
// field a policy and an audit log need (TCB statuses and dates, platform,
// the TD's measurements and attributes, the dstack identity, the binding,
// the compose's services) as fresh copies, and none of the raw quote, its
// certificate chain and signatures, the event log, the compose text or the
// list of checks (a cached verdict passed them; WithObserver receives the
// full report at attestation time). Compact shares no memory with r.
func Compact(r *verify.Report) *verify.Report {
	c := *r
	c.Quote = nil
	c.Checks = nil
	c.AdvisoryIDs = slices.Clone(r.AdvisoryIDs)
	if r.Dstack != nil {
		d := *r.Dstack
		d.Events = nil
		id := &d.Identity
		id.AppID = bytes.Clone(id.AppID)
		id.ComposeHash = bytes.Clone(id.ComposeHash)
		id.InstanceID = bytes.Clone(id.InstanceID)
		id.OSImageHash = bytes.Clone(id.OSImageHash)
		if id.KeyProvider != nil {
			kp := *id.KeyProvider
			id.KeyProvider = &kp
		}
		if d.Compose != nil {
			d.Compose = &compose.App{Services: slices.Clone(d.Compose.Services)}
		}
		c.Dstack = &d
	}
	return &c
}
