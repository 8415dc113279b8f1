package verify_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// TestVerifyDropsRefusedCollateralFromTheCache checks that one forged
// answer from a collateral service is not served again from the cache
// until the nextUpdate it claims: the verifier rejects it, the cache drops
// it, and the next verification fetches the genuine collateral.
func TestVerifyDropsRefusedCollateralFromTheCache(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	good := testCollateral(t, p, cvmtest.CollateralOptions{})
	otherPlatform := cvmtest.MustPKI(t, cvmtest.PKIOptions{FMSPC: [6]byte{0x11, 0x22, 0x33}})
	raw := testQuote(t, p, cvmtest.QuoteOptions{})

	forgedSignature := *good
	forgedSignature.TCBInfoSignature = bytes.Clone(good.TCBInfoSignature)
	forgedSignature.TCBInfoSignature[0] ^= 1

	tests := []struct {
		name     string
		bad      *collateral.Collateral
		wantKind verify.Kind
	}{
		{"bad TCB info signature", &forgedSignature, verify.KindCollateralSignature},
		{"genuine collateral of another platform", testCollateral(t, otherPlatform, cvmtest.CollateralOptions{}), verify.KindCollateralMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &swapSource{}
			src.c.Store(tt.bad)
			cache := collateral.NewCache(src, collateral.CacheOptions{Now: fixedNow(testNow)})
			v := testVerifier(t, p, good, func(o *verify.Options) { o.Collateral = cache })

			_, err := verifyOnce(v, raw)
			requireKind(t, err, tt.wantKind)
			assert.Zero(t, cache.Len(), "refused collateral is dropped from the cache")

			src.c.Store(good)
			r, err := verifyOnce(v, raw)
			require.NoError(t, err, "the genuine collateral is fetched again")
			assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
			assert.Equal(t, 1, cache.Len(), "genuine collateral is kept")
			assert.Equal(t, int64(2), src.fetches.Load())
		})
	}
}

// swapSource answers every request with the collateral it holds now.
type swapSource struct {
	c       atomic.Pointer[collateral.Collateral]
	fetches atomic.Int64
}

func (s *swapSource) ID() string { return "swap" }

func (s *swapSource) Fetch(context.Context, collateral.Request) (*collateral.Collateral, error) {
	s.fetches.Add(1)
	return s.c.Load(), nil
}
