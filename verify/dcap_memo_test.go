package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
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

// memoNow is the verification time of the memo tests.
var memoNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// memoPKI is a test PKI whose certificates are valid from a day before
// memoNow to a day after.
var memoPKI = sync.OnceValue(func() *cvmtest.PKI {
	p, err := cvmtest.NewPKI(cvmtest.PKIOptions{NotBefore: memoNow.Add(-24 * time.Hour), NotAfter: memoNow.Add(24 * time.Hour)})
	if err != nil {
		panic(err)
	}
	return p
})

// memoCollateral is collateral of p around memoNow, revoking the serials
// given.
func memoCollateral(t *testing.T, p *cvmtest.PKI, revokedPCK, revokedRoot []*big.Int) *collateral.Collateral {
	t.Helper()
	c, err := p.Collateral(cvmtest.CollateralOptions{Now: memoNow, RevokedPCKSerials: revokedPCK, RevokedRootSerials: revokedRoot})
	require.NoError(t, err)
	return c
}

// memoVerifier verifies against p's root (and others) on clk, with the
// collateral src serves or, when src is nil, without collateral.
func memoVerifier(t *testing.T, clk *clock, src collateral.Source, roots ...*x509.Certificate) *verify.Verifier {
	t.Helper()
	v, err := verify.New(verify.Options{Collateral: src, NoCollateral: src == nil, TrustedRoots: roots, Now: clk.now})
	require.NoError(t, err)
	return v
}

// acceptAny accepts every TCB status, StatusUnknown included, so that
// only the checks decide.
var acceptAny = verify.Accept{Statuses: allStatuses}

// TestMemoServesAKnownPlatform: a second quote of a platform reuses its
// chain, leaf extensions, QE report signature and signing certificates
// as they were verified the first time.
func TestMemoServesAKnownPlatform(t *testing.T) {
	p := memoPKI()
	src := &swapSource{}
	src.c.Store(memoCollateral(t, p, nil, nil))
	v := memoVerifier(t, &clock{t: memoNow}, src, p.Root)
	raw := testQuote(t, p, cvmtest.QuoteOptions{})

	_, err := v.Verify(context.Background(), raw, acceptAny)
	require.NoError(t, err)
	chains, qes, certs := verify.MemoLens(v)
	assert.Equal(t, 1, chains)
	assert.Equal(t, 1, qes)
	assert.Equal(t, 2, certs, "the PCK CA (also the PCK CRL's issuer) and the TCB signing certificate")

	q := parsed(t, raw)
	first, ext, err := verify.PCKChainAt(v, q.PCKChainPEM, memoNow)
	require.NoError(t, err)
	again, ext2, err := verify.PCKChainAt(v, q.PCKChainPEM, memoNow.Add(time.Hour))
	require.NoError(t, err)
	assert.Same(t, first, again, "the chain is not parsed again")
	assert.Same(t, ext, ext2, "nor its extensions")

	// New collateral: its TCB signing certificate and PCK CRL issuer are
	// known, only its own signatures are checked.
	src.c.Store(memoCollateral(t, p, []*big.Int{big.NewInt(12345)}, nil))
	_, err = v.Verify(context.Background(), raw, acceptAny)
	require.NoError(t, err)
	chains, qes, certs = verify.MemoLens(v)
	assert.Equal(t, 1, chains)
	assert.Equal(t, 1, qes)
	assert.Equal(t, 2, certs)
}

// TestMemoChainValidity: a remembered PCK chain is used only while every
// certificate of it is valid; NotBefore and NotAfter are both included.
func TestMemoChainValidity(t *testing.T) {
	p := memoPKI()
	clk := &clock{t: memoNow}
	v := memoVerifier(t, clk, nil, p.Root)
	raw := testQuote(t, p, cvmtest.QuoteOptions{})
	from, until := p.PCK.NotBefore, p.PCK.NotAfter

	for _, step := range []struct {
		name string
		at   time.Time
		kind verify.Kind
	}{
		{"first verification", memoNow, ""},
		{"at NotAfter", until, ""},
		{"just after NotAfter", until.Add(time.Nanosecond), verify.KindCertChain},
		{"long after", until.Add(365 * 24 * time.Hour), verify.KindCertChain},
		{"at NotBefore", from, ""},
		{"just before NotBefore", from.Add(-time.Nanosecond), verify.KindCertChain},
		{"back inside", memoNow, ""},
	} {
		clk.set(step.at)
		_, err := v.Verify(context.Background(), raw, acceptAny)
		if step.kind == "" {
			require.NoError(t, err, step.name)
		} else {
			require.Equal(t, step.kind, verify.KindOf(err), "%s: %v", step.name, err)
			var e *verify.Error
			require.ErrorAs(t, err, &e)
			assert.Contains(t, e.Check, "pck chain", step.name)
		}
		chains, _, _ := verify.MemoLens(v)
		assert.Equal(t, 1, chains, "%s: the chain stays remembered", step.name)
	}
}

// TestMemoChainValidityIsTheNarrowest: the window of a remembered chain is
// where all three certificates are valid: a CA that expires before the
// leaf ends it.
func TestMemoChainValidityIsTheNarrowest(t *testing.T) {
	p := memoPKI()
	clk := &clock{t: memoNow}
	v := memoVerifier(t, clk, nil, p.Root)
	ca, caChain := narrowed(t, p, p.Intermediate, p.IntermediateKey)
	q := parsed(t, testQuote(t, p, cvmtest.QuoteOptions{}))
	q.PCKChainPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.PCK.Raw}), caChain...)
	raw, err := q.Marshal()
	require.NoError(t, err)

	for _, step := range []struct {
		at   time.Time
		kind verify.Kind
	}{
		{memoNow, ""},
		{ca.NotAfter, ""},
		{ca.NotAfter.Add(time.Nanosecond), verify.KindCertChain},
		{ca.NotBefore.Add(-time.Nanosecond), verify.KindCertChain},
	} {
		clk.set(step.at)
		_, err := v.Verify(context.Background(), raw, acceptAny)
		assert.Equal(t, step.kind, verify.KindOf(err), "at %s: %v", step.at, err)
	}
}

// TestMemoRevokedAfterRemembered: collateral that revokes a certificate
// the verifier remembers (the PCK leaf, its CA, the TCB signing
// certificate) refuses it, and the same memos serve again under
// collateral that does not.
func TestMemoRevokedAfterRemembered(t *testing.T) {
	p := memoPKI()
	src := &swapSource{}
	clean := memoCollateral(t, p, nil, nil)
	src.c.Store(clean)
	v := memoVerifier(t, &clock{t: memoNow}, src, p.Root)
	raw := testQuote(t, p, cvmtest.QuoteOptions{})
	_, err := v.Verify(context.Background(), raw, acceptAny)
	require.NoError(t, err)

	for _, tc := range []struct {
		name                    string
		revokedPCK, revokedRoot []*big.Int
		check                   string
	}{
		{"the PCK leaf", []*big.Int{p.PCK.SerialNumber}, nil, "pck chain: leaf"},
		{"the PCK CA", nil, []*big.Int{p.Intermediate.SerialNumber}, "pck crl issuer chain"},
		{"the TCB signing certificate", nil, []*big.Int{p.TCBSigning.SerialNumber}, "tcb info issuer chain"},
	} {
		src.c.Store(memoCollateral(t, p, tc.revokedPCK, tc.revokedRoot))
		_, err := v.Verify(context.Background(), raw, acceptAny)
		require.Equal(t, verify.KindRevoked, verify.KindOf(err), "%s: %v", tc.name, err)
		var e *verify.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, tc.check, e.Check, tc.name)

		src.c.Store(clean)
		_, err = v.Verify(context.Background(), raw, acceptAny)
		require.NoError(t, err, "after %s", tc.name)
	}
}

// narrowed re-issues c, whose key is key, under p's root with a validity
// of an hour either side of memoNow, well inside the root's, and returns
// it with its issuer chain.
func narrowed(t *testing.T, p *cvmtest.PKI, c *x509.Certificate, key *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
	t.Helper()
	tmpl := *c
	tmpl.NotBefore, tmpl.NotAfter = memoNow.Add(-time.Hour), memoNow.Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, p.Root, &key.PublicKey, p.RootKey)
	require.NoError(t, err)
	out, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), p.RootPEM...)
	return out, chain
}

// TestMemoSigningCertificateValidity: a remembered collateral signing
// certificate is refused outside its validity, and when the root CA CRL
// revokes it.
func TestMemoSigningCertificateValidity(t *testing.T) {
	p := memoPKI()
	v := memoVerifier(t, &clock{t: memoNow}, &swapSource{}, p.Root)
	rootCRL := func(revoked []*big.Int) verify.RootCRL {
		crl, err := verify.CheckRootCRL(v, memoCollateral(t, p, nil, revoked).RootCACRL, memoNow)
		require.NoError(t, err)
		return crl
	}
	clean := rootCRL(nil)
	issuer := func(chain []byte, role verify.CertRole, at time.Time, crl verify.RootCRL) (*x509.Certificate, error) {
		return verify.CheckIssuerChain(v, chain, role, at, crl)
	}

	signing, chain := narrowed(t, p, p.TCBSigning, p.TCBSigningKey)
	first, err := issuer(chain, verify.RoleTCBSigning, memoNow, clean)
	require.NoError(t, err)
	known, ok := verify.RememberedCert(v, verify.RoleTCBSigning, signing.Raw, p.Root.Raw)
	require.True(t, ok)
	require.Same(t, first, known)

	for _, tc := range []struct {
		name string
		at   time.Time
		crl  verify.RootCRL
		kind verify.Kind
	}{
		{"at NotAfter", signing.NotAfter, clean, ""},
		{"just after NotAfter", signing.NotAfter.Add(time.Nanosecond), clean, verify.KindCollateralExpired},
		{"at NotBefore", signing.NotBefore, clean, ""},
		{"just before NotBefore", signing.NotBefore.Add(-time.Nanosecond), clean, verify.KindCollateralExpired},
		{"revoked", memoNow, rootCRL([]*big.Int{signing.SerialNumber}), verify.KindRevoked},
	} {
		got, err := issuer(chain, verify.RoleTCBSigning, tc.at, tc.crl)
		if tc.kind == "" {
			require.NoError(t, err, tc.name)
			assert.Same(t, known, got, "%s: served from the memo", tc.name)
			continue
		}
		require.Equal(t, tc.kind, verify.KindOf(err), "%s: %v", tc.name, err)
	}

	// The PCK CA accepted in a PCK chain serves as the PCK CRL's issuer,
	// with the same checks of time and revocation.
	ca, caChain := narrowed(t, p, p.Intermediate, p.IntermediateKey)
	_, _, err = verify.VerifiedIntermediate(v, ca.Raw, p.Root, memoNow)
	require.NoError(t, err)
	_, _, n := verify.MemoLens(v)
	_, err = issuer(caChain, verify.RolePCKCRLIssuer, memoNow, clean)
	require.NoError(t, err)
	_, _, certs := verify.MemoLens(v)
	assert.Equal(t, n, certs, "the PCK CA was known")
	_, err = issuer(caChain, verify.RolePCKCRLIssuer, ca.NotAfter.Add(time.Nanosecond), clean)
	assert.Equal(t, verify.KindCollateralExpired, verify.KindOf(err), "%v", err)
	_, err = issuer(caChain, verify.RolePCKCRLIssuer, memoNow, rootCRL([]*big.Int{ca.SerialNumber}))
	assert.Equal(t, verify.KindRevoked, verify.KindOf(err), "%v", err)

	// A role is not another: the TCB signing certificate is no PCK CA.
	_, _, err = verify.VerifiedIntermediate(v, signing.Raw, p.Root, memoNow)
	assert.Equal(t, verify.KindCertChain, verify.KindOf(err), "%v", err)
}

// TestMemoIntermediateValidity: a remembered PCK CA is refused outside its
// validity.
func TestMemoIntermediateValidity(t *testing.T) {
	p := memoPKI()
	v := memoVerifier(t, &clock{t: memoNow}, nil, p.Root)
	ca, _ := narrowed(t, p, p.Intermediate, p.IntermediateKey)
	known, _, err := verify.VerifiedIntermediate(v, ca.Raw, p.Root, memoNow)
	require.NoError(t, err)
	for _, at := range []time.Time{ca.NotAfter.Add(time.Nanosecond), ca.NotBefore.Add(-time.Nanosecond)} {
		_, _, err := verify.VerifiedIntermediate(v, ca.Raw, p.Root, at)
		assert.Equal(t, verify.KindCertChain, verify.KindOf(err), "at %s: %v", at, err)
	}
	got, kind, err := verify.VerifiedIntermediate(v, ca.Raw, p.Root, ca.NotAfter)
	require.NoError(t, err)
	assert.Same(t, known, got)
	assert.Equal(t, p.CA, kind)
}

// TestMemoQEReportKey: the QE report memo is keyed by the chain, the
// report and the signature: changing any of them is verified afresh.
func TestMemoQEReportKey(t *testing.T) {
	p := memoPKI()
	other, err := cvmtest.NewPKI(cvmtest.PKIOptions{Seed: []byte("memo: another platform"),
		NotBefore: memoNow.Add(-24 * time.Hour), NotAfter: memoNow.Add(24 * time.Hour)})
	require.NoError(t, err)
	v := memoVerifier(t, &clock{t: memoNow}, nil, p.Root, other.Root)
	raw := testQuote(t, p, cvmtest.QuoteOptions{})
	_, err = v.Verify(context.Background(), raw, acceptAny)
	require.NoError(t, err)
	_, qes, _ := verify.MemoLens(v)
	require.Equal(t, 1, qes)

	tamper := func(edit func(q *quote.Quote)) []byte {
		q := parsed(t, raw)
		edit(q)
		out, err := q.Marshal()
		require.NoError(t, err)
		return out
	}
	for name, edit := range map[string]func(q *quote.Quote){
		"signature flipped":         func(q *quote.Quote) { q.QEReportSignature[3] ^= 1 },
		"report changed":            func(q *quote.Quote) { q.QEReport.ISVSVN++ },
		"chain of another platform": func(q *quote.Quote) { q.PCKChainPEM = other.PCKChainPEM },
	} {
		_, err := v.Verify(context.Background(), tamper(edit), acceptAny)
		assert.Equal(t, verify.KindQEReportSignature, verify.KindOf(err), "%s: %v", name, err)
	}
	_, qes, _ = verify.MemoLens(v)
	assert.Equal(t, 1, qes, "no refused report is remembered")
}

// TestMemosAreBounded: each memo keeps at most its size.
func TestMemosAreBounded(t *testing.T) {
	v := memoVerifier(t, &clock{t: memoNow}, nil, memoPKI().Root)
	verify.FillMemos(v)
	chains, qes, certs := verify.MemoLens(v)
	assert.Equal(t, verify.ChainMemoSize, chains)
	assert.Equal(t, verify.QEReportMemoSize, qes)
	assert.Equal(t, verify.CertMemoSize, certs)
}
