package collateral

import (
	"context"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseChainStrict checks that an issuer chain is PEM certificates and
// white space only, as package verify requires: pem.Decode on its own skips
// text before a block, skips a block it cannot parse, and accepts headers.
func TestParseChainStrict(t *testing.T) {
	cert := string(newTestPKI(t).pem)
	withHeader := string(pem.EncodeToMemory(&pem.Block{
		Type: "CERTIFICATE", Headers: map[string]string{"Comment": "x"}, Bytes: newTestPKI(t).cert.Raw,
	}))
	broken := "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name  string
		chain string
		ok    bool
	}{
		{"one", cert, true},
		{"two", cert + cert, true},
		{"surrounding white space", " \n\t" + cert + "\r\n" + cert + "\n\n", true},
		{"text before", "garbage\n" + cert, false},
		{"text between", cert + "garbage\n" + cert, false},
		{"text after", cert + "garbage", false},
		{"unparsable block skipped by pem.Decode", broken + cert, false},
		{"unterminated block", cert + "-----BEGIN CERTIFICATE-----\nAAAA\n", false},
		{"block with headers", withHeader, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, err := parseChain(itemTCBInfo, "issuer chain", []byte(tt.chain))
			if tt.ok {
				require.NoError(t, err)
				assert.Len(t, certs, strings.Count(tt.chain, "-----BEGIN CERTIFICATE-----"))
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformed)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "issuer chain", fe.Field)
		})
	}
}

// TestFetchIssuerChainHeaderTextBeforePEM checks the strict chain rule on
// the header path: a header whose chain starts with other text is refused.
func TestFetchIssuerChainHeaderTextBeforePEM(t *testing.T) {
	f := newFakePCS(t)
	f.chain = "junk\n" + f.chain
	_, err := newPCCS(t, f, HTTPOptions{}).Fetch(context.Background(), realReq)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMalformed)
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Field, "header")
}
