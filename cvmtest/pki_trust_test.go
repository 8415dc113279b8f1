package cvmtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// TestPKIIsNotTrustedByDefault checks the package doc's promise: however
// Intel-like its names, a test PKI is never Intel's, and a verifier left
// with its pinned Intel root refuses its quotes before fetching any
// collateral.
func TestPKIIsNotTrustedByDefault(t *testing.T) {
	intel, err := verify.IntelSGXRootCA()
	require.NoError(t, err)
	for _, seed := range []string{"", "seed A", "seed B"} {
		t.Run(strconv.Quote(seed), func(t *testing.T) {
			p := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte(seed)})
			assert.Equal(t, intel.Subject.String(), p.Root.Subject.String(), "the names are Intel's")
			sum := sha256.Sum256(p.Root.Raw)
			assert.NotEqual(t, verify.IntelSGXRootCAFingerprint, hex.EncodeToString(sum[:]))
			assert.False(t, bytes.Equal(intel.RawSubjectPublicKeyInfo, p.Root.RawSubjectPublicKeyInfo), "the key is not")

			raw, err := p.Quote(cvmtest.QuoteOptions{})
			require.NoError(t, err)
			fetched := false
			v, err := verify.New(verify.Options{
				Collateral: sourceFunc(func() (*collateral.Collateral, error) {
					fetched = true
					return defaultCollateral(t, p), nil
				}),
				Now: func() time.Time { return testNow },
			})
			require.NoError(t, err)
			r, err := v.Verify(context.Background(), raw, nil)
			require.Error(t, err)
			assert.Nil(t, r)
			assert.ErrorIs(t, err, verify.KindUntrustedRoot)
			assert.False(t, fetched, "no collateral is fetched for an untrusted chain")
		})
	}
}

// sourceFunc is a collateral.Source answering every request with f.
type sourceFunc func() (*collateral.Collateral, error)

func (f sourceFunc) ID() string { return "func" }

func (f sourceFunc) Fetch(context.Context, collateral.Request) (*collateral.Collateral, error) {
	return f()
}
