package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// reportVariants are reports FromReport must describe exactly.
var reportVariants = []struct {
	name   string
	report func(*verify.Report)
}{
	{"full", nil},
	{"debug TD", func(r *verify.Report) { r.Debug = true }},
	{"out of date", func(r *verify.Report) { r.TCBStatus = verify.StatusOutOfDate }},
	{"unknown status", func(r *verify.Report) { r.TCBStatus = verify.StatusUnknown }},
	{"ratls", func(r *verify.Report) { r.Dstack.Binding = verify.BindingRATLS }},
	{"unbound", func(r *verify.Report) { r.Dstack.Binding = verify.BindingNone }},
	{"no os image", func(r *verify.Report) { r.Dstack.Identity.OSImageHash = nil }},
	{"no key provider", func(r *verify.Report) { r.Dstack.Identity.KeyProvider = nil }},
	{"upper-case key provider id", func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "ABCDEF" }},
	{"no compose", func(r *verify.Report) { r.Dstack.Compose = nil }},
	{"unpinned image", func(r *verify.Report) { r.Dstack.Compose.Services[0].Pinned = false }},
	{"no app id", func(r *verify.Report) { r.Dstack.Identity.AppID = nil }},
	{"no app identity", func(r *verify.Report) { r.Dstack.Identity = eventlog.Identity{} }},
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

// TestFromReportIsStrict: the generated policy refuses a CVM that differs
// from the one it was made from in any measured value.
func TestFromReportIsStrict(t *testing.T) {
	p, err := FromReport(testReport())
	require.NoError(t, err)
	changes := []struct {
		name   string
		change func(*verify.Report)
		rule   string
	}{
		{"status", func(r *verify.Report) { r.TCBStatus = verify.StatusSWHardeningNeeded }, "tcb.accept"},
		{"debug", func(r *verify.Report) { r.Debug = true }, "tcb.allow_debug"},
		{"mrtd", func(r *verify.Report) { r.Body.MRTD[5]++ }, "platform"},
		{"rtmr0", func(r *verify.Report) { r.Body.RTMR[0][5]++ }, "platform"},
		{"rtmr1", func(r *verify.Report) { r.Body.RTMR[1][5]++ }, "platform"},
		{"rtmr2", func(r *verify.Report) { r.Body.RTMR[2][5]++ }, "platform"},
		{"os image", func(r *verify.Report) { r.Dstack.Identity.OSImageHash[5]++ }, "os_image_hashes"},
		{"compose", func(r *verify.Report) { r.Dstack.Identity.ComposeHash[5]++ }, "app.compose_hashes"},
		{"app id", func(r *verify.Report) { r.Dstack.Identity.AppID[5]++ }, "app.app_ids"},
		{"kms", func(r *verify.Report) { r.Dstack.Identity.KeyProvider.ID = "5555555554" }, "app.key_providers"},
		{"unpinned", func(r *verify.Report) { r.Dstack.Compose.Services[0].Pinned = false }, "app.require_pinned_images"},
		{"binding", func(r *verify.Report) { r.Dstack.Binding = verify.BindingNone }, "channel.binding"},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			r := testReport()
			tt.change(r)
			requireViolations(t, p.Check(r), tt.rule)
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
