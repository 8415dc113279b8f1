package policy

import (
	"bytes"
	"fmt"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// FromReport returns the strictest policy the report's CVM satisfies: its
// exact TCB status, debug only if the TD is a debug TD, its MRTD and
// RTMR0-2, its OS image hash, compose hash, app id and key provider where
// the event log has them, pinned images if every service is pinned, its
// channel binding, and max_age 1h. It is a starting point to review, not a
// policy to deploy unread: it trusts exactly what was measured.
//
// The report must carry a quote and dstack evidence whose event log was
// replayed to RTMR3 and which was verified with a channel binding;
// otherwise the error matches ErrIncompleteReport.
func FromReport(r *verify.Report) (*Policy, error) {
	switch {
	case r == nil:
		return nil, incomplete("a report", "none")
	case r.QuoteVersion == 0:
		return nil, incomplete("a quote", "none")
	case r.Dstack == nil:
		return nil, incomplete("dstack evidence", "none")
	case !r.Dstack.RTMRReplayed[3]:
		return nil, incomplete("an event log replayed to RTMR3", "none")
	case r.Dstack.Binding == "":
		return nil, incomplete("a checked channel binding", "none")
	}
	b := &r.Body
	id := &r.Dstack.Identity
	p := &Policy{
		Version: Version,
		TCB:     TCB{Accept: List[verify.TCBStatus]{r.TCBStatus}, AllowDebug: r.Debug},
		Platform: List[Platform]{{
			MRTD:  clone(b.MRTD[:]),
			RTMR0: clone(b.RTMR[0][:]),
			RTMR1: clone(b.RTMR[1][:]),
			RTMR2: clone(b.RTMR[2][:]),
		}},
		Channel:     Channel{Binding: r.Dstack.Binding},
		Attestation: Attestation{MaxAge: DefaultMaxAge},
	}
	if id.OSImageHash != nil {
		p.OSImageHashes = List[Hex]{clone(id.OSImageHash)}
	}
	if id.ComposeHash != nil {
		p.App.ComposeHashes = List[Hex]{clone(id.ComposeHash)}
	}
	if id.AppID != nil {
		p.App.AppIDs = List[Hex]{clone(id.AppID)}
	}
	p.App.Any = id.ComposeHash == nil && id.AppID == nil
	if kp := id.KeyProvider; kp != nil {
		kid, err := decodeHex(kp.ID)
		if err != nil {
			return nil, incomplete("a key provider id in hex", quoteShort(kp.ID))
		}
		p.App.KeyProviders = List[KeyProvider]{{Name: kp.Name, ID: kid}}
	}
	p.App.RequirePinnedImages = allPinned(r.Dstack.Compose)
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncompleteReport, err)
	}
	return p, nil
}

func incomplete(expected, found string) error {
	return fmt.Errorf("policy: %w: expected %s, found %s", ErrIncompleteReport, expected, found)
}

// allPinned reports whether c is present, has services and every one is pinned.
func allPinned(c *compose.App) bool {
	if c == nil || len(c.Services) == 0 {
		return false
	}
	for _, s := range c.Services {
		if !s.Pinned {
			return false
		}
	}
	return true
}

func clone(b []byte) Hex { return Hex(bytes.Clone(b)) }
