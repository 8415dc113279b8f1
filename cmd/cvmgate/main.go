// Command cvmgate verifies live dstack confidential VMs, Intel TDX quotes
// and the evidence of dstack CVMs, fetches collateral for offline use,
// writes and checks the policies that say which CVMs a caller accepts,
// and simulates CVMs (honest or attacking) for development and CI.
//
// Usage:
//
//	cvmgate verify URL (--policy FILE | --no-policy) [--remote-verifier URL] [--save-evidence DIR] [--json]
//	cvmgate quote verify --quote FILE [--collateral FILE | --pccs URL] [--at TIME] [--json]
//	cvmgate quote decode --quote FILE
//	cvmgate evidence verify --attestation FILE [--info FILE] (--policy FILE | --no-policy) [--json]
//	cvmgate policy init --attestation FILE --nonce HEX [--spki-sha256 HEX] [--info FILE] [--out FILE]
//	cvmgate policy check FILE
//	cvmgate policy hash-compose FILE
//	cvmgate collateral fetch --quote FILE [--pccs URL] --out FILE
//	cvmgate demo
//	cvmgate simulate [--listen ADDR] [--agent ADDR] [--write-trust DIR] [--attack NAME]
//	cvmgate version | completion SHELL | help [COMMAND]
//
// Exit status, for every command: 0 accepted (or done); 1 the evidence was
// examined and refused, malformed evidence included; 2 a usage or local
// input error; 3 no verdict could be reached (network, collateral
// unavailable, timeout). "cvmgate help COMMAND" says more.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{
		stdin:    os.Stdin,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		getenv:   os.Getenv,
		terminal: isTerminal(os.Stderr),
	})
	stop()
	os.Exit(code)
}
