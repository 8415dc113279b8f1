package cvmtest_test

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/pck"
)

func defaultCollateral(t testing.TB, p *cvmtest.PKI) *collateral.Collateral {
	t.Helper()
	c, err := p.Collateral(cvmtest.CollateralOptions{Now: testNow})
	require.NoError(t, err)
	return c
}

func TestCollateralSignaturesAndChains(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	require.NoError(t, c.Validate())

	signer := parsePEMCerts(t, c.TCBInfoIssuerChain)
	require.Equal(t, []*x509.Certificate{p.TCBSigning, p.Root}, signer)
	assert.Equal(t, c.TCBInfoIssuerChain, c.QEIdentityIssuerChain)
	assert.Equal(t, []*x509.Certificate{p.Intermediate, p.Root}, parsePEMCerts(t, c.PCKCRLIssuerChain))

	pub := mustECDSA(t, signer[0])
	assert.True(t, verifyRaw(pub, c.TCBInfo, c.TCBInfoSignature), "TCB info signed over its exact bytes")
	assert.True(t, verifyRaw(pub, c.QEIdentity, c.QEIdentitySignature), "QE identity signed over its exact bytes")
	tampered := append([]byte(nil), c.TCBInfo...)
	tampered[len(tampered)-2] ^= 1
	assert.False(t, verifyRaw(pub, tampered, c.TCBInfoSignature))

	for _, crl := range []struct {
		name   string
		der    []byte
		issuer *x509.Certificate
	}{
		{"PCK CRL", c.PCKCRL, p.Intermediate},
		{"root CA CRL", c.RootCACRL, p.Root},
	} {
		t.Run(crl.name, func(t *testing.T) {
			l, err := x509.ParseRevocationList(crl.der)
			require.NoError(t, err)
			require.NoError(t, l.CheckSignatureFrom(crl.issuer))
			assert.Equal(t, crl.issuer.Subject.String(), l.Issuer.String())
			assert.Equal(t, testNow.Add(-cvmtest.DefaultCollateralAge), l.ThisUpdate)
			assert.Equal(t, testNow.Add(cvmtest.DefaultCollateralLifetime), l.NextUpdate)
			assert.Empty(t, l.RevokedCertificateEntries)
			wrong := p.Root
			if crl.issuer == p.Root {
				wrong = p.Intermediate
			}
			assert.Error(t, l.CheckSignatureFrom(wrong))
		})
	}
}

func TestCollateralContent(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	info, err := collateral.ParseTCBInfo(c.TCBInfo)
	require.NoError(t, err)
	assert.Equal(t, "TDX", info.ID)
	assert.Equal(t, 3, info.Version)
	assert.Equal(t, testNow.Add(-time.Hour), info.IssueDate)
	assert.Equal(t, testNow.Add(30*24*time.Hour), info.NextUpdate)
	assert.Equal(t, collateral.HexBytes(p.Extensions.FMSPC[:]), info.FMSPC)
	assert.Equal(t, collateral.HexBytes(p.Extensions.PCEID[:]), info.PCEID)
	assert.Contains(t, string(c.TCBInfo), `"fmspc":"C0DE6F000000"`, "hex is upper case, as Intel writes it")
	require.NotNil(t, info.TDXModule)
	assert.Equal(t, make([]byte, 48), []byte(info.TDXModule.MRSigner))

	var statuses []string
	dates := map[time.Time]bool{}
	for _, l := range info.TCBLevels {
		statuses = append(statuses, l.TCBStatus)
		dates[l.TCBDate] = true
		if l.TCBStatus == "UpToDate" {
			assert.Empty(t, l.AdvisoryIDs)
		} else {
			assert.NotEmpty(t, l.AdvisoryIDs, l.TCBStatus)
		}
		assert.Len(t, l.TCB.SGXComponents, 16)
		assert.Len(t, l.TCB.TDXComponents, 16)
	}
	assert.Equal(t, []string{"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
		"OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"}, statuses)
	assert.Len(t, dates, len(statuses), "every level has its own tcbDate")
	var ids []string
	for _, m := range info.TDXModuleIdentities {
		ids = append(ids, m.ID)
	}
	assert.ElementsMatch(t, []string{"TDX_01", "TDX_03"}, ids)

	qe, err := collateral.ParseQEIdentity(c.QEIdentity)
	require.NoError(t, err)
	assert.Equal(t, "TD_QE", qe.ID)
	assert.Equal(t, 2, qe.Version)
	assert.Equal(t, collateral.HexBytes(cvmtest.DefaultQEMRSigner[:]), qe.MRSigner)
	assert.Equal(t, uint16(cvmtest.DefaultQEISVProdID), qe.ISVProdID)

	again := defaultCollateral(t, p)
	assert.Equal(t, c, again, "collateral is deterministic for a fixed Now")

	bundle, err := c.MarshalBundle()
	require.NoError(t, err)
	back, err := collateral.ParseBundle(bundle)
	require.NoError(t, err)
	assert.Equal(t, c, back, "collateral survives the JSON bundle")
}

func TestCollateralOptions(t *testing.T) {
	issue := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	next := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	crlThis := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	crlNext := time.Date(2025, 1, 9, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		opts  cvmtest.CollateralOptions
		check func(t *testing.T, c *collateral.Collateral, info *collateral.TCBInfo, qe *collateral.QEIdentity, pckCRL, rootCRL *x509.RevocationList)
	}{
		{"dates", cvmtest.CollateralOptions{IssueDate: issue, NextUpdate: next, CRLThisUpdate: crlThis, CRLNextUpdate: crlNext},
			func(t *testing.T, c *collateral.Collateral, info *collateral.TCBInfo, qe *collateral.QEIdentity, pckCRL, rootCRL *x509.RevocationList) {
				assert.Equal(t, issue, info.IssueDate)
				assert.Equal(t, next, info.NextUpdate)
				assert.Equal(t, issue, qe.IssueDate)
				assert.Equal(t, next, qe.NextUpdate)
				for _, l := range []*x509.RevocationList{pckCRL, rootCRL} {
					assert.Equal(t, crlThis, l.ThisUpdate)
					assert.Equal(t, crlNext, l.NextUpdate)
				}
			}},
		{"CRL dates follow the collateral", cvmtest.CollateralOptions{IssueDate: issue, NextUpdate: next},
			func(t *testing.T, c *collateral.Collateral, info *collateral.TCBInfo, qe *collateral.QEIdentity, pckCRL, rootCRL *x509.RevocationList) {
				assert.Equal(t, issue, pckCRL.ThisUpdate)
				assert.Equal(t, next, rootCRL.NextUpdate)
			}},
		{"overrides are signed", cvmtest.CollateralOptions{
			TCBInfo:    func(i *collateral.TCBInfo) { i.TCBEvaluationDataNumber = 99; i.TCBLevels = i.TCBLevels[4:] },
			QEIdentity: func(q *collateral.QEIdentity) { q.ISVProdID = 7 },
		}, func(t *testing.T, c *collateral.Collateral, info *collateral.TCBInfo, qe *collateral.QEIdentity, pckCRL, rootCRL *x509.RevocationList) {
			assert.Equal(t, 99, info.TCBEvaluationDataNumber)
			assert.Equal(t, "OutOfDate", info.TCBLevels[0].TCBStatus)
			assert.Equal(t, uint16(7), qe.ISVProdID)
		}},
		{"revoked serials", cvmtest.CollateralOptions{
			RevokedPCKSerials: []*big.Int{big.NewInt(1234)}, RevokedRootSerials: []*big.Int{big.NewInt(99), big.NewInt(100)},
		}, func(t *testing.T, c *collateral.Collateral, info *collateral.TCBInfo, qe *collateral.QEIdentity, pckCRL, rootCRL *x509.RevocationList) {
			assert.Equal(t, []*big.Int{big.NewInt(1234)}, serials(pckCRL))
			assert.Equal(t, []*big.Int{big.NewInt(99), big.NewInt(100)}, serials(rootCRL))
		}},
	}
	p := mustDefaultPKI(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Now = testNow
			c, err := p.Collateral(opts)
			require.NoError(t, err)
			pub := mustECDSA(t, p.TCBSigning)
			require.True(t, verifyRaw(pub, c.TCBInfo, c.TCBInfoSignature))
			require.True(t, verifyRaw(pub, c.QEIdentity, c.QEIdentitySignature))
			info, err := collateral.ParseTCBInfo(c.TCBInfo)
			require.NoError(t, err)
			qe, err := collateral.ParseQEIdentity(c.QEIdentity)
			require.NoError(t, err)
			pckCRL, err := x509.ParseRevocationList(c.PCKCRL)
			require.NoError(t, err)
			rootCRL, err := x509.ParseRevocationList(c.RootCACRL)
			require.NoError(t, err)
			tt.check(t, c, info, qe, pckCRL, rootCRL)
		})
	}
}

func TestRevoke(t *testing.T) {
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("revocation")})
	before := defaultCollateral(t, p)
	p.RevokePCK()
	p.RevokePCK() // idempotent
	p.RevokeIntermediate()
	p.RevokeTCBSigning()
	after := defaultCollateral(t, p)

	beforeCRL, err := x509.ParseRevocationList(before.PCKCRL)
	require.NoError(t, err)
	assert.Empty(t, beforeCRL.RevokedCertificateEntries)
	pckCRL, err := x509.ParseRevocationList(after.PCKCRL)
	require.NoError(t, err)
	assert.Equal(t, []*big.Int{p.PCK.SerialNumber}, serials(pckCRL))
	rootCRL, err := x509.ParseRevocationList(after.RootCACRL)
	require.NoError(t, err)
	assert.Equal(t, []*big.Int{p.Intermediate.SerialNumber, p.TCBSigning.SerialNumber}, serials(rootCRL))
}

func TestSignCollateralAndCRLs(t *testing.T) {
	p := mustDefaultPKI(t)
	doc := []byte(`{"id":"TDX","version":3,"hand":"made"}`)
	sig, err := p.SignCollateral(doc)
	require.NoError(t, err)
	assert.Len(t, sig, 64)
	assert.True(t, verifyRaw(mustECDSA(t, p.TCBSigning), doc, sig))
	assert.False(t, verifyRaw(mustECDSA(t, p.PCK), doc, sig))

	this := testNow.Add(-time.Minute)
	der, err := p.PCKCRL(cvmtest.CRLOptions{ThisUpdate: this, NextUpdate: testNow, Number: big.NewInt(42), Revoked: []*big.Int{big.NewInt(7)}})
	require.NoError(t, err)
	l, err := x509.ParseRevocationList(der)
	require.NoError(t, err)
	require.NoError(t, l.CheckSignatureFrom(p.Intermediate))
	assert.Equal(t, big.NewInt(42), l.Number)
	assert.Equal(t, []*big.Int{big.NewInt(7)}, serials(l))
	assert.Equal(t, this, l.RevokedCertificateEntries[0].RevocationTime)

	_, err = p.RootCRL(cvmtest.CRLOptions{ThisUpdate: testNow, NextUpdate: this})
	var e *cvmtest.Error
	require.ErrorAs(t, err, &e, "a CRL cannot end before it starts")
	assert.Equal(t, "root CA CRL", e.Op)
}

func serials(l *x509.RevocationList) []*big.Int {
	var out []*big.Int
	for _, e := range l.RevokedCertificateEntries {
		out = append(out, e.SerialNumber)
	}
	return out
}

// TestPresets checks PlatformFor, ModuleFor and QEFor against the signed
// default collateral with a matcher written from Intel's rules (DESIGN.md
// checks 6-8), independent of the tables the presets come from.
func TestPresets(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	info, err := collateral.ParseTCBInfo(c.TCBInfo)
	require.NoError(t, err)
	qeID, err := collateral.ParseQEIdentity(c.QEIdentity)
	require.NoError(t, err)

	for _, status := range []string{"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
		"ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"} {
		t.Run("platform "+status, func(t *testing.T) {
			pl, err := cvmtest.PlatformFor(status)
			require.NoError(t, err)
			assert.Equal(t, status, pl.Status)
			level, ok := matchPlatform(info, pl.PCK, pl.TEETCBSVN)
			require.True(t, ok)
			assert.Equal(t, status, level.TCBStatus)
			assert.Equal(t, pl.TCBDate, level.TCBDate)
			assert.Equal(t, pl.AdvisoryIDs, level.AdvisoryIDs)
			mod, ok := matchModule(info, pl.TEETCBSVN)
			require.True(t, ok)
			assert.Equal(t, "UpToDate", mod.TCBStatus)
		})
	}
	for _, status := range []string{"UpToDate", "OutOfDate", "Revoked"} {
		t.Run("module "+status, func(t *testing.T) {
			m, err := cvmtest.ModuleFor(status)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("TDX_%02X", m.TEETCBSVN[1]), m.ID)
			mod, ok := matchModule(info, m.TEETCBSVN)
			require.True(t, ok)
			assert.Equal(t, status, mod.TCBStatus)
			assert.Equal(t, m.TCBDate, mod.TCBDate)
			up, err := cvmtest.PlatformFor("UpToDate")
			require.NoError(t, err)
			level, ok := matchPlatform(info, up.PCK, m.TEETCBSVN)
			require.True(t, ok)
			assert.Equal(t, "UpToDate", level.TCBStatus, "the module preset keeps the platform UpToDate")
		})
	}
	for _, status := range []string{"UpToDate", "OutOfDate"} {
		t.Run("QE "+status, func(t *testing.T) {
			q, err := cvmtest.QEFor(status)
			require.NoError(t, err)
			level, ok := matchISV(qeID.TCBLevels, q.ISVSVN)
			require.True(t, ok)
			assert.Equal(t, status, level.TCBStatus)
		})
	}

	up, err := cvmtest.PlatformFor("UpToDate")
	require.NoError(t, err)
	unsupported := up.PCK
	unsupported.CPUSVNComponents[0] = cvmtest.UnsupportedCPUSVN0
	_, ok := matchPlatform(info, unsupported, up.TEETCBSVN)
	assert.False(t, ok, "UnsupportedCPUSVN0 matches no level")
	_, ok = matchISV(qeID.TCBLevels, cvmtest.UnsupportedQESVN)
	assert.False(t, ok, "UnsupportedQESVN matches no level")

	// The TDX dimension: lowering TEE_TCB_SVN[2] moves down the table;
	// bytes 0 and 1 only count when the module major version is 0.
	for _, tt := range []struct {
		svn    [16]byte
		status string
		ok     bool
	}{
		{[16]byte{4, 1, 5}, "OutOfDate", true},
		{[16]byte{4, 1, 4}, "OutOfDateConfigurationNeeded", true},
		{[16]byte{4, 1, 3}, "Revoked", true},
		{[16]byte{4, 1, 2}, "", false},
		{[16]byte{0, 1, 6}, "UpToDate", true},
		{[16]byte{3, 0, 6}, "UpToDate", true},
		{[16]byte{2, 0, 6}, "", false},
	} {
		level, ok := matchPlatform(info, up.PCK, tt.svn)
		assert.Equal(t, tt.ok, ok, "TEE_TCB_SVN %x", tt.svn)
		assert.Equal(t, tt.status, level.TCBStatus, "TEE_TCB_SVN %x", tt.svn)
	}

	for _, bad := range []func() error{
		func() error { _, err := cvmtest.PlatformFor("TDRelaunchAdvised"); return err },
		func() error { _, err := cvmtest.ModuleFor("SWHardeningNeeded"); return err },
		func() error { _, err := cvmtest.QEFor("Revoked"); return err },
	} {
		assert.ErrorIs(t, bad(), cvmtest.ErrInvalidOptions)
	}
}

// matchPlatform finds the first platform level whose SGX components and
// PCESVN the PCK TCB meets and whose TDX components TEE_TCB_SVN meets,
// skipping TDX bytes 0 and 1 when TEE_TCB_SVN[1] > 0.
func matchPlatform(info *collateral.TCBInfo, tcb pck.TCB, svn [16]byte) (collateral.TCBLevel, bool) {
	for _, l := range info.TCBLevels {
		ok := tcb.PCESVN >= l.TCB.PCESVN
		for i, c := range l.TCB.SGXComponents {
			ok = ok && tcb.CPUSVNComponents[i] >= c.SVN
		}
		for i, c := range l.TCB.TDXComponents {
			if i < 2 && svn[1] > 0 {
				continue
			}
			ok = ok && svn[i] >= c.SVN
		}
		if ok {
			return l, true
		}
	}
	return collateral.TCBLevel{}, false
}

// matchModule applies module identity TDX_<svn[1]> by isvsvn <= svn[0].
func matchModule(info *collateral.TCBInfo, svn [16]byte) (collateral.ISVTCBLevel, bool) {
	for _, m := range info.TDXModuleIdentities {
		if m.ID == fmt.Sprintf("TDX_%02X", svn[1]) {
			return matchISV(m.TCBLevels, uint16(svn[0]))
		}
	}
	return collateral.ISVTCBLevel{}, false
}

func matchISV(levels []collateral.ISVTCBLevel, svn uint16) (collateral.ISVTCBLevel, bool) {
	for _, l := range levels {
		if l.TCB.ISVSVN <= svn {
			return l, true
		}
	}
	return collateral.ISVTCBLevel{}, false
}

func BenchmarkCollateral(b *testing.B) {
	p := mustDefaultPKI(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Collateral(cvmtest.CollateralOptions{Now: testNow}); err != nil {
			b.Fatal(err)
		}
	}
}
