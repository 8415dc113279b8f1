package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// rules returns the rule of every violation in err.
func rules(err error) []string {
	var out []string
	for _, v := range Violations(err) {
		out = append(out, v.Rule)
	}
	return out
}

// requireViolations asserts that err holds exactly the violations of
// want, in order, each matching verify.KindPolicy and naming what was
// expected and found.
func requireViolations(t *testing.T, err error, want ...string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, verify.KindPolicy)
	require.Equal(t, want, rules(err))
	for _, v := range Violations(err) {
		assert.ErrorIs(t, v, verify.KindPolicy)
		assert.NotEmpty(t, v.Expected, v.Rule)
		assert.NotEmpty(t, v.Found, v.Rule)
		assert.Contains(t, err.Error(), v.Error())
		assert.True(t, strings.HasPrefix(v.Error(), "policy: "+v.Rule+": expected "), v.Error())
	}
}

// TestCheckPasses: variants of the policy or report that must still pass.
func TestCheckPasses(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*Policy)
		report func(*verify.Report)
	}{
		{name: "full policy"},
		{name: "platform: only mrtd given", policy: func(p *Policy) { p.Platform = List[Platform]{{MRTD: fill(0x11, 48)}} }},
		{name: "platform: only rtmr1 given", policy: func(p *Policy) { p.Platform = List[Platform]{{RTMR1: fill(0x21, 48)}} }},
		{name: "platform: second entry matches", policy: func(p *Policy) {
			p.Platform = List[Platform]{{MRTD: fill(0x99, 48)}, {MRTD: fill(0x11, 48), RTMR2: fill(0x22, 48)}}
		}},
		{name: "os image: one of several", policy: func(p *Policy) { p.OSImageHashes = List[Hex]{fill(1, 32), fill(0x33, 32)} }},
		{name: "compose: one of several", policy: func(p *Policy) { p.App.ComposeHashes = List[Hex]{fill(1, 32), composeHash()} }},
		{name: "compose: by file hash only", policy: func(p *Policy) {
			p.App.ComposeHashes = nil
			p.App.ComposeFiles = List[ComposeFile]{{Path: "a.json", SHA256: composeHash()}}
		}},
		{name: "compose: file in a union with hashes", policy: func(p *Policy) {
			p.App.ComposeHashes = List[Hex]{fill(1, 32)}
			p.App.ComposeFiles = List[ComposeFile]{{Path: "a.json", SHA256: composeHash()}}
		}},
		{name: "app id: one of several", policy: func(p *Policy) { p.App.AppIDs = List[Hex]{fill(1, 20), fill(0x44, 20)} }},
		{name: "key provider: upper-case id in report", report: func(r *verify.Report) {
			r.Dstack.Identity.KeyProvider = &eventlog.KeyProvider{Name: "kms", ID: "5555555555"}
		}},
		{name: "key provider: id with 0x and upper hex", policy: func(p *Policy) {
			p.App.KeyProviders = List[KeyProvider]{{Name: "kms", ID: Hex{0xab, 0xcd}}}
		}, report: func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "0xABcd" }},
		{name: "pinned images not required", policy: func(p *Policy) { p.App.RequirePinnedImages = false },
			report: func(r *verify.Report) { r.Dstack.Compose.Services[0].Pinned = false }},
		{name: "debug allowed", policy: func(p *Policy) { p.TCB.AllowDebug = true }, report: setDebug},
		{name: "debug allowed, TD not debug", policy: func(p *Policy) { p.TCB.AllowDebug = true }},
		{name: "binding none accepted explicitly", policy: func(p *Policy) { p.Channel.Binding = verify.BindingNone },
			report: func(r *verify.Report) { r.Dstack.Binding = verify.BindingNone }},
		{name: "binding ratls", policy: func(p *Policy) { p.Channel.Binding = verify.BindingRATLS },
			report: func(r *verify.Report) { r.Dstack.Binding = verify.BindingRATLS }},
		{name: "status listed", policy: func(p *Policy) {
			p.TCB.Accept = List[verify.TCBStatus]{verify.StatusUpToDate, verify.StatusSWHardeningNeeded}
		}, report: func(r *verify.Report) { r.TCBStatus = verify.StatusSWHardeningNeeded }},
		{name: "unknown listed", policy: func(p *Policy) { p.TCB.Accept = List[verify.TCBStatus]{verify.StatusUnknown} },
			report: func(r *verify.Report) { r.TCBStatus = verify.StatusUnknown }},
		{name: "accept absent means UpToDate", policy: func(p *Policy) { p.TCB.Accept = nil }},
		{name: "app id only", policy: func(p *Policy) { p.App.ComposeHashes = nil },
			report: func(r *verify.Report) { r.Dstack.Identity.ComposeHash = fill(9, 32) }},
		{name: "compose only", policy: func(p *Policy) { p.App.AppIDs = nil },
			report: func(r *verify.Report) { r.Dstack.Identity.AppID = fill(9, 20) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, r := mustParse(t, testPolicyYAML), testReport()
			if tt.policy != nil {
				tt.policy(p)
			}
			if tt.report != nil {
				tt.report(r)
			}
			require.NoError(t, p.Validate())
			assert.NoError(t, p.Check(r))
		})
	}
}

// TestCheckFails: each case breaks exactly one rule.
func TestCheckFails(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*Policy)
		report func(*verify.Report)
		rule   string
		found  string
	}{
		{name: "tcb status", report: func(r *verify.Report) { r.TCBStatus = verify.StatusSWHardeningNeeded }, rule: "tcb.accept", found: `"SWHardeningNeeded"`},
		{name: "tcb revoked", report: func(r *verify.Report) { r.TCBStatus = verify.StatusRevoked }, rule: "tcb.accept", found: `"Revoked"`},
		{name: "tcb unknown not listed", report: func(r *verify.Report) { r.TCBStatus = verify.StatusUnknown }, rule: "tcb.accept", found: `"unknown"`},
		{name: "tcb empty status", report: func(r *verify.Report) { r.TCBStatus = "" }, rule: "tcb.accept", found: `""`},
		{name: "tcb accept absent is UpToDate only", policy: func(p *Policy) { p.TCB.Accept = nil },
			report: func(r *verify.Report) { r.TCBStatus = verify.StatusOutOfDate }, rule: "tcb.accept", found: `"OutOfDate"`},
		{name: "debug TD", report: setDebug, rule: "tcb.allow_debug", found: "DEBUG set (TDATTRIBUTES 0100001000000000)"},
		{name: "mrtd", report: func(r *verify.Report) { r.Body.MRTD[47] ^= 1 }, rule: "platform", found: "mrtd: " + hexOf(0x11, 47) + "10"},
		{name: "rtmr0", report: func(r *verify.Report) { r.Body.RTMR[0][0] ^= 1 }, rule: "platform", found: "rtmr0: 21"},
		{name: "rtmr1", report: func(r *verify.Report) { r.Body.RTMR[1][0] ^= 1 }, rule: "platform", found: "rtmr1: 20"},
		{name: "rtmr2", report: func(r *verify.Report) { r.Body.RTMR[2][0] ^= 1 }, rule: "platform", found: "rtmr2: 23"},
		{name: "platform: fields of different entries do not combine", policy: func(p *Policy) {
			p.Platform = List[Platform]{{MRTD: fill(0x11, 48), RTMR0: fill(0x99, 48)}, {MRTD: fill(0x99, 48), RTMR0: fill(0x20, 48)}}
		}, rule: "platform", found: "{mrtd: " + hexOf(0x11, 48)},
		{name: "os image", report: func(r *verify.Report) { r.Dstack.Identity.OSImageHash = fill(0x34, 32) }, rule: "os_image_hashes", found: hexOf(0x34, 32)},
		{name: "os image absent", report: func(r *verify.Report) { r.Dstack.Identity.OSImageHash = nil }, rule: "os_image_hashes", found: "no os-image-hash event"},
		{name: "compose hash", report: func(r *verify.Report) { r.Dstack.Identity.ComposeHash = fill(0x77, 32) }, rule: "app.compose_hashes", found: hexOf(0x77, 32)},
		{name: "compose hash absent", report: func(r *verify.Report) { r.Dstack.Identity.ComposeHash = nil }, rule: "app.compose_hashes", found: "no compose-hash event"},
		{name: "compose file", policy: func(p *Policy) {
			p.App.ComposeHashes = nil
			p.App.ComposeFiles = List[ComposeFile]{{Path: "a.json", SHA256: fill(0x78, 32)}}
		}, rule: "app.compose_files", found: Hex(composeHash()).String()},
		{name: "app id", report: func(r *verify.Report) { r.Dstack.Identity.AppID = fill(0x45, 20) }, rule: "app.app_ids", found: hexOf(0x45, 20)},
		{name: "app id absent", report: func(r *verify.Report) { r.Dstack.Identity.AppID = nil }, rule: "app.app_ids", found: "no app-id event"},
		{name: "key provider id", report: func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "5555555556" }, rule: "app.key_providers", found: `{name: "kms", id: 5555555556}`},
		{name: "key provider id longer", report: func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "555555555555" }, rule: "app.key_providers", found: `id: 555555555555}`},
		{name: "key provider id not hex", report: func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "555555555\x15" }, rule: "app.key_providers", found: `"555555555\x15"`},
		{name: "key provider name", report: func(r *verify.Report) { r.Dstack.Identity.KeyProvider.Name = "local-sgx" }, rule: "app.key_providers", found: `{name: "local-sgx"`},
		{name: "key provider absent", report: func(r *verify.Report) { r.Dstack.Identity.KeyProvider = nil }, rule: "app.key_providers", found: "no key-provider event"},
		{name: "unpinned image", report: func(r *verify.Report) {
			r.Dstack.Compose.Services[0] = compose.Service{Name: "web", Image: "nginx:latest"}
		}, rule: "app.require_pinned_images", found: `service "web" with image "nginx:latest"`},
		{name: "pinned images need the compose", report: func(r *verify.Report) { r.Dstack.Compose = nil }, rule: "app.require_pinned_images", found: "no app compose in the evidence"},
		{name: "pinned images need services", report: func(r *verify.Report) { r.Dstack.Compose.Services = nil }, rule: "app.require_pinned_images", found: "no docker-compose services in the app compose"},
		{name: "spki policy, binding none", report: func(r *verify.Report) { r.Dstack.Binding = verify.BindingNone }, rule: "channel.binding", found: `"none"`},
		{name: "spki policy, binding ratls", report: func(r *verify.Report) { r.Dstack.Binding = verify.BindingRATLS }, rule: "channel.binding", found: `"ratls"`},
		{name: "none policy, binding spki", policy: func(p *Policy) { p.Channel.Binding = verify.BindingNone }, rule: "channel.binding", found: `"spki"`},
		{name: "binding unchecked", report: func(r *verify.Report) { r.Dstack.Binding = "" }, rule: "channel.binding", found: "no channel binding checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, r := mustParse(t, testPolicyYAML), testReport()
			if tt.policy != nil {
				tt.policy(p)
			}
			if tt.report != nil {
				tt.report(r)
			}
			err := p.Check(r)
			requireViolations(t, err, tt.rule)
			assert.Contains(t, Violations(err)[0].Found, tt.found)
		})
	}
}

func TestCheckEmptyAllowlistRejects(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*Policy)
		rule   string
	}{
		{"tcb.accept", func(p *Policy) { p.TCB.Accept = List[verify.TCBStatus]{} }, "tcb.accept"},
		{"platform", func(p *Policy) { p.Platform = List[Platform]{} }, "platform"},
		{"os_image_hashes", func(p *Policy) { p.OSImageHashes = List[Hex]{} }, "os_image_hashes"},
		{"compose_hashes", func(p *Policy) { p.App.ComposeHashes = List[Hex]{} }, "app.compose_hashes"},
		{"compose_files", func(p *Policy) { p.App.ComposeHashes, p.App.ComposeFiles = nil, List[ComposeFile]{} }, "app.compose_files"},
		{"app_ids", func(p *Policy) { p.App.AppIDs = List[Hex]{} }, "app.app_ids"},
		{"key_providers", func(p *Policy) { p.App.KeyProviders = List[KeyProvider]{} }, "app.key_providers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, testPolicyYAML)
			tt.policy(p)
			require.NoError(t, p.Validate(), "an empty allowlist is a valid policy")
			err := p.Check(testReport())
			requireViolations(t, err, tt.rule)
			assert.Contains(t, Violations(err)[0].Expected, "nothing (the allowlist is empty)")
		})
	}
}

// TestCheckEmptyAllowlistFromFile: [] in a file is kept apart from an absent key.
func TestCheckEmptyAllowlistFromFile(t *testing.T) {
	p := mustParse(t, "version: 1\nos_image_hashes: []\napp: {any: true}\n")
	require.NotNil(t, p.OSImageHashes)
	requireViolations(t, p.Check(testReport()), "os_image_hashes")
}

// TestCheckAbsentNotChecked: with every list absent, nothing those lists
// would check matters.
func TestCheckAbsentNotChecked(t *testing.T) {
	p := mustParse(t, "version: 1\napp: {any: true}\n")
	r := testReport()
	r.Body.MRTD = [48]byte{1}
	r.Body.RTMR = [4][48]byte{{2}, {3}, {4}, {5}}
	r.Dstack.Identity = eventlog.Identity{}
	r.Dstack.Compose.Services[0].Pinned = false
	assert.NoError(t, p.Check(r))
}

func TestCheckReportsEveryViolation(t *testing.T) {
	p := mustParse(t, testPolicyYAML)
	r := testReport()
	r.TCBStatus = verify.StatusOutOfDate
	setDebug(r)
	r.Body.MRTD[0] = 0
	r.Dstack.Identity.OSImageHash = nil
	r.Dstack.Identity.ComposeHash = fill(1, 32)
	r.Dstack.Identity.AppID = fill(2, 20)
	r.Dstack.Identity.KeyProvider = nil
	r.Dstack.Compose.Services = append(r.Dstack.Compose.Services,
		compose.Service{Name: "a", Image: "a:1"}, compose.Service{Name: "b", Image: "b"})
	r.Dstack.Binding = verify.BindingNone

	err := p.Check(r)
	requireViolations(t, err,
		"tcb.accept", "tcb.allow_debug", "platform", "os_image_hashes", "app.compose_hashes",
		"app.app_ids", "app.key_providers", "app.require_pinned_images", "app.require_pinned_images", "channel.binding")
	vs := Violations(err)
	assert.Contains(t, vs[7].Found, `"a:1"`)
	assert.Contains(t, vs[8].Found, `"b"`)
	var v *Violation
	require.ErrorAs(t, err, &v)
	assert.Equal(t, "tcb.accept", v.Rule, "errors.As finds the first violation")
}

// TestCheckWithoutDstack: a report of a bare quote fails every rule that
// needs dstack evidence, and the channel rule, rather than skipping them.
func TestCheckWithoutDstack(t *testing.T) {
	r := testReport()
	r.Dstack = nil
	err := mustParse(t, testPolicyYAML).Check(r)
	requireViolations(t, err, "os_image_hashes", "app.compose_hashes", "app.app_ids", "app.key_providers", "app.require_pinned_images", "channel.binding")
	for _, v := range Violations(err) {
		assert.Equal(t, noDstack, v.Found, v.Rule)
	}

	// Even a policy accepting any app and any channel binding it can name
	// refuses it: a bare quote has no binding at all.
	for _, b := range []string{"spki", "ratls", "none"} {
		p := mustParse(t, "version: 1\napp: {any: true}\nchannel: {binding: "+b+"}\n")
		requireViolations(t, p.Check(r), "channel.binding")
	}
	p := mustParse(t, "version: 1\napp: {compose_files: []}\n")
	requireViolations(t, p.Check(r), "app.compose_files", "channel.binding")
}

// TestCheckIdentityNeedsRTMR3: identity rules refuse an identity that was
// not replayed against the quote's RTMR3; the other rules still apply.
func TestCheckIdentityNeedsRTMR3(t *testing.T) {
	r := testReport()
	r.Dstack.RTMRReplayed[3] = false
	err := mustParse(t, testPolicyYAML).Check(r)
	requireViolations(t, err, "os_image_hashes", "app.compose_hashes", "app.app_ids", "app.key_providers", "app.require_pinned_images")
	for _, v := range Violations(err) {
		assert.Equal(t, notReplayed, v.Found, v.Rule)
	}

	r = testReport()
	r.Dstack.RTMRReplayed = [4]bool{false, false, false, true} // a stripped boot log
	assert.NoError(t, mustParse(t, testPolicyYAML).Check(r))
}

func TestCheckNilReport(t *testing.T) {
	requireViolations(t, mustParse(t, minimal).Check(nil), "report")
}

// TestCheckInvalidPolicy: a Policy that does not validate refuses every
// report, however good.
func TestCheckInvalidPolicy(t *testing.T) {
	tests := []struct {
		name   string
		policy func(*Policy)
	}{
		{"zero policy", func(p *Policy) { *p = Policy{} }},
		{"wrong version", func(p *Policy) { p.Version = 2 }},
		{"unknown status", func(p *Policy) { p.TCB.Accept = List[verify.TCBStatus]{"Fine"} }},
		{"short app id", func(p *Policy) { p.App.AppIDs = List[Hex]{fill(0x44, 19)} }},
		{"nil hash in a list", func(p *Policy) { p.OSImageHashes = List[Hex]{nil} }},
		{"compose file not hashed", func(p *Policy) { p.App.ComposeFiles = List[ComposeFile]{{Path: "a.json"}} }},
		{"no app check", func(p *Policy) { p.App = App{} }},
		{"empty binding", func(p *Policy) { p.Channel.Binding = "" }},
		{"zero max age", func(p *Policy) { p.Attestation.MaxAge = 0 }},
		{"negative grace", func(p *Policy) { p.TCB.OutOfDateGrace = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, testPolicyYAML)
			tt.policy(p)
			require.ErrorIs(t, p.Validate(), ErrInvalid)
			err := p.Check(testReport())
			requireViolations(t, err, "policy")
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestViolationsOfOtherErrors(t *testing.T) {
	assert.Nil(t, Violations(nil))
	assert.Nil(t, Violations(errors.New("x")))
	v := &Violation{Rule: "r", Expected: "e", Found: "f"}
	wrapped := errors.Join(errors.New("x"), &wrapErr{v})
	assert.Equal(t, []*Violation{v}, Violations(wrapped))
	assert.Equal(t, "policy: r: expected e, found f", v.Error())
	assert.NotErrorIs(t, v, verify.KindTCBStatus)
}

type wrapErr struct{ err error }

func (w *wrapErr) Error() string { return "wrapped: " + w.err.Error() }
func (w *wrapErr) Unwrap() error { return w.err }

// TestCheckErrorKind: a Check failure has a kind like every error of the
// library, so verify.KindOf classifies it without errors.As.
func TestCheckErrorKind(t *testing.T) {
	p := mustParse(t, minimal)
	err := p.Check(&verify.Report{TCBStatus: verify.StatusRevoked, QuoteVersion: quote.Version4})
	require.Error(t, err)
	assert.Equal(t, verify.KindPolicy, verify.KindOf(err))
	assert.NotEmpty(t, Violations(err))
}
