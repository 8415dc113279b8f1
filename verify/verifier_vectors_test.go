package verify_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	tdxtesting "github.com/google/go-tdx-guest/testing"
	"github.com/google/go-tdx-guest/testing/testdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// dcapQVLTime is when dcap-qvl's vector verifies as UpToDate.
var dcapQVLTime = time.Unix(1752919234, 0).UTC()

// dcapQVLVector returns dcap-qvl's real TDX quote and its collateral bundle.
func dcapQVLVector(tb testing.TB) ([]byte, *collateral.Collateral) {
	tb.Helper()
	dir := filepath.Join(testvectors.Dir(tb), "dcap-qvl")
	raw, err := os.ReadFile(filepath.Join(dir, "tdx_quote"))
	require.NoError(tb, err)
	bundle, err := os.ReadFile(filepath.Join(dir, "tdx_quote_collateral.json"))
	require.NoError(tb, err)
	c, err := collateral.ParseBundle(bundle)
	require.NoError(tb, err)
	return raw, c
}

// intelVerifier verifies against Intel's pinned root with static collateral.
func intelVerifier(tb testing.TB, c *collateral.Collateral, at time.Time, edit func(*verify.Options)) *verify.Verifier {
	tb.Helper()
	opts := verify.Options{Collateral: collateral.Static(c, "vector"), Now: fixedNow(at)}
	if edit != nil {
		edit(&opts)
	}
	v, err := verify.New(opts)
	require.NoError(tb, err)
	return v
}

func TestVerifyDcapQVLVector(t *testing.T) {
	t.Parallel()
	raw, c := dcapQVLVector(t)
	r, err := verifyOnce(intelVerifier(t, c, dcapQVLTime, nil), raw)
	require.NoError(t, err)

	assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.PlatformTCBStatus)
	assert.Equal(t, verify.StatusUpToDate, r.TDXModuleTCBStatus, "TEE_TCB_SVN[1] is 1: module TDX_01 is rated")
	assert.Equal(t, verify.StatusUpToDate, r.QETCBStatus)
	assert.Empty(t, r.AdvisoryIDs)
	assert.Equal(t, "B0C06F000000", r.FMSPC)
	assert.Equal(t, "0000", r.PCEID)
	assert.Equal(t, "platform", r.PCKCA)
	assert.Equal(t, 17, r.TCBEvaluationDataNumber)
	assert.True(t, r.OutOfDateSince.IsZero(), "the newest level matched")
	assert.False(t, r.TCBDate.IsZero())
	assert.Len(t, r.DeviceID, 64)
	assert.False(t, r.Debug)
	assert.Equal(t, dcapQVLTime, r.VerifiedAt)
	// The PCK CRL's nextUpdate, 2025-07-19T10:00:35Z, one second after
	// the verification time, is the earliest of the four.
	assert.Equal(t, time.Date(2025, 7, 19, 10, 0, 35, 0, time.UTC), r.CollateralNextUpdate.UTC())
	assert.Equal(t, uint16(quote.Version4), r.Quote.Header.Version)
}

func TestVerifyDcapQVLVectorWindow(t *testing.T) {
	t.Parallel()
	raw, c := dcapQVLVector(t)
	r, err := verifyOnce(intelVerifier(t, c, dcapQVLTime, nil), raw)
	require.NoError(t, err)
	next := r.CollateralNextUpdate

	cases := []struct {
		name string
		at   time.Time
		kind verify.Kind
	}{
		{"one second before the earliest nextUpdate", next.Add(-time.Second), ""},
		{"at the earliest nextUpdate", next, verify.KindCollateralExpired},
		{"one second after the earliest nextUpdate", next.Add(time.Second), verify.KindCollateralExpired},
		{"a month before issue", dcapQVLTime.AddDate(0, -1, 0), verify.KindCollateralExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyOnce(intelVerifier(t, c, tc.at, nil), raw)
			if tc.kind == "" {
				require.NoError(t, err)
				return
			}
			requireKind(t, err, tc.kind)
		})
	}
}

func TestVerifyDcapQVLVectorTampered(t *testing.T) {
	t.Parallel()
	raw, c := dcapQVLVector(t)
	cases := []struct {
		name string
		edit func(raw []byte, c *collateral.Collateral) []byte
		kind verify.Kind
	}{
		{"report data changed", func(raw []byte, _ *collateral.Collateral) []byte {
			raw[quote.HeaderSize+520] ^= 1
			return raw
		}, verify.KindQuoteSignature},
		{"TCB info signature changed", func(raw []byte, c *collateral.Collateral) []byte {
			c.TCBInfoSignature[0] ^= 1
			return raw
		}, verify.KindCollateralSignature},
		{"QE identity signature changed", func(raw []byte, c *collateral.Collateral) []byte {
			c.QEIdentitySignature[0] ^= 1
			return raw
		}, verify.KindCollateralSignature},
		{"debug not allowed still passes a production TD", func(raw []byte, _ *collateral.Collateral) []byte { return raw }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := *c
			cc.TCBInfoSignature = append([]byte(nil), c.TCBInfoSignature...)
			cc.QEIdentitySignature = append([]byte(nil), c.QEIdentitySignature...)
			b := tc.edit(append([]byte(nil), raw...), &cc)
			_, err := verifyOnce(intelVerifier(t, &cc, dcapQVLTime, nil), b)
			if tc.kind == "" {
				require.NoError(t, err)
				return
			}
			requireKind(t, err, tc.kind)
		})
	}
}

// goTDXGuestTime lies inside the validity of go-tdx-guest's 2023 sample
// collateral (TCB info 2023-06-18 to 2023-07-18, PCK CRL 2023-06-08 to
// 2023-07-08); it is the time go-tdx-guest's own tests use.
var goTDXGuestTime = time.Date(2023, time.July, 1, 1, 0, 0, 0, time.UTC)

// goTDXGuestCollateral builds a Collateral from go-tdx-guest's embedded PCS
// sample responses: the exact bytes of the signed JSON values, their hex
// signatures, the URL-escaped issuer chain headers, and the DER CRLs.
func goTDXGuestCollateral(t *testing.T) *collateral.Collateral {
	t.Helper()
	signed := func(body []byte, key string) ([]byte, []byte) {
		var resp map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(body, &resp))
		var sigHex string
		require.NoError(t, json.Unmarshal(resp["signature"], &sigHex))
		sig, err := hex.DecodeString(sigHex)
		require.NoError(t, err)
		require.NotEmpty(t, resp[key])
		return []byte(resp[key]), sig
	}
	chain := func(h map[string][]string) []byte {
		for _, v := range h {
			require.Len(t, v, 1)
			pemChain, err := url.QueryUnescape(v[0])
			require.NoError(t, err)
			return []byte(pemChain)
		}
		t.Fatal("no issuer chain header")
		return nil
	}
	tcbInfo, tcbSig := signed(testdata.TcbInfoBody, "tcbInfo")
	qeID, qeSig := signed(testdata.QeIdentityBody, "enclaveIdentity")
	return &collateral.Collateral{
		TCBInfo:               tcbInfo,
		TCBInfoSignature:      tcbSig,
		TCBInfoIssuerChain:    chain(tdxtesting.TcbInfoHeader),
		QEIdentity:            qeID,
		QEIdentitySignature:   qeSig,
		QEIdentityIssuerChain: chain(tdxtesting.QeIdentityHeader),
		PCKCRL:                testdata.PckCrlBody,
		PCKCRLIssuerChain:     chain(tdxtesting.PckCrlHeader),
		RootCACRL:             testdata.RootCrlBody,
	}
}

func TestVerifyGoTDXGuestVector(t *testing.T) {
	t.Parallel()
	c := goTDXGuestCollateral(t)
	v := intelVerifier(t, c, goTDXGuestTime, nil)

	// The sample quote ends with a non-zero ASCII trailer that no real
	// quote has; the strict parser refuses it, so strip it.
	_, err := verifyOnce(v, testdata.RawQuote)
	requireKind(t, err, verify.KindMalformedQuote)
	raw := bytes.TrimSuffix(testdata.RawQuote, []byte("\nextra bytes(only for testing purpose)\n"))
	require.Less(t, len(raw), len(testdata.RawQuote))

	// Every signature, chain and CRL of this real SPR quote and its 2023
	// collateral checks out under Intel's pinned root: verification gets
	// as far as the TCB levels, which run after all of them.
	//
	// The TCB outcome under Intel's rules is "TCB not supported": the PCK
	// certificate's CPUSVN components are 03 03 02 02 02 01 00 02 and its
	// PCESVN 11, while both levels of the 2023 TCB info for FMSPC
	// 50806F000000 require SGX components 05 05 02 02 03 01 00 03, so no
	// SGX level matches.
	// TEE_TCB_SVN 03 00 04 ... would not match either: both levels want
	// TDX component 2 at 5.
	_, err = verifyOnce(v, raw)
	e := requireKind(t, err, verify.KindTCBNotSupported)
	assert.Equal(t, "platform tcb level", e.Check)
	assert.Contains(t, e.Found, "03030202020100020000000000000000")
	require.NotNil(t, e.Report)
	assert.Empty(t, e.Report.TCBStatus, "no status when no level matched")

	_, err = verifyOnce(intelVerifier(t, c, goTDXGuestTime.AddDate(0, 1, 0), nil), raw)
	requireKind(t, err, verify.KindCollateralExpired)

	tampered := *c
	tampered.TCBInfoSignature = bytes.Clone(c.TCBInfoSignature)
	tampered.TCBInfoSignature[7] ^= 1
	_, err = verifyOnce(intelVerifier(t, &tampered, goTDXGuestTime, nil), raw)
	requireKind(t, err, verify.KindCollateralSignature)

	// Without collateral the chain and the signatures check out, but this
	// early sample's TD has SEPT_VE_DISABLE clear and the reserved
	// TDATTRIBUTES bit 38 set, which the default rule refuses.
	v, err = verify.New(verify.Options{NoCollateral: true, Now: fixedNow(goTDXGuestTime)})
	require.NoError(t, err)
	_, err = verifyWith(v, raw, acceptUnknown)
	e = requireKind(t, err, verify.KindTDAttributes)
	assert.Equal(t, "0000004000000000", hex.EncodeToString(e.Report.Quote.Body.TDAttributes[:]))
	r := e.Report
	for _, n := range []verify.CheckName{verify.CheckPCKChain, verify.CheckQEReport, verify.CheckQuoteSignature} {
		c, _ := r.Check(n)
		assert.Equal(t, verify.Passed, c.Outcome, n)
	}
	assert.Equal(t, "50806F000000", r.FMSPC)
	assert.Equal(t, "platform", r.PCKCA)
	assert.Equal(t, verify.StatusUnknown, r.TCBStatus)
}

func TestVerifyDstackVectorsWithoutCollateral(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"quote-report.json", "tdx-lite-getquote.json"} {
		t.Run(name, func(t *testing.T) {
			raw := testvectors.Quote(t, "dstack", name)
			q := parsed(t, raw)
			chain, err := q.PCKChain()
			require.NoError(t, err)
			// Verify inside the PCK certificate's validity, without
			// collateral: chain to Intel's root and the three signatures.
			at := chain[0].NotBefore.Add(24 * time.Hour)
			v, err := verify.New(verify.Options{NoCollateral: true, Now: fixedNow(at)})
			require.NoError(t, err)
			r, err := verifyWith(v, raw, acceptUnknown)
			require.NoError(t, err)
			assert.Equal(t, verify.StatusUnknown, r.TCBStatus)
			assert.Len(t, r.FMSPC, 12)
		})
	}
}
