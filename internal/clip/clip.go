// Package clip shortens text for error messages: what a CVM, a collateral
// server or a file says is repeated in an error only up to a bound, so
// that a hostile input cannot make its refusal as large as itself.
package clip

import (
	"strconv"
	"strings"
)

// String returns s, or its first n bytes followed by "..." when it is
// longer.
func String(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Quote returns s quoted as a Go string literal, or its first n bytes
// quoted and followed by "..." when it is longer.
func Quote(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:n]) + "..."
}

// ValidString is String for text that is kept, not only shown (a remote
// verifier's detail, an agent's error): the first n bytes of a longer s
// lose any byte that is not valid UTF-8, a rune cut in two included.
func ValidString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
