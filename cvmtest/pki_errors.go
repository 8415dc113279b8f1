package cvmtest

import (
	"errors"
	"fmt"
)

// ErrInvalidOptions matches, through errors.Is, every error caused by an
// option value that cvmtest cannot build from.
var ErrInvalidOptions = errors.New("invalid options")

// Error is a failure to build test PKI material. Op names what was being
// built, such as "PCK certificate"; Err is the cause.
type Error struct {
	Op  string
	Err error
}

// Error implements error.
func (e *Error) Error() string { return "cvmtest: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// invalid reports an option value that does not fit: what was expected and
// what was found. It matches ErrInvalidOptions.
func invalid(op, field, expected string, found any) *Error {
	return &Error{Op: op, Err: fmt.Errorf("%w: %s: expected %s, found %v", ErrInvalidOptions, field, expected, found)}
}
