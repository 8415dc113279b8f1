//go:build !cvmgate_nosim

package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the process get SIGTERM when the test binary dies, so
// that a test that panics or times out (t.Cleanup does not run then)
// leaves no simulator behind.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
