package main

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify/quote"
)

func TestQuoteDecode(t *testing.T) {
	opts := cvmtest.QuoteOptions{
		MRTD:         [48]byte{0xaa},
		RTMRs:        [4][48]byte{3: {0xbb}},
		ReportData:   [64]byte{0xcc},
		TDAttributes: [8]byte{1},
	}
	v5 := opts
	v5.Version, v5.MRServiceTD = quote.Version5, [48]byte{0xdd}
	tests := []struct {
		name     string
		opts     cvmtest.QuoteOptions
		version  float64
		bodyType float64
	}{
		{"v4", opts, 4, 2},
		{"v5 TD 1.5", v5, 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSynthetic(t, tt.opts)
			code, stdout, stderr := runCLI(t, "quote", "decode", "--quote", s.quoteHex)
			require.Equal(t, exitOK, code, stderr)
			var out map[string]any
			require.NoError(t, json.Unmarshal([]byte(stdout), &out))
			assert.Equal(t, float64(schemaVersion), out["schema_version"])
			header := out["header"].(map[string]any)
			assert.Equal(t, tt.version, header["version"])
			assert.Equal(t, "0x00000081", header["tee_type"])
			assert.Equal(t, hex.EncodeToString(quote.IntelQEVendorID[:]), header["qe_vendor_id"])
			assert.Equal(t, tt.bodyType, out["body_type"])
			body := out["body"].(map[string]any)
			assert.Equal(t, hex.EncodeToString(tt.opts.MRTD[:]), body["mr_td"])
			assert.Equal(t, hex.EncodeToString(tt.opts.RTMRs[3][:]), body["rtmr3"])
			assert.Equal(t, hex.EncodeToString(tt.opts.ReportData[:]), body["report_data"])
			assert.Equal(t, true, body["debug"])
			if tt.bodyType == 3 {
				assert.Equal(t, hex.EncodeToString(tt.opts.MRServiceTD[:]), body["mr_service_td"])
			} else {
				assert.NotContains(t, body, "mr_service_td", "no TD 1.5 field in a TD 1.0 body")
			}
			sig := out["signature"].(map[string]any)
			assert.Len(t, sig["quote_signature"], 128)
			assert.Len(t, sig["qe_report"].(map[string]any)["mr_signer"], 64)
			assert.Equal(t, s.pki.FMSPC(), out["pck"].(map[string]any)["fmspc"])
			chain := out["pck_chain"].([]any)
			require.Len(t, chain, 3)
			for i, cn := range []string{"Intel SGX PCK Certificate", "Intel SGX PCK Platform CA", "Intel SGX Root CA"} {
				assert.True(t, strings.Contains(chain[i].(map[string]any)["subject"].(string), "CN="+cn), "%v", chain[i])
			}
			assert.Equal(t, float64(len(s.quoteBytes)), out["size"])
		})
	}
}

func TestQuoteDecodeRealVector(t *testing.T) {
	code, stdout, stderr := runCLI(t, "quote", "decode", "--quote", testvectors.Path(t, "dcap-qvl", "tdx_quote"))
	require.Equal(t, exitOK, code, stderr)
	var out decodedQuote
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	assert.True(t, strings.HasPrefix(out.Body.MRTD, "91eb2b44d141d4ec"), out.Body.MRTD)
	require.NotNil(t, out.PCK)
	assert.Equal(t, "B0C06F000000", out.PCK.FMSPC)
	assert.Len(t, out.PCKChain, 3)
}

func TestQuoteDecodeRefuses(t *testing.T) {
	s := newSynthetic(t, cvmtest.QuoteOptions{})
	truncated := writeFile(t, "q.bin", s.quoteBytes[:len(s.quoteBytes)-10])
	code, stdout, stderr := runCLI(t, "quote", "decode", "--quote", truncated)
	assert.Equal(t, exitRefused, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "malformed_quote: --quote "+truncated)

	code, _, stderr = runCLI(t, "quote", "decode", "--quote", writeFile(t, "q.txt", []byte("not a quote")))
	assert.Equal(t, exitRefused, code)
	assert.Contains(t, stderr, "expected raw bytes, hex, base64")
}
