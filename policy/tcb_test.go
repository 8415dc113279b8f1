package policy

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/verify"
)

// layers sets the report's final status and each part's status and
// out-of-date date.
type layers struct {
	final, platform, module, qe         verify.TCBStatus
	platformSince, moduleSince, qeSince time.Time
}

func (l layers) apply(r *verify.Report) {
	r.TCBStatus, r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus = l.final, l.platform, l.module, l.qe
	r.PlatformOutOfDateSince, r.TDXModuleOutOfDateSince, r.QEOutOfDateSince = l.platformSince, l.moduleSince, l.qeSince
}

func TestOutOfDateGrace(t *testing.T) {
	const grace = 720 * time.Hour
	app := "app: {any: true}\n"
	withGrace := "version: 1\ntcb: {out_of_date_grace: 30d}\n" + app
	withGraceConfig := "version: 1\ntcb: {accept: [UpToDate, ConfigurationNeeded], out_of_date_grace: 720h}\n" + app
	withGraceHardening := "version: 1\ntcb: {accept: [UpToDate, SWHardeningNeeded], out_of_date_grace: 720h}\n" + app
	noGrace := "version: 1\n" + app
	const (
		up   = verify.StatusUpToDate
		ood  = verify.StatusOutOfDate
		oodc = verify.StatusOutOfDateConfigurationNeeded
		swh  = verify.StatusSWHardeningNeeded
		cn   = verify.StatusConfigurationNeeded
		cswh = verify.StatusConfigurationAndSWHardeningNeeded
	)
	inside, outside := verifiedAt.Add(-grace), verifiedAt.Add(-grace-time.Nanosecond)
	tests := []struct {
		name     string
		policy   string
		layers   layers
		verified time.Time // VerifiedAt; zero means verifiedAt
		rule     string    // "" when accepted
		found    string
	}{
		{name: "platform just inside", policy: withGrace, layers: layers{final: ood, platform: ood, module: up, qe: up, platformSince: inside}},
		{name: "platform well inside", policy: withGrace, layers: layers{final: ood, platform: ood, module: up, qe: up, platformSince: verifiedAt.Add(-time.Hour)}},
		{name: "platform fell out of date after verification", policy: withGrace, layers: layers{final: ood, platform: ood, qe: up, platformSince: verifiedAt.Add(time.Hour)}},
		{name: "platform just outside", policy: withGrace, layers: layers{final: ood, platform: ood, module: up, qe: up, platformSince: outside},
			rule: "tcb.out_of_date_grace", found: "OutOfDate (platform OutOfDate, TDX module UpToDate, QE UpToDate): platform out of date since 2025-06-19T09:59:59Z, 720h0m0.000000001s before verification at 2025-07-19T10:00:00Z"},
		{name: "platform far outside", policy: withGrace, layers: layers{final: ood, platform: ood, qe: up, platformSince: verifiedAt.AddDate(-1, 0, 0)},
			rule: "tcb.out_of_date_grace", found: "platform out of date since 2024-07-19T10:00:00Z"},
		{name: "platform out of date with no date", policy: withGrace, layers: layers{final: ood, platform: ood, qe: up},
			rule: "tcb.out_of_date_grace", found: "platform out of date with no date"},

		// The module and the QE get a grace of their own, from their own dates.
		{name: "module inside", policy: withGrace, layers: layers{final: ood, platform: up, module: ood, qe: up, moduleSince: inside}},
		{name: "module outside", policy: withGrace, layers: layers{final: ood, platform: up, module: ood, qe: up, moduleSince: outside},
			rule: "tcb.out_of_date_grace", found: "TDX module out of date since 2025-06-19T09:59:59Z"},
		{name: "QE inside", policy: withGrace, layers: layers{final: ood, platform: up, qe: ood, qeSince: inside}},
		{name: "QE outside", policy: withGrace, layers: layers{final: ood, platform: up, qe: ood, qeSince: outside},
			rule: "tcb.out_of_date_grace", found: "QE out of date since 2025-06-19T09:59:59Z"},
		{name: "QE out of date with no date", policy: withGrace, layers: layers{final: ood, platform: up, qe: ood},
			rule: "tcb.out_of_date_grace", found: "QE out of date with no date"},
		{name: "every part must be inside: platform in, module out", policy: withGrace,
			layers: layers{final: ood, platform: ood, module: ood, qe: up, platformSince: verifiedAt, moduleSince: outside},
			rule:   "tcb.out_of_date_grace", found: "TDX module out of date since"},
		{name: "every part must be inside: all in", policy: withGrace,
			layers: layers{final: ood, platform: ood, module: ood, qe: ood, platformSince: verifiedAt, moduleSince: inside, qeSince: inside}},
		{name: "a date of a part that is not out of date does not count", policy: withGrace,
			layers: layers{final: ood, platform: up, module: ood, qe: up, platformSince: verifiedAt, moduleSince: outside},
			rule:   "tcb.out_of_date_grace", found: "TDX module out of date since"},

		// The regression: a SWHardeningNeeded platform under an out-of-date
		// module or QE is not forgiven its hardening, whatever the dates.
		{name: "SWHardeningNeeded platform, module out of date, SWHardeningNeeded not accepted", policy: withGrace,
			layers: layers{final: ood, platform: swh, module: ood, qe: up, moduleSince: verifiedAt},
			rule:   "tcb.accept", found: `OutOfDate (platform SWHardeningNeeded, TDX module OutOfDate, QE UpToDate), which is "SWHardeningNeeded" without its out-of-date parts`},
		{name: "SWHardeningNeeded platform, QE out of date, SWHardeningNeeded not accepted", policy: withGrace,
			layers: layers{final: ood, platform: swh, qe: ood, qeSince: verifiedAt}, rule: "tcb.accept", found: `"SWHardeningNeeded" without`},
		{name: "SWHardeningNeeded platform, module out of date, SWHardeningNeeded accepted", policy: withGraceHardening,
			layers: layers{final: ood, platform: swh, module: ood, qe: up, moduleSince: inside}},
		{name: "SWHardeningNeeded platform, module out of date too long", policy: withGraceHardening,
			layers: layers{final: ood, platform: swh, module: ood, qe: up, moduleSince: outside}, rule: "tcb.out_of_date_grace", found: "TDX module out of date since"},

		// OutOfDateConfigurationNeeded: the grace forgives only being out of date.
		{name: "OutOfDateConfigurationNeeded without ConfigurationNeeded", policy: withGrace,
			layers: layers{final: oodc, platform: oodc, qe: up, platformSince: verifiedAt}, rule: "tcb.accept", found: `"OutOfDateConfigurationNeeded"`},
		{name: "OutOfDateConfigurationNeeded platform with ConfigurationNeeded, inside", policy: withGraceConfig,
			layers: layers{final: oodc, platform: oodc, qe: up, platformSince: inside}},
		{name: "OutOfDateConfigurationNeeded platform with ConfigurationNeeded, outside", policy: withGraceConfig,
			layers: layers{final: oodc, platform: oodc, qe: up, platformSince: outside}, rule: "tcb.out_of_date_grace", found: "platform out of date since"},
		{name: "ConfigurationNeeded platform, QE out of date, inside", policy: withGraceConfig,
			layers: layers{final: oodc, platform: cn, qe: ood, qeSince: inside}},
		{name: "ConfigurationAndSWHardeningNeeded platform, module out of date, only ConfigurationNeeded accepted", policy: withGraceConfig,
			layers: layers{final: oodc, platform: cswh, module: ood, qe: up, moduleSince: inside},
			rule:   "tcb.accept", found: `"ConfigurationAndSWHardeningNeeded" without`},
		{name: "OutOfDate still covered with ConfigurationNeeded", policy: withGraceConfig,
			layers: layers{final: ood, platform: ood, qe: up, platformSince: inside}},

		{name: "no verification time", policy: withGrace, layers: layers{final: ood, platform: ood, qe: up, platformSince: verifiedAt},
			verified: time.Unix(0, 0), rule: "tcb.out_of_date_grace", found: "no verification time"},
		{name: "out of date with no part out of date", policy: withGrace, layers: layers{final: ood, platform: up, qe: up},
			rule: "tcb.out_of_date_grace", found: "OutOfDate (platform UpToDate, TDX module none, QE UpToDate)"},
		{name: "no grace", policy: noGrace, layers: layers{final: ood, platform: ood, qe: up, platformSince: verifiedAt},
			rule: "tcb.accept", found: `"OutOfDate"`},
		{name: "grace does not cover Revoked", policy: withGrace, layers: layers{final: verify.StatusRevoked, platform: up, module: verify.StatusRevoked, qe: up},
			rule: "tcb.accept", found: `"Revoked"`},
		{name: "grace does not cover TDRelaunchAdvised", policy: withGrace,
			layers: layers{final: verify.StatusTDRelaunchAdvised, platform: up, module: ood, qe: up, moduleSince: verifiedAt},
			rule:   "tcb.accept", found: `"TDRelaunchAdvised"`},
		{name: "grace does not cover other statuses", policy: withGrace, layers: layers{final: swh, platform: swh, qe: up},
			rule: "tcb.accept", found: `"SWHardeningNeeded"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy)
			r := testReport()
			tt.layers.apply(r)
			switch {
			case tt.verified.Equal(time.Unix(0, 0)):
				r.VerifiedAt = time.Time{}
			case !tt.verified.IsZero():
				r.VerifiedAt = tt.verified
			}
			err := p.Check(r)
			if tt.rule == "" {
				assert.NoError(t, err)
				return
			}
			requireViolations(t, err, tt.rule)
			assert.Contains(t, Violations(err)[0].Found, tt.found)
		})
	}
}

func TestExpectedStatusesNamesGrace(t *testing.T) {
	p := mustParse(t, "version: 1\ntcb: {accept: [UpToDate, ConfigurationNeeded], out_of_date_grace: 30d}\napp: {any: true}\n")
	r := testReport()
	r.TCBStatus = verify.StatusRevoked
	err := p.Check(r)
	requireViolations(t, err, "tcb.accept")
	assert.Equal(t, "one of [UpToDate ConfigurationNeeded], or OutOfDate or OutOfDateConfigurationNeeded "+
		"whose out-of-date parts fell out of date within 30d and which is accepted without them",
		Violations(err)[0].Expected)
}

func TestAcceptedStatuses(t *testing.T) {
	tests := []struct {
		name string
		tcb  string
		want []verify.TCBStatus
	}{
		{"default", "{}", []verify.TCBStatus{verify.StatusUpToDate}},
		{"empty", "{accept: []}", []verify.TCBStatus{}},
		{"listed, in canonical order", "{accept: [unknown, SWHardeningNeeded, UpToDate, UpToDate]}",
			[]verify.TCBStatus{verify.StatusUpToDate, verify.StatusSWHardeningNeeded, verify.StatusUnknown}},
		{"grace adds OutOfDate", "{out_of_date_grace: 1h}", []verify.TCBStatus{verify.StatusUpToDate, verify.StatusOutOfDate}},
		{"zero grace adds nothing", "{out_of_date_grace: 0s}", []verify.TCBStatus{verify.StatusUpToDate}},
		{"grace with UpToDate and ConfigurationNeeded adds both", "{accept: [UpToDate, ConfigurationNeeded], out_of_date_grace: 1h}",
			[]verify.TCBStatus{verify.StatusUpToDate, verify.StatusConfigurationNeeded, verify.StatusOutOfDate, verify.StatusOutOfDateConfigurationNeeded}},
		{"grace with ConfigurationNeeded only adds OutOfDateConfigurationNeeded only", "{accept: [ConfigurationNeeded], out_of_date_grace: 1h}",
			[]verify.TCBStatus{verify.StatusConfigurationNeeded, verify.StatusOutOfDateConfigurationNeeded}},
		{"grace with SWHardeningNeeded only adds OutOfDate", "{accept: [SWHardeningNeeded], out_of_date_grace: 1h}",
			[]verify.TCBStatus{verify.StatusSWHardeningNeeded, verify.StatusOutOfDate}},
		{"grace with ConfigurationAndSWHardeningNeeded adds OutOfDateConfigurationNeeded", "{accept: [ConfigurationAndSWHardeningNeeded], out_of_date_grace: 1h}",
			[]verify.TCBStatus{verify.StatusConfigurationAndSWHardeningNeeded, verify.StatusOutOfDateConfigurationNeeded}},
		{"grace with nothing to forgive into", "{accept: [TDRelaunchAdvised], out_of_date_grace: 1h}", []verify.TCBStatus{verify.StatusTDRelaunchAdvised}},
		{"OutOfDate listed", "{accept: [OutOfDate, TDRelaunchAdvised]}", []verify.TCBStatus{verify.StatusOutOfDate, verify.StatusTDRelaunchAdvised}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, "version: 1\ntcb: "+tt.tcb+"\napp: {any: true}\n")
			assert.Equal(t, tt.want, p.AcceptedStatuses())
		})
	}
}

// TestAcceptedStatusesMatchCheck: every status AcceptedStatuses names can
// pass Check, and no other can, whatever the platform's status.
func TestAcceptedStatusesMatchCheck(t *testing.T) {
	for _, tcb := range []string{
		"{accept: [UpToDate, ConfigurationNeeded], out_of_date_grace: 1h}",
		"{accept: [SWHardeningNeeded, ConfigurationAndSWHardeningNeeded], out_of_date_grace: 1h}",
		"{accept: [TDRelaunchAdvised, unknown], out_of_date_grace: 1h}",
	} {
		p := mustParse(t, "version: 1\ntcb: "+tcb+"\napp: {any: true}\nchannel: {binding: spki}\n")
		accepted := p.AcceptedStatuses()
		for _, s := range knownStatuses {
			passes := false
			for _, platform := range verify.Statuses() {
				r := testReport()
				layers{final: s, platform: platform, module: verify.StatusOutOfDate, qe: verify.StatusUpToDate,
					platformSince: verifiedAt, moduleSince: verifiedAt}.apply(r)
				passes = passes || p.Check(r) == nil
			}
			assert.Equal(t, slices.Contains(accepted, s), passes, "%s: %s", tcb, s)
		}
	}
}
