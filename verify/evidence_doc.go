package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Sentinels of the evidence documents a CVM serves. Errors from
// ParseAttestation match ErrMalformedAttestation, errors from ParseInfo
// match ErrMalformedInfo; errors.As gives a *DocumentError.
var (
	ErrMalformedAttestation = errors.New("verify: malformed attestation document")
	ErrMalformedInfo        = errors.New("verify: malformed info document")
)

// Document names used in DocumentError.
const (
	docAttestation = "attestation"
	docInfo        = "info"
)

// DocumentError describes a field of an /attestation or /info document that
// cannot be read.
type DocumentError struct {
	// Document is "attestation" or "info".
	Document string
	// Field is the JSON field, such as "quote" or "tcb_info.app_compose";
	// empty for the document as a whole.
	Field string
	// Expected and Found describe the problem.
	Expected, Found string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *DocumentError) Error() string {
	msg := "verify: malformed " + e.Document
	if e.Field != "" {
		msg += " " + e.Field
	}
	if e.Expected != "" || e.Found != "" {
		msg += fmt.Sprintf(": expected %s, found %s", e.Expected, e.Found)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *DocumentError) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's document.
func (e *DocumentError) Is(target error) bool {
	return (target == ErrMalformedAttestation && e.Document == docAttestation) ||
		(target == ErrMalformedInfo && e.Document == docInfo)
}

// checkSize rejects a document over limit bytes.
func checkSize(doc string, b []byte, limit int) error {
	if len(b) > limit {
		return &DocumentError{Document: doc, Expected: fmt.Sprintf("at most %d bytes", limit), Found: fmt.Sprintf("%d bytes", len(b))}
	}
	return nil
}

// jsonKind names the JSON type of a raw value for error messages.
func jsonKind(raw json.RawMessage) string {
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

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// stringOrObject reads a field that is either a JSON string or a JSON
// object, returning the string's value or the object's raw text. Absent or
// null gives "".
func stringOrObject(doc, field string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	switch jsonKind(raw) {
	case "a string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", &DocumentError{Document: doc, Field: field, Expected: "a JSON string", Found: "an invalid string", Err: err}
		}
		return s, nil
	case "an object":
		return string(bytes.TrimSpace(raw)), nil
	default:
		return "", &DocumentError{Document: doc, Field: field, Expected: "a string or an object", Found: jsonKind(raw)}
	}
}
