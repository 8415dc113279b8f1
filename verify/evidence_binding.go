package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/cvmgate/cvmgate/wire"
)

// NonceSize is the size of the client nonce in REPORTDATA[0:32].
const NonceSize = wire.NonceSize

// Binding says how the quote's REPORTDATA must bind the channel that the
// evidence came over. wire.ReportData is what a CVM builds for it.
type Binding struct {
	// Mode is the binding scheme.
	Mode BindingMode
	// Nonce is the client's fresh nonce: exactly NonceSize bytes for
	// BindingSPKI and BindingNone; BindingRATLS carries no nonce and
	// refuses one.
	Nonce []byte
	// SPKI is the DER SubjectPublicKeyInfo of the TLS leaf certificate the
	// peer presented on the connection the evidence came over.
	SPKI []byte
	// SPKISHA256 is SHA-256(SPKI), an alternative to SPKI for BindingSPKI.
	// When both are set they must agree.
	SPKISHA256 []byte
}

// CheckBinding checks a verified quote's REPORTDATA against b:
//
//   - BindingSPKI: REPORTDATA[0:32] must equal the nonce (else
//     KindStaleNonce) and REPORTDATA[32:64] SHA-256 of the SPKI (else
//     KindKeyBinding): wire.ReportData(nonce, spki).
//   - BindingRATLS: REPORTDATA must equal SHA-512("ratls-cert:" || SPKI),
//     dstack's RA-TLS certificate binding (else KindKeyBinding):
//     wire.RATLSReportData(spki).
//   - BindingNone: only the nonce, which is required, must be
//     REPORTDATA[0:32] (else KindStaleNonce). The channel is not bound.
//
// Errors are *Error with hex Expected and Found values. Comparisons are
// made in constant time.
func CheckBinding(reportData [64]byte, b Binding) error {
	switch b.Mode {
	case BindingSPKI:
		return checkSPKIBinding(reportData, b)
	case BindingRATLS:
		return checkRATLSBinding(reportData, b)
	case BindingNone:
		return checkNonce(reportData, b.Nonce)
	default:
		return mismatch(KindKeyBinding, "binding mode", "spki, ratls or none", fmt.Sprintf("%q", b.Mode))
	}
}

// checkSPKIBinding checks nonce || SHA-256(SPKI).
func checkSPKIBinding(reportData [64]byte, b Binding) error {
	if err := checkNonce(reportData, b.Nonce); err != nil {
		return err
	}
	want, err := spkiHash(b)
	if err != nil {
		return err
	}
	if !constantTimeEqual(reportData[NonceSize:], want) {
		return mismatch(KindKeyBinding, "report data spki hash", hex.EncodeToString(want), hex.EncodeToString(reportData[NonceSize:]))
	}
	return nil
}

// checkRATLSBinding checks SHA-512("ratls-cert:" || SPKI).
func checkRATLSBinding(reportData [64]byte, b Binding) error {
	if len(b.Nonce) != 0 {
		return mismatch(KindStaleNonce, "nonce", "none (RA-TLS binds the key, not a nonce)", fmt.Sprintf("%d bytes", len(b.Nonce)))
	}
	if len(b.SPKI) == 0 {
		return mismatch(KindKeyBinding, "spki", "the DER SubjectPublicKeyInfo of the TLS leaf", "none")
	}
	want := wire.RATLSReportData(b.SPKI)
	if !constantTimeEqual(reportData[:], want[:]) {
		return mismatch(KindKeyBinding, "report data ratls-cert hash", hex.EncodeToString(want[:]), hex.EncodeToString(reportData[:]))
	}
	return nil
}

// checkNonce checks that the NonceSize-byte nonce is REPORTDATA[0:32].
// Without a full nonce nothing proves the quote fresh.
func checkNonce(reportData [64]byte, nonce []byte) error {
	if len(nonce) != NonceSize {
		return mismatch(KindStaleNonce, "nonce", fmt.Sprintf("%d bytes (without a full nonce nothing proves the quote fresh)", NonceSize), fmt.Sprintf("%d bytes", len(nonce)))
	}
	if got := reportData[:NonceSize]; !constantTimeEqual(got, nonce) {
		return mismatch(KindStaleNonce, "report data nonce", hex.EncodeToString(nonce), hex.EncodeToString(got))
	}
	return nil
}

// spkiHash returns SHA-256 of the binding's SPKI, from SPKI or SPKISHA256.
func spkiHash(b Binding) ([]byte, error) {
	switch {
	case len(b.SPKI) == 0 && len(b.SPKISHA256) == 0:
		return nil, mismatch(KindKeyBinding, "spki", "the TLS leaf's SubjectPublicKeyInfo or its SHA-256", "none")
	case len(b.SPKISHA256) != 0 && len(b.SPKISHA256) != sha256.Size:
		return nil, mismatch(KindKeyBinding, "spki sha256", fmt.Sprintf("%d bytes", sha256.Size), fmt.Sprintf("%d bytes", len(b.SPKISHA256)))
	case len(b.SPKI) == 0:
		return bytes.Clone(b.SPKISHA256), nil
	}
	h := sha256.Sum256(b.SPKI)
	if len(b.SPKISHA256) != 0 && !constantTimeEqual(h[:], b.SPKISHA256) {
		return nil, mismatch(KindKeyBinding, "spki sha256", hex.EncodeToString(h[:]), hex.EncodeToString(b.SPKISHA256))
	}
	return h[:], nil
}

// constantTimeEqual reports whether a and b are equal without leaking where
// they differ.
func constantTimeEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
