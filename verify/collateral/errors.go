package collateral

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error of this package matches at most one of
// ErrMalformed and ErrUnavailable through errors.Is, so a verifier can tell
// bad collateral from collateral it could not get.
var (
	// ErrMalformed matches collateral, or a response carrying it, whose
	// shape is wrong: bad JSON, a missing field, bad hex, a CRL or a
	// certificate chain that does not parse.
	ErrMalformed = errors.New("collateral: malformed")
	// ErrUnavailable matches a failure to obtain collateral: a non-200
	// answer, a network error, a timeout or cancellation, a refused
	// redirect or an oversized body.
	ErrUnavailable = errors.New("collateral: unavailable")
	// ErrRedirect matches a redirect to another host or to plain HTTP,
	// which the HTTP sources refuse. It is wrapped in a *FetchError.
	ErrRedirect = errors.New("collateral: redirect refused")
	// ErrInvalidRequest matches a Request whose FMSPC or CA is not valid.
	ErrInvalidRequest = errors.New("collateral: invalid request")
)

// FormatError reports collateral that does not have the expected shape.
// It matches ErrMalformed.
type FormatError struct {
	// Item names the piece of collateral, such as "tcb info" or "bundle".
	Item string
	// Field is the JSON field, key, header or element at fault, if known,
	// such as "tcbLevels[2].tcb.sgxtcbcomponents".
	Field string
	// Err says what was expected and what was found.
	Err error
}

// Error implements error.
func (e *FormatError) Error() string {
	msg := "collateral: malformed " + e.Item
	if e.Field != "" {
		msg += ": " + e.Field
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *FormatError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *FormatError) Is(target error) bool { return target == ErrMalformed }

// formatErr builds a *FormatError whose cause is a formatted message.
func formatErr(item, field, format string, args ...any) *FormatError {
	return &FormatError{Item: item, Field: field, Err: fmt.Errorf(format, args...)}
}

// FetchError reports a failure to fetch collateral over HTTP. It matches
// ErrUnavailable.
type FetchError struct {
	// URL is the URL requested.
	URL string
	// StatusCode is the HTTP status received, or 0 if no response arrived.
	StatusCode int
	// Err is the underlying cause.
	Err error
}

// Error implements error.
func (e *FetchError) Error() string {
	msg := "collateral: fetch " + e.URL
	if e.StatusCode != 0 {
		msg += ": HTTP " + strconv.Itoa(e.StatusCode)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUnavailable.
func (e *FetchError) Is(target error) bool { return target == ErrUnavailable }
