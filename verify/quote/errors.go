package quote

import (
	"errors"
	"fmt"
)

// Sentinel errors matched by every error this package returns, so callers
// can classify a failure with errors.Is without inspecting its details.
var (
	// ErrMalformed matches every *FormatError: the input is not a
	// well-formed quote (truncated, inconsistent lengths, trailing data).
	ErrMalformed = errors.New("quote: malformed")
	// ErrUnsupported matches every *UnsupportedError: the input is
	// well-formed but of a version, key type, TEE type or vendor this
	// package does not handle.
	ErrUnsupported = errors.New("quote: unsupported")
)

// FormatError reports malformed input. It matches ErrMalformed.
type FormatError struct {
	// Field names the structure that is malformed, such as "body size".
	Field string
	// Offset is the byte offset of Field in the input, or -1 where no
	// offset applies. For PCKChain it is an offset into PCKChainPEM.
	Offset int
	// Expected and Found describe the mismatch.
	Expected, Found string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error: "quote: malformed FIELD at offset N: expected X, found Y".
func (e *FormatError) Error() string {
	msg := "quote: malformed " + e.Field
	if e.Offset >= 0 {
		msg += fmt.Sprintf(" at offset %d", e.Offset)
	}
	msg += fmt.Sprintf(": expected %s, found %s", e.Expected, e.Found)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *FormatError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *FormatError) Is(target error) bool { return target == ErrMalformed }

// UnsupportedError reports a well-formed quote of a kind this package does
// not handle. It matches ErrUnsupported.
type UnsupportedError struct {
	// Field names the header or body field, such as "version".
	Field string
	// Expected and Found describe the mismatch.
	Expected, Found string
}

// Error implements error: "quote: unsupported FIELD: expected X, found Y".
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("quote: unsupported %s: expected %s, found %s", e.Field, e.Expected, e.Found)
}

// Is reports whether target is ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// truncated reports that field needs want bytes at offset off but only
// have bytes remain.
func truncated(field string, off int, want uint64, have int) *FormatError {
	return &FormatError{
		Field:    field,
		Offset:   off,
		Expected: fmt.Sprintf("%d bytes", want),
		Found:    fmt.Sprintf("%d bytes left", have),
	}
}

// tooLarge reports a quote of size bytes, more than MaxQuoteSize; off is
// the offset to name, or -1.
func tooLarge(off, size int) *FormatError {
	return &FormatError{
		Field:    "quote size",
		Offset:   off,
		Expected: fmt.Sprintf("at most %d bytes", MaxQuoteSize),
		Found:    fmt.Sprintf("%d bytes", size),
	}
}
