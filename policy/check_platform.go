package policy

import (
	"bytes"
	"strings"

	"github.com/cvmgate/cvmgate/verify"
)

// checkPlatform requires one platform entry to match the quote's MRTD and
// RTMR0-2.
func (p *Policy) checkPlatform(r *verify.Report, vs []error) []error {
	if p.Platform == nil {
		return vs
	}
	if r.QuoteVersion == 0 {
		return append(vs, &Violation{Rule: "platform", Expected: describePlatforms(p.Platform), Found: "no quote in the report"})
	}
	b := &r.Body
	for i := range p.Platform {
		if p.Platform[i].matches(b.MRTD[:], b.RTMR[0][:], b.RTMR[1][:], b.RTMR[2][:]) {
			return vs
		}
	}
	found := Platform{MRTD: b.MRTD[:], RTMR0: b.RTMR[0][:], RTMR1: b.RTMR[1][:], RTMR2: b.RTMR[2][:]}
	return append(vs, &Violation{Rule: "platform", Expected: describePlatforms(p.Platform), Found: found.String()})
}

// matches reports whether every field given in pl equals the measurement.
func (pl *Platform) matches(mrtd, rtmr0, rtmr1, rtmr2 []byte) bool {
	eq := func(want Hex, got []byte) bool { return want == nil || bytes.Equal(want, got) }
	return eq(pl.MRTD, mrtd) && eq(pl.RTMR0, rtmr0) && eq(pl.RTMR1, rtmr1) && eq(pl.RTMR2, rtmr2)
}

// String writes the fields given, as in a policy file's flow mapping.
func (pl Platform) String() string {
	var parts []string
	for i, h := range [...]Hex{pl.MRTD, pl.RTMR0, pl.RTMR1, pl.RTMR2} {
		if h != nil {
			parts = append(parts, platformFields[i]+": "+h.String())
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func describePlatforms(list List[Platform]) string {
	parts := make([]string, len(list))
	for i, pl := range list {
		parts[i] = pl.String()
	}
	return describeAllowlist(parts)
}
