package cvmtest_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/abi"
	tdxverify "github.com/google/go-tdx-guest/verify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// goTDXOptions returns fresh go-tdx-guest options (TdxQuote mutates
// them) that trust roots, fetch everything from s and check revocation,
// all at now.
func goTDXOptions(s *cvmtest.PCSServer, roots *x509.CertPool, now time.Time) *tdxverify.Options {
	return &tdxverify.Options{
		CheckRevocations: true,
		GetCollateral:    true,
		Getter:           s.Getter(),
		TrustedRoots:     roots,
		Now: &tdxverify.TimeSet{
			PckCertChain: now, TcbInfo: now, QeIdentity: now, PckCrl: now, RootCaCrl: now,
		},
	}
}

// goTDXVerify runs go-tdx-guest's full verification of raw with its
// collateral served by a fake PCS.
func goTDXVerify(t *testing.T, raw []byte, s *cvmtest.PCSServer, roots *x509.CertPool, now time.Time) error {
	t.Helper()
	q, err := abi.QuoteToProto(raw)
	if err != nil {
		return err
	}
	return tdxverify.TdxQuote(q, goTDXOptions(s, roots, now))
}

// TestGoTDXGuestAcceptsDefaultQuote is the strongest check of the shapes
// cvmtest makes: an independent verifier, with collateral and revocation
// checks on, accepts the default quote against the default collateral.
func TestGoTDXGuestAcceptsDefaultQuote(t *testing.T) {
	p := mustDefaultPKI(t)
	s := cvmtest.NewPCSServer(defaultCollateral(t, p), p)
	defer s.Close()
	for _, padding := range []int{0, 70} {
		raw, err := p.Quote(cvmtest.QuoteOptions{ReportData: [64]byte{1, 2, 3}, MRTD: [48]byte{4}, Padding: padding})
		require.NoError(t, err)
		require.NoError(t, goTDXVerify(t, raw, s, p.RootPool(), testNow), "padding %d", padding)
	}
	assert.Equal(t, int64(2), s.Requests(cvmtest.TCBInfoPath))
	assert.Equal(t, int64(2), s.Requests(cvmtest.QEIdentityPath))
	assert.Equal(t, int64(2), s.Requests(cvmtest.PCKCRLPath))
	assert.Equal(t, int64(2), s.Requests(cvmtest.RootCRLPath), "go-tdx-guest follows the root's CRL distribution point")
}

// Byte offsets in a v4 quote with the default 32 bytes of QE auth data.
const (
	offMRTD          = 48 + 136
	offQuoteSig      = 48 + 584 + 4
	offAttestKey     = offQuoteSig + 64
	offQEReport      = offAttestKey + 64 + 6
	offQEReportSig   = offQEReport + 384
	offQEAuthData    = offQEReportSig + 64 + 2
	offQEISVSVN      = offQEReport + 258
	offHeaderQESVN   = 8
	offHeaderVersion = 0
)

func TestGoTDXGuestRejectsFlippedBytes(t *testing.T) {
	p := mustDefaultPKI(t)
	s := cvmtest.NewPCSServer(defaultCollateral(t, p), p)
	defer s.Close()
	good, err := p.Quote(cvmtest.QuoteOptions{})
	require.NoError(t, err)
	require.NoError(t, goTDXVerify(t, good, s, p.RootPool(), testNow))

	for _, tt := range []struct {
		name string
		off  int
	}{
		{"header QE SVN", offHeaderQESVN},
		{"MRTD", offMRTD},
		{"REPORTDATA", 48 + 520},
		{"quote signature", offQuoteSig + 10},
		{"attestation key", offAttestKey + 5},
		{"QE report ISVSVN", offQEISVSVN},
		{"QE report data", offQEReport + 320},
		{"QE report signature", offQEReportSig + 40},
		{"QE auth data", offQEAuthData + 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := append([]byte(nil), good...)
			raw[tt.off] ^= 0x01
			assert.Error(t, goTDXVerify(t, raw, s, p.RootPool(), testNow))
		})
	}
}

func TestGoTDXGuestRejectsBadEvidence(t *testing.T) {
	up, err := cvmtest.PlatformFor("UpToDate")
	require.NoError(t, err)
	outOfDate, err := cvmtest.PlatformFor("OutOfDate")
	require.NoError(t, err)
	qeOld, err := cvmtest.QEFor("OutOfDate")
	require.NoError(t, err)
	moduleOld, err := cvmtest.ModuleFor("OutOfDate")
	require.NoError(t, err)
	other := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("another root")})
	// Module major version 0: the platform level alone decides.
	noModule := up.TEETCBSVN
	noModule[0], noModule[1] = 3, 0

	tests := []struct {
		name    string
		pki     cvmtest.PKIOptions
		quote   cvmtest.QuoteOptions
		coll    cvmtest.CollateralOptions
		prepare func(p *cvmtest.PKI)
		roots   func(p *cvmtest.PKI) *x509.CertPool
		now     time.Time
		want    string
	}{
		{name: "baseline", want: ""},
		{name: "baseline without module", quote: cvmtest.QuoteOptions{TEETCBSVN: noModule}, want: ""},
		{name: "untrusted root", roots: func(*cvmtest.PKI) *x509.CertPool { return other.RootPool() }, want: "certificate signed by unknown authority"},
		{name: "revoked PCK", prepare: (*cvmtest.PKI).RevokePCK, want: "PCK Leaf certificate in PCK certificate chain was revoked"},
		{name: "revoked intermediate", prepare: (*cvmtest.PKI).RevokeIntermediate, want: "intermediate certificate in PCK certificate chain was revoked"},
		{name: "revoked TCB signing", prepare: (*cvmtest.PKI).RevokeTCBSigning, want: "signing certificate was revoked"},
		{name: "expired collateral", now: testNow.Add(31 * 24 * time.Hour), want: "has expired"},
		{name: "expired certificates", pki: cvmtest.PKIOptions{NotAfter: testNow.Add(-time.Hour)}, want: "expired"},
		{name: "platform OutOfDate", pki: cvmtest.PKIOptions{TCB: &outOfDate.PCK}, quote: cvmtest.QuoteOptions{TEETCBSVN: noModule}, want: "OutOfDate"},
		{name: "module OutOfDate", quote: cvmtest.QuoteOptions{TEETCBSVN: moduleOld.TEETCBSVN}, want: "OutOfDate"},
		{name: "QE OutOfDate", quote: cvmtest.QuoteOptions{QESVN: qeOld.ISVSVN}, want: "OutOfDate"},
		{name: "QE unsupported", quote: cvmtest.QuoteOptions{QESVN: cvmtest.UnsupportedQESVN}, want: "no matching QE TCB level"},
		{name: "QE MRSIGNER", quote: cvmtest.QuoteOptions{QEMRSigner: [32]byte{1}}, want: "MRSIGNER"},
		{name: "SEAM signer", quote: cvmtest.QuoteOptions{MRSignerSEAM: [48]byte{1}}, want: "MRSIGNERSEAM"},
		{name: "unknown FMSPC", pki: cvmtest.PKIOptions{FMSPC: [6]byte{1, 2, 3, 4, 5, 6}}, coll: cvmtest.CollateralOptions{
			TCBInfo: func(i *collateral.TCBInfo) { i.FMSPC = collateral.HexBytes(cvmtest.DefaultFMSPC[:]) },
		}, want: "found 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.pki.Seed == nil {
				tt.pki.Seed = []byte("go-tdx-guest " + tt.name) // revocation must not leak between cases
			}
			p := cvmtest.MustPKI(t, tt.pki)
			if tt.prepare != nil {
				tt.prepare(p)
			}
			coll := tt.coll
			coll.Now = testNow
			c, err := p.Collateral(coll)
			require.NoError(t, err)
			s := cvmtest.NewPCSServer(c, p)
			defer s.Close()
			raw, err := p.Quote(tt.quote)
			require.NoError(t, err)
			roots := p.RootPool()
			if tt.roots != nil {
				roots = tt.roots(p)
			}
			now := testNow
			if !tt.now.IsZero() {
				now = tt.now
			}
			err = goTDXVerify(t, raw, s, roots, now)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestGoTDXGuestModuleTrap documents a go-tdx-guest trap (DESIGN.md): when
// TEE_TCB_SVN[1] > 0 it takes the module's status instead of converging it
// with the platform's, so an OutOfDate platform with an UpToDate module
// passes. cvmgate's verifier must not; this test pins the trap so that
// the difference stays deliberate.
func TestGoTDXGuestModuleTrap(t *testing.T) {
	outOfDate, err := cvmtest.PlatformFor("OutOfDate")
	require.NoError(t, err)
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{TCB: &outOfDate.PCK})
	s := cvmtest.NewPCSServer(defaultCollateral(t, p), p)
	defer s.Close()
	raw, err := p.Quote(cvmtest.QuoteOptions{TEETCBSVN: outOfDate.TEETCBSVN})
	require.NoError(t, err)
	require.Equal(t, uint8(1), outOfDate.TEETCBSVN[1], "the preset carries a TDX module")
	assert.NoError(t, goTDXVerify(t, raw, s, p.RootPool(), testNow),
		"go-tdx-guest accepts an OutOfDate platform behind an UpToDate module")
}
