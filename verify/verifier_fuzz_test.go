package verify_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// allStatuses lists every TCB status a report can end with.
var allStatuses = verify.Statuses()

// acceptAll accepts every status and debug TDs, so that fuzzed inputs reach
// as deep into the checks as they can.
var acceptAll = verify.Accept{Statuses: allStatuses, AllowDebug: true}

// fuzzFixture is a PKI with good collateral and a verifier accepting every
// status, so that fuzzed inputs reach as deep into the checks as they can.
func fuzzFixture(f *testing.F) (*cvmtest.PKI, *collateral.Collateral, *verify.Verifier) {
	p := cvmtest.MustPKI(f, cvmtest.PKIOptions{})
	c := testCollateral(f, p, cvmtest.CollateralOptions{})
	return p, c, testVerifier(f, p, c, nil)
}

// checkOutcome fails unless exactly one of r and err is set and err is a
// typed *verify.Error.
func checkOutcome(t *testing.T, r *verify.Report, err error) {
	t.Helper()
	switch {
	case err != nil && r != nil:
		t.Fatalf("both a report and an error: %v", err)
	case err != nil && verify.KindOf(err) == "":
		t.Fatalf("untyped error: %v", err)
	case err == nil && r == nil:
		t.Fatal("neither a report nor an error")
	}
}

// unchainedQuote returns a quote of p whose PCK chain is one tiny PEM
// block: it parses, and fails at the chain, in 1.2 KB instead of 4.8 KB.
func unchainedQuote(tb testing.TB, p *cvmtest.PKI, opts cvmtest.QuoteOptions) []byte {
	tb.Helper()
	q, err := quote.Parse(testQuote(tb, p, opts))
	require.NoError(tb, err)
	q.QEAuthData = nil
	q.PCKChainPEM = []byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
	b, err := q.Marshal()
	require.NoError(tb, err)
	return b
}

// FuzzVerify feeds arbitrary bytes to Verify: it must never panic, and
// must fail with a typed error or succeed with a report.
//
// One seed is a whole signed quote, to reach the checks past the chain;
// the others are quotes of every version and body type without a chain.
// The fuzzer minimizes every input that finds new coverage, in time that
// grows with the square of its length, for up to a minute by default, so
// more signed quotes of 4.8 KB would leave it little time to fuzz; the
// verifier's tests cover the other versions signed.
func FuzzVerify(f *testing.F) {
	p, _, v := fuzzFixture(f)
	f.Add(testQuote(f, p, cvmtest.QuoteOptions{QEAuthData: []byte{}}))
	for _, opts := range []cvmtest.QuoteOptions{
		{},
		{Version: quote.Version5, BodyType: quote.BodyTypeTD10},
		{Version: quote.Version5, BodyType: quote.BodyTypeTD15, TEETCBSVN2: [16]byte{4, 1, 6}},
	} {
		f.Add(unchainedQuote(f, p, opts))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := v.Verify(context.Background(), raw, acceptAll)
		checkOutcome(t, r, err)
	})
}

// shortTCBInfo cuts a TCB info to its first two platform levels and one
// level per TDX module, without the optional component names: 1.9 KB of
// JSON instead of 7.3 KB, which the default quote still verifies against.
func shortTCBInfo(info *collateral.TCBInfo) {
	short := func(cs []collateral.TCBComponent) []collateral.TCBComponent {
		out := make([]collateral.TCBComponent, len(cs))
		for i, c := range cs {
			out[i].SVN = c.SVN
		}
		return out
	}
	levels := slices.Clone(info.TCBLevels[:2])
	for i := range levels {
		levels[i].TCB.SGXComponents = short(levels[i].TCB.SGXComponents)
		levels[i].TCB.TDXComponents = short(levels[i].TCB.TDXComponents)
	}
	info.TCBLevels = levels
	modules := slices.Clone(info.TDXModuleIdentities)
	for i := range modules {
		modules[i].TCBLevels = modules[i].TCBLevels[:1]
	}
	info.TDXModuleIdentities = modules
}

// FuzzVerifyCollateral replaces one item of good collateral with arbitrary
// bytes. The TCB info and QE identity are signed again with the test TCB
// signing key, so that fuzzed JSON gets past the signature into parsing
// and TCB evaluation.
//
// The seed for the TCB info is a short one (see shortTCBInfo): the fuzzer
// minimizes every input that finds new coverage, in time that grows with
// the square of its length, for up to a minute by default.
func FuzzVerifyCollateral(f *testing.F) {
	p, good, _ := fuzzFixture(f)
	raw := testQuote(f, p, cvmtest.QuoteOptions{})
	items := [][]byte{
		good.TCBInfo, good.QEIdentity, good.TCBInfoSignature, good.TCBInfoIssuerChain,
		good.QEIdentityIssuerChain, good.PCKCRL, good.PCKCRLIssuerChain, good.RootCACRL,
	}
	short := testCollateral(f, p, cvmtest.CollateralOptions{TCBInfo: shortTCBInfo})
	seeds := slices.Clone(items)
	seeds[0] = short.TCBInfo
	for i, item := range seeds {
		f.Add(uint8(i), bytes.Clone(item))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		c := *good
		switch which % uint8(len(items)) {
		case 0:
			sig, err := p.SignCollateral(data)
			if err != nil {
				t.Fatal(err)
			}
			c.TCBInfo, c.TCBInfoSignature = data, sig
		case 1:
			sig, err := p.SignCollateral(data)
			if err != nil {
				t.Fatal(err)
			}
			c.QEIdentity, c.QEIdentitySignature = data, sig
		case 2:
			c.TCBInfoSignature = data
		case 3:
			c.TCBInfoIssuerChain = data
		case 4:
			c.QEIdentityIssuerChain = data
		case 5:
			c.PCKCRL = data
		case 6:
			c.PCKCRLIssuerChain = data
		case 7:
			c.RootCACRL = data
		}
		r, err := testVerifier(t, p, &c, nil).Verify(context.Background(), raw, acceptAll)
		checkOutcome(t, r, err)
	})
}

// TestShortTCBInfo keeps the TCB info seed of FuzzVerifyCollateral short,
// and one the default quote verifies against.
func TestShortTCBInfo(t *testing.T) {
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c := testCollateral(t, p, cvmtest.CollateralOptions{TCBInfo: shortTCBInfo})
	assert.Less(t, len(c.TCBInfo), 2000)
	r, err := verifyOnce(testVerifier(t, p, c, nil), testQuote(t, p, cvmtest.QuoteOptions{}))
	require.NoError(t, err)
	assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
}
