package cvmtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// allStatuses lets the project's verifier report any status instead of
// failing, so tests can read the status it computed.
var allStatuses = verify.Statuses()

// projectVerify verifies raw with the project's verifier, trusting p's
// root and taking collateral from c, at testNow.
func projectVerify(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral, raw []byte) (*verify.Report, error) {
	t.Helper()
	opts := p.VerifyOptions(c)
	opts.Now = func() time.Time { return testNow }
	v, err := verify.New(opts)
	require.NoError(t, err)
	return v.Verify(context.Background(), raw, verify.Accept{Statuses: allStatuses})
}

// TestProjectVerifierAcceptsDefaults checks the promise of the package
// doc: default PKI, quote and collateral verify as UpToDate with no
// advisories, through the collateral the fake PCS serves.
func TestProjectVerifierAcceptsDefaults(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	s := cvmtest.NewPCSServer(c, p)
	defer s.Close()
	src, err := collateral.NewPCCS(s.URL, collateral.HTTPOptions{Client: s.Client()})
	require.NoError(t, err)
	fetched, err := src.Fetch(context.Background(), collateral.Request{FMSPC: p.FMSPC(), CA: p.CA})
	require.NoError(t, err)

	raw, err := p.Quote(cvmtest.QuoteOptions{Padding: 70})
	require.NoError(t, err)
	r, err := projectVerify(t, p, fetched, raw)
	require.NoError(t, err)
	assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.PlatformTCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.TDXModuleTCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.QETCBStatus)
	assert.Empty(t, r.AdvisoryIDs)
	assert.Equal(t, p.FMSPC(), r.FMSPC)
	assert.Equal(t, "platform", r.PCKCA)
}

// TestProjectVerifierStatuses checks every preset through the project's
// verifier: the platform, module and QE statuses the presets promise, and
// their convergence by Intel's rules.
func TestProjectVerifierStatuses(t *testing.T) {
	type want struct{ final, platform, module, qe verify.TCBStatus }
	tests := []struct {
		name     string
		platform string
		module   string
		qe       string
		noModule bool
		relaunch bool // TD 1.5 quote whose TEE_TCB_SVN2 has the UpToDate module
		want     want
	}{
		{"defaults", "UpToDate", "UpToDate", "UpToDate", false, false, want{"UpToDate", "UpToDate", "UpToDate", "UpToDate"}},
		{"platform SWHardeningNeeded", "SWHardeningNeeded", "UpToDate", "UpToDate", false, false,
			want{"SWHardeningNeeded", "SWHardeningNeeded", "UpToDate", "UpToDate"}},
		{"platform ConfigurationNeeded", "ConfigurationNeeded", "UpToDate", "UpToDate", false, false,
			want{"ConfigurationNeeded", "ConfigurationNeeded", "UpToDate", "UpToDate"}},
		{"platform ConfigurationAndSWHardeningNeeded", "ConfigurationAndSWHardeningNeeded", "UpToDate", "UpToDate", false, false,
			want{"ConfigurationAndSWHardeningNeeded", "ConfigurationAndSWHardeningNeeded", "UpToDate", "UpToDate"}},
		{"platform OutOfDate", "OutOfDate", "UpToDate", "UpToDate", false, false, want{"OutOfDate", "OutOfDate", "UpToDate", "UpToDate"}},
		{"platform OutOfDateConfigurationNeeded", "OutOfDateConfigurationNeeded", "UpToDate", "UpToDate", false, false,
			want{"OutOfDateConfigurationNeeded", "OutOfDateConfigurationNeeded", "UpToDate", "UpToDate"}},
		{"platform Revoked", "Revoked", "UpToDate", "UpToDate", false, false, want{"Revoked", "Revoked", "UpToDate", "UpToDate"}},
		{"platform OutOfDate without module", "OutOfDate", "", "UpToDate", true, false, want{"OutOfDate", "OutOfDate", "", "UpToDate"}},
		{"module OutOfDate", "UpToDate", "OutOfDate", "UpToDate", false, false, want{"OutOfDate", "UpToDate", "OutOfDate", "UpToDate"}},
		{"module OutOfDate on ConfigurationNeeded", "ConfigurationNeeded", "OutOfDate", "UpToDate", false, false,
			want{"OutOfDateConfigurationNeeded", "ConfigurationNeeded", "OutOfDate", "UpToDate"}},
		{"module Revoked", "UpToDate", "Revoked", "UpToDate", false, false, want{"Revoked", "UpToDate", "Revoked", "UpToDate"}},
		{"QE OutOfDate", "UpToDate", "UpToDate", "OutOfDate", false, false, want{"OutOfDate", "UpToDate", "UpToDate", "OutOfDate"}},
		{"QE OutOfDate on SWHardeningNeeded", "SWHardeningNeeded", "UpToDate", "OutOfDate", false, false,
			want{"OutOfDate", "SWHardeningNeeded", "UpToDate", "OutOfDate"}},
		{"relaunch advised", "UpToDate", "OutOfDate", "UpToDate", false, true,
			want{"TDRelaunchAdvised", "UpToDate", "OutOfDate", "UpToDate"}},
		{"relaunch advised, configuration needed", "ConfigurationNeeded", "OutOfDate", "UpToDate", false, true,
			want{"TDRelaunchAdvisedConfigurationNeeded", "ConfigurationNeeded", "OutOfDate", "UpToDate"}},
		{"no relaunch for an out-of-date QE", "UpToDate", "OutOfDate", "OutOfDate", false, true,
			want{"OutOfDate", "UpToDate", "OutOfDate", "OutOfDate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, err := cvmtest.PlatformFor(tt.platform)
			require.NoError(t, err)
			qe, err := cvmtest.QEFor(tt.qe)
			require.NoError(t, err)
			svn := pl.TEETCBSVN
			if tt.noModule {
				svn[0], svn[1] = 3, 0
			} else {
				mod, err := cvmtest.ModuleFor(tt.module)
				require.NoError(t, err)
				svn[0], svn[1] = mod.TEETCBSVN[0], mod.TEETCBSVN[1]
			}
			opts := cvmtest.QuoteOptions{TEETCBSVN: svn, QESVN: qe.ISVSVN}
			if tt.relaunch {
				current, err := cvmtest.ModuleFor("UpToDate")
				require.NoError(t, err)
				opts.Version, opts.BodyType, opts.TEETCBSVN2 = quote.Version5, quote.BodyTypeTD15, current.TEETCBSVN
			}
			p := cvmtest.MustPKI(t, cvmtest.PKIOptions{TCB: &pl.PCK})
			raw, err := p.Quote(opts)
			require.NoError(t, err)
			r, err := projectVerify(t, p, defaultCollateral(t, p), raw)
			require.NoError(t, err)
			assert.Equal(t, tt.want.final, r.TCBStatus, "final")
			assert.Equal(t, tt.want.platform, r.PlatformTCBStatus, "platform")
			assert.Equal(t, tt.want.module, r.TDXModuleTCBStatus, "module")
			assert.Equal(t, tt.want.qe, r.QETCBStatus, "QE")
			assert.Equal(t, pl.TCBDate, r.TCBDate)
			for _, id := range pl.AdvisoryIDs {
				assert.Contains(t, r.AdvisoryIDs, id)
			}
		})
	}
}

// TestProjectVerifierRejects checks that the unsupported presets and a
// revoked PCK certificate fail the project's verifier with the right kind.
func TestProjectVerifierRejects(t *testing.T) {
	up, err := cvmtest.PlatformFor("UpToDate")
	require.NoError(t, err)
	unsupported := up.PCK
	unsupported.CPUSVNComponents[0] = cvmtest.UnsupportedCPUSVN0
	tests := []struct {
		name    string
		pki     cvmtest.PKIOptions
		quote   cvmtest.QuoteOptions
		prepare func(*cvmtest.PKI)
		kind    verify.Kind
	}{
		{"platform unsupported", cvmtest.PKIOptions{TCB: &unsupported}, cvmtest.QuoteOptions{}, nil, verify.KindTCBNotSupported},
		{"QE unsupported", cvmtest.PKIOptions{}, cvmtest.QuoteOptions{QESVN: cvmtest.UnsupportedQESVN}, nil, verify.KindTCBNotSupported},
		{"revoked PCK", cvmtest.PKIOptions{Seed: []byte("revoked pck")}, cvmtest.QuoteOptions{}, (*cvmtest.PKI).RevokePCK, verify.KindRevoked},
		{"debug TD", cvmtest.PKIOptions{}, cvmtest.QuoteOptions{TDAttributes: [8]byte{1}}, nil, verify.KindDebugTD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cvmtest.MustPKI(t, tt.pki)
			if tt.prepare != nil {
				tt.prepare(p)
			}
			raw, err := p.Quote(tt.quote)
			require.NoError(t, err)
			r, err := projectVerify(t, p, defaultCollateral(t, p), raw)
			require.Error(t, err)
			assert.Nil(t, r)
			assert.ErrorIs(t, err, tt.kind)
		})
	}
}
