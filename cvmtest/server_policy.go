package cvmtest

import (
	"context"
	"encoding/hex"
	"slices"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// Policy returns a new policy the server satisfies: its app's compose
// hash, app id, OS image and key provider; its TCB status (UpToDate unless
// WithTCBStatus); debug only under WithDebug; binding "spki", or "none"
// under WithoutKeyBinding; require_pinned_images (with the compose's
// scripts as allowed_scripts) when policy.FromReport finds the compose
// pinned; max_age policy.DefaultMaxAge. Boot measurements are not listed,
// and the td section is left to its default rule. Threat options other
// than these (replay, expired collateral, ...) do not loosen it: the
// server does not satisfy it then.
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
			ComposeHashes: policy.List[policy.Hex]{policy.Hex(h[:])},
			AppIDs:        policy.List[policy.Hex]{policy.Hex(appID)},
		},
		Channel:     policy.Channel{Binding: binding},
		Attestation: policy.Attestation{MaxAge: policy.DefaultMaxAge},
	}
	if id, err := hex.DecodeString(kp.ID); err == nil && kp.Name != "" {
		p.App.KeyProviders = policy.List[policy.KeyProvider]{{Name: kp.Name, ID: id}}
	}
	if pinned := s.pinnedRule(); pinned != nil {
		p.App.RequirePinnedImages = pinned.RequirePinnedImages
		p.App.AllowedScripts = slices.Clone(pinned.AllowedScripts)
	}
	if err := p.Validate(); err != nil {
		panic("cvmtest: Server.Policy: " + err.Error()) // a bug in cvmtest
	}
	return p
}

// pinnedRule returns the app section policy.FromReport writes for the
// server's app, whose require_pinned_images and allowed_scripts say how
// pinned its compose is; nil when the app's evidence does not verify (a
// compose that does not parse, say). It is worked out once, from a quote
// of a twin CVM (same app, default platform) verified against fresh
// collateral, so that cvmtest never judges a compose itself.
func (s *Server) pinnedRule() *policy.App {
	s.pinOnce.Do(func() {
		p := s.cfg.pki
		coll, err := p.Collateral(CollateralOptions{})
		if err != nil {
			return
		}
		v, err := verify.New(p.VerifyOptions(coll))
		if err != nil {
			return
		}
		nonce := make([]byte, wire.NonceSize)
		spki := []byte("cvmtest twin")
		rd, err := wire.ReportData(nonce, spki)
		if err != nil {
			return
		}
		att, err := p.AttestationDocument(&s.cfg.app, QuoteOptions{ReportData: rd})
		if err != nil {
			return
		}
		info, err := s.cfg.app.InfoDocument()
		if err != nil {
			return
		}
		r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info},
			&verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki}, verify.Accept{Statuses: verify.Statuses()})
		if err != nil {
			return
		}
		if fp, err := policy.FromReport(r); err == nil {
			s.pinApp = &fp.App
		}
	})
	return s.pinApp
}

// PolicyFor returns the policy Server.Policy returns for a server made
// with opts, without starting one. A simulator that runs a threat (say
// WithReplay or WithDebug) hands its clients the policy of the honest
// server: PolicyFor of the options without the threat.
func PolicyFor(opts ...Option) (*policy.Policy, error) {
	cfg, err := resolveServerOptions(opts)
	if err != nil {
		return nil, err
	}
	return (&Server{cfg: cfg}).Policy(), nil
}
