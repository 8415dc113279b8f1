// Package hexfmt holds the hex helpers the decoders and error messages share.
package hexfmt

import (
	"encoding/hex"
	"fmt"
)

// MaxBytes bounds the bytes of a value an error message spells out: a
// digest or key in full, a payload or preimage (up to megabytes) its start.
const MaxBytes = 64

// Clip returns b in lower-case hex, cut after MaxBytes bytes and followed
// by its length when it is longer.
func Clip(b []byte) string {
	if len(b) <= MaxBytes {
		return hex.EncodeToString(b)
	}
	return fmt.Sprintf("%s... (%d bytes)", hex.EncodeToString(b[:MaxBytes]), len(b))
}

// Trim0x removes one leading 0x or 0X.
func Trim0x(s string) string {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:]
	}
	return s
}

// Decode decodes hex with an optional 0x or 0X prefix; an empty string
// decodes to nil.
func Decode(s string) ([]byte, error) {
	s = Trim0x(s)
	if s == "" {
		return nil, nil
	}
	return hex.DecodeString(s)
}

// DecodeBytes is Decode of text held in a byte slice, such as a JSON
// string read in place: it decodes into a new slice and keeps nothing of b.
func DecodeBytes(b []byte) ([]byte, error) {
	if len(b) >= 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	if len(b) == 0 {
		return nil, nil
	}
	out := make([]byte, hex.DecodedLen(len(b)))
	n, err := hex.Decode(out, b)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}
