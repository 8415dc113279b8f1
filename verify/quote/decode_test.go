package quote_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/quote"
)

func TestDecode(t *testing.T) {
	raw := marshalled(t, 4, quote.BodyTypeTD10)
	raw5 := marshalled(t, 5, quote.BodyTypeTD15)
	h := hex.EncodeToString(raw)
	tests := []struct {
		name  string
		input []byte
		want  []byte
	}{
		{"raw v4 unchanged", raw, raw},
		{"raw v5 unchanged", raw5, raw5},
		{"hex", []byte(h), raw},
		{"hex 0x", []byte("0x" + h), raw},
		{"hex 0X upper", []byte("0X" + strings.ToUpper(h)), raw},
		{"hex with whitespace everywhere", []byte(" \t\n0x" + h[:10] + " \r\n" + h[10:11] + "\n" + h[11:] + "\n\n"), raw},
		{"short hex", []byte("0a0B"), []byte{0x0a, 0x0b}},
		{"empty", []byte{}, []byte{}},
		{"only whitespace", []byte(" \n"), []byte(" \n")},
		{"only prefix", []byte("0x"), []byte{}},
		{"not hex text", []byte("zz"), []byte("zz")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := quote.Decode(tt.input)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name            string
		input           string
		offset          int
		expected, found string
	}{
		{"odd length", "abc", -1, "an even number of hex digits", "3 digits"},
		{"odd length with prefix", "0x0", -1, "an even number of hex digits", "1 digits"},
		{"bad digit", "04 0g", 4, "a hex digit or whitespace", "'g'"},
		{"second prefix", "0x0x00", 3, "a hex digit or whitespace", "'x'"},
		{"NUL inside", "0400\x00", 4, "a hex digit or whitespace", "'\\x00'"},
		{"too long", strings.Repeat("00", quote.MaxQuoteSize+1), -1, "at most 65536 bytes", "65537 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := quote.Decode([]byte(tt.input))
			require.ErrorIs(t, err, quote.ErrMalformed)
			assert.Nil(t, got)
			var fe *quote.FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.offset, fe.Offset)
			assert.Equal(t, tt.expected, fe.Expected)
			assert.Equal(t, tt.found, fe.Found)

			_, err = quote.ParseHex(tt.input)
			assert.ErrorIs(t, err, quote.ErrMalformed)
		})
	}
}

func TestParseHex(t *testing.T) {
	q := syntheticQuote(t, 5, quote.BodyTypeTD15)
	raw, err := q.Marshal()
	require.NoError(t, err)

	got, err := quote.ParseHex("0x" + hex.EncodeToString(raw) + strings.Repeat("00", 70) + "\n")
	require.NoError(t, err)
	assert.Equal(t, raw, got.Raw)
	assert.Equal(t, q.Body, got.Body)

	// ParseHex insists on hex: raw bytes passed as a string are refused.
	_, err = quote.ParseHex(string(raw))
	assert.ErrorIs(t, err, quote.ErrMalformed)

	// A hex quote of an unsupported version is unsupported, not malformed.
	raw[0] = 3
	_, err = quote.ParseHex(hex.EncodeToString(raw))
	assert.ErrorIs(t, err, quote.ErrUnsupported)
}
