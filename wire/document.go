package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/jsonread"
	"github.com/cvmgate/cvmgate/internal/jsonshape"
	"github.com/cvmgate/cvmgate/internal/limits"
)

// Sentinels of the evidence documents a CVM serves. Errors from
// ParseAttestation match ErrMalformedAttestation, errors from ParseInfo
// match ErrMalformedInfo; errors.As gives a *DocumentError.
var (
	ErrMalformedAttestation = errors.New("wire: malformed attestation document")
	ErrMalformedInfo        = errors.New("wire: malformed info document")
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
	msg := "wire: malformed " + e.Document
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

// checkSize rejects a document over MaxDocumentSize; the error matches
// verify.ErrTooLarge.
func checkSize(doc string, b []byte) error {
	if len(b) > MaxDocumentSize {
		return &DocumentError{Document: doc, Expected: fmt.Sprintf("at most %d bytes", MaxDocumentSize), Found: fmt.Sprintf("%d bytes", len(b)), Err: limits.ErrTooLarge}
	}
	return nil
}

// stringOrObject reads a field that is either a JSON string or a JSON
// object, returning the string's value or the object's raw text. Absent or
// null gives "".
func stringOrObject(doc, field string, raw json.RawMessage) (string, error) {
	if jsonshape.IsNull(raw) {
		return "", nil
	}
	switch jsonshape.Kind(raw) {
	case "a string":
		r := jsonread.New(raw)
		s, err := r.String()
		if err == nil {
			err = r.End()
		}
		if err != nil {
			return "", &DocumentError{Document: doc, Field: field, Expected: "a JSON string", Found: "an invalid string", Err: err}
		}
		return string(s), nil
	case "an object":
		return string(bytes.TrimSpace(raw)), nil
	default:
		return "", &DocumentError{Document: doc, Field: field, Expected: "a string or an object", Found: jsonshape.Kind(raw)}
	}
}
