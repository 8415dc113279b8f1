//go:build !cvmgate_nosim

package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simReadyTimeout bounds how long a simulate process may take to say
// "ready" before the test gives up on it (a hang, not a speed goal).
const simReadyTimeout = time.Minute

// simProc is a "cvmgate simulate" process started by a test.
type simProc struct {
	// URL is the simulated CVM's URL, and PCCS the fake PCCS's.
	URL, PCCS string
	// Agent is the guest agent's endpoint, "" without --agent.
	Agent string
	// Trust is the --write-trust directory.
	Trust string
	// Banner is what it printed up to "ready".
	Banner string

	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{} // closed when stdout is read to its end
}

// startSimulate runs the cvmgate binary's simulate command on a free
// loopback port, writing its trust material to a new directory, with the
// extra arguments, and waits until it is ready. It stops the process
// with SIGTERM when the test ends and checks that it stopped cleanly.
func startSimulate(t *testing.T, args ...string) *simProc {
	t.Helper()
	bin := cliBinary(t)
	p := &simProc{Trust: filepath.Join(t.TempDir(), "sim"), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	args = append([]string{"simulate", "--listen", "127.0.0.1:0", "--write-trust", p.Trust}, args...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	p.cmd.Stderr = p.stderr
	dieWithTest(p.cmd)
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() { p.stop(t) })

	ready := make(chan struct{})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.stdout.Write([]byte(sc.Text() + "\n"))
			if strings.HasPrefix(sc.Text(), "ready;") {
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	timeout := time.NewTimer(simReadyTimeout)
	defer timeout.Stop()
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("simulate %v exited before it was ready: %s%s", args, p.stdout.String(), p.stderr.String())
	case <-timeout.C:
		t.Fatalf("simulate %v: not ready after %s: %s%s", args, simReadyTimeout, p.stdout.String(), p.stderr.String())
	}
	p.Banner = p.stdout.String()
	for _, line := range strings.Split(p.Banner, "\n") {
		key, value, _ := strings.Cut(line, " ")
		value = strings.TrimSpace(value)
		switch key {
		case "cvm":
			p.URL = value
		case "pccs":
			p.PCCS = value
		case "agent":
			p.Agent, _, _ = strings.Cut(value, " ")
		}
	}
	require.NotEmpty(t, p.URL, p.Banner)
	return p
}

// path names a file of the trust directory.
func (p *simProc) path(name string) string { return filepath.Join(p.Trust, name) }

// trust is the arguments that make verify trust the simulator offline.
func (p *simProc) trust() []string {
	return []string{"--trust-root", p.path(trustRootFile), "--collateral", p.path(trustCollateralFile)}
}

// stop sends SIGTERM and checks that the process stopped cleanly.
func (p *simProc) stop(t *testing.T) { p.signal(t, syscall.SIGTERM) }

// signal stops the process with sig and checks that it stopped cleanly.
func (p *simProc) signal(t *testing.T, sig os.Signal) {
	if p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	require.NoError(t, p.cmd.Process.Signal(sig))
	<-p.done // stdout read to its end before Wait closes it
	err := p.cmd.Wait()
	assert.NoError(t, err, "simulate exits 0 on SIGTERM: %s", p.stderr.String())
	assert.Contains(t, p.stderr.String(), "cvmgate simulate: stopped")
}
