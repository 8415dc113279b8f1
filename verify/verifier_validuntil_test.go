package verify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
)

// TestReportValidUntil checks that a verdict lapses with the first of the
// collateral's nextUpdate and the expiry of the certificates under it.
func TestReportValidUntil(t *testing.T) {
	t.Parallel()
	collNext := testNow.Add(10 * 24 * time.Hour)
	soon := testNow.Add(48 * time.Hour)
	tests := []struct {
		name string
		pki  cvmtest.PKIOptions
		want time.Time
	}{
		{"collateral expires first", cvmtest.PKIOptions{}, collNext},
		{"certificates expire first", cvmtest.PKIOptions{Seed: []byte("short-lived"), NotBefore: testNow.Add(-time.Hour), NotAfter: soon}, soon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := cvmtest.MustPKI(t, tt.pki)
			c := testCollateral(t, p, cvmtest.CollateralOptions{NextUpdate: collNext, IssueDate: testNow.Add(-time.Hour)})
			r, err := verifyOnce(testVerifier(t, p, c, nil), testQuote(t, p, cvmtest.QuoteOptions{}))
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(r.ValidUntil), "valid until %s, want %s", r.ValidUntil, tt.want)
			assert.False(t, r.ValidUntil.After(r.CollateralNextUpdate))
		})
	}

	p := sharedPKI(t, cvmtest.PKIOptions{})
	v := testVerifier(t, p, nil, func(o *verify.Options) { o.Collateral, o.NoCollateral = nil, true })
	r, err := verifyWith(v, testQuote(t, p, cvmtest.QuoteOptions{}), acceptUnknown)
	require.NoError(t, err)
	assert.True(t, r.ValidUntil.Equal(p.PCK.NotAfter) || r.ValidUntil.Before(p.PCK.NotAfter), "without collateral the certificates bound the verdict")
	assert.False(t, r.ValidUntil.IsZero())
}
