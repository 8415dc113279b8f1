package policy

import (
	"errors"

	"github.com/cvmgate/cvmgate/verify"
)

var (
	// ErrInvalid matches every error of a policy that does not load or
	// does not validate: errors.Is(err, policy.ErrInvalid). Such an error
	// also matches verify.KindInvalidPolicy, the kind verify.KindOf gives
	// it.
	ErrInvalid error = invalidPolicy{}
	// ErrIncompleteReport matches a FromReport failure: the report lacks
	// evidence any policy needs.
	ErrIncompleteReport = errors.New("report lacks the evidence a policy needs")
	// ErrRefusedReport matches a FromReport refusal: the report shows a
	// CVM that no policy should accept (a revoked TCB, a TD under debug),
	// so no policy is written for it.
	ErrRefusedReport = errors.New("report shows a CVM no policy should accept")

	errNotRegular = errors.New("not a regular file")
)

// FieldError is one invalid field of a policy. It matches ErrInvalid and
// unwraps to its cause, if any (such as fs.ErrNotExist for a compose file).
type FieldError struct {
	// Field is the field's path, such as "app.app_ids[1]"; empty for an
	// error of the whole document.
	Field string
	// Expected and Found describe the problem.
	Expected, Found string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error: "invalid policy: field: expected X, found Y".
func (e *FieldError) Error() string {
	msg := ErrInvalid.Error()
	if e.Field != "" {
		msg += ": " + e.Field
	}
	if e.Expected != "" || e.Found != "" {
		msg += ": expected " + e.Expected + ", found " + e.Found
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *FieldError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalid) true for every FieldError, and so
// errors.Is(err, verify.KindInvalidPolicy).
func (e *FieldError) Is(target error) bool {
	return target == ErrInvalid || errors.Is(ErrInvalid, target)
}

// invalidPolicy is ErrInvalid. It matches verify.KindInvalidPolicy, so
// that verify.KindOf classifies every error of a policy that does not load
// or validate, as it does every other error of the module.
type invalidPolicy struct{}

func (invalidPolicy) Error() string { return "invalid policy" }

func (invalidPolicy) Is(target error) bool { return target == verify.KindInvalidPolicy }

// Violation is one rule of a policy that a report breaks. It matches
// verify.KindPolicy, so errors.Is(err, verify.KindPolicy) holds for the
// error Check returns whenever it is not nil.
type Violation struct {
	// Rule is the policy field that was broken, such as
	// "app.compose_hashes" or "tcb.accept".
	Rule string
	// Expected is what the policy accepts; Found is what the report shows.
	Expected, Found string
	// Err is the underlying cause, if any (an invalid policy's errors).
	Err error
}

// Error implements error: "policy: rule: expected X, found Y".
func (v *Violation) Error() string {
	msg := string(verify.KindPolicy) + ": " + v.Rule + ": expected " + v.Expected + ", found " + v.Found
	if v.Err != nil {
		msg += ": " + v.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (v *Violation) Unwrap() error { return v.Err }

// Is makes errors.Is(err, verify.KindPolicy) true for every Violation.
func (v *Violation) Is(target error) bool {
	k, ok := target.(verify.Kind)
	return ok && k == verify.KindPolicy
}

// Violations returns every *Violation in err's tree, in order: all the
// rules a report broke when err came from Check.
func Violations(err error) []*Violation {
	var out []*Violation
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case *Violation:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}
