package conformance_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// boundTo verifies the base app's honest evidence, its quote's REPORTDATA
// being rd (nonce || SHA-256(caseSPKI) when zero), under binding b.
func boundTo(rd [64]byte, b func() *verify.Binding) func(t *testing.T) error {
	return func(t *testing.T) error {
		return verifyEvidence(t, cvmEvidence{opts: cvmtest.QuoteOptions{ReportData: rd}}, b(), nil)
	}
}

// otherKey is the SPKI of a key that is not the CVM's: a relay's.
var otherKey = []byte("a relay's own SPKI")

// bindingCases are quotes that do not bind the channel they came over:
// replayed, relayed, unbound, bound to another key, or checked under a
// binding the client should never ask for.
func bindingCases() []hostileCase {
	seedStyle := [64]byte{}
	copy(seedStyle[:], caseNonce) // nonce || zeros: no key bound
	ratlsOther := wire.RATLSReportData(otherKey)
	ratls := wire.RATLSReportData(caseSPKI)
	return []hostileCase{
		{"binding/replayed quote (an old nonce)", verify.KindStaleNonce, "nonce", boundTo([64]byte{}, func() *verify.Binding {
			b := spkiBinding()
			b.Nonce = bytes.Repeat([]byte{0x01}, wire.NonceSize)
			return b
		})},
		{"binding/relayed quote (the relay's key on the wire)", verify.KindKeyBinding, "spki", boundTo([64]byte{}, func() *verify.Binding {
			b := spkiBinding()
			b.SPKI = otherKey
			return b
		})},
		{"binding/seed-style quote of the nonce alone under spki", verify.KindKeyBinding, "", boundTo(seedStyle, spkiBinding)},
		{"binding/no nonce under binding none", verify.KindStaleNonce, "", boundTo(seedStyle, func() *verify.Binding {
			return &verify.Binding{Mode: verify.BindingNone}
		})},
		{"binding/RA-TLS quote of another key", verify.KindKeyBinding, "ratls", boundTo(ratlsOther, func() *verify.Binding {
			return &verify.Binding{Mode: verify.BindingRATLS, SPKI: caseSPKI}
		})},
		{"binding/RA-TLS checked with a nonce", verify.KindStaleNonce, "", boundTo(ratls, func() *verify.Binding {
			return &verify.Binding{Mode: verify.BindingRATLS, Nonce: caseNonce, SPKI: caseSPKI}
		})},
		{"binding/unknown binding mode", verify.KindKeyBinding, "binding mode", boundTo([64]byte{}, func() *verify.Binding {
			b := spkiBinding()
			b.Mode = "tls-exporter"
			return b
		})},
		{"binding/SPKI and its hash disagree", verify.KindKeyBinding, "", boundTo([64]byte{}, func() *verify.Binding {
			b := spkiBinding()
			h := sha256.Sum256(otherKey)
			b.SPKISHA256 = h[:]
			return b
		})},
		{"binding/spki binding without the key", verify.KindKeyBinding, "", boundTo([64]byte{}, func() *verify.Binding {
			b := spkiBinding()
			b.SPKI = nil
			return b
		})},
	}
}
