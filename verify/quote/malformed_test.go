package quote_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// layout gives the offsets of the length and type fields of a synthetic
// quote, computed from its documented structure.
type layout struct {
	bodyType, bodySize                  int // v5 only; -1 for v4
	sigSize, certType, certSize, qeAuth int
	pckType, pckSize, end               int
}

// layoutOf returns the field offsets of a quote marshalled from q.
func layoutOf(q *quote.Quote) layout {
	l := layout{bodyType: -1, bodySize: -1}
	off := quote.HeaderSize
	if q.Header.Version == quote.Version5 {
		l.bodyType, l.bodySize = off, off+2
		off += 6
	}
	if q.BodyType == quote.BodyTypeTD15 {
		off += quote.BodySizeTD15
	} else {
		off += quote.BodySizeTD10
	}
	l.sigSize = off
	l.certType = off + 4 + quote.SignatureSize + quote.PublicKeySize
	l.certSize = l.certType + 2
	l.qeAuth = l.certSize + 4 + quote.EnclaveReportSize + quote.SignatureSize
	l.pckType = l.qeAuth + 2 + len(q.QEAuthData)
	l.pckSize = l.pckType + 2
	l.end = l.pckSize + 4 + len(q.PCKChainPEM)
	return l
}

// syntheticCases are the quotes every malformed case is applied to.
var syntheticCases = []struct {
	name              string
	version, bodyType uint16
}{
	{"v4", 4, quote.BodyTypeTD10},
	{"v5 TD 1.0", 5, quote.BodyTypeTD10},
	{"v5 TD 1.5", 5, quote.BodyTypeTD15},
}

func TestParseTruncated(t *testing.T) {
	inputs := map[string][]byte{}
	for _, c := range syntheticCases {
		inputs[c.name] = marshalled(t, c.version, c.bodyType)
	}
	inputs["dcap-qvl"] = testvectors.Quote(t, "dcap-qvl/tdx_quote")[:4936]
	for name, b := range inputs {
		t.Run(name, func(t *testing.T) {
			_, err := quote.Parse(b)
			require.NoError(t, err)
			for n := range len(b) {
				q, err := quote.Parse(b[:n])
				require.ErrorIs(t, err, quote.ErrMalformed, "truncated to %d bytes", n)
				require.NotErrorIs(t, err, quote.ErrUnsupported)
				require.Nil(t, q)
			}
		})
	}
}

// put16 and put32 overwrite a little-endian field of a copy of b.
func put16(b []byte, off int, v uint16) []byte {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint16(c[off:], v)
	return c
}

func put32(b []byte, off int, v uint32) []byte {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[off:], v)
	return c
}

// malformedCase is an input whose *FormatError must name field at offset.
type malformedCase struct {
	name   string
	input  []byte
	field  string
	offset int
}

func TestParseMalformedLengths(t *testing.T) {
	for _, c := range syntheticCases {
		t.Run(c.name, func(t *testing.T) {
			q := syntheticQuote(t, c.version, c.bodyType)
			b, err := q.Marshal()
			require.NoError(t, err)
			l := layoutOf(q)
			require.Len(t, b, l.end)
			sig := uint32(l.end - l.sigSize - 4)
			cert := uint32(l.end - l.certSize - 4)
			auth := uint16(len(q.QEAuthData))
			pck := uint32(len(q.PCKChainPEM))

			tests := []malformedCase{
				{"signature data size +1", put32(b, l.sigSize, sig+1), "signature data", l.sigSize + 4},
				{"signature data size -1", put32(b, l.sigSize, sig-1), "certification data size", l.certSize},
				{"signature data size 0", put32(b, l.sigSize, 0), "quote signature", l.sigSize + 4},
				{"signature data size max", put32(b, l.sigSize, ^uint32(0)), "signature data", l.sigSize + 4},
				{"signature data size +1 with padding", append(put32(b, l.sigSize, sig+1), 0), "certification data size", l.certSize},
				{"certification data size +1", put32(b, l.certSize, cert+1), "certification data size", l.certSize},
				{"certification data size -1", put32(b, l.certSize, cert-1), "certification data size", l.certSize},
				{"certification data size 0", put32(b, l.certSize, 0), "certification data size", l.certSize},
				{"certification data size max", put32(b, l.certSize, ^uint32(0)), "certification data size", l.certSize},
				{"QE auth data size +1", put16(b, l.qeAuth, auth+1), "PCK certification data type", l.pckType + 1},
				{"QE auth data size -1", put16(b, l.qeAuth, auth-1), "PCK certification data type", l.pckType - 1},
				{"QE auth data size max", put16(b, l.qeAuth, 0xffff), "QE auth data", l.qeAuth + 2},
				{"PCK data size +1", put32(b, l.pckSize, pck+1), "PCK certification data size", l.pckSize},
				{"PCK data size -1", put32(b, l.pckSize, pck-1), "PCK certification data size", l.pckSize},
				{"PCK data size 0", put32(b, l.pckSize, 0), "PCK certification data size", l.pckSize},
				{"PCK data size max", put32(b, l.pckSize, ^uint32(0)), "PCK certification data size", l.pckSize},
				{"outer cert data type 5", put16(b, l.certType, 5), "certification data type", l.certType},
				{"outer cert data type 0", put16(b, l.certType, 0), "certification data type", l.certType},
				{"inner cert data type 6", put16(b, l.pckType, 6), "PCK certification data type", l.pckType},
				{"inner cert data type 1", put16(b, l.pckType, 1), "PCK certification data type", l.pckType},
				{"trailing non-zero byte", append(bytes.Clone(b), 1), "trailing data", l.end},
				{"non-zero byte after padding", append(append(bytes.Clone(b), make([]byte, 70)...), 0xff), "trailing data", l.end + 70},
				{"oversized", append(bytes.Clone(b), make([]byte, quote.MaxQuoteSize+1-len(b))...), "quote size", 0},
			}
			if c.version == quote.Version5 {
				size := uint32(quote.BodySizeTD10)
				if c.bodyType == quote.BodyTypeTD15 {
					size = quote.BodySizeTD15
				}
				tests = append(tests,
					malformedCase{"body size +1", put32(b, l.bodySize, size+1), "body size", l.bodySize},
					malformedCase{"body size -1", put32(b, l.bodySize, size-1), "body size", l.bodySize},
					malformedCase{"body size max", put32(b, l.bodySize, ^uint32(0)), "body size", l.bodySize},
				)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					q, err := quote.Parse(tt.input)
					require.ErrorIs(t, err, quote.ErrMalformed)
					require.Nil(t, q)
					var fe *quote.FormatError
					require.ErrorAs(t, err, &fe)
					assert.Equal(t, tt.field, fe.Field, err.Error())
					assert.Equal(t, tt.offset, fe.Offset, err.Error())
					assert.NotEmpty(t, fe.Expected)
					assert.NotEmpty(t, fe.Found)
					assert.Contains(t, err.Error(), fmt.Sprintf("expected %s, found %s", fe.Expected, fe.Found))
				})
			}
		})
	}
}

func TestParseUnsupported(t *testing.T) {
	b4 := marshalled(t, 4, quote.BodyTypeTD10)
	b5 := marshalled(t, 5, quote.BodyTypeTD10)
	otherVendor := bytes.Clone(b4)
	otherVendor[12] ^= 1
	tests := []struct {
		name            string
		input           []byte
		field           string
		expected, found string
	}{
		{"version 3", put16(b4, 0, 3), "version", "4 or 5", "3"},
		{"version 6", put16(b4, 0, 6), "version", "4 or 5", "6"},
		{"version 0", put16(b4, 0, 0), "version", "4 or 5", "0"},
		{"key type 3 (P-384)", put16(b4, 2, 3), "attestation key type", "2 (ECDSA P-256)", "3"},
		{"TEE type SGX", put32(b4, 4, 0), "TEE type", "0x81 (TDX)", "0x0"},
		{"QE vendor", otherVendor, "QE vendor id", "939a7233f79c4ca9940a0db3957f0607 (Intel)", "929a7233f79c4ca9940a0db3957f0607"},
		{"v5 body type 1 (SGX)", put16(b5, 48, 1), "body type", "2 (TD report 1.0) or 3 (TD report 1.5)", "1"},
		{"v5 body type 4", put16(b5, 48, 4), "body type", "2 (TD report 1.0) or 3 (TD report 1.5)", "4"},
		{"header only", put16(b4[:quote.HeaderSize], 0, 3), "version", "4 or 5", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := quote.Parse(tt.input)
			require.ErrorIs(t, err, quote.ErrUnsupported)
			require.NotErrorIs(t, err, quote.ErrMalformed)
			require.Nil(t, q)
			var ue *quote.UnsupportedError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, quote.UnsupportedError{Field: tt.field, Expected: tt.expected, Found: tt.found}, *ue)
		})
	}
}

func TestParseEmptyAndTiny(t *testing.T) {
	for _, in := range [][]byte{nil, {}, {4}, {4, 0}, {5, 0, 2, 0}} {
		_, err := quote.Parse(in)
		var fe *quote.FormatError
		require.ErrorAs(t, err, &fe, "%x", in)
		assert.Equal(t, "header", fe.Field)
		assert.Equal(t, "48 bytes", fe.Expected)
		assert.Equal(t, fmt.Sprintf("%d bytes left", len(in)), fe.Found)
	}
}

func TestParseEmptyChainAndAuthData(t *testing.T) {
	q := syntheticQuote(t, 4, quote.BodyTypeTD10)
	q.QEAuthData = nil
	q.PCKChainPEM = nil
	b, err := q.Marshal()
	require.NoError(t, err)
	got, err := quote.Parse(b)
	require.NoError(t, err)
	assert.Empty(t, got.QEAuthData)
	assert.Empty(t, got.PCKChainPEM)
	_, err = got.PCKChain()
	assert.ErrorIs(t, err, quote.ErrMalformed)
}

func TestParseStripsPEMNULs(t *testing.T) {
	q := syntheticQuote(t, 4, quote.BodyTypeTD10)
	pemText := q.PCKChainPEM
	q.PCKChainPEM = append(bytes.Clone(pemText), 0, 0, 0)
	b, err := q.Marshal()
	require.NoError(t, err)
	got, err := quote.Parse(b)
	require.NoError(t, err)
	assert.Equal(t, pemText, got.PCKChainPEM)
}
