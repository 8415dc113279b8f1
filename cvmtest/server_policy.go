package cvmtest

import (
	"encoding/hex"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// Policy returns a new policy the server satisfies: its app's compose
// hash, app id, OS image and key provider; its TCB status (UpToDate unless
// WithTCBStatus); debug only under WithDebug; binding "spki", or "none"
// under WithoutKeyBinding; pinned images required when every service of
// its compose is pinned; max_age policy.DefaultMaxAge. Boot measurements
// are not listed. Threat options other than these (replay, expired
// collateral, ...) do not loosen it: the server does not satisfy it then.
func (s *Server) Policy() *policy.Policy {
	app := s.cfg.app
	appID, _, osImage, kp := app.Identity()
	h := app.ComposeHash()
	status := s.cfg.status
	if status == "" {
		status = string(verify.StatusUpToDate)
	}
	binding := verify.BindingSPKI
	if s.cfg.unbound {
		binding = verify.BindingNone
	}
	p := &policy.Policy{
		Version:       policy.Version,
		TCB:           policy.TCB{Accept: policy.List[verify.TCBStatus]{verify.TCBStatus(status)}, AllowDebug: s.cfg.debug},
		OSImageHashes: policy.List[policy.Hex]{policy.Hex(osImage)},
		App: policy.App{
			ComposeHashes:       policy.List[policy.Hex]{policy.Hex(h[:])},
			AppIDs:              policy.List[policy.Hex]{policy.Hex(appID)},
			RequirePinnedImages: allPinned(app.ComposeText()),
		},
		Channel:     policy.Channel{Binding: binding},
		Attestation: policy.Attestation{MaxAge: policy.DefaultMaxAge},
	}
	if id, err := hex.DecodeString(kp.ID); err == nil && kp.Name != "" {
		p.App.KeyProviders = policy.List[policy.KeyProvider]{{Name: kp.Name, ID: id}}
	}
	if err := p.Validate(); err != nil {
		panic("cvmtest: Server.Policy: " + err.Error()) // a bug in cvmtest
	}
	return p
}

// allPinned reports whether the compose runs at least one service and
// pins every image by digest.
func allPinned(text string) bool {
	c, err := compose.Parse([]byte(text))
	if err != nil || len(c.Services) == 0 {
		return false
	}
	for _, svc := range c.Services {
		if !svc.Pinned {
			return false
		}
	}
	return true
}
