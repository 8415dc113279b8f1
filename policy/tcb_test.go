package policy

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/verify"
)

func TestOutOfDateGrace(t *testing.T) {
	const grace = 720 * time.Hour
	app := "app: {any: true}\n"
	withGrace := "version: 1\ntcb: {out_of_date_grace: 30d}\n" + app
	withGraceConfig := "version: 1\ntcb: {accept: [UpToDate, ConfigurationNeeded], out_of_date_grace: 720h}\n" + app
	noGrace := "version: 1\n" + app
	tests := []struct {
		name     string
		policy   string
		status   verify.TCBStatus
		since    time.Time // OutOfDateSince
		verified time.Time // VerifiedAt
		rule     string    // "" when accepted
		found    string
	}{
		{name: "just inside", policy: withGrace, status: verify.StatusOutOfDate, since: verifiedAt.Add(-grace), verified: verifiedAt},
		{name: "well inside", policy: withGrace, status: verify.StatusOutOfDate, since: verifiedAt.Add(-time.Hour), verified: verifiedAt},
		{name: "fell out of date after verification", policy: withGrace, status: verify.StatusOutOfDate, since: verifiedAt.Add(time.Hour), verified: verifiedAt},
		{name: "just outside", policy: withGrace, status: verify.StatusOutOfDate, since: verifiedAt.Add(-grace - time.Nanosecond), verified: verifiedAt,
			rule: "tcb.out_of_date_grace", found: "OutOfDate since 2025-06-19T09:59:59Z, 720h0m0.000000001s before verification at 2025-07-19T10:00:00Z"},
		{name: "far outside", policy: withGrace, status: verify.StatusOutOfDate, since: verifiedAt.AddDate(-1, 0, 0), verified: verifiedAt,
			rule: "tcb.out_of_date_grace", found: "OutOfDate since 2024-07-19T10:00:00Z"},
		{name: "no out-of-date date (module or QE out of date)", policy: withGrace, status: verify.StatusOutOfDate, verified: verifiedAt,
			rule: "tcb.out_of_date_grace", found: "no platform out-of-date date"},
		{name: "no verification time", policy: withGrace, status: verify.StatusOutOfDate, since: verifiedAt,
			rule: "tcb.out_of_date_grace", found: "no verification time"},
		{name: "no grace", policy: noGrace, status: verify.StatusOutOfDate, since: verifiedAt, verified: verifiedAt,
			rule: "tcb.accept", found: `"OutOfDate"`},
		{name: "grace does not cover Revoked", policy: withGrace, status: verify.StatusRevoked, since: verifiedAt, verified: verifiedAt,
			rule: "tcb.accept", found: `"Revoked"`},
		{name: "grace does not cover other statuses", policy: withGrace, status: verify.StatusSWHardeningNeeded, since: verifiedAt, verified: verifiedAt,
			rule: "tcb.accept", found: `"SWHardeningNeeded"`},
		{name: "OutOfDateConfigurationNeeded without ConfigurationNeeded", policy: withGrace, status: verify.StatusOutOfDateConfigurationNeeded,
			since: verifiedAt, verified: verifiedAt, rule: "tcb.accept", found: `"OutOfDateConfigurationNeeded"`},
		{name: "OutOfDateConfigurationNeeded with ConfigurationNeeded, inside", policy: withGraceConfig, status: verify.StatusOutOfDateConfigurationNeeded,
			since: verifiedAt.Add(-grace), verified: verifiedAt},
		{name: "OutOfDateConfigurationNeeded with ConfigurationNeeded, outside", policy: withGraceConfig, status: verify.StatusOutOfDateConfigurationNeeded,
			since: verifiedAt.Add(-grace - time.Second), verified: verifiedAt, rule: "tcb.out_of_date_grace", found: "OutOfDateConfigurationNeeded since"},
		{name: "OutOfDate still covered with ConfigurationNeeded", policy: withGraceConfig, status: verify.StatusOutOfDate,
			since: verifiedAt.Add(-grace), verified: verifiedAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy)
			r := testReport()
			r.TCBStatus, r.OutOfDateSince, r.VerifiedAt = tt.status, tt.since, tt.verified
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
	assert.Equal(t, "one of [UpToDate ConfigurationNeeded], or OutOfDate or OutOfDateConfigurationNeeded within 30d of falling out of date",
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
		{"grace with ConfigurationNeeded adds both", "{accept: [ConfigurationNeeded], out_of_date_grace: 1h}",
			[]verify.TCBStatus{verify.StatusConfigurationNeeded, verify.StatusOutOfDate, verify.StatusOutOfDateConfigurationNeeded}},
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
// pass Check, and no other can.
func TestAcceptedStatusesMatchCheck(t *testing.T) {
	p := mustParse(t, "version: 1\ntcb: {accept: [UpToDate, ConfigurationNeeded], out_of_date_grace: 1h}\napp: {any: true}\nchannel: {binding: spki}\n")
	accepted := p.AcceptedStatuses()
	for _, s := range knownStatuses {
		r := testReport()
		r.TCBStatus, r.OutOfDateSince = s, verifiedAt
		assert.Equal(t, slices.Contains(accepted, s), p.Check(r) == nil, s)
	}
}
