// Command cvmgate verifies Intel TDX quotes and dstack CVM evidence.
//
// Usage:
//
//	cvmgate quote verify --quote FILE [--collateral FILE | --pccs URL] [--at TIME] [--json]
//	cvmgate evidence verify --attestation FILE [--info FILE] [--policy FILE] [--json]
//	cvmgate policy init --attestation FILE --nonce HEX [--spki-sha256 HEX] [--info FILE] [--out FILE]
//	cvmgate demo
//
// Exit status: 0 verified and accepted, 1 rejected, 2 usage or I/O error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitRejected = 1
	exitUsage    = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one CLI subcommand; it returns the process exit code.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// commands maps "group verb" (or a single word) to its implementation.
var commands = map[string]command{
	"quote verify":    runQuoteVerify,
	"evidence verify": runEvidenceVerify,
	"policy init":     runPolicyInit,
	"demo":            runDemo,
}

const usageText = `usage: cvmgate <command> [flags]

commands:
  quote verify     verify a TDX quote (DCAP) against Intel's root and collateral
  evidence verify  verify dstack evidence: quote, event log, identity, policy
  policy init      write the strictest policy a CVM's verified evidence satisfies
  demo             run a local end-to-end demo on a simulated CVM

Run 'cvmgate <command> -h' for the flags of a command.
`

// run dispatches args to a command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usageText)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) >= 2 {
		if cmd, ok := commands[args[0]+" "+args[1]]; ok {
			return cmd(ctx, args[2:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "cvmgate: unknown command %q\n\n%s", args[0], usageText)
	return exitUsage
}

// usageError marks an error caused by the command line or local I/O,
// which exits with status 2 rather than 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// isUsage reports whether err is a usage or I/O error.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}
