package conformance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
)

// hostileCase is one row of the table: a hostile input, named
// "area/threat", built and run through the public API by run, whose
// refusal must have kind kind and, when names is set, say names.
type hostileCase struct {
	name  string
	kind  verify.Kind
	names string
	run   func(t *testing.T) error
}

// areas are the table's areas, each a file of cases.
var areas = map[string]func() []hostileCase{
	"quote":      quoteCases,
	"collateral": collateralCases,
	"eventlog":   eventLogCases,
	"compose":    composeCases,
	"binding":    bindingCases,
	"policy":     policyCases,
	"transport":  transportCases,
}

// table is every case, area by area.
func table() []hostileCase {
	names := make([]string, 0, len(areas))
	for a := range areas {
		names = append(names, a)
	}
	slices.Sort(names)
	var all []hostileCase
	for _, a := range names {
		all = append(all, areas[a]()...)
	}
	return all
}

// TestConformance runs every hostile case: each must be refused, with its
// kind.
func TestConformance(t *testing.T) {
	cases := table()
	require.GreaterOrEqual(t, len(cases), 60)
	seen := map[string]bool{}
	for _, c := range cases {
		area, _, ok := strings.Cut(c.name, "/")
		require.True(t, ok && areas[area] != nil, "case %q is not named area/threat", c.name)
		require.False(t, seen[c.name], "case %q twice", c.name)
		seen[c.name] = true
		require.Contains(t, verify.Kinds(), c.kind, "case %q", c.name)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.run(t)
			require.Error(t, err, "accepted")
			assert.Equal(t, c.kind, verify.KindOf(err), "%v", err)
			if c.names != "" {
				assert.Contains(t, err.Error(), c.names)
			}
		})
	}
}
