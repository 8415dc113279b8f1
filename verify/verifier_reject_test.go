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
// it, and the next verification fetches the genuine collateral. That holds
// for collateral refused after it was verified too, such as a genuine CRL
// of another CA that the revocation check refuses.
func TestVerifyDropsRefusedCollateralFromTheCache(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	good := testCollateral(t, p, cvmtest.CollateralOptions{})
	otherPlatform := cvmtest.MustPKI(t, cvmtest.PKIOptions{FMSPC: [6]byte{0x11, 0x22, 0x33}})
	raw := testQuote(t, p, cvmtest.QuoteOptions{})

	forgedSignature := *good
	forgedSignature.TCBInfoSignature = bytes.Clone(good.TCBInfoSignature)
	forgedSignature.TCBInfoSignature[0] ^= 1
	// withPCKCRLOf is good with the PCK CRL, and its issuer chain, of o.
	withPCKCRLOf := func(o cvmtest.PKIOptions) *collateral.Collateral {
		other := testCollateral(t, sharedPKI(t, o), cvmtest.CollateralOptions{})
		c := *good
		c.PCKCRL, c.PCKCRLIssuerChain = other.PCKCRL, other.PCKCRLIssuerChain
		return &c
	}

	tests := []struct {
		name      string
		bad       *collateral.Collateral
		wantKind  verify.Kind
		wantCheck verify.CheckName
	}{
		{"bad TCB info signature", &forgedSignature, verify.KindCollateralSignature, verify.CheckCollateral},
		{"genuine collateral of another platform", testCollateral(t, otherPlatform, cvmtest.CollateralOptions{}), verify.KindCollateralMismatch, verify.CheckCollateral},
		{"PCK CRL of a same-name CA that did not issue the leaf", withPCKCRLOf(rekeyedCA), verify.KindCollateralSignature, verify.CheckRevocation},
		{"PCK CRL of the other PCK CA", withPCKCRLOf(cvmtest.PKIOptions{CA: collateral.CAProcessor}), verify.KindCollateralMismatch, verify.CheckRevocation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &swapSource{}
			src.c.Store(tt.bad)
			cache := collateral.NewCache(src, collateral.CacheOptions{Now: fixedNow(testNow)})
			v := testVerifier(t, p, good, func(o *verify.Options) { o.Collateral = cache })

			_, err := verifyOnce(v, raw)
			e := requireKind(t, err, tt.wantKind)
			failedAt(tt.wantCheck)(t, p, e.Report)
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
