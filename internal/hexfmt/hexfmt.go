// Package hexfmt formats byte values for error messages.
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
