package cvmtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// signRaw signs digest with key and returns the raw r || s form quotes and
// collateral carry, each half 32 bytes big-endian. A nil random source makes
// crypto/ecdsa sign deterministically (RFC 6979).
func signRaw(key *ecdsa.PrivateKey, digest [32]byte) ([64]byte, error) {
	var out [64]byte
	der, err := key.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return out, err
	}
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil {
		return out, err
	}
	if len(rest) != 0 || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return out, errors.New("unexpected ECDSA signature encoding")
	}
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// BindQEReport sets q's QE report data to what binds the attestation key:
// SHA-256(AttestationKey || QEAuthData) followed by 32 zero bytes. It does
// not sign; call PKI.Resign afterwards.
func BindQEReport(q *quote.Quote) {
	q.QEReport.ReportData = qeReportData(q.AttestationKey, q.QEAuthData)
}

// qeReportData is SHA-256(attestation key || QE auth data) || 32 zeros.
func qeReportData(attestationKey [quote.PublicKeySize]byte, authData []byte) [64]byte {
	h := sha256.New()
	h.Write(attestationKey[:])
	h.Write(authData)
	var out [64]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Resign signs q again with p's keys and returns its serialized form: the
// QE report (QEReport, copied into QEReportRaw) with the PCK key, then the
// header and body with the attestation key. Nothing else is recomputed, so
// a test can tamper any field, resign, and see only that field's check
// fail; in particular a changed AttestationKey or QEAuthData stays unbound
// unless the test also calls BindQEReport. Raw and SignedData are left as
// they are; trailing padding is not added.
func (p *PKI) Resign(q *quote.Quote) ([]byte, error) {
	if err := p.sign(q); err != nil {
		return nil, err
	}
	raw, err := q.Marshal()
	if err != nil {
		return nil, &Error{Op: "marshal quote", Err: err}
	}
	return raw, nil
}

// sign fills q's QE report signature and quote signature.
func (p *PKI) sign(q *quote.Quote) error {
	q.QEReportRaw = q.QEReport.Marshal()
	qeSig, err := signRaw(p.PCKKey, sha256.Sum256(q.QEReportRaw))
	if err != nil {
		return &Error{Op: "sign QE report", Err: err}
	}
	q.QEReportSignature = qeSig
	sig, err := signRaw(p.AttestationKey, sha256.Sum256(q.MarshalSignedData()))
	if err != nil {
		return &Error{Op: "sign quote", Err: err}
	}
	q.Signature = sig
	return nil
}
