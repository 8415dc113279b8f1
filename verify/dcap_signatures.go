package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"

	"github.com/cvmgate/cvmgate/verify/quote"
)

// errBadSignature is the cause of every ECDSA signature that does not verify.
var errBadSignature = errors.New("ECDSA P-256 signature does not verify")

// verifyRawSignature reports whether sig, a raw r || s ECDSA signature,
// signs SHA-256(msg) under pub.
func verifyRawSignature(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if pub == nil || len(sig) != quote.SignatureSize {
		return false
	}
	digest := sha256.Sum256(msg)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, digest[:], r, s)
}

// attestationKey decodes the quote's raw x || y attestation key, checking
// that it is a point on P-256.
func attestationKey(q *quote.Quote) (*ecdsa.PublicKey, error) {
	var uncompressed [1 + quote.PublicKeySize]byte
	uncompressed[0] = 4
	copy(uncompressed[1:], q.AttestationKey[:])
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), uncompressed[:])
	if err != nil {
		return nil, newError(KindMalformedQuote, "attestation key", err)
	}
	return pub, nil
}

// checkQuoteSignature checks the quote signature over SignedData with the
// attestation key the QE report vouches for.
func checkQuoteSignature(q *quote.Quote) error {
	pub, err := attestationKey(q)
	if err != nil {
		return err
	}
	if !verifyRawSignature(pub, q.SignedData, q.Signature[:]) {
		return &Error{Kind: KindQuoteSignature, Check: "quote signature",
			Expected: "signature by the attestation key " + hex.EncodeToString(q.AttestationKey[:8]) + "...",
			Found:    "invalid signature", Err: errBadSignature}
	}
	return nil
}

// checkSEAM requires MRSIGNERSEAM and SEAMATTRIBUTES to be zero. It is
// the TDX module check of Options.NoCollateral, where there is no TCB info
// to compare them with (checkTDXModuleIdentity does that with
// collateral): zero is what Intel's TCB infos publish for every module,
// and a rule stricter than Intel's QVL, which always has a TCB info.
func checkSEAM(b *quote.Body) error {
	if b.MRSignerSEAM != ([48]byte{}) {
		return mismatch(KindTDXModuleMismatch, "mrsignerseam", "all zero (Intel's TDX module)", hex.EncodeToString(b.MRSignerSEAM[:]))
	}
	if b.SEAMAttributes != ([8]byte{}) {
		return mismatch(KindTDXModuleMismatch, "seamattributes", "all zero", hex.EncodeToString(b.SEAMAttributes[:]))
	}
	return nil
}
