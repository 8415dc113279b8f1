package verify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// The layered collateral dates each part's recovery on a day of its own,
// so that a date in the report tells which part it came from: the newest
// TDX_01 level is dated layerModuleDate, the newest QE level layerQEDate,
// and the QE identity gains a Revoked level at isvsvn layerQERevokedSVN.
var (
	layerModuleDate   = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	layerQEDate       = time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)
	layerQERevokedSVN = uint16(1)
)

// layeredCollateral is the default collateral with the layered dates.
func layeredCollateral() cvmtest.CollateralOptions {
	return cvmtest.CollateralOptions{
		TCBInfo: func(i *collateral.TCBInfo) {
			for j := range i.TDXModuleIdentities {
				if i.TDXModuleIdentities[j].ID == "TDX_01" {
					i.TDXModuleIdentities[j].TCBLevels[0].TCBDate = layerModuleDate
				}
			}
		},
		QEIdentity: func(q *collateral.QEIdentity) {
			q.TCBLevels[0].TCBDate = layerQEDate
			q.TCBLevels = append(q.TCBLevels, collateral.ISVTCBLevel{
				TCB: collateral.ISVSVN{ISVSVN: layerQERevokedSVN}, TCBDate: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), TCBStatus: "Revoked",
			})
		},
	}
}

// layerCase is one combination of part statuses; module "" is a TD whose
// TEE_TCB_SVN[1] is zero, so that the module adds nothing.
type layerCase struct {
	platform, module, qe verify.TCBStatus
	td15                 bool // a TD 1.5 relaunched onto an up-to-date module
}

func (c layerCase) String() string {
	s := fmt.Sprintf("platform %s, module %s, QE %s", c.platform, orDash(c.module), c.qe)
	if c.td15 {
		s += ", TD 1.5 relaunched"
	}
	return s
}

func orDash(s verify.TCBStatus) string {
	if s == "" {
		return "-"
	}
	return string(s)
}

// layerCases lists every combination of platform, module and QE status
// the collateral can give, and the TD 1.5 relaunch variant of those with an
// out-of-date module.
func layerCases() []layerCase {
	platforms := []verify.TCBStatus{
		verify.StatusUpToDate, verify.StatusSWHardeningNeeded, verify.StatusConfigurationNeeded,
		verify.StatusConfigurationAndSWHardeningNeeded, verify.StatusOutOfDate,
		verify.StatusOutOfDateConfigurationNeeded, verify.StatusRevoked,
	}
	modules := []verify.TCBStatus{"", verify.StatusUpToDate, verify.StatusOutOfDate, verify.StatusRevoked}
	qes := []verify.TCBStatus{verify.StatusUpToDate, verify.StatusOutOfDate, verify.StatusRevoked}
	var out []layerCase
	for _, p := range platforms {
		for _, m := range modules {
			for _, q := range qes {
				out = append(out, layerCase{platform: p, module: m, qe: q})
				if m == verify.StatusOutOfDate {
					out = append(out, layerCase{platform: p, module: m, qe: q, td15: true})
				}
			}
		}
	}
	return out
}

// options returns the PKI and quote options that give the case's statuses.
func (c layerCase) options(t *testing.T) (cvmtest.PKIOptions, cvmtest.QuoteOptions) {
	pl := mustPlatform(t, c.platform)
	o := cvmtest.QuoteOptions{TEETCBSVN: pl.TEETCBSVN}
	switch c.module {
	case "":
		o.TEETCBSVN[1] = 0
	default:
		o.TEETCBSVN = mustModule(t, c.module).TEETCBSVN
	}
	switch c.qe {
	case verify.StatusRevoked:
		o.QESVN = layerQERevokedSVN
	default:
		o.QESVN = mustQE(t, c.qe).ISVSVN
	}
	if c.td15 {
		o.Version, o.BodyType, o.TEETCBSVN2 = quote.Version5, quote.BodyTypeTD15, mustModule(t, verify.StatusUpToDate).TEETCBSVN
	}
	return cvmtest.PKIOptions{TCB: &pl.PCK}, o
}

// TestOutOfDateSincePerPart: for every combination of part statuses, each
// part's out-of-date date is set exactly when that part's own level is out
// of date, from that part's own levels, and the TD's date is the earliest
// of them. (A SWHardeningNeeded platform below the newest level used to
// lend its dates to an out-of-date module or QE.)
func TestOutOfDateSincePerPart(t *testing.T) {
	t.Parallel()
	platformSince := map[verify.TCBStatus]time.Time{
		// The level a platform first missed: the next newer recovery.
		verify.StatusOutOfDate:                    mustPlatform(t, verify.StatusConfigurationAndSWHardeningNeeded).TCBDate,
		verify.StatusOutOfDateConfigurationNeeded: mustPlatform(t, verify.StatusOutOfDate).TCBDate,
	}
	for _, c := range layerCases() {
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			pkiOpts, qOpts := c.options(t)
			p := sharedPKI(t, pkiOpts)
			v := testVerifier(t, p, testCollateral(t, p, layeredCollateral()), nil)
			r, err := verifyWith(v, testQuote(t, p, qOpts), verify.Accept{Statuses: verify.Statuses()})
			require.NoError(t, err)
			require.Equal(t, [3]verify.TCBStatus{c.platform, c.module, c.qe}, [3]verify.TCBStatus{r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus})

			var want [3]time.Time
			want[0] = platformSince[c.platform]
			if c.module == verify.StatusOutOfDate {
				want[1] = layerModuleDate
			}
			if c.qe == verify.StatusOutOfDate {
				want[2] = layerQEDate
			}
			assert.Equal(t, want, [3]time.Time{r.PlatformOutOfDateSince, r.TDXModuleOutOfDateSince, r.QEOutOfDateSince})
			var earliest time.Time
			for _, d := range want {
				if !d.IsZero() && (earliest.IsZero() || d.Before(earliest)) {
					earliest = d
				}
			}
			assert.Equal(t, earliest, r.OutOfDateSince)
		})
	}
}
