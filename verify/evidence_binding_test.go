package verify_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
)

// evSPKI returns the DER SubjectPublicKeyInfo of a fresh P-256 key.
func evSPKI(t testing.TB) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	return der
}

// evSPKIReportData is nonce || SHA-256(spki), the cvmgate CVM's REPORTDATA.
func evSPKIReportData(nonce, spki []byte) [64]byte {
	var rd [64]byte
	copy(rd[:32], nonce)
	h := sha256.Sum256(spki)
	copy(rd[32:], h[:])
	return rd
}

// evRATLSReportData is SHA-512("ratls-cert:" || spki), dstack's RA-TLS binding.
func evRATLSReportData(spki []byte) [64]byte {
	return sha512.Sum512(append([]byte("ratls-cert:"), spki...))
}

func TestCheckBindingAccepts(t *testing.T) {
	nonce := bytes.Repeat([]byte{0x5a}, 32)
	spki := evSPKI(t)
	spkiHash := sha256.Sum256(spki)
	var seedStyle [64]byte
	copy(seedStyle[:], nonce)

	tests := []struct {
		name string
		rd   [64]byte
		b    verify.Binding
	}{
		{"spki", evSPKIReportData(nonce, spki), verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki}},
		{"spki by hash", evSPKIReportData(nonce, spki), verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKISHA256: spkiHash[:]}},
		{"spki and matching hash", evSPKIReportData(nonce, spki), verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki, SPKISHA256: spkiHash[:]}},
		{"ratls", evRATLSReportData(spki), verify.Binding{Mode: verify.BindingRATLS, SPKI: spki}},
		{"none with nonce", seedStyle, verify.Binding{Mode: verify.BindingNone, Nonce: nonce}},
		{"none with nonce, key bound too", evSPKIReportData(nonce, spki), verify.Binding{Mode: verify.BindingNone, Nonce: nonce}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, verify.CheckBinding(tc.rd, tc.b))
		})
	}
}

func TestCheckBindingRejects(t *testing.T) {
	nonce := bytes.Repeat([]byte{0x5a}, 32)
	oldNonce := bytes.Repeat([]byte{0x11}, 32)
	spki := evSPKI(t)
	otherSPKI := evSPKI(t)
	spkiHash := sha256.Sum256(spki)
	otherHash := sha256.Sum256(otherSPKI)
	good := evSPKIReportData(nonce, spki)
	ratls := evRATLSReportData(spki)

	tests := []struct {
		name     string
		rd       [64]byte
		b        verify.Binding
		kind     verify.Kind
		expected string
		found    string
	}{
		{
			name: "replayed quote: old nonce", rd: evSPKIReportData(oldNonce, spki),
			b:    verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki},
			kind: verify.KindStaleNonce, expected: hex.EncodeToString(nonce), found: hex.EncodeToString(oldNonce),
		},
		{
			name: "relayed quote: another key", rd: good,
			b:    verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: otherSPKI},
			kind: verify.KindKeyBinding, expected: hex.EncodeToString(otherHash[:]), found: hex.EncodeToString(spkiHash[:]),
		},
		{
			name: "relayed quote: another key hash", rd: good,
			b:    verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKISHA256: otherHash[:]},
			kind: verify.KindKeyBinding, expected: hex.EncodeToString(otherHash[:]), found: hex.EncodeToString(spkiHash[:]),
		},
		{
			name: "seed-style report data in spki mode", rd: func() [64]byte { var r [64]byte; copy(r[:], nonce); return r }(),
			b:    verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki},
			kind: verify.KindKeyBinding, expected: hex.EncodeToString(spkiHash[:]), found: hex.EncodeToString(make([]byte, 32)),
		},
		{
			name: "spki and hash disagree", rd: good,
			b:    verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki, SPKISHA256: otherHash[:]},
			kind: verify.KindKeyBinding, expected: hex.EncodeToString(spkiHash[:]), found: hex.EncodeToString(otherHash[:]),
		},
		{
			name: "spki mode without key", rd: good, b: verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce},
			kind: verify.KindKeyBinding, found: "none",
		},
		{
			name: "spki hash of the wrong size", rd: good, b: verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKISHA256: spkiHash[:31]},
			kind: verify.KindKeyBinding, expected: "32 bytes", found: "31 bytes",
		},
		{
			name: "spki mode without nonce", rd: good, b: verify.Binding{Mode: verify.BindingSPKI, SPKI: spki},
			kind: verify.KindStaleNonce, expected: "32 bytes (without a full nonce nothing proves the quote fresh)", found: "0 bytes",
		},
		{
			name: "spki mode with short nonce", rd: good, b: verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce[:16], SPKI: spki},
			kind: verify.KindStaleNonce, expected: "32 bytes (without a full nonce nothing proves the quote fresh)", found: "16 bytes",
		},
		{
			name: "ratls with another key", rd: ratls, b: verify.Binding{Mode: verify.BindingRATLS, SPKI: otherSPKI},
			kind: verify.KindKeyBinding, expected: hex.EncodeToString(func() []byte { r := evRATLSReportData(otherSPKI); return r[:] }()), found: hex.EncodeToString(ratls[:]),
		},
		{
			name: "ratls without the tag", rd: sha512.Sum512(spki), b: verify.Binding{Mode: verify.BindingRATLS, SPKI: spki},
			kind: verify.KindKeyBinding, expected: hex.EncodeToString(ratls[:]),
		},
		{
			name: "ratls against spki-style report data", rd: good, b: verify.Binding{Mode: verify.BindingRATLS, SPKI: spki},
			kind: verify.KindKeyBinding, expected: hex.EncodeToString(ratls[:]), found: hex.EncodeToString(good[:]),
		},
		{
			name: "ratls without key", rd: ratls, b: verify.Binding{Mode: verify.BindingRATLS},
			kind: verify.KindKeyBinding, found: "none",
		},
		{
			name: "ratls with a nonce", rd: ratls, b: verify.Binding{Mode: verify.BindingRATLS, SPKI: spki, Nonce: nonce},
			kind: verify.KindStaleNonce, found: "32 bytes",
		},
		{
			name: "none with old nonce", rd: evSPKIReportData(oldNonce, spki), b: verify.Binding{Mode: verify.BindingNone, Nonce: nonce},
			kind: verify.KindStaleNonce, expected: hex.EncodeToString(nonce), found: hex.EncodeToString(oldNonce),
		},
		{
			name: "none with oversized nonce", rd: good, b: verify.Binding{Mode: verify.BindingNone, Nonce: make([]byte, 65)},
			kind: verify.KindStaleNonce, expected: "32 bytes (without a full nonce nothing proves the quote fresh)", found: "65 bytes",
		},
		// A nonce is 32 bytes: a one-byte "nonce" is guessed in 256 tries.
		{
			name: "none with one-byte nonce", rd: good, b: verify.Binding{Mode: verify.BindingNone, Nonce: nonce[:1]},
			kind: verify.KindStaleNonce, expected: "32 bytes (without a full nonce nothing proves the quote fresh)", found: "1 bytes",
		},
		{
			name: "none with the whole report data as nonce", rd: good, b: verify.Binding{Mode: verify.BindingNone, Nonce: good[:]},
			kind: verify.KindStaleNonce, expected: "32 bytes (without a full nonce nothing proves the quote fresh)", found: "64 bytes",
		},
		{
			name: "none without nonce", rd: good, b: verify.Binding{Mode: verify.BindingNone},
			kind: verify.KindStaleNonce, expected: "32 bytes (without a full nonce nothing proves the quote fresh)", found: "0 bytes",
		},
		{
			name: "unknown mode", rd: good, b: verify.Binding{Mode: "tls-exporter", Nonce: nonce, SPKI: spki},
			kind: verify.KindKeyBinding, found: `"tls-exporter"`,
		},
		{
			name: "empty mode", rd: good, b: verify.Binding{Nonce: nonce, SPKI: spki},
			kind: verify.KindKeyBinding, found: `""`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verify.CheckBinding(tc.rd, tc.b)
			require.Error(t, err)
			require.ErrorIs(t, err, tc.kind)
			var e *verify.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.kind, e.Kind)
			assert.NotEmpty(t, e.Check)
			if tc.expected != "" {
				assert.Equal(t, tc.expected, e.Expected)
			}
			if tc.found != "" {
				assert.Equal(t, tc.found, e.Found)
			}
		})
	}
}
