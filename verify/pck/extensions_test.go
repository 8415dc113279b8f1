package pck_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify/pck"
)

// realLeaf describes the PCK leaf of a real quote, with values read off by
// hand with openssl asn1parse.
type realLeaf struct {
	name       string
	load       func(testing.TB) []byte
	ppid       string
	components [16]uint8
	pcesvn     uint16
	cpusvn     string
	fmspc      string
	instanceID string
	config     pck.Configuration
}

var realLeaves = []realLeaf{
	{
		name:       "dcap-qvl tdx_quote",
		load:       func(tb testing.TB) []byte { return testvectors.Quote(tb, "dcap-qvl/tdx_quote") },
		ppid:       "811dca2a26b952e85bb6448b097ba4fd",
		components: [16]uint8{3, 3, 2, 2, 4, 1, 0, 5},
		pcesvn:     11,
		cpusvn:     "03030202040100050000000000000000",
		fmspc:      "B0C06F000000",
		instanceID: "07828474603e7019dc930775ffe8cdd2",
		config:     pck.Configuration{DynamicPlatform: true, CachedKeys: true, SMTEnabled: true},
	},
	{
		name:       "dstack quote-report.json",
		load:       func(tb testing.TB) []byte { return testvectors.Quote(tb, "dstack/quote-report.json") },
		ppid:       "897d3eb76ea887b783f9ad3d0771034b",
		components: [16]uint8{4, 4, 2, 2, 4, 1, 0, 5},
		pcesvn:     13,
		cpusvn:     "04040202040100050000000000000000",
		fmspc:      "90C06F000000",
		instanceID: "af3b9e752ee6e3f88eb745536ae57b0d",
		config:     pck.Configuration{DynamicPlatform: true, CachedKeys: true, SMTEnabled: true},
	},
	{
		name:       "dstack tdx-lite-getquote.json",
		load:       func(tb testing.TB) []byte { return testvectors.Quote(tb, "dstack/tdx-lite-getquote.json") },
		ppid:       "40deaac75f87cf05e92fbf18224aa576",
		components: [16]uint8{4, 4, 2, 2, 4, 1, 0, 5},
		pcesvn:     13,
		cpusvn:     "04040202040100050000000000000000",
		fmspc:      "90C06F000000",
		instanceID: "527bf28abbd440a096eeb745e033813d",
		config:     pck.Configuration{DynamicPlatform: true, CachedKeys: false, SMTEnabled: true},
	},
	{
		name:       "go-tdx-guest SPR quote",
		load:       func(testing.TB) []byte { return testdata.RawQuote[:4935] },
		ppid:       "089ddfdb9c0359c82a3bc7719239574e",
		components: [16]uint8{3, 3, 2, 2, 2, 1, 0, 2},
		pcesvn:     11,
		cpusvn:     "03030202020100020000000000000000",
		fmspc:      "50806F000000",
		instanceID: "8c314d17d205dfafcbecbb00fc87eff7",
		config:     pck.Configuration{DynamicPlatform: true, CachedKeys: false, SMTEnabled: true},
	},
}

func TestParseExtensionsRealLeaves(t *testing.T) {
	for _, v := range realLeaves {
		t.Run(v.name, func(t *testing.T) {
			leaf := pckLeaf(t, v.load(t))
			e, err := pck.ParseExtensions(leaf)
			require.NoError(t, err)

			assert.Equal(t, unhex(t, v.ppid), e.PPID)
			assert.Equal(t, v.components, e.TCB.CPUSVNComponents)
			assert.Equal(t, v.pcesvn, e.TCB.PCESVN)
			assert.Equal(t, unhex(t, v.cpusvn), e.TCB.CPUSVN[:])
			assert.Equal(t, [2]byte{0, 0}, e.PCEID)
			assert.Equal(t, "0000", e.PCEIDHex())
			assert.Equal(t, v.fmspc, e.FMSPCHex())
			assert.Equal(t, pck.SGXTypeScalable, e.SGXType)
			assert.Equal(t, unhex(t, v.instanceID), e.PlatformInstanceID)
			require.NotNil(t, e.Configuration)
			assert.Equal(t, v.config, *e.Configuration)

			// Marshal reproduces Intel's encoding byte for byte.
			ext, err := e.Marshal()
			require.NoError(t, err)
			assert.Equal(t, pck.OID, ext.Id)
			assert.False(t, ext.Critical)
			assert.Equal(t, sgxExtension(t, leaf), ext.Value)
		})
	}
}

// sample returns an Extensions value with every field set.
func sample() *pck.Extensions {
	return &pck.Extensions{
		PPID:               []byte("0123456789abcdef"),
		TCB:                pck.TCB{CPUSVNComponents: [16]uint8{255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 128}, PCESVN: 65535, CPUSVN: [16]byte{0xff, 1, 2, 3}},
		PCEID:              [2]byte{0x0a, 0xbc},
		FMSPC:              [6]byte{0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00},
		SGXType:            pck.SGXTypeScalableWithIntegrity,
		PlatformInstanceID: []byte("fedcba9876543210"),
		Configuration:      &pck.Configuration{CachedKeys: true},
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*pck.Extensions)
	}{
		{"all fields", func(*pck.Extensions) {}},
		{"without optional fields", func(e *pck.Extensions) { e.PlatformInstanceID, e.Configuration = nil, nil }},
		{"zero TCB, standard type", func(e *pck.Extensions) { e.TCB = pck.TCB{}; e.SGXType = pck.SGXTypeStandard }},
		{"all flags false", func(e *pck.Extensions) { e.Configuration = &pck.Configuration{} }},
		{"all flags true", func(e *pck.Extensions) {
			e.Configuration = &pck.Configuration{DynamicPlatform: true, CachedKeys: true, SMTEnabled: true}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := sample()
			tt.mutate(want)
			ext, err := want.Marshal()
			require.NoError(t, err)
			got, err := pck.ParseExtensions(certWith(ext))
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*pck.Extensions)
		field  string
	}{
		{"PPID missing", func(e *pck.Extensions) { e.PPID = nil }, "PPID"},
		{"PPID short", func(e *pck.Extensions) { e.PPID = e.PPID[:15] }, "PPID"},
		{"instance ID short", func(e *pck.Extensions) { e.PlatformInstanceID = []byte{1} }, "platform instance ID"},
		{"instance ID empty", func(e *pck.Extensions) { e.PlatformInstanceID = []byte{} }, "platform instance ID"},
		{"negative SGX type", func(e *pck.Extensions) { e.SGXType = -1 }, "SGX type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sample()
			tt.mutate(e)
			ext, err := e.Marshal()
			require.ErrorIs(t, err, pck.ErrMalformedExtension)
			assert.Zero(t, ext)
			var ee *pck.ExtensionError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tt.field, ee.Field)
		})
	}
}

func TestMarshalIssuesParsableCertificate(t *testing.T) {
	// The extension survives x509 certificate creation and parsing.
	ext, err := sample().Marshal()
	require.NoError(t, err)
	cert := selfSigned(t, ext)
	got, err := pck.ParseExtensions(cert)
	require.NoError(t, err)
	assert.Equal(t, sample(), got)
}

func TestHexHelpers(t *testing.T) {
	e := &pck.Extensions{PCEID: [2]byte{0x0a, 0xbc}, FMSPC: [6]byte{0xb0, 0xc0, 0x6f, 0, 0, 0x0f}}
	assert.Equal(t, "0ABC", e.PCEIDHex())
	assert.Equal(t, "B0C06F00000F", e.FMSPCHex())
}

func TestOID(t *testing.T) {
	assert.Equal(t, "1.2.840.113741.1.13.1", pck.OID.String())
	assert.Equal(t, asn1.ObjectIdentifier{1, 2, 840, 113741, 1, 13, 1}, pck.OID)
}

func TestParseExtensionsCertificateLevel(t *testing.T) {
	ext, err := sample().Marshal()
	require.NoError(t, err)
	other := pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Value: []byte{0x30, 0}}
	tests := []struct {
		name  string
		cert  *x509.Certificate
		found string
	}{
		{"nil certificate", nil, "nil"},
		{"no extensions", certWith(), "0"},
		{"other extensions only", certWith(other), "0"},
		{"two SGX extensions", certWith(ext, other, ext), "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pck.ParseExtensions(tt.cert)
			require.ErrorIs(t, err, pck.ErrMalformedExtension)
			assert.Nil(t, got)
			var ee *pck.ExtensionError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tt.found, ee.Found)
		})
	}
	got, err := pck.ParseExtensions(certWith(other, ext))
	require.NoError(t, err)
	assert.Equal(t, sample(), got)
}

func TestErrorMessage(t *testing.T) {
	err := &pck.ExtensionError{Field: "FMSPC", Expected: "6 bytes", Found: "5 bytes"}
	assert.EqualError(t, err, "pck: malformed SGX extension FMSPC: expected 6 bytes, found 5 bytes")
	assert.ErrorIs(t, err, pck.ErrMalformedExtension)
}
