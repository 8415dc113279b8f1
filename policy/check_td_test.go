package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
)

// TestCheckTD: the td section, and verify's default rules where its
// attributes or mrservicetd are absent.
func TestCheckTD(t *testing.T) {
	const app = "version: 1\napp: {any: true}\n"
	sept := Hex(tdAttributes[:]).String() // "0000001000000000"
	tests := []struct {
		name   string
		policy string
		report func(*verify.Report)
		rules  []string // nil when accepted
		found  string
	}{
		{name: "default: a real dstack TD", policy: app},
		{name: "default: optional features", policy: app, report: func(r *verify.Report) { r.Body.TDAttributes[7] = 0x80 }}, // PERFMON
		{name: "default: DEBUG", policy: app, report: setDebug, rules: []string{"tcb.allow_debug"}, found: "DEBUG set"},
		{name: "default: DEBUG allowed", policy: app + "tcb: {allow_debug: true}\n", report: setDebug},
		{name: "default: TD-under-debug bit 1", policy: app, report: func(r *verify.Report) { r.Body.TDAttributes[0] = 0x02 },
			rules: []string{"td.attributes"}, found: "bit 1 set (TDATTRIBUTES 0200001000000000)"},
		{name: "default: TD-under-debug bit 6 even with debug allowed", policy: app + "tcb: {allow_debug: true}\n",
			report: func(r *verify.Report) { r.Body.TDAttributes[0] = 0x41 }, rules: []string{"td.attributes"}, found: "bit 6 set"},
		{name: "default: SEPT_VE_DISABLE clear", policy: app, report: func(r *verify.Report) { r.Body.TDAttributes = [8]byte{} },
			rules: []string{"td.attributes"}, found: "SEPT_VE_DISABLE clear"},
		{name: "default: DEBUG and SEPT_VE_DISABLE clear", policy: app, report: func(r *verify.Report) { r.Body.TDAttributes = [8]byte{1} },
			rules: []string{"tcb.allow_debug", "td.attributes"}},
		{name: "default: MIGRATABLE", policy: app, report: func(r *verify.Report) { r.Body.TDAttributes[3] |= 0x20 },
			rules: []string{"td.attributes"}, found: "bit 29 (MIGRATABLE) set"},
		{name: "default: reserved bit 40", policy: app, report: func(r *verify.Report) { r.Body.TDAttributes[5] = 0x01 },
			rules: []string{"td.attributes"}, found: "bit 40 set"},
		{name: "default: a service TD", policy: app, report: func(r *verify.Report) { r.Body.MRServiceTD[0] = 0xaa },
			rules: []string{"td.mrservicetd"}, found: "aa0000"},

		{name: "attributes listed", policy: app + "td: {attributes: [\"0000000000000000\", " + sept + "]}\n"},
		{name: "attributes listed: SEPT_VE_DISABLE clear accepted explicitly", policy: app + "td: {attributes: [\"0000000000000000\"]}\n",
			report: func(r *verify.Report) { r.Body.TDAttributes = [8]byte{} }},
		{name: "attributes listed: not listed", policy: app + "td: {attributes: [\"0000001000000080\"]}\n",
			rules: []string{"td.attributes"}, found: sept},
		{name: "attributes listed: empty list", policy: app + "td: {attributes: []}\n", rules: []string{"td.attributes"}},
		{name: "attributes listed: DEBUG listed and allowed", policy: app + "tcb: {allow_debug: true}\ntd: {attributes: [\"0100001000000000\"]}\n", report: setDebug},
		{name: "attributes listed: DEBUG not listed", policy: app + "tcb: {allow_debug: true}\ntd: {attributes: [" + sept + "]}\n", report: setDebug,
			rules: []string{"td.attributes"}},
		{name: "attributes listed: DEBUG refused", policy: app + "td: {attributes: [" + sept + "]}\n", report: setDebug,
			rules: []string{"tcb.allow_debug", "td.attributes"}},

		{name: "xfam listed", policy: app + "td: {xfam: [e702060000000000]}\n"},
		{name: "xfam not listed", policy: app + "td: {xfam: [e700060000000000]}\n", rules: []string{"td.xfam"}, found: "e702060000000000"},
		{name: "mrowner listed", policy: app + "td: {mrowner: [" + hexOf(0x77, 48) + "]}\n"},
		{name: "mrowner not listed", policy: app + "td: {mrowner: [" + hexOf(0, 48) + "]}\n", rules: []string{"td.mrowner"}, found: hexOf(0x77, 48)},
		{name: "mrownerconfig listed", policy: app + "td: {mrownerconfig: [" + hexOf(0, 48) + ", " + hexOf(0x78, 48) + "]}\n"},
		{name: "mrownerconfig not listed", policy: app + "td: {mrownerconfig: [" + hexOf(0x77, 48) + "]}\n", rules: []string{"td.mrownerconfig"}},
		{name: "mrservicetd listed", policy: app + "td: {mrservicetd: [" + hexOf(0xaa, 48) + "]}\n",
			report: func(r *verify.Report) { copy(r.Body.MRServiceTD[:], fill(0xaa, 48)) }},
		{name: "mrservicetd listed: zero must be listed too", policy: app + "td: {mrservicetd: [" + hexOf(0xaa, 48) + "]}\n",
			rules: []string{"td.mrservicetd"}, found: hexOf(0, 48)},
		{name: "mrservicetd listed: zero", policy: app + "td: {mrservicetd: [" + hexOf(0, 48) + "]}\n"},

		{name: "no quote", policy: app + "platform: [{mrtd: " + hexOf(0x11, 48) + "}]\n", report: func(r *verify.Report) { r.QuoteVersion = 0 },
			rules: []string{"td", "platform"}, found: "no quote in the report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy)
			r := testReport()
			if tt.report != nil {
				tt.report(r)
			}
			err := p.Check(r)
			if tt.rules == nil {
				require.NoError(t, err)
				return
			}
			requireViolations(t, err, tt.rules...)
			assert.Contains(t, Violations(err)[0].Found, tt.found)
		})
	}
}
