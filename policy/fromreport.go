package policy

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// FromReport returns the strictest policy the report's CVM satisfies: its
// exact TCB status, its exact TDATTRIBUTES, XFAM, MROWNER, MROWNERCONFIG
// and (when not zero) MRSERVICETD, its MRTD and RTMR0-2, its OS image
// hash, compose hash, app id and key provider where the event log has
// them, require_pinned_images if the app compose passes it once its
// scripts are listed in allowed_scripts, its channel binding, and max_age
// 1h. It is a starting point to review, not a policy to deploy unread: it
// trusts exactly what was measured, the text of the scripts it lists
// included.
//
// The report must carry a quote and dstack evidence whose event log was
// replayed to RTMR3 and which was verified with a channel binding;
// otherwise the error matches ErrIncompleteReport. FromReport writes no
// policy that accepts a revoked TCB or a TD under debug (DEBUG or another
// bit of TDATTRIBUTES 0-7): for such a report the error matches
// ErrRefusedReport.
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
	if err := refuse(r); err != nil {
		return nil, err
	}
	b := &r.Body
	id := &r.Dstack.Identity
	p := &Policy{
		Version: Version,
		TCB:     TCB{Accept: List[verify.TCBStatus]{r.TCBStatus}},
		TD: TD{
			Attributes:    List[Hex]{clone(b.TDAttributes[:])},
			XFAM:          List[Hex]{clone(b.XFAM[:])},
			MROwner:       List[Hex]{clone(b.MROwner[:])},
			MROwnerConfig: List[Hex]{clone(b.MROwnerConfig[:])},
		},
		Platform: List[Platform]{{
			MRTD:  clone(b.MRTD[:]),
			RTMR0: clone(b.RTMR[0][:]),
			RTMR1: clone(b.RTMR[1][:]),
			RTMR2: clone(b.RTMR[2][:]),
		}},
		Channel:     Channel{Binding: r.Dstack.Binding},
		Attestation: Attestation{MaxAge: DefaultMaxAge},
	}
	if b.MRServiceTD != ([48]byte{}) {
		p.TD.MRServiceTD = List[Hex]{clone(b.MRServiceTD[:])}
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
	if c := r.Dstack.Compose; c != nil {
		p.App.RequirePinnedImages, p.App.AllowedScripts = true, scriptsOf(c)
		if len(p.App.checkPinned(c, nil)) > 0 {
			p.App.RequirePinnedImages, p.App.AllowedScripts = false, nil
		}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncompleteReport, err)
	}
	return p, nil
}

// refuse returns an error matching ErrRefusedReport when r shows a CVM
// no policy should accept: a revoked TCB, or a TD under debug.
func refuse(r *verify.Report) error {
	for _, part := range []struct {
		name   string
		status verify.TCBStatus
	}{
		{"TCB", r.TCBStatus}, {"platform", r.PlatformTCBStatus},
		{"TDX module", r.TDXModuleTCBStatus}, {"QE", r.QETCBStatus},
	} {
		if part.status == verify.StatusRevoked {
			return fmt.Errorf("policy: %w: expected a TCB that is not revoked, found %s status Revoked", ErrRefusedReport, part.name)
		}
	}
	// The TD-under-debug bits are those CheckTDAttributes refuses as a
	// debug TD; its other refusals a policy may accept explicitly.
	a := r.Body.TDAttributes
	if r.Debug || verify.KindOf(verify.CheckTDAttributes(a, false)) == verify.KindDebugTD {
		return fmt.Errorf("policy: %w: expected a TD not under debug (TDATTRIBUTES bits 0-7 clear), found TDATTRIBUTES %s",
			ErrRefusedReport, hex.EncodeToString(a[:]))
	}
	return nil
}

func incomplete(expected, found string) error {
	return fmt.Errorf("policy: %w: expected %s, found %s", ErrIncompleteReport, expected, found)
}

// scriptsOf lists each script of c once, by kind and hash.
func scriptsOf(c *compose.App) []AllowedScript {
	var out []AllowedScript
	for _, s := range c.Scripts {
		if !listsScript(out, s) {
			out = append(out, AllowedScript{Kind: s.Kind, SHA256: clone(s.SHA256[:])})
		}
	}
	return out
}

func clone(b []byte) Hex { return Hex(bytes.Clone(b)) }
