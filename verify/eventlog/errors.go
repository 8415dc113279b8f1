package eventlog

import (
	"errors"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// Sentinel errors. Every error returned by this package matches exactly one
// of them with errors.Is; errors.As gives the typed detail.
var (
	// ErrMalformed marks an event log that is not well formed: bad JSON,
	// bad hex, an IMR outside 0..3, a digest of the wrong size, a runtime
	// event outside RTMR3, an identity payload of the wrong size, or a log
	// over the size limits. Its detail is a *MalformedError.
	ErrMalformed = errors.New("eventlog: malformed event log")
	// ErrDigestMismatch marks a runtime event whose logged digest or
	// preimage differs from the one recomputed from its name and payload.
	// Its detail is a *DigestMismatchError.
	ErrDigestMismatch = errors.New("eventlog: event digest mismatch")
	// ErrDuplicateEvent marks an identity event logged twice before
	// system-ready. Its detail is a *DuplicateEventError.
	ErrDuplicateEvent = errors.New("eventlog: duplicate identity event")
	// ErrMissingEvent marks a required RTMR3 event that is absent. Its
	// detail is a *MissingEventError.
	ErrMissingEvent = errors.New("eventlog: missing event")
)

// MalformedError describes why an event log, or one event of it, is not
// well formed.
type MalformedError struct {
	// Index is the position of the event in the log, or -1 when the
	// problem is not tied to one event (size limits, outer JSON).
	Index int
	// Field names the offending JSON field, such as "digest", or "".
	Field string
	// Reason says what was expected and what was found.
	Reason string
	// Err is the underlying cause (a JSON or hex error), if any.
	Err error
}

// Error implements error.
func (e *MalformedError) Error() string {
	msg := "eventlog: malformed"
	if e.Index >= 0 {
		msg += fmt.Sprintf(" event %d", e.Index)
	} else {
		msg += " log"
	}
	if e.Field != "" {
		msg += ": " + e.Field
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *MalformedError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// DigestMismatchError describes a runtime event whose logged digest (or
// digest preimage) is not the one its name and payload produce.
type DigestMismatchError struct {
	// Index is the position of the event in the log.
	Index int
	// IMR is the event's IMR.
	IMR int
	// Name is the event name.
	Name string
	// Field is "digest" or "preimage": the logged value that differs.
	Field string
	// Expected is the value recomputed from the event's name and payload.
	Expected []byte
	// Found is the value the log carried.
	Found []byte
}

// Error implements error.
func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("eventlog: event %d (imr %d %q): %s mismatch: expected %s, found %s",
		e.Index, e.IMR, e.Name, e.Field, hexfmt.Clip(e.Expected), hexfmt.Clip(e.Found))
}

// Is reports whether target is ErrDigestMismatch.
func (e *DigestMismatchError) Is(target error) bool { return target == ErrDigestMismatch }

// DuplicateEventError describes an identity event that occurs twice before
// system-ready.
type DuplicateEventError struct {
	// Name is the event name.
	Name string
	// First and Second are the log positions of the two occurrences.
	First, Second int
}

// Error implements error.
func (e *DuplicateEventError) Error() string {
	return fmt.Sprintf("eventlog: event %d: duplicate %q before system-ready: expected one occurrence, found a second (first at event %d)",
		e.Second, e.Name, e.First)
}

// Is reports whether target is ErrDuplicateEvent.
func (e *DuplicateEventError) Is(target error) bool { return target == ErrDuplicateEvent }

// MissingEventError describes a required RTMR3 event that is absent.
type MissingEventError struct {
	// Name is the missing event's name.
	Name string
	// Before, if set, names the event it was expected before.
	Before string
}

// Error implements error.
func (e *MissingEventError) Error() string {
	if e.Before != "" {
		return fmt.Sprintf("eventlog: missing event: expected %q before %q, found none", e.Name, e.Before)
	}
	return fmt.Sprintf("eventlog: missing event: expected %q in RTMR3, found none", e.Name)
}

// Is reports whether target is ErrMissingEvent.
func (e *MissingEventError) Is(target error) bool { return target == ErrMissingEvent }

// malformed builds a *MalformedError.
func malformed(index int, field, format string, args ...any) *MalformedError {
	return &MalformedError{Index: index, Field: field, Reason: fmt.Sprintf(format, args...)}
}
