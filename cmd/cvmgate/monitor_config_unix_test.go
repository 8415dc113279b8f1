//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadMonitorConfigFIFO: a FIFO named as the configuration is refused
// at once. Opening it for reading would wait for a writer, and hold up a
// reload, and with it the monitor's stop, until one came.
func TestLoadMonitorConfigFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	done := make(chan error, 1)
	go func() {
		_, err := loadMonitorConfig(path)
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorContains(t, err, "expected a regular file, found p")
	case <-time.After(waitLimit):
		// Be the writer the open waits for, so that the test can end.
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		<-done
		t.Fatal("loading a FIFO waited for a writer")
	}
}
