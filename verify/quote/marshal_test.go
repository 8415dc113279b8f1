package quote_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/quote"
)

func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		version     uint16
		bodyType    uint16
		wantType    uint16
		signedSize  int
		bodyPrefix  []byte // bytes between header and body
		totalLength int
	}{
		{name: "v4", version: 4, bodyType: quote.BodyTypeTD10, wantType: quote.BodyTypeTD10, signedSize: 48 + 584},
		{name: "v4 zero body type", version: 4, bodyType: 0, wantType: quote.BodyTypeTD10, signedSize: 48 + 584},
		{name: "v5 TD 1.0", version: 5, bodyType: quote.BodyTypeTD10, wantType: quote.BodyTypeTD10, signedSize: 48 + 6 + 584, bodyPrefix: []byte{2, 0, 0x48, 2, 0, 0}},
		{name: "v5 TD 1.5", version: 5, bodyType: quote.BodyTypeTD15, wantType: quote.BodyTypeTD15, signedSize: 48 + 6 + 648, bodyPrefix: []byte{3, 0, 0x88, 2, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := syntheticQuote(t, tt.version, tt.bodyType)
			b, err := q.Marshal()
			require.NoError(t, err)

			got, err := quote.Parse(b)
			require.NoError(t, err)
			want := *q
			want.BodyType = tt.wantType
			assert.Equal(t, want, stripDerived(got))

			assert.Equal(t, b, got.Raw)
			assert.Len(t, got.SignedData, tt.signedSize)
			assert.Equal(t, q.MarshalSignedData(), got.SignedData)
			assert.Equal(t, b[:tt.signedSize], got.SignedData)
			assert.Equal(t, tt.bodyPrefix, nilIfEmpty(b[quote.HeaderSize:quote.HeaderSize+len(tt.bodyPrefix)]))
			assert.Equal(t, q.QEReport.Marshal(), got.QEReportRaw)

			// The signature data length accounts for the rest exactly.
			sigSize := binary.LittleEndian.Uint32(b[tt.signedSize:])
			assert.EqualValues(t, len(b)-tt.signedSize-4, sigSize)

			// Marshal is deterministic and a re-marshal is identical.
			again, err := got.Marshal()
			require.NoError(t, err)
			assert.Equal(t, b, again)

			// Zero padding, as dstack appends, is accepted and excluded
			// from Raw.
			padded := append(bytes.Clone(b), make([]byte, 70)...)
			got, err = quote.Parse(padded)
			require.NoError(t, err)
			assert.Equal(t, b, got.Raw)
		})
	}
}

// nilIfEmpty maps an empty slice to nil for comparisons.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func TestMarshalTD10IgnoresTD15Fields(t *testing.T) {
	q := syntheticQuote(t, 5, quote.BodyTypeTD10)
	q.Body.TEETCBSVN2[0] = 1
	q.Body.MRServiceTD[0] = 1
	b, err := q.Marshal()
	require.NoError(t, err)
	got, err := quote.Parse(b)
	require.NoError(t, err)
	assert.Zero(t, got.Body.TEETCBSVN2)
	assert.Zero(t, got.Body.MRServiceTD)
}

func TestMarshalIgnoresDerivedFields(t *testing.T) {
	q := syntheticQuote(t, 4, quote.BodyTypeTD10)
	want, err := q.Marshal()
	require.NoError(t, err)
	q.Raw = []byte("raw")
	q.SignedData = []byte("signed")
	q.QEReportRaw = bytes.Repeat([]byte{0xff}, quote.EnclaveReportSize)
	got, err := q.Marshal()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestMarshalUnsupportedHeaderValues(t *testing.T) {
	// Marshal builds well-formed quotes with values Parse refuses, so
	// that tests can exercise a verifier's header checks.
	q := syntheticQuote(t, 4, quote.BodyTypeTD10)
	q.Header.TEEType = 0
	b, err := q.Marshal()
	require.NoError(t, err)
	_, err = quote.Parse(b)
	assert.ErrorIs(t, err, quote.ErrUnsupported)
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*quote.Quote)
		sentinel error
		field    string
	}{
		{"version 3", func(q *quote.Quote) { q.Header.Version = 3 }, quote.ErrUnsupported, "version"},
		{"v4 with TD 1.5 body", func(q *quote.Quote) { q.BodyType = quote.BodyTypeTD15 }, quote.ErrUnsupported, "body type"},
		{"v5 with body type 0", func(q *quote.Quote) { q.Header.Version = 5; q.BodyType = 0 }, quote.ErrUnsupported, "body type"},
		{"v5 with body type 1", func(q *quote.Quote) { q.Header.Version = 5; q.BodyType = 1 }, quote.ErrUnsupported, "body type"},
		{"QE auth data too long", func(q *quote.Quote) { q.QEAuthData = make([]byte, 1<<16) }, quote.ErrMalformed, "QE auth data"},
		{"quote too large", func(q *quote.Quote) { q.PCKChainPEM = make([]byte, quote.MaxQuoteSize) }, quote.ErrMalformed, "quote size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := syntheticQuote(t, 4, quote.BodyTypeTD10)
			tt.mutate(q)
			b, err := q.Marshal()
			require.ErrorIs(t, err, tt.sentinel)
			assert.Nil(t, b)
			assert.Equal(t, tt.field, errorField(err))
		})
	}
}

func TestMarshalLargestQuote(t *testing.T) {
	q := syntheticQuote(t, 5, quote.BodyTypeTD15)
	q.QEAuthData = make([]byte, 1000)
	b, err := q.Marshal()
	require.NoError(t, err)
	q.PCKChainPEM = append(q.PCKChainPEM, make([]byte, quote.MaxQuoteSize-len(b))...)
	b, err = q.Marshal()
	require.NoError(t, err)
	require.Len(t, b, quote.MaxQuoteSize)
	got, err := quote.Parse(b)
	require.NoError(t, err)
	assert.Len(t, got.QEAuthData, 1000)

	q.PCKChainPEM = append(q.PCKChainPEM, '\n')
	_, err = q.Marshal()
	assert.ErrorIs(t, err, quote.ErrMalformed)
}

func TestEnclaveReportRoundTrip(t *testing.T) {
	r := syntheticQuote(t, 4, quote.BodyTypeTD10).QEReport
	b := r.Marshal()
	require.Len(t, b, quote.EnclaveReportSize)

	// SGX REPORT layout, checked at its documented offsets.
	assert.Equal(t, r.CPUSVN[:], b[0:16])
	assert.Equal(t, []byte{0x08, 0x07, 0x06, 0x05}, b[16:20])
	assert.Equal(t, make([]byte, 28), b[20:48])
	assert.Equal(t, r.Attributes[:], b[48:64])
	assert.Equal(t, r.MREnclave[:], b[64:96])
	assert.Equal(t, make([]byte, 32), b[96:128])
	assert.Equal(t, r.MRSigner[:], b[128:160])
	assert.Equal(t, make([]byte, 96), b[160:256])
	assert.Equal(t, []byte{2, 0, 0x0b, 0x0a}, b[256:260])
	assert.Equal(t, make([]byte, 60), b[260:320])
	assert.Equal(t, r.ReportData[:], b[320:384])

	got, err := quote.ParseEnclaveReport(b)
	require.NoError(t, err)
	assert.Equal(t, r, got)
}

func TestParseEnclaveReportSize(t *testing.T) {
	for _, n := range []int{0, 1, quote.EnclaveReportSize - 1, quote.EnclaveReportSize + 1} {
		_, err := quote.ParseEnclaveReport(make([]byte, n))
		require.ErrorIs(t, err, quote.ErrMalformed, "size %d", n)
		assert.Contains(t, err.Error(), "expected 384 bytes")
	}
}

func TestBodyLayout(t *testing.T) {
	q := syntheticQuote(t, 5, quote.BodyTypeTD15)
	b := q.MarshalSignedData()
	body := b[quote.HeaderSize+6:]
	require.Len(t, body, quote.BodySizeTD15)
	// Offsets of the TD report fields (Intel TDX DCAP quote library, TD
	// quote body): spot-check the start of each one.
	offsets := []struct {
		field []byte
		at    int
	}{
		{q.Body.TEETCBSVN[:], 0}, {q.Body.MRSEAM[:], 16}, {q.Body.MRSignerSEAM[:], 64},
		{q.Body.SEAMAttributes[:], 112}, {q.Body.TDAttributes[:], 120}, {q.Body.XFAM[:], 128},
		{q.Body.MRTD[:], 136}, {q.Body.MRConfigID[:], 184}, {q.Body.MROwner[:], 232},
		{q.Body.MROwnerConfig[:], 280}, {q.Body.RTMR[0][:], 328}, {q.Body.RTMR[3][:], 472},
		{q.Body.ReportData[:], 520}, {q.Body.TEETCBSVN2[:], 584}, {q.Body.MRServiceTD[:], 600},
	}
	for _, o := range offsets {
		assert.Equal(t, o.field, body[o.at:o.at+len(o.field)], "field at %d", o.at)
	}
	h := b[:quote.HeaderSize]
	assert.Equal(t, []byte{5, 0, 2, 0, 0x81, 0, 0, 0, 0x02, 0x01, 0x04, 0x03}, h[:12])
	assert.Equal(t, quote.IntelQEVendorID[:], h[12:28])
	assert.Equal(t, q.Header.UserData[:], h[28:48])
}
