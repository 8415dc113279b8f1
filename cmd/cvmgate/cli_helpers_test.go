package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// runCLI runs the CLI in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runWith(t, cliInput{}, args...)
}

// cliInput is what a test run reads besides its arguments.
type cliInput struct {
	stdin string
	env   map[string]string
	// terminal makes stderr a terminal, where progress lines go.
	terminal bool
}

// testBinaryEnv names a cvmgate binary to run the tests against instead of
// the code in-process: CVMGATE_TEST_BINARY=/path/to/old/cvmgate go test
// shows which tests the old behaviour fails.
const testBinaryEnv = "CVMGATE_TEST_BINARY"

// runWith runs the CLI in-process with in as its standard input and
// environment (or the binary $CVMGATE_TEST_BINARY names).
func runWith(t *testing.T, in cliInput, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if bin := os.Getenv(testBinaryEnv); bin != "" {
		cmd := exec.Command(bin, args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(in.stdin), &stdout, &stderr
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		for k, v := range in.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("run %s: %v", bin, err)
		}
		return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}
	code := run(context.Background(), args, &env{
		stdin:    strings.NewReader(in.stdin),
		stdout:   &stdout,
		stderr:   &stderr,
		getenv:   func(k string) string { return in.env[k] },
		terminal: in.terminal,
	})
	return code, stdout.String(), stderr.String()
}

// runJSON runs the CLI with --json appended and decodes its output.
func runJSON(t *testing.T, args ...string) (int, map[string]any) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append(args, "--json")...)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout %q stderr %q", stdout, stderr)
	return code, out
}

// errorKind returns the error kind of a JSON result, or "" when verified.
func errorKind(out map[string]any) string {
	e, ok := out["error"].(map[string]any)
	if !ok {
		return ""
	}
	kind, _ := e["kind"].(string)
	return kind
}

// writeFile writes data into the test's temporary folder.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// synthetic is a test-PKI platform written to files the CLI reads.
type synthetic struct {
	pki        *cvmtest.PKI
	now        time.Time
	coll       *collateral.Collateral // current at now; in bundle
	rootPEM    string                 // --trust-root
	bundle     string                 // --collateral
	at         string                 // --at
	quoteHex   string                 // a default quote, hex
	quoteBytes []byte
}

// newSynthetic builds a test PKI, its collateral bundle and a quote.
func newSynthetic(t *testing.T, qopts cvmtest.QuoteOptions) *synthetic {
	t.Helper()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	pki := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	coll, err := pki.Collateral(cvmtest.CollateralOptions{Now: now})
	require.NoError(t, err)
	bundle, err := coll.MarshalBundle()
	require.NoError(t, err)
	raw, err := pki.Quote(qopts)
	require.NoError(t, err)
	return &synthetic{
		pki:        pki,
		now:        now,
		coll:       coll,
		rootPEM:    writeFile(t, "root.pem", pki.RootPEM),
		bundle:     writeFile(t, "collateral.json", bundle),
		at:         now.Format(time.RFC3339),
		quoteHex:   writeFile(t, "quote.hex", []byte(hex.EncodeToString(raw))),
		quoteBytes: raw,
	}
}

// args returns the flags that verify a quote file against s.
func (s *synthetic) args(quoteFile string) []string {
	return []string{"quote", "verify", "--quote", quoteFile, "--collateral", s.bundle, "--trust-root", s.rootPEM, "--at", s.at}
}

// pcs starts a fake PCS that serves s's collateral, closed when the test
// ends.
func (s *synthetic) pcs(t *testing.T) *cvmtest.PCSServer {
	t.Helper()
	pcs := cvmtest.NewPCSServer(s.coll, s.pki)
	t.Cleanup(pcs.Close)
	return pcs
}

// writeTo writes data to path.
func writeTo(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }

// newOutOfDate is a synthetic platform whose quote's TDX module is out of
// date: the quote verifies with TCB status OutOfDate.
func newOutOfDate(t *testing.T) *synthetic {
	t.Helper()
	m, err := cvmtest.ModuleFor("OutOfDate")
	require.NoError(t, err)
	return newSynthetic(t, cvmtest.QuoteOptions{TEETCBSVN: m.TEETCBSVN})
}

// readTestFile returns the contents of a test's file.
func readTestFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// closedURL returns an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}
