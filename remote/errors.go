package remote

import (
	"errors"
	"fmt"
)

// Classes of Error, to match with errors.Is.
var (
	// ErrUnavailable: no verdict, the verifier could not be reached or
	// failed (network, timeout, HTTP 5xx or 429). Retrying later may work.
	ErrUnavailable = errors.New("remote verifier unavailable")
	// ErrRequest: the verifier refused the request itself (an HTTP 4xx
	// that is not a verdict), such as a wrong URL.
	ErrRequest = errors.New("remote verifier refused the request")
	// ErrAnswer: the answer could not be read: not JSON of the expected
	// shape, oversized, or about another quote.
	ErrAnswer = errors.New("remote verifier answer unreadable")
)

// Error is a failure to get a verdict from a remote verifier.
type Error struct {
	// URL is the verifier's endpoint.
	URL string
	// Class is ErrUnavailable, ErrRequest or ErrAnswer.
	Class error
	// Status is the HTTP status, 0 when none was received.
	Status int
	// Detail is the verifier's own message ("detail"), if any.
	Detail string
	// Err is the cause, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	msg := fmt.Sprintf("remote: %s: %v", e.URL, e.Class)
	if e.Status != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the error's class.
func (e *Error) Is(target error) bool { return target == e.Class }
