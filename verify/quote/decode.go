package quote

import "fmt"

// Decode returns the quote bytes held by input. If input is hex text, with
// an optional 0x or 0X prefix and whitespace anywhere, it is decoded;
// otherwise input is returned unchanged as a raw quote (a raw quote starts
// with 0x04 0x00 or 0x05 0x00, never with a hex digit or whitespace).
// Invalid or odd-length hex, or hex that decodes to more than MaxQuoteSize
// bytes, yields a *FormatError.
func Decode(input []byte) ([]byte, error) {
	if !looksHex(input) {
		return input, nil
	}
	return decodeHex(input)
}

// ParseHex decodes s as hex text (optional 0x prefix, whitespace ignored)
// and parses the result with Parse.
func ParseHex(s string) (*Quote, error) {
	b, err := decodeHex([]byte(s))
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// looksHex reports whether input, after leading whitespace, starts with a
// hex digit (which covers the 0x prefix).
func looksHex(input []byte) bool {
	i := skipSpace(input, 0)
	return i < len(input) && hexClass[input[i]] < 16
}

// decodeHex decodes hex text, skipping whitespace and one leading 0x.
// It counts digits before allocating, so the output size is bounded.
func decodeHex(input []byte) ([]byte, error) {
	start := skipSpace(input, 0)
	if len(input)-start >= 2 && input[start] == '0' && (input[start+1] == 'x' || input[start+1] == 'X') {
		start += 2
	}
	digits := 0
	for i := start; i < len(input); i++ {
		switch hexClass[input[i]] {
		case classSpace:
		case classInvalid:
			return nil, &FormatError{Field: "hex", Offset: i, Expected: "a hex digit or whitespace", Found: fmt.Sprintf("%q", input[i])}
		default:
			digits++
		}
	}
	if digits%2 != 0 {
		return nil, &FormatError{Field: "hex", Offset: -1, Expected: "an even number of hex digits", Found: fmt.Sprintf("%d digits", digits)}
	}
	if digits/2 > MaxQuoteSize {
		return nil, tooLarge(-1, digits/2)
	}
	out := make([]byte, digits/2)
	n := 0 // digits written
	for i := start; i < len(input); i++ {
		v := hexClass[input[i]]
		if v >= 16 {
			continue // whitespace, checked above
		}
		out[n/2] = out[n/2]<<4 | v
		n++
	}
	return out, nil
}

// Classes of input bytes in hexClass besides the digit values 0-15.
const (
	classSpace   = 0xfe
	classInvalid = 0xff
)

// hexClass maps every byte to its hex digit value, classSpace or
// classInvalid.
var hexClass = func() (t [256]byte) {
	for i := range t {
		t[i] = classInvalid
	}
	for _, c := range []byte(" \t\n\r\v\f") {
		t[c] = classSpace
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i] = 10 + i
		t['A'+i] = 10 + i
	}
	return t
}()

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// isSpace reports whether c is ASCII whitespace.
func isSpace(c byte) bool { return hexClass[c] == classSpace }
