package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// verifyCase is one synthetic verification: a PKI, a quote (optionally
// tampered), collateral (optionally edited), options, and the outcome.
type verifyCase struct {
	name string
	// pki, if set, replaces the default PKI options.
	pki *cvmtest.PKIOptions
	// quote makes the quote; tamper, if set, edits its signed struct and
	// returns the wire form; raw, if set, edits the wire form.
	quote  cvmtest.QuoteOptions
	tamper func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte
	raw    func(b []byte) []byte
	// revoke, if set, revokes certificates of the PKI before the
	// collateral is made.
	revoke func(p *cvmtest.PKI)
	// coll makes the collateral; editColl, if set, edits it.
	coll     cvmtest.CollateralOptions
	editColl func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral)
	// opts, if set, edits the verifier options.
	opts func(t *testing.T, p *cvmtest.PKI, o *verify.Options)
	// accept is what the call accepts; the zero value only UpToDate.
	accept verify.Accept

	// kind is the expected failure, "" for success.
	kind verify.Kind
	// status, if set, is the expected final status of the report (of the
	// error's report when kind is set).
	status verify.TCBStatus
	check  func(t *testing.T, p *cvmtest.PKI, r *verify.Report)
}

func (tc verifyCase) run(t *testing.T) {
	t.Helper()
	opts := cvmtest.PKIOptions{}
	if tc.pki != nil {
		opts = *tc.pki
	}
	p := sharedPKI(t, opts)
	if tc.revoke != nil {
		// Revocation changes the PKI: use a fresh one.
		p = cvmtest.MustPKI(t, opts)
		tc.revoke(p)
	}
	var raw []byte
	if tc.tamper != nil {
		q, err := p.QuoteStruct(tc.quote)
		require.NoError(t, err)
		raw = tc.tamper(t, p, q)
	} else {
		raw = testQuote(t, p, tc.quote)
	}
	if tc.raw != nil {
		raw = tc.raw(bytes.Clone(raw))
	}
	c := testCollateral(t, p, tc.coll)
	if tc.editColl != nil {
		tc.editColl(t, p, c)
	}
	opt := p.VerifyOptions(c)
	opt.Now = fixedNow(testNow)
	if tc.opts != nil {
		tc.opts(t, p, &opt)
	}
	v, err := verify.New(opt)
	require.NoError(t, err)

	r, err := v.Verify(context.Background(), raw, tc.accept)
	if tc.kind == "" {
		require.NoError(t, err)
		require.NotNil(t, r)
		if tc.status != "" {
			assert.Equal(t, tc.status, r.TCBStatus)
		}
		if tc.check != nil {
			tc.check(t, p, r)
		}
		return
	}
	assert.Nil(t, r)
	e := requireKind(t, err, tc.kind)
	if tc.status != "" {
		require.NotNil(t, e.Report, "a rejected status comes with the report")
		assert.Equal(t, tc.status, e.Report.TCBStatus)
	}
	if tc.check != nil {
		tc.check(t, p, e.Report)
	}
}

// runCases runs each case as a parallel subtest.
func runCases(t *testing.T, cases []verifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t)
		})
	}
}

// tcbInfo and qeIdentity are the collateral options that edit the TCB info
// or the QE identity with f.
func tcbInfo(f func(*collateral.TCBInfo)) cvmtest.CollateralOptions {
	return cvmtest.CollateralOptions{TCBInfo: f}
}

func qeIdentity(f func(*collateral.QEIdentity)) cvmtest.CollateralOptions {
	return cvmtest.CollateralOptions{QEIdentity: f}
}

// mustPlatform, mustModule and mustQE read the cvmtest presets.
func mustPlatform(t *testing.T, s verify.TCBStatus) cvmtest.Platform {
	p, err := cvmtest.PlatformFor(s)
	require.NoError(t, err)
	return p
}

func mustModule(t *testing.T, s verify.TCBStatus) cvmtest.Module {
	m, err := cvmtest.ModuleFor(s)
	require.NoError(t, err)
	return m
}

func mustQE(t *testing.T, s verify.TCBStatus) cvmtest.QE {
	q, err := cvmtest.QEFor(s)
	require.NoError(t, err)
	return q
}

// pkiWith returns PKI options whose PCK certificate has the platform TCB
// that the default TCB info rates s.
func pkiWith(t *testing.T, s verify.TCBStatus) *cvmtest.PKIOptions {
	tcb := mustPlatform(t, s).PCK
	return &cvmtest.PKIOptions{TCB: &tcb}
}

// statuses asserts the per-part statuses of a report.
func statuses(platform, module, qe verify.TCBStatus, advisories ...string) func(*testing.T, *cvmtest.PKI, *verify.Report) {
	return func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) {
		require.NotNil(t, r)
		assert.Equal(t, platform, r.PlatformTCBStatus, "platform")
		assert.Equal(t, module, r.TDXModuleTCBStatus, "module")
		assert.Equal(t, qe, r.QETCBStatus, "qe")
		if len(advisories) == 0 {
			assert.Empty(t, r.AdvisoryIDs)
		} else {
			assert.Equal(t, advisories, r.AdvisoryIDs)
		}
	}
}

// statusCase is a TCB outcome the synthetic table checks twice: rejected
// by the default AcceptStatuses (unless it is UpToDate) and accepted when
// listed.
type statusCase struct {
	name   string
	pki    *cvmtest.PKIOptions
	quote  cvmtest.QuoteOptions
	status verify.TCBStatus
	check  func(*testing.T, *cvmtest.PKI, *verify.Report)
}

func statusCases(t *testing.T) []statusCase {
	up := verify.StatusUpToDate
	moduleOut := mustModule(t, verify.StatusOutOfDate).TEETCBSVN
	qeOut := mustQE(t, verify.StatusOutOfDate).ISVSVN
	current := mustPlatform(t, up).TEETCBSVN
	td15 := func(svn, svn2 [16]byte) cvmtest.QuoteOptions {
		return cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD15, TEETCBSVN: svn, TEETCBSVN2: svn2}
	}
	return []statusCase{
		{name: "UpToDate", status: up, check: statuses(up, up, up)},
		{name: "SWHardeningNeeded", pki: pkiWith(t, verify.StatusSWHardeningNeeded), status: verify.StatusSWHardeningNeeded,
			check: statuses(verify.StatusSWHardeningNeeded, up, up, "INTEL-SA-00615")},
		{name: "ConfigurationNeeded", pki: pkiWith(t, verify.StatusConfigurationNeeded), status: verify.StatusConfigurationNeeded,
			check: statuses(verify.StatusConfigurationNeeded, up, up, "INTEL-SA-01079")},
		{name: "ConfigurationAndSWHardeningNeeded", pki: pkiWith(t, verify.StatusConfigurationAndSWHardeningNeeded), status: verify.StatusConfigurationAndSWHardeningNeeded,
			check: statuses(verify.StatusConfigurationAndSWHardeningNeeded, up, up, "INTEL-SA-00615", "INTEL-SA-01036")},
		{name: "OutOfDate", pki: pkiWith(t, verify.StatusOutOfDate), status: verify.StatusOutOfDate,
			check: func(t *testing.T, p *cvmtest.PKI, r *verify.Report) {
				statuses(verify.StatusOutOfDate, up, up, "INTEL-SA-00837", "INTEL-SA-00960")(t, p, r)
				assert.Equal(t, mustPlatform(t, verify.StatusOutOfDate).TCBDate, r.TCBDate)
				// The OutOfDate level (2023-08-09) fell behind when the next
				// newer level (ConfigurationAndSWHardeningNeeded, 2024-03-13)
				// was published, not when the newest one was.
				assert.Equal(t, mustPlatform(t, verify.StatusConfigurationAndSWHardeningNeeded).TCBDate, r.OutOfDateSince,
					"out of date since the earliest newer level")
			}},
		{name: "OutOfDateConfigurationNeeded", pki: pkiWith(t, verify.StatusOutOfDateConfigurationNeeded), status: verify.StatusOutOfDateConfigurationNeeded,
			check: statuses(verify.StatusOutOfDateConfigurationNeeded, up, up, "INTEL-SA-00730", "INTEL-SA-00767")},
		{name: "Revoked platform", pki: pkiWith(t, verify.StatusRevoked), status: verify.StatusRevoked,
			check: statuses(verify.StatusRevoked, up, up, "INTEL-SA-00106", "INTEL-SA-00115")},
		{name: "module OutOfDate makes UpToDate OutOfDate", quote: cvmtest.QuoteOptions{TEETCBSVN: moduleOut}, status: verify.StatusOutOfDate,
			check: statuses(up, verify.StatusOutOfDate, up, "INTEL-SA-00960")},
		{name: "module OutOfDate makes SWHardeningNeeded OutOfDate", pki: pkiWith(t, verify.StatusSWHardeningNeeded),
			quote: cvmtest.QuoteOptions{TEETCBSVN: moduleOut}, status: verify.StatusOutOfDate,
			check: statuses(verify.StatusSWHardeningNeeded, verify.StatusOutOfDate, up, "INTEL-SA-00615", "INTEL-SA-00960")},
		{name: "module OutOfDate makes ConfigurationNeeded OutOfDateConfigurationNeeded", pki: pkiWith(t, verify.StatusConfigurationNeeded),
			quote: cvmtest.QuoteOptions{TEETCBSVN: moduleOut}, status: verify.StatusOutOfDateConfigurationNeeded,
			check: statuses(verify.StatusConfigurationNeeded, verify.StatusOutOfDate, up, "INTEL-SA-00960", "INTEL-SA-01079")},
		{name: "module Revoked revokes", quote: cvmtest.QuoteOptions{TEETCBSVN: mustModule(t, verify.StatusRevoked).TEETCBSVN}, status: verify.StatusRevoked,
			check: statuses(up, verify.StatusRevoked, up, "INTEL-SA-00837")},
		{name: "QE OutOfDate makes UpToDate OutOfDate", quote: cvmtest.QuoteOptions{QESVN: qeOut}, status: verify.StatusOutOfDate,
			check: statuses(up, up, verify.StatusOutOfDate, "INTEL-SA-00837")},
		{name: "QE OutOfDate makes ConfigurationAndSWHardeningNeeded OutOfDateConfigurationNeeded",
			pki: pkiWith(t, verify.StatusConfigurationAndSWHardeningNeeded), quote: cvmtest.QuoteOptions{QESVN: qeOut},
			status: verify.StatusOutOfDateConfigurationNeeded,
			check:  statuses(verify.StatusConfigurationAndSWHardeningNeeded, up, verify.StatusOutOfDate, "INTEL-SA-00615", "INTEL-SA-00837", "INTEL-SA-01036")},
		{name: "TD 1.5 with an updated module is TDRelaunchAdvised", quote: td15(moduleOut, current), status: verify.StatusTDRelaunchAdvised,
			check: statuses(up, verify.StatusOutOfDate, up, "INTEL-SA-00960")},
		{name: "TD 1.5 with an updated module on ConfigurationNeeded is TDRelaunchAdvisedConfigurationNeeded",
			pki: pkiWith(t, verify.StatusConfigurationNeeded), quote: td15(moduleOut, current),
			status: verify.StatusTDRelaunchAdvisedConfigurationNeeded,
			check:  statuses(verify.StatusConfigurationNeeded, verify.StatusOutOfDate, up, "INTEL-SA-00960", "INTEL-SA-01079")},
		{name: "TD 1.5 not relaunched since the module update stays OutOfDate", quote: td15(moduleOut, moduleOut), status: verify.StatusOutOfDate,
			check: statuses(up, verify.StatusOutOfDate, up, "INTEL-SA-00960")},
		{name: "TD 1.5 relaunch is not advised with an out-of-date QE",
			quote:  cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD15, TEETCBSVN: moduleOut, TEETCBSVN2: current, QESVN: qeOut},
			status: verify.StatusOutOfDate, check: statuses(up, verify.StatusOutOfDate, verify.StatusOutOfDate, "INTEL-SA-00837", "INTEL-SA-00960")},
		{name: "TD 1.0 in a v5 quote has no relaunch check",
			quote:  cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD10, TEETCBSVN: moduleOut},
			status: verify.StatusOutOfDate, check: statuses(up, verify.StatusOutOfDate, up, "INTEL-SA-00960")},
	}
}

func TestVerifyStatuses(t *testing.T) {
	t.Parallel()
	for _, sc := range statusCases(t) {
		if sc.status != verify.StatusUpToDate {
			t.Run(sc.name+"/rejected", func(t *testing.T) {
				t.Parallel()
				verifyCase{pki: sc.pki, quote: sc.quote, kind: verify.KindTCBStatus, status: sc.status,
					check: func(t *testing.T, p *cvmtest.PKI, r *verify.Report) {
						sc.check(t, p, r)
					}}.run(t)
			})
		}
		t.Run(sc.name+"/accepted", func(t *testing.T) {
			t.Parallel()
			verifyCase{pki: sc.pki, quote: sc.quote, status: sc.status, check: sc.check,
				accept: verify.Accept{Statuses: []verify.TCBStatus{verify.StatusUpToDate, sc.status}}}.run(t)
		})
	}
}

func TestVerifyRejectedStatusNamesAccepted(t *testing.T) {
	t.Parallel()
	verifyCase{pki: pkiWith(t, verify.StatusOutOfDate), kind: verify.KindTCBStatus, status: verify.StatusOutOfDate,
		accept: verify.Accept{Statuses: []verify.TCBStatus{verify.StatusUpToDate, verify.StatusSWHardeningNeeded}},
		check: func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) {
			assert.Equal(t, verify.StatusOutOfDate, r.TCBStatus)
		}}.run(t)

	p := cvmtest.MustPKI(t, *pkiWith(t, verify.StatusOutOfDate))
	v := testVerifier(t, p, testCollateral(t, p, cvmtest.CollateralOptions{}), nil)
	_, err := verifyWith(v, testQuote(t, p, cvmtest.QuoteOptions{}),
		verify.Accept{Statuses: []verify.TCBStatus{verify.StatusUpToDate, verify.StatusSWHardeningNeeded}})
	e := requireKind(t, err, verify.KindTCBStatus)
	assert.Equal(t, "UpToDate or SWHardeningNeeded", e.Expected)
	assert.Equal(t, "OutOfDate", e.Found)
}

func TestVerifyReportFields(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c := testCollateral(t, p, cvmtest.CollateralOptions{})
	raw := testQuote(t, p, cvmtest.QuoteOptions{ReportData: [64]byte{1, 2, 3}})
	r, err := verifyOnce(testVerifier(t, p, c, nil), raw)
	require.NoError(t, err)

	ppid := sha256.Sum256(p.Extensions.PPID[:])
	up := mustPlatform(t, verify.StatusUpToDate)
	next := testNow.Add(cvmtest.DefaultCollateralLifetime).Truncate(time.Second)
	assert.Equal(t, testNow, r.VerifiedAt)
	assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.PlatformTCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.TDXModuleTCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.QETCBStatus)
	assert.Nil(t, r.AdvisoryIDs)
	assert.Equal(t, up.TCBDate, r.TCBDate)
	assert.True(t, r.OutOfDateSince.IsZero())
	assert.Equal(t, cvmtest.DefaultTCBEvaluationDataNumber, r.TCBEvaluationDataNumber)
	assert.Equal(t, p.FMSPC(), r.FMSPC)
	assert.Equal(t, "0000", r.PCEID)
	assert.Equal(t, hex.EncodeToString(ppid[:]), r.DeviceID)
	assert.Equal(t, "platform", r.PCKCA)
	assert.True(t, next.Equal(r.CollateralNextUpdate), "next update %s", r.CollateralNextUpdate)
	assert.False(t, r.Debug)
	assert.True(t, r.SEPTVEDisable, "cvmtest.DefaultTDAttributes")
	require.NotNil(t, r.Quote)
	assert.Equal(t, [64]byte{1, 2, 3}, r.Body.ReportData)
	assert.Nil(t, r.Dstack)
}

func TestVerifyCollateralNextUpdateIsTheEarliest(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	crlNext := testNow.Add(48 * time.Hour)
	c := testCollateral(t, p, cvmtest.CollateralOptions{CRLNextUpdate: crlNext})
	qeNext := testNow.Add(24 * time.Hour)
	c2 := testCollateral(t, p, cvmtest.CollateralOptions{QEIdentity: func(id *collateral.QEIdentity) { id.NextUpdate = qeNext }})
	for _, tc := range []struct {
		name string
		c    *collateral.Collateral
		want time.Time
	}{
		{"CRLs first", c, crlNext},
		{"QE identity first", c2, qeNext},
	} {
		r, err := verifyOnce(testVerifier(t, p, tc.c, nil), testQuote(t, p, cvmtest.QuoteOptions{}))
		require.NoError(t, err, tc.name)
		assert.True(t, tc.want.Equal(r.CollateralNextUpdate), "%s: %s", tc.name, r.CollateralNextUpdate)
	}
}

// flipLeafSignature returns chain with the last byte of the leaf
// certificate (inside its signature) flipped.
func flipLeafSignature(t *testing.T, chain []byte) []byte {
	block, rest := pem.Decode(chain)
	require.NotNil(t, block)
	der := bytes.Clone(block.Bytes)
	der[len(der)-1] ^= 0x01
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), rest...)
}

// resign re-signs an edited quote struct.
func resign(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
	raw, err := p.Resign(q)
	require.NoError(t, err)
	return raw
}

// marshal serializes an edited quote struct without signing it again.
func marshal(t *testing.T, q *quote.Quote) []byte {
	raw, err := q.Marshal()
	require.NoError(t, err)
	return raw
}

// crlAt returns a DER CRL of p's PCK CA (pckCA) or root valid in [this, next).
func crlAt(t *testing.T, p *cvmtest.PKI, pckCA bool, this, next time.Time) []byte {
	opts := cvmtest.CRLOptions{ThisUpdate: this, NextUpdate: next}
	var der []byte
	var err error
	if pckCA {
		der, err = p.PCKCRL(opts)
	} else {
		der, err = p.RootCRL(opts)
	}
	require.NoError(t, err)
	return der
}

// signTCBInfo replaces the TCB info of c with raw, signed by p.
func signTCBInfo(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral, raw []byte) {
	sig, err := p.SignCollateral(raw)
	require.NoError(t, err)
	c.TCBInfo, c.TCBInfoSignature = raw, sig
}

func TestVerifyFailures(t *testing.T) {
	t.Parallel()
	hour := time.Hour
	past, future := testNow.Add(-48*hour), testNow.Add(48*hour)
	other := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("another test PKI")})
	setOpts := func(f func(p *cvmtest.PKI, o *verify.Options)) func(*testing.T, *cvmtest.PKI, *verify.Options) {
		return func(_ *testing.T, p *cvmtest.PKI, o *verify.Options) { f(p, o) }
	}
	sigDataLenOffset := quote.HeaderSize + quote.BodySizeTD10

	cases := []verifyCase{
		// Quote format.
		{name: "empty input", raw: func([]byte) []byte { return nil }, kind: verify.KindMalformedQuote},
		{name: "truncated quote", raw: func(b []byte) []byte { return b[:len(b)-100] }, kind: verify.KindMalformedQuote},
		{name: "overlong signature data length", raw: func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[sigDataLenOffset:], 0xFFFFFFF0)
			return b
		}, kind: verify.KindMalformedQuote},
		{name: "garbage after the quote", raw: func(b []byte) []byte { return append(b, 0xAA) }, kind: verify.KindMalformedQuote},
		{name: "unsupported version 3", raw: func(b []byte) []byte { b[0] = 3; return b }, kind: verify.KindUnsupportedQuote},

		// Signatures over the quote.
		{name: "quote signature flipped", tamper: func(t *testing.T, _ *cvmtest.PKI, q *quote.Quote) []byte {
			q.Signature[10] ^= 0x01
			return marshal(t, q)
		}, kind: verify.KindQuoteSignature},
		{name: "body changed after signing", tamper: func(t *testing.T, _ *cvmtest.PKI, q *quote.Quote) []byte {
			q.Body.MRTD[0] ^= 0x01
			return marshal(t, q)
		}, kind: verify.KindQuoteSignature},
		{name: "attestation key not on the curve", tamper: func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
			q.AttestationKey = [64]byte{1}
			cvmtest.BindQEReport(q)
			return resign(t, p, q)
		}, kind: verify.KindMalformedQuote},
		{name: "QE report signature flipped", tamper: func(t *testing.T, _ *cvmtest.PKI, q *quote.Quote) []byte {
			q.QEReportSignature[3] ^= 0x01
			return marshal(t, q)
		}, kind: verify.KindQEReportSignature},
		{name: "QE report changed after signing", tamper: func(t *testing.T, _ *cvmtest.PKI, q *quote.Quote) []byte {
			q.QEReport.ISVSVN++
			return marshal(t, q)
		}, kind: verify.KindQEReportSignature},
		{name: "QE auth data not bound", tamper: func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
			q.QEAuthData = []byte("other auth data")
			return resign(t, p, q)
		}, kind: verify.KindQEReportBinding},
		{name: "QE report data upper half not zero", tamper: func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
			q.QEReport.ReportData[40] = 1
			return resign(t, p, q)
		}, kind: verify.KindQEReportBinding},

		// PCK chain.
		{name: "PCK certificate signature flipped", tamper: func(t *testing.T, _ *cvmtest.PKI, q *quote.Quote) []byte {
			q.PCKChainPEM = flipLeafSignature(t, q.PCKChainPEM)
			return marshal(t, q)
		}, kind: verify.KindCertChain},
		{name: "PCK chain without the intermediate", tamper: func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
			q.PCKChainPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.PCK.Raw}), p.RootPEM...)
			return marshal(t, q)
		}, kind: verify.KindCertChain},
		{name: "PCK chain in the wrong order", tamper: func(t *testing.T, p *cvmtest.PKI, q *quote.Quote) []byte {
			var chain []byte
			for _, c := range []*x509.Certificate{p.Intermediate, p.PCK, p.Root} {
				chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
			}
			q.PCKChainPEM = chain
			return marshal(t, q)
		}, kind: verify.KindCertChain},
		{name: "PCK certificate expired", pki: &cvmtest.PKIOptions{NotBefore: testNow.AddDate(-5, 0, 0), NotAfter: testNow.Add(-hour)},
			kind: verify.KindCertChain},
		{name: "PCK certificate not yet valid", pki: &cvmtest.PKIOptions{NotBefore: testNow.Add(hour), NotAfter: testNow.AddDate(5, 0, 0)},
			kind: verify.KindCertChain},
		{name: "chain to an untrusted test root", opts: setOpts(func(_ *cvmtest.PKI, o *verify.Options) {
			o.TrustedRoots = []*x509.Certificate{other.Root}
		}), kind: verify.KindUntrustedRoot},
		{name: "test root against Intel's pinned root", opts: setOpts(func(_ *cvmtest.PKI, o *verify.Options) {
			o.TrustedRoots = nil
		}), kind: verify.KindUntrustedRoot},
		{name: "revoked PCK certificate", revoke: (*cvmtest.PKI).RevokePCK, kind: verify.KindRevoked},
		{name: "revoked intermediate", revoke: (*cvmtest.PKI).RevokeIntermediate, kind: verify.KindRevoked},
		{name: "revoked TCB signing certificate", revoke: (*cvmtest.PKI).RevokeTCBSigning, kind: verify.KindRevoked},
		{name: "other serials revoked only", coll: cvmtest.CollateralOptions{
			RevokedPCKSerials: []*big.Int{big.NewInt(7)}, RevokedRootSerials: []*big.Int{big.NewInt(9)}},
			status: verify.StatusUpToDate},

		// Collateral signatures.
		{name: "TCB info signature flipped", editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			c.TCBInfoSignature[5] ^= 0x01
		}, kind: verify.KindCollateralSignature},
		{name: "TCB info byte changed after signing", editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			c.TCBInfo = append(bytes.Clone(c.TCBInfo[:len(c.TCBInfo)-1]), ' ', '}')
		}, kind: verify.KindCollateralSignature},
		{name: "TCB info signed by another PKI", editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			sig, err := other.SignCollateral(c.TCBInfo)
			require.NoError(t, err)
			c.TCBInfoSignature = sig
		}, kind: verify.KindCollateralSignature},
		{name: "TCB info signature too short", editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			c.TCBInfoSignature = c.TCBInfoSignature[:63]
		}, kind: verify.KindCollateralSignature},
		{name: "TCB info issuer chain of another root", editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			c.TCBInfoIssuerChain = other.TCBSigningChainPEM
		}, kind: verify.KindCollateralSignature},
		{name: "TCB info issuer chain is the PCK CA", editColl: func(_ *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
			c.TCBInfoIssuerChain = p.PCKCRLIssuerChainPEM
		}, kind: verify.KindCollateralSignature},
		{name: "QE identity signature flipped", editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			c.QEIdentitySignature[60] ^= 0x01
		}, kind: verify.KindCollateralSignature},
		{name: "PCK CRL signed by the root", editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
			c.PCKCRL = crlAt(t, p, false, past, future)
		}, kind: verify.KindCollateralSignature},
		{name: "root CRL of another root", editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			c.RootCACRL = crlAt(t, other, false, past, future)
		}, kind: verify.KindCollateralSignature},
		{name: "PCK CRL not DER", editColl: func(_ *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			c.PCKCRL = []byte("not a CRL")
		}, kind: verify.KindCollateralSignature},

		// Collateral validity.
		{name: "TCB info expired", coll: tcbInfo(func(i *collateral.TCBInfo) { i.NextUpdate = testNow.Add(-hour) }), kind: verify.KindCollateralExpired},
		{name: "TCB info expires at now", coll: tcbInfo(func(i *collateral.TCBInfo) { i.NextUpdate = testNow }), kind: verify.KindCollateralExpired},
		{name: "TCB info not yet issued", coll: tcbInfo(func(i *collateral.TCBInfo) { i.IssueDate = testNow.Add(hour) }), kind: verify.KindCollateralExpired},
		{name: "QE identity expired", coll: qeIdentity(func(i *collateral.QEIdentity) { i.NextUpdate = testNow.Add(-hour) }), kind: verify.KindCollateralExpired},
		{name: "QE identity not yet issued", coll: qeIdentity(func(i *collateral.QEIdentity) { i.IssueDate = testNow.Add(hour) }), kind: verify.KindCollateralExpired},
		{name: "PCK CRL expired", editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
			c.PCKCRL = crlAt(t, p, true, past, testNow.Add(-hour))
		}, kind: verify.KindCollateralExpired},
		{name: "PCK CRL not yet valid", editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
			c.PCKCRL = crlAt(t, p, true, testNow.Add(hour), future)
		}, kind: verify.KindCollateralExpired},
		{name: "root CRL expired", editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
			c.RootCACRL = crlAt(t, p, false, past, testNow.Add(-hour))
		}, kind: verify.KindCollateralExpired},
		{name: "root CRL not yet valid", editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
			c.RootCACRL = crlAt(t, p, false, testNow.Add(hour), future)
		}, kind: verify.KindCollateralExpired},

		// Collateral content.
		{name: "TCB info of another FMSPC", coll: tcbInfo(func(i *collateral.TCBInfo) { i.FMSPC[0] ^= 0x10 }), kind: verify.KindCollateralMismatch},
		{name: "TCB info of another PCE id", coll: tcbInfo(func(i *collateral.TCBInfo) { i.PCEID[1] = 1 }), kind: verify.KindCollateralMismatch},
		{name: "TCB info id SGX", coll: tcbInfo(func(i *collateral.TCBInfo) { i.ID = "SGX" }), kind: verify.KindCollateralMismatch},
		{name: "TCB info version 2", coll: tcbInfo(func(i *collateral.TCBInfo) { i.Version = 2 }), kind: verify.KindCollateralMismatch},
		{name: "TCB level with an unknown status", coll: tcbInfo(func(i *collateral.TCBInfo) { i.TCBLevels[0].TCBStatus = "Fine" }), kind: verify.KindCollateralMismatch},
		{name: "signed TCB info that is not JSON", editColl: func(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) {
			signTCBInfo(t, p, c, []byte("{not json"))
		}, kind: verify.KindCollateralMismatch},
		{name: "QE identity id QE", coll: qeIdentity(func(i *collateral.QEIdentity) { i.ID = "QE" }), kind: verify.KindCollateralMismatch},
		{name: "PCK CRL of the processor CA", editColl: func(t *testing.T, _ *cvmtest.PKI, c *collateral.Collateral) {
			proc := cvmtest.MustPKI(t, cvmtest.PKIOptions{CA: collateral.CAProcessor})
			c.PCKCRL = crlAt(t, proc, true, past, future)
			c.PCKCRLIssuerChain = proc.PCKCRLIssuerChainPEM
		}, kind: verify.KindCollateralMismatch},

		// TDX module and TD attributes.
		{name: "module identity missing", coll: tcbInfo(func(i *collateral.TCBInfo) { i.TDXModuleIdentities = nil }), kind: verify.KindTDXModuleMismatch},
		{name: "module identity of another signer", coll: tcbInfo(func(i *collateral.TCBInfo) {
			for j := range i.TDXModuleIdentities {
				i.TDXModuleIdentities[j].MRSigner = bytes.Repeat([]byte{0xAB}, 48)
			}
		}), kind: verify.KindTDXModuleMismatch},
		{name: "MRSIGNERSEAM not zero", quote: cvmtest.QuoteOptions{MRSignerSEAM: [48]byte{1}}, kind: verify.KindTDXModuleMismatch},
		{name: "SEAMATTRIBUTES not zero", quote: cvmtest.QuoteOptions{SEAMAttributes: [8]byte{0, 0, 0, 0, 0, 0, 0, 0x80}}, kind: verify.KindTDXModuleMismatch},
		{name: "debug TD", quote: cvmtest.QuoteOptions{TDAttributes: [8]byte{0x01}}, kind: verify.KindDebugTD,
			check: func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) {
				require.NotNil(t, r)
				assert.True(t, r.Debug)
				assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
			}},
		{name: "debug TD allowed", quote: cvmtest.QuoteOptions{TDAttributes: [8]byte{0x01, 3: 0x10}},
			accept: verify.Accept{AllowDebug: true}, status: verify.StatusUpToDate,
			check: func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) { assert.True(t, r.Debug) }},
		{name: "SEPT_VE_DISABLE reported", quote: cvmtest.QuoteOptions{TDAttributes: [8]byte{3: 0x10}}, status: verify.StatusUpToDate,
			check: func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) {
				assert.True(t, r.SEPTVEDisable)
				assert.False(t, r.Debug)
			}},

		// QE identity.
		{name: "QE of another signer", quote: cvmtest.QuoteOptions{QEMRSigner: [32]byte{9}}, kind: verify.KindQEIdentityMismatch},
		{name: "QE of another product", quote: cvmtest.QuoteOptions{QEISVProdID: 7}, kind: verify.KindQEIdentityMismatch},
		{name: "QE attributes under the mask differ", quote: cvmtest.QuoteOptions{QEAttributes: [16]byte{0x13}}, kind: verify.KindQEIdentityMismatch},
		{name: "QE attributes outside the mask differ", quote: cvmtest.QuoteOptions{QEAttributes: [16]byte{0x15, 8: 0x03}}, status: verify.StatusUpToDate},
		{name: "QE MISCSELECT differs", quote: cvmtest.QuoteOptions{QEMiscSelect: 1}, kind: verify.KindQEIdentityMismatch},
		{name: "QE MISCSELECT outside the mask", coll: qeIdentity(func(i *collateral.QEIdentity) { i.MiscSelectMask = []byte{0xFE, 0xFF, 0xFF, 0xFF} }),
			quote: cvmtest.QuoteOptions{QEMiscSelect: 1}, status: verify.StatusUpToDate},

		// TCB not supported.
		{name: "QE SVN below every level", quote: cvmtest.QuoteOptions{QESVN: cvmtest.UnsupportedQESVN}, kind: verify.KindTCBNotSupported},
		{name: "no SGX level", pki: func() *cvmtest.PKIOptions {
			tcb := mustPlatform(t, verify.StatusUpToDate).PCK
			tcb.CPUSVNComponents[0] = cvmtest.UnsupportedCPUSVN0
			return &cvmtest.PKIOptions{TCB: &tcb}
		}(), kind: verify.KindTCBNotSupported},
		{name: "no TDX level", quote: func() cvmtest.QuoteOptions {
			svn := mustPlatform(t, verify.StatusUpToDate).TEETCBSVN
			svn[2] = 2
			return cvmtest.QuoteOptions{TEETCBSVN: svn}
		}(), kind: verify.KindTCBNotSupported},
		{name: "module SVN below every level", quote: func() cvmtest.QuoteOptions {
			svn := mustModule(t, verify.StatusOutOfDate).TEETCBSVN
			svn[0] = 1
			return cvmtest.QuoteOptions{TEETCBSVN: svn}
		}(), kind: verify.KindTCBNotSupported},

		// Other shapes that pass.
		{name: "processor CA", pki: &cvmtest.PKIOptions{CA: collateral.CAProcessor}, status: verify.StatusUpToDate,
			check: func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) { assert.Equal(t, "processor", r.PCKCA) }},
		{name: "v5 TD 1.0", quote: cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD10}, status: verify.StatusUpToDate},
		{name: "v5 TD 1.5", quote: cvmtest.QuoteOptions{Version: quote.Version5, BodyType: quote.BodyTypeTD15}, status: verify.StatusUpToDate},
		{name: "trailing zero padding", quote: cvmtest.QuoteOptions{Padding: 70}, status: verify.StatusUpToDate},
		{name: "module major version 0 adds nothing", quote: func() cvmtest.QuoteOptions {
			svn := mustPlatform(t, verify.StatusUpToDate).TEETCBSVN
			svn[0], svn[1] = 3, 0
			return cvmtest.QuoteOptions{TEETCBSVN: svn}
		}(), status: verify.StatusUpToDate, check: func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) {
			assert.Equal(t, verify.TCBStatus(""), r.TDXModuleTCBStatus)
		}},
		{name: "module major version 0 below the TDX components", quote: func() cvmtest.QuoteOptions {
			svn := mustPlatform(t, verify.StatusUpToDate).TEETCBSVN
			svn[0], svn[1] = 2, 0
			return cvmtest.QuoteOptions{TEETCBSVN: svn}
		}(), kind: verify.KindTCBNotSupported},
	}
	runCases(t, cases)
}

func TestVerifyBundleOfAnotherPlatform(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	// Same seed, so the same keys and root; another FMSPC.
	otherPlatform := cvmtest.MustPKI(t, cvmtest.PKIOptions{FMSPC: [6]byte{0x00, 0x90, 0x6E, 0xD5, 0x00, 0x00}})
	bundle, err := testCollateral(t, otherPlatform, cvmtest.CollateralOptions{}).MarshalBundle()
	require.NoError(t, err)
	c, err := collateral.ParseBundle(bundle)
	require.NoError(t, err)

	_, err = verifyOnce(testVerifier(t, p, c, nil), testQuote(t, p, cvmtest.QuoteOptions{}))
	e := requireKind(t, err, verify.KindCollateralMismatch)
	assert.Equal(t, p.FMSPC(), e.Expected)
	assert.Equal(t, "00906ED50000", e.Found)
}

func TestVerifyCollateralUnavailable(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c := testCollateral(t, p, cvmtest.CollateralOptions{})
	raw := testQuote(t, p, cvmtest.QuoteOptions{})
	srv := cvmtest.NewPCSServer(c, p)
	t.Cleanup(srv.Close)
	src, err := collateral.NewPCCS(srv.URL, collateral.HTTPOptions{Client: srv.Client()})
	require.NoError(t, err)
	v := testVerifier(t, p, c, func(o *verify.Options) { o.Collateral = src })

	r, err := verifyOnce(v, raw)
	require.NoError(t, err, "the fake PCS serves good collateral")
	assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)

	srv.Fail("", http.StatusServiceUnavailable)
	_, err = verifyOnce(v, raw)
	e := requireKind(t, err, verify.KindCollateralUnavailable)
	assert.ErrorIs(t, e, collateral.ErrUnavailable)

	srv.Fail("", 0)
	release := make(chan struct{})
	entered := srv.Hang(release)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	_, err = v.Verify(ctx, raw, nil)
	requireKind(t, err, verify.KindCollateralUnavailable)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestVerifyCanceledContext(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	v := testVerifier(t, p, testCollateral(t, p, cvmtest.CollateralOptions{}), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Verify(ctx, testQuote(t, p, cvmtest.QuoteOptions{}), nil)
	requireKind(t, err, verify.KindCollateralUnavailable)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestVerifyNoCollateral(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	raw := testQuote(t, p, cvmtest.QuoteOptions{})
	unknown := verify.StatusUnknown
	noColl := func(o *verify.Options) { o.Collateral, o.NoCollateral = nil, true }

	r, err := verifyWith(testVerifier(t, p, nil, noColl), raw, acceptUnknown)
	require.NoError(t, err)
	assert.Equal(t, []verify.TCBStatus{unknown, unknown, unknown, unknown},
		[]verify.TCBStatus{r.TCBStatus, r.PlatformTCBStatus, r.TDXModuleTCBStatus, r.QETCBStatus})
	assert.Equal(t, p.FMSPC(), r.FMSPC)
	assert.True(t, r.CollateralNextUpdate.IsZero())

	_, err = verifyOnce(testVerifier(t, p, nil, noColl), raw)
	e := requireKind(t, err, verify.KindTCBStatus)
	assert.Equal(t, unknown, e.Report.TCBStatus)

	q, err := p.QuoteStruct(cvmtest.QuoteOptions{})
	require.NoError(t, err)
	q.Signature[0] ^= 1
	_, err = verifyWith(testVerifier(t, p, nil, noColl), marshal(t, q), acceptUnknown)
	requireKind(t, err, verify.KindQuoteSignature)

	debug := testQuote(t, p, cvmtest.QuoteOptions{TDAttributes: [8]byte{1}})
	_, err = verifyWith(testVerifier(t, p, nil, noColl), debug, acceptUnknown)
	requireKind(t, err, verify.KindDebugTD)

	// Without collateral there is no TDX module identity to compare with,
	// but check 9 still holds: MRSIGNERSEAM and SEAMATTRIBUTES are zero.
	for name, opts := range map[string]cvmtest.QuoteOptions{
		"MRSIGNERSEAM":   {MRSignerSEAM: [48]byte{1}},
		"SEAMATTRIBUTES": {SEAMAttributes: [8]byte{7: 0x80}},
	} {
		_, err = verifyWith(testVerifier(t, p, nil, noColl), testQuote(t, p, opts), acceptUnknown)
		e := requireKind(t, err, verify.KindTDXModuleMismatch)
		assert.Contains(t, e.Check, strings.ToLower(name), name)
		require.NotNil(t, e.Report, name)
	}
}

// clock is a settable verification time, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestVerifyCachesNeverOutliveValidity(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{NotBefore: testNow.AddDate(-1, 0, 0), NotAfter: testNow.AddDate(0, 2, 0)})
	next := testNow.Add(24 * time.Hour)
	c := testCollateral(t, p, cvmtest.CollateralOptions{NextUpdate: next})
	raw := testQuote(t, p, cvmtest.QuoteOptions{})
	clk := &clock{t: testNow}
	v := testVerifier(t, p, c, func(o *verify.Options) { o.Now = clk.now })

	for _, step := range []struct {
		at   time.Time
		kind verify.Kind
	}{
		{testNow, ""},
		{testNow.Add(time.Hour), ""},                                // served from the caches
		{next.Add(-time.Second), ""},                                // still inside
		{next, verify.KindCollateralExpired},                        // nextUpdate is exclusive
		{next.Add(time.Second), verify.KindCollateralExpired},       // never stale
		{testNow, ""},                                               // back inside
		{testNow.AddDate(-2, 0, 0), verify.KindCertChain},           // before the certificates
		{testNow.AddDate(0, 3, 0), verify.KindCertChain},            // after the certificates
		{testNow.Add(-2 * time.Hour), verify.KindCollateralExpired}, // before issue
	} {
		clk.set(step.at)
		r, err := verifyOnce(v, raw)
		if step.kind == "" {
			require.NoError(t, err, "at %s", step.at)
			assert.Equal(t, step.at, r.VerifiedAt)
			continue
		}
		requireKind(t, err, step.kind)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c := testCollateral(t, p, cvmtest.CollateralOptions{})
	good := testQuote(t, p, cvmtest.QuoteOptions{})
	debug := testQuote(t, p, cvmtest.QuoteOptions{TDAttributes: [8]byte{1}})
	v := testVerifier(t, p, c, nil)

	const workers, rounds = 8, 10
	errs := make(chan error, workers*rounds)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				raw, want := good, verify.Kind("")
				if w%2 == 1 {
					raw, want = debug, verify.KindDebugTD
				}
				_, err := v.Verify(context.Background(), raw, nil)
				if verify.KindOf(err) != want {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected outcome: %v", err)
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c := testCollateral(t, p, cvmtest.CollateralOptions{})
	raw := testQuote(t, p, cvmtest.QuoteOptions{})

	t.Run("nil trusted root", func(t *testing.T) {
		_, err := verify.New(verify.Options{TrustedRoots: []*x509.Certificate{nil}})
		require.Error(t, err)
	})
	t.Run("zero options need no network", func(t *testing.T) {
		v, err := verify.New(verify.Options{})
		require.NoError(t, err)
		require.NotNil(t, v)
	})
	t.Run("options are copied", func(t *testing.T) {
		opts := verify.Options{
			Collateral:   collateral.Static(c, "test"),
			TrustedRoots: []*x509.Certificate{p.Root},
			Now:          fixedNow(testNow),
		}
		v, err := verify.New(opts)
		require.NoError(t, err)
		opts.TrustedRoots[0] = cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("x")}).Root
		r, err := verifyOnce(v, raw)
		require.NoError(t, err)
		assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
	})
	t.Run("nil Now means the wall clock", func(t *testing.T) {
		now := time.Now()
		fresh := testCollateral(t, p, cvmtest.CollateralOptions{Now: now})
		v := testVerifier(t, p, fresh, func(o *verify.Options) { o.Now = nil })
		r, err := verifyOnce(v, raw)
		require.NoError(t, err)
		assert.WithinDuration(t, now, r.VerifiedAt, time.Minute)
	})
}

func TestPCKExtensionsMatchReport(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{FMSPC: [6]byte{0xB0, 0xC0, 0x6F}, PCEID: [2]byte{0, 1}})
	c := testCollateral(t, p, cvmtest.CollateralOptions{})
	r, err := verifyOnce(testVerifier(t, p, c, nil), testQuote(t, p, cvmtest.QuoteOptions{}))
	require.NoError(t, err)
	ext, err := pck.ParseExtensions(p.PCK)
	require.NoError(t, err)
	assert.Equal(t, "B0C06F000000", r.FMSPC)
	assert.Equal(t, ext.FMSPCHex(), r.FMSPC)
	assert.Equal(t, "0001", r.PCEID)
}

// TestErrorReportChecks: a failure's diagnostic report lists every check:
// those that passed, the one that failed, and the rest as skipped, never
// as passed; and it has no TCB status before the TCB was rated.
func TestErrorReportChecks(t *testing.T) {
	t.Parallel()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c := testCollateral(t, p, cvmtest.CollateralOptions{})
	q, err := p.QuoteStruct(cvmtest.QuoteOptions{})
	require.NoError(t, err)
	q.Signature[0] ^= 1
	_, err = verifyOnce(testVerifier(t, p, c, nil), marshal(t, q))
	var e *verify.Error
	require.True(t, errors.As(err, &e))
	require.NotNil(t, e.Report)
	assert.Empty(t, e.Report.TCBStatus, "no status before the TCB is rated")
	want := map[verify.CheckName]verify.Outcome{
		verify.CheckQuoteFormat: verify.Passed, verify.CheckPCKChain: verify.Passed, verify.CheckQEReport: verify.Passed,
		verify.CheckQuoteSignature: verify.Failed, verify.CheckCollateral: verify.Skipped, verify.CheckRevocation: verify.Skipped,
		verify.CheckQEIdentity: verify.Skipped, verify.CheckTDXModule: verify.Skipped, verify.CheckTCBLevels: verify.Skipped,
		verify.CheckPolicy: verify.Skipped,
	}
	require.Len(t, e.Report.Checks, len(want))
	for _, c := range e.Report.Checks {
		assert.Equal(t, want[c.Name], c.Outcome, c.Name)
		if c.Outcome != verify.Passed {
			assert.NotEmpty(t, c.Detail, c.Name)
		}
	}

	r, err := verifyOnce(testVerifier(t, p, c, nil), testQuote(t, p, cvmtest.QuoteOptions{}))
	require.NoError(t, err)
	for _, c := range r.Checks {
		assert.Equal(t, verify.Passed, c.Outcome, c.Name)
	}
	assert.Len(t, r.Checks, len(want))
}

// failingSource is a collateral.Source that always fails with err.
type failingSource struct{ err error }

func (s failingSource) ID() string { return "failing" }

func (s failingSource) Fetch(context.Context, collateral.Request) (*collateral.Collateral, error) {
	return nil, s.err
}

func TestVerifyFetchErrors(t *testing.T) {
	t.Parallel()
	p := sharedPKI(t, cvmtest.PKIOptions{})
	raw := testQuote(t, p, cvmtest.QuoteOptions{})
	malformed := &collateral.FormatError{Item: "tcb info", Err: errors.New("bad JSON")}
	cases := []struct {
		name string
		err  error
		kind verify.Kind
	}{
		{"malformed collateral", malformed, verify.KindCollateralMismatch},
		{"unavailable", errors.Join(collateral.ErrUnavailable, errors.New("503")), verify.KindCollateralUnavailable},
		{"unclassified", errors.New("boom"), verify.KindCollateralUnavailable},
		{"deadline", context.DeadlineExceeded, verify.KindCollateralUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := testVerifier(t, p, nil, func(o *verify.Options) { o.Collateral = failingSource{tc.err} })
			_, err := verifyOnce(v, raw)
			requireKind(t, err, tc.kind)
			assert.ErrorIs(t, err, tc.err, "the cause is wrapped")
		})
	}
}
