package verify_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// testNow is the verification time of the synthetic tests; collateral is
// made around it.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixedNow returns a clock stopped at t.
func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

// pkis memoizes test PKIs by their options: making one costs a few
// milliseconds (much more under -race) and PKIs are safe for concurrent use.
var pkis sync.Map // string -> *cvmtest.PKI

// sharedPKI returns the PKI of opts, made once per test binary. Tests that
// revoke certificates must make their own with cvmtest.MustPKI.
func sharedPKI(tb testing.TB, opts cvmtest.PKIOptions) *cvmtest.PKI {
	tb.Helper()
	keyOpts, tcb := opts, "nil"
	if opts.TCB != nil {
		keyOpts.TCB, tcb = nil, fmt.Sprintf("%+v", *opts.TCB)
	}
	key := fmt.Sprintf("%+v TCB=%s", keyOpts, tcb)
	if p, ok := pkis.Load(key); ok {
		return p.(*cvmtest.PKI)
	}
	p, _ := pkis.LoadOrStore(key, cvmtest.MustPKI(tb, opts))
	return p.(*cvmtest.PKI)
}

// testCollateral makes p's collateral around testNow unless opts says
// otherwise.
func testCollateral(tb testing.TB, p *cvmtest.PKI, opts cvmtest.CollateralOptions) *collateral.Collateral {
	tb.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	c, err := p.Collateral(opts)
	require.NoError(tb, err)
	return c
}

// testQuote makes a signed quote of p.
func testQuote(tb testing.TB, p *cvmtest.PKI, opts cvmtest.QuoteOptions) []byte {
	tb.Helper()
	raw, err := p.Quote(opts)
	require.NoError(tb, err)
	return raw
}

// testVerifier returns a verifier trusting p's root, serving c, at testNow.
func testVerifier(tb testing.TB, p *cvmtest.PKI, c *collateral.Collateral, edit func(*verify.Options)) *verify.Verifier {
	tb.Helper()
	opts := p.VerifyOptions(c)
	opts.Now = fixedNow(testNow)
	if edit != nil {
		edit(&opts)
	}
	v, err := verify.New(opts)
	require.NoError(tb, err)
	return v
}

// requireKind asserts that err is a *verify.Error of kind k, matched both
// with errors.Is and KindOf, that says what failed, and returns it.
func requireKind(tb testing.TB, err error, k verify.Kind) *verify.Error {
	tb.Helper()
	require.Error(tb, err)
	require.Truef(tb, errors.Is(err, k), "errors.Is(%v, %s)", err, k)
	require.Equal(tb, k, verify.KindOf(err), "KindOf(%v)", err)
	var e *verify.Error
	require.True(tb, errors.As(err, &e))
	assert.NotEmpty(tb, e.Check, "the error names its check")
	assert.True(tb, e.Expected != "" || e.Err != nil, "the error says what was expected or why: %v", err)
	return e
}

// parsed parses a quote the test made.
func parsed(tb testing.TB, raw []byte) *quote.Quote {
	tb.Helper()
	q, err := quote.Parse(raw)
	require.NoError(tb, err)
	return q
}

// verifyOnce is Verify with a background context, accepting only UpToDate.
func verifyOnce(v *verify.Verifier, raw []byte) (*verify.Report, error) {
	return v.Verify(context.Background(), raw, nil)
}

// verifyWith is Verify with a background context and acceptance a.
func verifyWith(v *verify.Verifier, raw []byte, a verify.Accept) (*verify.Report, error) {
	return v.Verify(context.Background(), raw, a)
}
