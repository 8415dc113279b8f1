package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

func TestISVOutOfDateSince(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	level := func(svn uint16, date time.Time) collateral.ISVTCBLevel {
		return collateral.ISVTCBLevel{TCB: collateral.ISVSVN{ISVSVN: svn}, TCBDate: date}
	}
	// Three updates of one module or QE, highest isvsvn first.
	levels := []collateral.ISVTCBLevel{level(8, day(2024, 11, 13)), level(6, day(2024, 3, 13)), level(4, day(2023, 8, 9)), level(2, day(2023, 2, 15))}
	reversed := []collateral.ISVTCBLevel{levels[3], levels[2], levels[1], levels[0]}
	cases := []struct {
		name   string
		levels []collateral.ISVTCBLevel
		l      collateral.ISVTCBLevel
		want   time.Time
	}{
		{"highest level", levels, levels[0], time.Time{}},
		{"one update behind", levels, levels[1], day(2024, 11, 13)},
		{"two updates behind: since the first it missed", levels, levels[2], day(2024, 3, 13)},
		{"three updates behind", levels, levels[3], day(2023, 8, 9)},
		{"order does not matter", reversed, levels[2], day(2024, 3, 13)},
		{"higher levels dated no later: the highest one's date", []collateral.ISVTCBLevel{level(5, day(2023, 1, 1)), level(4, day(2022, 1, 1)), level(3, day(2024, 1, 1))},
			level(3, day(2024, 1, 1)), day(2023, 1, 1)},
		{"a level of the same isvsvn is not higher", []collateral.ISVTCBLevel{level(3, day(2025, 1, 1)), level(3, day(2024, 1, 1))}, level(3, day(2024, 1, 1)), time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.l
			assert.Equal(t, tc.want, isvOutOfDateSince(tc.levels, &l))
		})
	}
}

// TestTCBOutcomeOutOfDateSince: the TD is out of date since the earliest
// date of the parts that are out of date, and only those: the date of a
// part that is not out of date never counts.
func TestTCBOutcomeOutOfDateSince(t *testing.T) {
	t.Parallel()
	d1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d2, d3 := d1.AddDate(0, 3, 0), d1.AddDate(0, 6, 0)
	cases := []struct {
		name string
		o    tcbOutcome
		want time.Time
	}{
		{"nothing out of date", tcbOutcome{platform: StatusUpToDate, module: StatusUpToDate, qe: StatusUpToDate}, time.Time{}},
		{"platform", tcbOutcome{platform: StatusOutOfDate, module: StatusUpToDate, qe: StatusUpToDate, platformSince: d2}, d2},
		{"platform needing configuration", tcbOutcome{platform: StatusOutOfDateConfigurationNeeded, qe: StatusUpToDate, platformSince: d2}, d2},
		{"module only", tcbOutcome{platform: StatusSWHardeningNeeded, module: StatusOutOfDate, qe: StatusUpToDate, moduleSince: d3}, d3},
		{"QE only", tcbOutcome{platform: StatusConfigurationNeeded, qe: StatusOutOfDate, qeSince: d1}, d1},
		{"the earliest of three", tcbOutcome{platform: StatusOutOfDate, module: StatusOutOfDate, qe: StatusOutOfDate, platformSince: d2, moduleSince: d3, qeSince: d1}, d1},
		{"a date of a part that is not out of date is ignored", tcbOutcome{platform: StatusSWHardeningNeeded, module: StatusOutOfDate, qe: StatusUpToDate, platformSince: d1, moduleSince: d3}, d3},
		{"an out-of-date part without a date: unknown", tcbOutcome{platform: StatusOutOfDate, module: StatusOutOfDate, qe: StatusUpToDate, platformSince: d1}, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.o.outOfDateSince())
		})
	}
}
