package verify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"testing"

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
	v, err := verify.New(verify.Options{
		Collateral:   collateral.Static(c, "fuzz"),
		TrustedRoots: []*x509.Certificate{p.Root},
		Now:          fixedNow(testNow),
	})
	if err != nil {
		f.Fatal(err)
	}
	return p, c, v
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

// FuzzVerify feeds arbitrary bytes, seeded with well-formed signed quotes,
// to Verify: it must never panic, and must fail with a typed error or
// succeed with a report.
func FuzzVerify(f *testing.F) {
	p, _, v := fuzzFixture(f)
	for _, opts := range []cvmtest.QuoteOptions{
		{},
		{Version: quote.Version5, BodyType: quote.BodyTypeTD10},
		{Version: quote.Version5, BodyType: quote.BodyTypeTD15, TEETCBSVN2: [16]byte{4, 1, 6}},
		{QEAuthData: []byte{}},
	} {
		f.Add(testQuote(f, p, opts))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := v.Verify(context.Background(), raw, acceptAll)
		checkOutcome(t, r, err)
	})
}

// FuzzVerifyCollateral replaces one item of good collateral with arbitrary
// bytes. The TCB info and QE identity are signed again with the test TCB
// signing key, so that fuzzed JSON gets past the signature into parsing
// and TCB evaluation.
func FuzzVerifyCollateral(f *testing.F) {
	p, good, _ := fuzzFixture(f)
	raw := testQuote(f, p, cvmtest.QuoteOptions{})
	items := [][]byte{
		good.TCBInfo, good.QEIdentity, good.TCBInfoSignature, good.TCBInfoIssuerChain,
		good.QEIdentityIssuerChain, good.PCKCRL, good.PCKCRLIssuerChain, good.RootCACRL,
	}
	for i, item := range items {
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
		vc, err := verify.New(verify.Options{
			Collateral:   collateral.Static(&c, "fuzz"),
			TrustedRoots: []*x509.Certificate{p.Root},
			Now:          fixedNow(testNow),
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := vc.Verify(context.Background(), raw, acceptAll)
		checkOutcome(t, r, err)
	})
}
