//go:build !cvmgate_nosim && !linux

package main

import "os/exec"

// dieWithTest does nothing where the parent's death cannot be signalled
// to a child: a test that panics may leave a simulator behind.
func dieWithTest(*exec.Cmd) {}
