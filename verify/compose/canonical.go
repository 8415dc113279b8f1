package compose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxCanonicalDepth bounds the nesting of objects and arrays Canonical
// reads; real app composes nest three or four levels.
const maxCanonicalDepth = 128

// Canonical returns raw, an app-compose.json, in the form the dstack SDKs
// hash and deploy (getComposeHash of the JavaScript SDK, which the Python
// SDK and Phala Cloud's tooling follow): the same JSON value with the keys
// of every object sorted, written compactly with no trailing newline, as
// JavaScript's JSON.stringify writes it. A CVM deployed through the SDKs
// runs that text, so its compose hash is the SHA-256 of Canonical(raw), not
// of a pretty-printed file.
//
// Byte for byte, as the JavaScript SDK: keys that are array indices ("0"
// to "4294967294" in canonical form) come first in numeric order, the
// others in UTF-16 code unit order; numbers are written as JavaScript
// writes them (1.0 as 1, 1e21 as 1e+21, numbers too large for a float64
// as null); strings escape only '"', '\\' and control characters (with
// lowercase \u00xx), leaving every other character, U+2028, U+2029 and
// "<>&" included, as UTF-8. The SDK's optional normalization (dropping
// fields the runner ignores) is not applied.
//
// Canonical builds an expected text; it is not part of verification,
// which hashes the exact text a CVM reports. It refuses input over
// MaxSize, nested deeper than 128 levels, with a duplicate key, invalid
// UTF-8 or a lone UTF-16 surrogate escape (which JavaScript and Go would
// each read differently), or whose value is not an object. Errors wrap
// ErrMalformed.
func Canonical(raw []byte) ([]byte, error) {
	if err := checkText(raw); err != nil {
		return nil, err
	}
	if err := checkSurrogates(raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	c := canonicalizer{dec: json.NewDecoder(bytes.NewReader(raw))}
	c.dec.UseNumber()
	out, err := c.value(nil, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := c.dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: expected the end of the document after the object", ErrMalformed)
	}
	return out, nil
}

// canonicalizer writes the canonical form of the values its decoder reads.
type canonicalizer struct {
	dec *json.Decoder
}

// member is an object member: its key and its value's canonical text.
type member struct {
	key   string
	value []byte
}

// value appends the canonical form of the next value to dst.
func (c *canonicalizer) value(dst []byte, depth int) ([]byte, error) {
	tok, err := c.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxCanonicalDepth {
			return nil, fmt.Errorf("expected at most %d nested levels, found more", maxCanonicalDepth)
		}
		if t == '{' {
			return c.object(dst, depth+1)
		}
		return c.array(dst, depth+1)
	case string:
		return appendJSString(dst, t), nil
	case json.Number:
		return appendJSNumber(dst, string(t)), nil
	case bool:
		return strconv.AppendBool(dst, t), nil
	case nil:
		return append(dst, "null"...), nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// object appends an object whose '{' was read, its members sorted.
func (c *canonicalizer) object(dst []byte, depth int) ([]byte, error) {
	var members []member
	seen := map[string]bool{}
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // the decoder reads only keys here
		if seen[key] {
			return nil, fmt.Errorf("expected unique keys, found %q twice", key)
		}
		seen[key] = true
		v, err := c.value(nil, depth)
		if err != nil {
			return nil, err
		}
		members = append(members, member{key, v})
	}
	if _, err := c.dec.Token(); err != nil { // '}'
		return nil, err
	}
	slices.SortFunc(members, func(a, b member) int { return compareKeys(a.key, b.key) })
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSString(dst, m.key)
		dst = append(dst, ':')
		dst = append(dst, m.value...)
	}
	return append(dst, '}'), nil
}

// array appends an array whose '[' was read, its order kept.
func (c *canonicalizer) array(dst []byte, depth int) ([]byte, error) {
	dst = append(dst, '[')
	for i := 0; c.dec.More(); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = c.value(dst, depth); err != nil {
			return nil, err
		}
	}
	if _, err := c.dec.Token(); err != nil { // ']'
		return nil, err
	}
	return append(dst, ']'), nil
}

// compareKeys orders keys as a JavaScript object built from sorted keys
// lists them: array indices first, numerically, then the rest by UTF-16
// code units.
func compareKeys(a, b string) int {
	ia, aIndex := arrayIndex(a)
	ib, bIndex := arrayIndex(b)
	switch {
	case aIndex && bIndex:
		return compareUint(ia, ib)
	case aIndex:
		return -1
	case bIndex:
		return 1
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// arrayIndex reports whether k is a JavaScript array index: the canonical
// decimal form of an integer from 0 to 2^32-2.
func arrayIndex(k string) (uint64, bool) {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(k, 10, 64)
	if err != nil || n > math.MaxUint32-1 {
		return 0, false
	}
	return n, true
}

// appendJSString appends s quoted as JSON.stringify quotes it.
func appendJSString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '"':
			dst = append(dst, '\\', '"')
		case b == '\\':
			dst = append(dst, '\\', '\\')
		case b == '\b':
			dst = append(dst, '\\', 'b')
		case b == '\f':
			dst = append(dst, '\\', 'f')
		case b == '\n':
			dst = append(dst, '\\', 'n')
		case b == '\r':
			dst = append(dst, '\\', 'r')
		case b == '\t':
			dst = append(dst, '\\', 't')
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
		default:
			dst = append(dst, b) // UTF-8 as it is: Canonical checked it is valid
		}
	}
	return append(dst, '"')
}

// appendJSNumber appends the JSON number text num as JavaScript's
// Number.prototype.toString writes the double it parses to; a number out
// of float64 range is Infinity, which JSON.stringify writes as null.
func appendJSNumber(dst []byte, num string) []byte {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		return append(dst, '0') // -0 too
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// The shortest digits that round-trip, as ECMAScript's Number::toString
	// chooses them: d.ddde±x.
	mantissa, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	digits := strings.Replace(mantissa, ".", "", 1)
	e, _ := strconv.Atoi(exp)
	k, n := len(digits), e+1 // value = 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		return append(dst, strings.Repeat("0", n-k)...)
	case 0 < n && n <= 21:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		return append(dst, digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, "0."...)
		dst = append(dst, strings.Repeat("0", -n)...)
		return append(dst, digits...)
	}
	dst = append(dst, digits[0])
	if k > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	if n-1 >= 0 {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(n-1), 10)
}

// errLoneSurrogate: JavaScript keeps a lone surrogate escape as it is and
// Go's decoder replaces it, so no text with one has a canonical form both
// agree on.
var errLoneSurrogate = errors.New("expected paired UTF-16 surrogate escapes, found a lone surrogate")

// checkSurrogates refuses a \uD800-\uDFFF escape inside a string that is
// not a high surrogate escape followed at once by a low one. It scans
// once; the decoder checks the syntax.
func checkSurrogates(raw []byte) error {
	inString := false
	for i := 0; i < len(raw); i++ {
		switch {
		case !inString:
			inString = raw[i] == '"'
		case raw[i] == '"':
			inString = false
		case raw[i] == '\\' && i+1 < len(raw):
			i++
			if raw[i] != 'u' {
				continue
			}
			v, ok := hex4(raw, i+1)
			if !ok {
				continue
			}
			i += 4
			switch {
			case v >= 0xDC00 && v <= 0xDFFF:
				return errLoneSurrogate
			case v >= 0xD800 && v <= 0xDBFF:
				if i+2 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
					return errLoneSurrogate
				}
				low, ok := hex4(raw, i+3)
				if !ok || low < 0xDC00 || low > 0xDFFF {
					return errLoneSurrogate
				}
				i += 6
			}
		}
	}
	return nil
}

// hex4 reads four hex digits at raw[i:].
func hex4(raw []byte, i int) (uint16, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(raw[i:i+4]), 16, 16)
	return uint16(v), err == nil
}
