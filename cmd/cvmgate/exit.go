package main

import (
	"errors"
	"fmt"

	"github.com/cvmgate/cvmgate/verify"
)

// The exit codes of every command: the CLI's contract with scripts and CI.
const (
	// exitOK: accepted, or the command did what it was asked.
	exitOK = 0
	// exitRefused: the evidence was examined and refused, malformed
	// evidence included (anything wrong with what the CVM sent).
	exitRefused = 1
	// exitUsage: a usage or local input error: a flag, an argument, an
	// unreadable local file, an invalid policy or collateral bundle.
	exitUsage = 2
	// exitNoVerdict: no verdict could be reached: network failure,
	// collateral unavailable, timeout, interrupted.
	exitNoVerdict = 3
)

// exitMeanings says what each exit code means, for help and README.
var exitMeanings = []exitDoc{
	{exitOK, "accepted: the evidence verified and what was asked is accepted (or the command did its job)"},
	{exitRefused, "refused: the evidence was examined and refused, malformed evidence included; --json prints the result"},
	{exitUsage, "usage or local input error: a flag or argument, an unreadable local file, an invalid policy or bundle"},
	{exitNoVerdict, "no verdict: collateral or a CVM could not be reached, --timeout, or interrupted; retry later"},
}

// exitDoc is one exit code and what it means for a command.
type exitDoc struct {
	code    int
	meaning string
}

// usageError marks an error of the caller's own making: a flag, an
// argument, a local file. It exits with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// isUsage reports whether err is a usage or local input error.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// exitError gives an error an exit code of its own, for failures that
// are not verification errors (a demo step that went wrong).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// shown marks an error the command already printed in its report on
// standard output, so that run does not print it again.
type shown struct{ err error }

func (e shown) Error() string { return e.err.Error() }
func (e shown) Unwrap() error { return e.err }

// exitCode maps a command's error to its exit code: nil is 0, a usage
// error 2, a verification error 3 when it left no verdict
// (verify.Kind.Inconclusive) and 1 otherwise. An error of no kind is a
// local failure (2), and so is an invalid policy: the caller's.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsage(err) {
		return exitUsage
	}
	switch k := verify.KindOf(err); {
	case k == "", k == verify.KindInvalidPolicy:
		return exitUsage
	case k.Inconclusive():
		return exitNoVerdict
	}
	return exitRefused
}
