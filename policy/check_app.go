package policy

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// checkApp judges the dstack identity: compose hash, app id, key provider
// and pinned images.
func (p *Policy) checkApp(r *verify.Report, vs []error) []error {
	a := &p.App
	d, missing := identityEvidence(r)
	if d == nil {
		if a.checksCompose() {
			vs = append(vs, &Violation{Rule: a.composeRule(), Expected: a.describeCompose(), Found: missing})
		}
		if a.AppIDs != nil {
			vs = append(vs, &Violation{Rule: "app.app_ids", Expected: oneOf(a.AppIDs), Found: missing})
		}
		if a.KeyProviders != nil {
			vs = append(vs, &Violation{Rule: "app.key_providers", Expected: describeKeyProviders(a.KeyProviders), Found: missing})
		}
		if a.RequirePinnedImages {
			vs = append(vs, &Violation{Rule: "app.require_pinned_images", Expected: pinnedExpected, Found: missing})
		}
		return vs
	}
	id := &d.Identity
	if a.checksCompose() && !a.acceptsCompose(id.ComposeHash) {
		vs = append(vs, &Violation{Rule: a.composeRule(), Expected: a.describeCompose(), Found: hexOrNone(id.ComposeHash, "compose-hash")})
	}
	if a.AppIDs != nil && !containsHex(a.AppIDs, id.AppID) {
		vs = append(vs, &Violation{Rule: "app.app_ids", Expected: oneOf(a.AppIDs), Found: hexOrNone(id.AppID, "app-id")})
	}
	if a.KeyProviders != nil && !a.acceptsKeyProvider(id.KeyProvider) {
		found := "no key-provider event"
		if kp := id.KeyProvider; kp != nil {
			found = "{name: " + quoteShort(kp.Name) + ", id: " + describeKeyProviderID(kp.ID) + "}"
		}
		vs = append(vs, &Violation{Rule: "app.key_providers", Expected: describeKeyProviders(a.KeyProviders), Found: found})
	}
	if a.RequirePinnedImages {
		vs = a.checkPinned(d.Compose, vs)
	}
	return vs
}

const pinnedExpected = "images pinned by digest (image@sha256:...) and no other code but app.allowed_scripts"

// checkPinned reports everything in c that keeps its code from being shown
// pinned: the runner, scripts not in allowed_scripts, constructs that bring
// in outside content, allowed_envs that change the code, and services
// whose image is not pinned by digest or is built.
func (a *App) checkPinned(c *compose.App, vs []error) []error {
	add := func(found string) {
		vs = append(vs, &Violation{Rule: "app.require_pinned_images", Expected: pinnedExpected, Found: found})
	}
	if c == nil {
		add("no app compose in the evidence")
		return vs
	}
	switch c.Runner {
	case compose.RunnerDockerCompose:
		if len(c.Services) == 0 {
			// Nothing but scripts, which may fetch anything, would run.
			add("no docker-compose services in the app compose")
		}
	case compose.RunnerBash:
		// The bash_script is the application: it passes when it is
		// listed in allowed_scripts, below.
	case "":
		add("no runner in the app compose")
	default:
		add("runner " + quoteShort(c.Runner) + ", not docker-compose")
	}
	for _, s := range c.Scripts {
		if !listsScript(a.AllowedScripts, s) {
			add(fmt.Sprintf("%s with sha256 %x, not in app.allowed_scripts", s.Kind, s.SHA256))
		}
	}
	for _, k := range c.Constructs {
		add(fmt.Sprintf("%s at line %d of the docker-compose file, content the compose hash does not cover", k.Name, k.Line))
	}
	for _, e := range c.CodeEnvs() {
		add("allowed_envs " + quoteShort(e) + ", which lets the deployer's environment change the code dstack runs")
	}
	for _, s := range c.Services {
		switch {
		case s.Build:
			add("service " + quoteShort(s.Name) + " built in the CVM (build:)")
		case !s.Pinned:
			add("service " + quoteShort(s.Name) + " with image " + quoteShort(s.Image))
		}
	}
	return vs
}

// listsScript reports whether list holds s's kind and hash.
func listsScript(list []AllowedScript, s compose.Script) bool {
	for _, as := range list {
		if as.Kind == s.Kind && bytes.Equal(as.SHA256, s.SHA256[:]) {
			return true
		}
	}
	return false
}

// composeRule names the rule a compose mismatch breaks.
func (a *App) composeRule() string {
	if a.ComposeHashes == nil {
		return "app.compose_files"
	}
	return "app.compose_hashes"
}

// acceptsCompose reports whether h is in compose_hashes or is the hash of
// one of compose_files.
func (a *App) acceptsCompose(h []byte) bool {
	if containsHex(a.ComposeHashes, h) {
		return true
	}
	for _, f := range a.ComposeFiles {
		if len(h) > 0 && bytes.Equal(f.SHA256, h) {
			return true
		}
	}
	return false
}

func (a *App) describeCompose() string {
	parts := make([]string, 0, len(a.ComposeHashes)+len(a.ComposeFiles))
	for _, h := range a.ComposeHashes {
		parts = append(parts, h.String())
	}
	for _, f := range a.ComposeFiles {
		parts = append(parts, f.SHA256.String()+" ("+f.Path+")")
	}
	return describeAllowlist(parts)
}

// acceptsKeyProvider reports whether kp's name and id equal an entry's.
// The report's id is hex; it is compared as bytes, so case does not matter.
func (a *App) acceptsKeyProvider(kp *eventlog.KeyProvider) bool {
	if kp == nil {
		return false
	}
	for _, k := range a.KeyProviders {
		if k.Name == kp.Name && hexEqual(k.ID, kp.ID) {
			return true
		}
	}
	return false
}

// describeKeyProviderID spells a found key provider id as
// describeKeyProviders spells an expected one, in full lower-case hex, so
// that the two compare at a glance; an id that is not hex, or longer than
// any key's, is quoted and cut.
func describeKeyProviderID(id string) string {
	const maxHexChars = 4096
	b, err := hexfmt.Decode(id)
	if err != nil || len(id) > maxHexChars {
		return quoteShort(id)
	}
	return hex.EncodeToString(b)
}

// hexEqual reports whether the hex string s encodes want, ignoring case
// and a 0x prefix. It does not allocate.
func hexEqual(want []byte, s string) bool {
	s = hexfmt.Trim0x(s)
	if len(s) != 2*len(want) {
		return false
	}
	const digits = "0123456789abcdef"
	for i, b := range want {
		if lowerHex(s[2*i]) != digits[b>>4] || lowerHex(s[2*i+1]) != digits[b&0xf] {
			return false
		}
	}
	return true
}

// lowerHex maps 'A'-'F' to 'a'-'f' and leaves every other byte alone.
func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + ('a' - 'A')
	}
	return c
}

func describeKeyProviders(list List[KeyProvider]) string {
	parts := make([]string, len(list))
	for i, k := range list {
		parts[i] = "{name: " + quoteShort(k.Name) + ", id: " + hex.EncodeToString(k.ID) + "}"
	}
	return describeAllowlist(parts)
}
