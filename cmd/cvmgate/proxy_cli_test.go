package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
)

// logStream reads the JSON log lines a command writes to a pipe, so that
// a test waits for a line instead of polling a buffer.
type logStream struct {
	lines chan map[string]any
	w     *io.PipeWriter
}

func newLogStream(t *testing.T) *logStream {
	t.Helper()
	pr, pw := io.Pipe()
	ls := &logStream{lines: make(chan map[string]any, 1000), w: pw}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				m = map[string]any{"msg": "(text) " + sc.Text()}
			}
			ls.lines <- m
		}
		close(ls.lines)
	}()
	t.Cleanup(func() { pw.Close() })
	return ls
}

// waitMsg returns the next line whose msg is msg, failing on timeout or
// the end of the stream.
func (ls *logStream) waitMsg(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case m, ok := <-ls.lines:
			if !ok {
				t.Fatalf("log ended before %q", msg)
			}
			if m["msg"] == msg {
				return m
			}
		case <-deadline:
			t.Fatalf("no log line %q", msg)
		}
	}
}

// TestProxyCommand: the command serves on a loopback address it logs,
// forwards to an honest CVM, and stops cleanly with exit status 0.
func TestProxyCommand(t *testing.T) {
	s := cvmtest.NewServer(http.HandlerFunc(echoApp))
	t.Cleanup(s.Close)
	tr := writeTrustSet(t, s, nil)
	logs := newLogStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"proxy", "--listen", "127.0.0.1:0", "--upstream", s.URL, "--policy", tr.policy}, tr.flags()...),
			&env{stdout: io.Discard, stderr: logs.w, getenv: func(string) string { return "" }})
	}()
	addr := logs.waitMsg(t, "proxy listening")["addr"].(string)
	attested := logs.waitMsg(t, "attested") // the attestation at start
	assert.Equal(t, "UpToDate", attested["tcb_status"])

	resp, err := http.Get("http://" + addr + "/hello")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "GET /hello ", string(body))
	assert.Equal(t, int64(1), s.AppRequests())

	cancel()
	logs.waitMsg(t, "proxy stopped")
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(waitLimit):
		t.Fatal("the proxy did not stop")
	}
}

// TestProxyCommandRefusesBadInput: local problems are usage errors.
func TestProxyCommandRefusesBadInput(t *testing.T) {
	s := cvmtest.NewServer(nil)
	t.Cleanup(s.Close)
	tr := writeTrustSet(t, s, nil)
	badPolicy := writeFile(t, "bad.yaml", []byte("version: 1\nap: {}\n"))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { busy.Close() })
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no upstream", []string{"proxy", "--policy", tr.policy}, "--upstream is required"},
		{"no policy", []string{"proxy", "--upstream", s.URL}, "--policy is required"},
		{"plain http upstream", []string{"proxy", "--upstream", "http://cvm.example", "--policy", tr.policy}, "--upstream http://cvm.example: expected an https:// URL"},
		{"credentials in the upstream", []string{"proxy", "--upstream", "https://u:p@cvm.example", "--policy", tr.policy}, "expected an https:// URL with a host and no credentials"},
		{"empty query in the upstream", []string{"proxy", "--upstream", "https://cvm.example/?", "--policy", tr.policy}, "--upstream https://cvm.example/?: expected an https:// URL with a host and no credentials, query or fragment"},
		{"missing policy", []string{"proxy", "--upstream", s.URL, "--policy", filepath.Join(tr.dir, "none.yaml")}, "--policy " + filepath.Join(tr.dir, "none.yaml")},
		{"invalid policy", []string{"proxy", "--upstream", s.URL, "--policy", badPolicy}, "--policy " + badPolicy + ": "},
		{"bad size", []string{"proxy", "--upstream", s.URL, "--policy", tr.policy, "--max-body", "lots"}, `--max-body "lots": expected a size in bytes`},
		{"zero size", []string{"proxy", "--upstream", s.URL, "--policy", tr.policy, "--max-body", "0"}, "--max-body 0: expected a positive size"},
		{"zero response timeout", []string{"proxy", "--upstream", s.URL, "--policy", tr.policy, "--response-timeout", "0s"}, "--response-timeout 0s: expected a positive duration"},
		{"address in use", append([]string{"proxy", "--upstream", s.URL, "--policy", tr.policy, "--listen", busy.Addr().String()}, tr.flags()...), "--listen " + busy.Addr().String() + ": "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

// reportedAddr is a loopback listener that reports another address, to
// test what the proxy says of an address without listening on it.
type reportedAddr struct {
	net.Listener
	addr net.Addr
}

func (l reportedAddr) Addr() net.Addr { return l.addr }

// TestProxyWarnsBeyondLoopback: an address beyond loopback is logged as
// a warning; loopback is not.
func TestProxyWarnsBeyondLoopback(t *testing.T) {
	s := cvmtest.NewServer(nil)
	t.Cleanup(s.Close)
	up, err := url.Parse(s.URL)
	require.NoError(t, err)
	for _, ip := range []string{"0.0.0.0", "::", "192.0.2.1", "127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			tr, err := transport.New(s.Policy(), s.TransportOptions()...)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // stop at once: only the start-up lines are of interest
			var logs syncBuffer
			err = serveProxy(ctx, reportedAddr{ln, &net.TCPAddr{IP: net.ParseIP(ip), Port: 8080}}, up, tr, slog.New(slog.NewJSONHandler(&logs, nil)), defaultMaxBody)
			require.NoError(t, err)
			warned := strings.Contains(logs.String(), `"msg":"listening beyond loopback`)
			assert.Equal(t, !net.ParseIP(ip).IsLoopback(), warned, logs.String())
		})
	}
}

// TestProxyShutdown: on a stop, a request in progress finishes, and a
// WebSocket tunnel is closed once the requests are done.
func TestProxyShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	s := cvmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		echoApp(w, r)
	}))
	t.Cleanup(s.Close)
	up, err := url.Parse(s.URL)
	require.NoError(t, err)
	tr, err := transport.New(s.Policy(), s.TransportOptions()...)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	logs := newLogStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveProxy(ctx, ln, up, tr, slog.New(slog.NewJSONHandler(logs.w, nil)), defaultMaxBody)
	}()
	front := "http://" + ln.Addr().String()

	// A tunnel, open before the stop.
	_, rd, _ := dialUpgrade(t, ln.Addr().String())

	// A request in progress when the stop comes.
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(front + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(body)
	}()
	<-started
	cancel()
	logs.waitMsg(t, "proxy stopping")
	close(release)
	assert.Equal(t, "GET /slow ", <-slow, "the request in progress finished")

	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(waitLimit):
		t.Fatal("the proxy did not stop")
	}
	_, err = rd.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF, "the tunnel is closed")
}
