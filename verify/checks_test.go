package verify_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
)

// TestQuoteCheckNames: QuoteCheckNames is the plan Verify runs, in order,
// and a part of CheckNames.
func TestQuoteCheckNames(t *testing.T) {
	t.Parallel()
	p := sharedPKI(t, cvmtest.PKIOptions{})
	r, err := verifyOnce(testVerifier(t, p, testCollateral(t, p, cvmtest.CollateralOptions{}), nil), testQuote(t, p, cvmtest.QuoteOptions{}))
	require.NoError(t, err)
	var ran []verify.CheckName
	for _, c := range r.Checks {
		ran = append(ran, c.Name)
	}
	assert.Equal(t, ran, verify.QuoteCheckNames())
	for _, n := range verify.QuoteCheckNames() {
		assert.Contains(t, verify.CheckNames(), n)
	}
}
