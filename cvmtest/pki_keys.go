package cvmtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"math/big"
)

// deriveKey returns the P-256 key named label for seed. The private scalar
// is SHA-256(seed || 0x00 || label || counter), taking the first counter
// whose digest is a valid scalar (almost always the first). Go's crypto
// ignores caller-supplied random readers, so hashing is the only way to get
// keys that are stable across runs.
func deriveKey(seed []byte, label string) (*ecdsa.PrivateKey, error) {
	var lastErr error
	for counter := byte(0); counter < 16; counter++ {
		h := sha256.New()
		h.Write(seed)
		h.Write([]byte{0})
		h.Write([]byte(label))
		h.Write([]byte{counter})
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), h.Sum(nil))
		if err == nil {
			return k, nil
		}
		lastErr = err
	}
	return nil, &Error{Op: "derive key " + label, Err: lastErr}
}

// deriveBytes returns n bytes (at most 32) named label for seed.
func deriveBytes(seed []byte, label string, n int) []byte {
	h := sha256.New()
	h.Write(seed)
	h.Write([]byte{1})
	h.Write([]byte(label))
	return h.Sum(nil)[:n]
}

// deriveSerial returns a positive 16-byte certificate serial number named
// label for seed.
func deriveSerial(seed []byte, label string) *big.Int {
	b := deriveBytes(seed, "serial "+label, 16)
	b[0] &= 0x7f
	b[0] |= 0x01 // never zero, always 16 significant bytes
	return new(big.Int).SetBytes(b)
}

// rawPublicKey returns the 64-byte x || y encoding of pub that quotes use.
func rawPublicKey(pub *ecdsa.PublicKey) [64]byte {
	var out [64]byte
	// Bytes returns the uncompressed point 0x04 || x || y.
	b, err := pub.Bytes()
	if err != nil || len(b) != 65 {
		return out
	}
	copy(out[:], b[1:])
	return out
}
