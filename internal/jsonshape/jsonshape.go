// Package jsonshape names the shape of raw JSON values, for parsers that
// accept a field in more than one shape and for their error messages.
package jsonshape

import "bytes"

// Kind names the JSON type of raw for an error message: "an object", "an
// array", "a string", "a boolean", "null", "a number", or "nothing" when
// raw holds only whitespace. It looks at the first byte only.
func Kind(raw []byte) string {
	t := bytes.TrimLeft(raw, " \t\r\n")
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// IsObject reports whether raw starts, after whitespace, with an object.
func IsObject(raw []byte) bool { return Kind(raw) == "an object" }

// IsNull reports whether raw is absent (only whitespace) or JSON null.
func IsNull(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}
