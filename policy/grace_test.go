package policy_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// The grace matrix verifies a quote for every combination of platform,
// TDX module and QE status with cvmtest's collateral, each part's newest
// level dated on a day of its own, and judges it with policies of several
// graces and accepted statuses.
var (
	graceNow        = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	graceModuleDate = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) // newest TDX_01 level
	graceQEDate     = time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC) // newest QE level
	graceQERevoked  = uint16(1)                                   // a Revoked QE level
)

// outOfDateSince is when each part that is out of date fell out of date
// under that collateral, by the part's own levels: the next newer level's
// date.
func outOfDateSince(t *testing.T, part string, s verify.TCBStatus) (time.Time, bool) {
	switch {
	case part == "platform" && s == verify.StatusOutOfDate:
		return mustPlatform(t, verify.StatusConfigurationAndSWHardeningNeeded).TCBDate, true
	case part == "platform" && s == verify.StatusOutOfDateConfigurationNeeded:
		return mustPlatform(t, verify.StatusOutOfDate).TCBDate, true
	case part == "module" && s == verify.StatusOutOfDate:
		return graceModuleDate, true
	case part == "qe" && s == verify.StatusOutOfDate:
		return graceQEDate, true
	}
	return time.Time{}, false
}

func mustPlatform(t *testing.T, s verify.TCBStatus) cvmtest.Platform {
	p, err := cvmtest.PlatformFor(s)
	require.NoError(t, err)
	return p
}

// graceCase is one combination of part statuses; module "" is a TD whose
// TEE_TCB_SVN[1] is zero, so that the module adds nothing; td15 is a TD 1.5
// relaunched onto an up-to-date module.
type graceCase struct {
	platform, module, qe verify.TCBStatus
	td15                 bool
}

func graceCases() []graceCase {
	platforms := []verify.TCBStatus{
		verify.StatusUpToDate, verify.StatusSWHardeningNeeded, verify.StatusConfigurationNeeded,
		verify.StatusConfigurationAndSWHardeningNeeded, verify.StatusOutOfDate,
		verify.StatusOutOfDateConfigurationNeeded, verify.StatusRevoked,
	}
	var out []graceCase
	for _, p := range platforms {
		for _, m := range []verify.TCBStatus{"", verify.StatusUpToDate, verify.StatusOutOfDate, verify.StatusRevoked} {
			for _, q := range []verify.TCBStatus{verify.StatusUpToDate, verify.StatusOutOfDate, verify.StatusRevoked} {
				out = append(out, graceCase{platform: p, module: m, qe: q})
				if m == verify.StatusOutOfDate {
					out = append(out, graceCase{platform: p, module: m, qe: q, td15: true})
				}
			}
		}
	}
	return out
}

// gracePKIs holds one PKI per platform status: making one costs
// milliseconds, and PKIs are safe for concurrent use.
var gracePKIs sync.Map // verify.TCBStatus -> *cvmtest.PKI

func gracePKI(t *testing.T, s verify.TCBStatus, pl cvmtest.Platform) *cvmtest.PKI {
	if p, ok := gracePKIs.Load(s); ok {
		return p.(*cvmtest.PKI)
	}
	p, _ := gracePKIs.LoadOrStore(s, cvmtest.MustPKI(t, cvmtest.PKIOptions{TCB: &pl.PCK}))
	return p.(*cvmtest.PKI)
}

// report verifies the case's quote, accepting every status, and returns
// the report.
func (c graceCase) report(t *testing.T) *verify.Report {
	pl := mustPlatform(t, c.platform)
	pki := gracePKI(t, c.platform, pl)
	o := cvmtest.QuoteOptions{TEETCBSVN: pl.TEETCBSVN}
	if c.module == "" {
		o.TEETCBSVN[1] = 0
	} else {
		m, err := cvmtest.ModuleFor(c.module)
		require.NoError(t, err)
		o.TEETCBSVN = m.TEETCBSVN
	}
	if c.qe == verify.StatusRevoked {
		o.QESVN = graceQERevoked
	} else {
		q, err := cvmtest.QEFor(c.qe)
		require.NoError(t, err)
		o.QESVN = q.ISVSVN
	}
	if c.td15 {
		up, err := cvmtest.ModuleFor(verify.StatusUpToDate)
		require.NoError(t, err)
		o.Version, o.BodyType, o.TEETCBSVN2 = quote.Version5, quote.BodyTypeTD15, up.TEETCBSVN
	}
	raw, err := pki.Quote(o)
	require.NoError(t, err)
	coll, err := pki.Collateral(cvmtest.CollateralOptions{
		Now: graceNow,
		TCBInfo: func(i *collateral.TCBInfo) {
			for j := range i.TDXModuleIdentities {
				if i.TDXModuleIdentities[j].ID == "TDX_01" {
					i.TDXModuleIdentities[j].TCBLevels[0].TCBDate = graceModuleDate
				}
			}
		},
		QEIdentity: func(q *collateral.QEIdentity) {
			q.TCBLevels[0].TCBDate = graceQEDate
			q.TCBLevels = append(q.TCBLevels, collateral.ISVTCBLevel{
				TCB: collateral.ISVSVN{ISVSVN: graceQERevoked}, TCBDate: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), TCBStatus: "Revoked",
			})
		},
	})
	require.NoError(t, err)
	opts := pki.VerifyOptions(coll)
	opts.Now = func() time.Time { return graceNow }
	v, err := verify.New(opts)
	require.NoError(t, err)
	r, err := v.Verify(context.Background(), raw, verify.Accept{Statuses: verify.Statuses()})
	require.NoError(t, err)
	require.Equal(t, []verify.TCBStatus{c.platform, c.module, c.qe}, []verify.TCBStatus{r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus})
	// Only the TCB is judged: the policy accepts any app on this channel.
	r.Dstack = &verify.Dstack{Binding: verify.BindingSPKI}
	return r
}

// TestGraceEveryLayerCombination: for every combination of part statuses
// (TD 1.5 relaunch statuses included), every grace and several accepted
// lists, Check accepts exactly what the package documentation says: a
// status listed in tcb.accept; or OutOfDate or OutOfDateConfigurationNeeded
// when the platform's status without its out-of-date part (OutOfDate is
// UpToDate, OutOfDateConfigurationNeeded is ConfigurationNeeded) is
// listed and every part that is itself out of date fell out of date, by
// its own levels, at most the grace before verification.
func TestGraceEveryLayerCombination(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	graces := []time.Duration{0, 300 * day, 400 * day, 500 * day, 700 * day} // none, QE, +module, +platform OutOfDate, all
	accepts := [][]verify.TCBStatus{
		{verify.StatusUpToDate},
		{verify.StatusUpToDate, verify.StatusSWHardeningNeeded},
		{verify.StatusUpToDate, verify.StatusConfigurationNeeded},
		{verify.StatusSWHardeningNeeded, verify.StatusConfigurationAndSWHardeningNeeded},
		{verify.StatusUpToDate, verify.StatusTDRelaunchAdvised, verify.StatusTDRelaunchAdvisedConfigurationNeeded},
	}
	for _, c := range graceCases() {
		name := fmt.Sprintf("platform %s, module %s, QE %s", c.platform, c.module, c.qe)
		if c.td15 {
			name += ", TD 1.5 relaunched"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := c.report(t)
			for _, accept := range accepts {
				for _, grace := range graces {
					doc := fmt.Sprintf("version: 1\napp: {any: true}\ntcb: {accept: [%s], out_of_date_grace: %s}\n", joinStatuses(accept), grace)
					p, err := policy.Parse([]byte(doc), "")
					require.NoError(t, err)
					want := graceOracle(t, c, r.TCBStatus, accept, grace)
					err = p.Check(r)
					assert.Equal(t, want, err == nil, "final %s, accept %v, grace %s: %v", r.TCBStatus, accept, grace, err)
					if err != nil {
						assert.Len(t, policy.Violations(err), 1)
					}
				}
			}
		})
	}
}

func joinStatuses(list []verify.TCBStatus) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// graceOracle states the grace rule independently of the package: which
// parts are out of date and since when comes from the case and the
// collateral, not from the report.
func graceOracle(t *testing.T, c graceCase, final verify.TCBStatus, accept []verify.TCBStatus, grace time.Duration) bool {
	if slices.Contains(accept, final) {
		return true
	}
	if grace == 0 || (final != verify.StatusOutOfDate && final != verify.StatusOutOfDateConfigurationNeeded) {
		return false
	}
	base := map[verify.TCBStatus]verify.TCBStatus{
		verify.StatusOutOfDate:                    verify.StatusUpToDate,
		verify.StatusOutOfDateConfigurationNeeded: verify.StatusConfigurationNeeded,
	}[c.platform]
	if base == "" {
		base = c.platform
	}
	if !slices.Contains(accept, base) {
		return false
	}
	for part, s := range map[string]verify.TCBStatus{"platform": c.platform, "module": c.module, "qe": c.qe} {
		if since, out := outOfDateSince(t, part, s); out && graceNow.Sub(since) > grace {
			return false
		}
	}
	return true
}
