package policy

import (
	"errors"

	"github.com/cvmgate/cvmgate/verify"
)

// Check judges a verified report against the policy. It returns nil when
// the report satisfies every rule, and otherwise every violation at once:
// *Violation values joined with errors.Join, each matching
// verify.KindPolicy (see Violations). An invalid policy rejects every
// report with a single "policy" violation wrapping the validation errors.
// Rules on the dstack identity fail when the report has no dstack evidence
// or its event log was not replayed to RTMR3.
func (p *Policy) Check(r *verify.Report) error {
	if err := p.Validate(); err != nil {
		return &Violation{Rule: "policy", Expected: "a valid policy", Found: "an invalid one", Err: err}
	}
	if r == nil {
		return &Violation{Rule: "report", Expected: "a verified report", Found: "none"}
	}
	var vs []error
	vs = p.checkTCB(r, vs)
	vs = p.checkTD(r, vs)
	vs = p.checkPlatform(r, vs)
	vs = p.checkOSImage(r, vs)
	vs = p.checkApp(r, vs)
	vs = p.checkChannel(r, vs)
	return errors.Join(vs...)
}

// What an identity rule finds when the report has no usable identity.
const (
	noDstack    = "no dstack evidence in the report"
	notReplayed = "a dstack identity whose event log does not replay to RTMR3"
)

// identityEvidence returns the report's dstack evidence if its identity
// may be relied on, which needs RTMR3 to have been replayed from the event
// log; otherwise nil and what was found instead.
func identityEvidence(r *verify.Report) (*verify.Dstack, string) {
	switch {
	case r.Dstack == nil:
		return nil, noDstack
	case !r.Dstack.RTMRReplayed[3]:
		return nil, notReplayed
	}
	return r.Dstack, ""
}

// checkOSImage judges the os-image-hash event.
func (p *Policy) checkOSImage(r *verify.Report, vs []error) []error {
	if p.OSImageHashes == nil {
		return vs
	}
	d, missing := identityEvidence(r)
	if d == nil {
		return append(vs, &Violation{Rule: "os_image_hashes", Expected: oneOf(p.OSImageHashes), Found: missing})
	}
	if h := d.Identity.OSImageHash; !containsHex(p.OSImageHashes, h) {
		return append(vs, &Violation{Rule: "os_image_hashes", Expected: oneOf(p.OSImageHashes), Found: hexOrNone(h, "os-image-hash")})
	}
	return vs
}

// checkChannel judges the channel binding the report was verified with.
func (p *Policy) checkChannel(r *verify.Report, vs []error) []error {
	var found verify.BindingMode
	if r.Dstack != nil {
		found = r.Dstack.Binding
	}
	if found == p.Channel.Binding {
		return vs
	}
	desc := quoteShort(string(found))
	switch {
	case r.Dstack == nil:
		desc = noDstack
	case found == "":
		desc = "no channel binding checked"
	}
	return append(vs, &Violation{Rule: "channel.binding", Expected: string(p.Channel.Binding), Found: desc})
}
