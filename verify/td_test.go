package verify_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// attrs returns TDATTRIBUTES with the given bits set.
func attrs(bits ...uint) [8]byte {
	var a [8]byte
	for _, n := range bits {
		a[n/8] |= 1 << (n % 8)
	}
	return a
}

func TestCheckTDAttributes(t *testing.T) {
	t.Parallel()
	const sept = 28
	tests := []struct {
		name       string
		attrs      [8]byte
		allowDebug bool
		kind       verify.Kind // "" when accepted
		found      string
	}{
		{name: "SEPT_VE_DISABLE only (real dstack TDs)", attrs: attrs(sept)},
		{name: "optional features", attrs: attrs(sept, 16, 27, 30, 31, 63)},
		{name: "DEBUG", attrs: attrs(0, sept), kind: verify.KindDebugTD, found: "DEBUG set (TDATTRIBUTES 0100001000000000)"},
		{name: "DEBUG allowed", attrs: attrs(0, sept), allowDebug: true},
		{name: "TUD bit 1", attrs: attrs(1, sept), kind: verify.KindDebugTD, found: "bit 1 set"},
		{name: "TUD bit 7 with DEBUG allowed", attrs: attrs(0, 7, sept), allowDebug: true, kind: verify.KindDebugTD, found: "bit 7 set"},
		{name: "profiling bits 4-6", attrs: attrs(4, 5, 6, sept), kind: verify.KindDebugTD, found: "bit 4, bit 5, bit 6 set"},
		{name: "SEPT_VE_DISABLE clear", attrs: attrs(), kind: verify.KindTDAttributes, found: "SEPT_VE_DISABLE clear (TDATTRIBUTES 0000000000000000)"},
		{name: "DEBUG before SEPT_VE_DISABLE", attrs: attrs(0), kind: verify.KindDebugTD},
		{name: "MIGRATABLE", attrs: attrs(sept, 29), kind: verify.KindTDAttributes, found: "bit 29 (MIGRATABLE) set"},
		{name: "TPA", attrs: attrs(sept, 62), kind: verify.KindTDAttributes, found: "bit 62 (TPA) set"},
		{name: "reserved SEC bit 8", attrs: attrs(sept, 8), kind: verify.KindTDAttributes, found: "bit 8 set"},
		{name: "reserved SEC bit 26", attrs: attrs(sept, 26), kind: verify.KindTDAttributes, found: "bit 26 set"},
		{name: "reserved OTHER bits 32 and 61", attrs: attrs(sept, 32, 61), kind: verify.KindTDAttributes, found: "bit 32, bit 61 set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify.CheckTDAttributes(tt.attrs, tt.allowDebug)
			if tt.kind == "" {
				assert.NoError(t, err)
				return
			}
			e := requireKind(t, err, tt.kind)
			assert.Contains(t, e.Found, tt.found)
		})
	}
}

// TestCheckTDAttributesEveryBit: of the 64 bits on their own (with
// SEPT_VE_DISABLE), exactly the optional features pass the default rule.
func TestCheckTDAttributesEveryBit(t *testing.T) {
	t.Parallel()
	optional := map[uint]bool{16: true, 27: true, 28: true, 30: true, 31: true, 63: true}
	for n := range uint(64) {
		err := verify.CheckTDAttributes(attrs(28, n), false)
		assert.Equal(t, optional[n], err == nil, "bit %d: %v", n, err)
	}
}

func TestCheckServiceTD(t *testing.T) {
	t.Parallel()
	assert.NoError(t, verify.CheckServiceTD(&quote.Body{}))
	err := verify.CheckServiceTD(&quote.Body{MRServiceTD: [48]byte{47: 1}})
	e := requireKind(t, err, verify.KindServiceTD)
	assert.Equal(t, "zero (no service TD bound)", e.Expected)
}

// TestTDRulesAcceptRealDstackTDs: the default rules accept the TDs of the
// real dstack quotes (SEPT_VE_DISABLE alone, TD 1.0).
func TestTDRulesAcceptRealDstackTDs(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"quote-report.json", "tdx-lite-getquote.json"} {
		t.Run(name, func(t *testing.T) {
			q := parsed(t, testvectors.Quote(t, "dstack", name))
			assert.Equal(t, attrs(28), q.Body.TDAttributes)
			assert.NoError(t, verify.CheckTDAttributes(q.Body.TDAttributes, false))
			assert.NoError(t, verify.CheckServiceTD(&q.Body))
		})
	}
}

// TestVerifyTDConfiguration: Verify's default acceptance refuses TDs the
// default TD rules refuse, after every other check passed.
func TestVerifyTDConfiguration(t *testing.T) {
	t.Parallel()
	td15 := func(o cvmtest.QuoteOptions) cvmtest.QuoteOptions {
		o.Version, o.BodyType = quote.Version5, quote.BodyTypeTD15
		return o
	}
	policyFailed := func(t *testing.T, _ *cvmtest.PKI, r *verify.Report) {
		require.NotNil(t, r)
		c, _ := r.Check(verify.CheckTCBLevels)
		assert.Equal(t, verify.Passed, c.Outcome)
		c, _ = r.Check(verify.CheckPolicy)
		assert.Equal(t, verify.Failed, c.Outcome)
	}
	cases := []verifyCase{
		{name: "default attributes", status: verify.StatusUpToDate},
		{name: "TUD bit 1", quote: cvmtest.QuoteOptions{TDAttributes: attrs(1, 28)}, kind: verify.KindDebugTD, check: policyFailed},
		{name: "TUD bit 1 with debug allowed", quote: cvmtest.QuoteOptions{TDAttributes: attrs(1, 28)},
			accept: verify.Accept{AllowDebug: true}, kind: verify.KindDebugTD, check: policyFailed},
		{name: "reserved bit 40", quote: cvmtest.QuoteOptions{TDAttributes: attrs(28, 40)}, kind: verify.KindTDAttributes, check: policyFailed},
		{name: "SEPT_VE_DISABLE clear", quote: cvmtest.QuoteOptions{TDAttributes: attrs(63)}, kind: verify.KindTDAttributes, check: policyFailed},
		{name: "TD 1.5 without a service TD", quote: td15(cvmtest.QuoteOptions{}), status: verify.StatusUpToDate},
		{name: "TD 1.5 with a service TD", quote: td15(cvmtest.QuoteOptions{MRServiceTD: [48]byte{0: 0xaa}}), kind: verify.KindServiceTD, check: policyFailed},
	}
	runCases(t, cases)
}
