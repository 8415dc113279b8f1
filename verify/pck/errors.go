package pck

import (
	"errors"
	"fmt"
)

// ErrMalformedExtension matches every *ExtensionError.
var ErrMalformedExtension = errors.New("pck: malformed SGX extension")

// ExtensionError reports a missing, duplicate or malformed field of the
// SGX extension. It matches ErrMalformedExtension.
type ExtensionError struct {
	// Field names the field, such as "FMSPC" or "TCB component 3".
	Field string
	// Expected and Found describe the mismatch.
	Expected, Found string
}

// Error implements error: "pck: malformed SGX extension FIELD: expected X, found Y".
func (e *ExtensionError) Error() string {
	return fmt.Sprintf("pck: malformed SGX extension %s: expected %s, found %s", e.Field, e.Expected, e.Found)
}

// Is reports whether target is ErrMalformedExtension.
func (e *ExtensionError) Is(target error) bool { return target == ErrMalformedExtension }

// malformed builds an *ExtensionError.
func malformed(field, expected, found string) *ExtensionError {
	return &ExtensionError{Field: field, Expected: expected, Found: found}
}
