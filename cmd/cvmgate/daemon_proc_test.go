package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// daemonProc is a long-running cvmgate command (monitor, proxy) started
// as a process by a test, its JSON log lines read as they come.
type daemonProc struct {
	cmd  *exec.Cmd
	logs *logStream
	// text is the process's standard output.
	text *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's error, once done
}

// startDaemon runs the cvmgate binary with args and the extra
// environment variables env (KEY=VALUE); a test ends it with stop, or it
// is killed when the test ends.
func startDaemon(t *testing.T, env []string, args ...string) *daemonProc {
	t.Helper()
	p := &daemonProc{logs: newLogStream(t), text: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(cliBinary(t), args...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	p.cmd.Stdout = p.text
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		_, _ = io.Copy(p.logs.w, stderr)
		p.err = p.cmd.Wait()
		p.logs.w.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// signal sends sig to the process.
func (p *daemonProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
}

// stop sends SIGTERM and returns the exit status.
func (p *daemonProc) stop(t *testing.T) int {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		t.Fatal("the process did not stop on SIGTERM")
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, p.err)
	return 0
}
