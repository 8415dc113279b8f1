package main

import "fmt"

// progress tells a person at a terminal about a slow step (a collateral
// fetch, later a CVM's attestation) with one line on stderr. It is silent
// when stderr is not a terminal and when quiet is set, which commands set
// for --quiet and --json: a script's output never carries progress.
func progress(e *env, quiet bool, format string, args ...any) {
	if !e.terminal || quiet {
		return
	}
	fmt.Fprintf(e.stderr, "cvmgate: "+format+"...\n", args...)
}
