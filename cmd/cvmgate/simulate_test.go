//go:build !cvmgate_nosim

package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/agentfixture"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// agentFixtures is where cvmtest keeps the recorded guest agent exchanges.
const agentFixtures = "../../cvmtest/testdata/agent"

// shortTempDir returns a new directory with a short path, as unix socket
// paths are limited to about 100 bytes (t.TempDir's are long).
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cvmg")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestSimulateAgent: simulate --agent answers the guest agent API as the
// dstack SDKs expect, on a unix socket and on TCP: every recorded
// exchange of the real agent's format, played as bytes against the
// process; and a quote it makes verifies under the test root it wrote.
func TestSimulateAgent(t *testing.T) {
	sock := filepath.Join(shortTempDir(t), "dstack.sock")
	staleSocket(t, sock)
	for _, tt := range []struct{ name, addr, network string }{
		{"unix", sock, "unix"},
		{"tcp", "127.0.0.1:0", "tcp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startSimulate(t, "--agent", tt.addr)
			address := p.Agent
			if tt.network == "tcp" {
				u, err := url.Parse(p.Agent)
				require.NoError(t, err)
				require.Equal(t, "http", u.Scheme, "the endpoint is in DSTACK_SIMULATOR_ENDPOINT's form")
				address = u.Host
			} else {
				assert.Equal(t, sock, p.Agent)
			}
			env, err := os.ReadFile(p.path(trustEnvFile))
			require.NoError(t, err)
			assert.Contains(t, string(env), "export DSTACK_SIMULATOR_ENDPOINT="+p.Agent+"\n")

			for _, file := range agentfixture.Files(t, agentFixtures) {
				t.Run(agentfixture.Name(file), func(t *testing.T) {
					agentfixture.Play(t, tt.network, address, file)
				})
			}

			// An SDK's GetQuote: its answer is evidence that verifies.
			req := `{"report_data":"` + strings.Repeat("ab", 32) + `"}`
			raw := fmt.Sprintf("POST /GetQuote HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(req), req)
			resp, body := agentfixture.Exchange(t, tt.network, address, []byte(raw))
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			att := writeFile(t, "getquote.json", body)
			code, stdout, stderr := runCLI(t, append([]string{"evidence", "verify", "--attestation", att, "--no-policy"}, p.trust()...)...)
			assert.Equal(t, exitOK, code, "%s%s", stdout, stderr)
		})
	}
	_, err := os.Stat(sock)
	assert.ErrorIs(t, err, os.ErrNotExist, "a clean stop removes the socket")
}

// staleSocket leaves a unix socket at path that nothing listens on, as a
// killed simulator does; simulate replaces it.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	require.FileExists(t, path)
}

// TestSimulateTrust: --write-trust writes what the other commands need,
// each in the form they read: a root, collateral current for at least a
// day, a valid policy the honest CVM satisfies, the TLS CA that its
// certificates chain to, and the variables that name it. The app answers
// other paths with a small JSON body.
func TestSimulateTrust(t *testing.T) {
	p := startSimulate(t)
	for _, f := range trustFiles {
		assert.FileExists(t, p.path(f))
	}
	code, _, stderr := runCLI(t, "policy", "check", p.path(trustPolicyFile))
	assert.Equal(t, exitOK, code, stderr)

	data, err := os.ReadFile(p.path(trustCollateralFile))
	require.NoError(t, err)
	c, err := collateral.ParseBundle(data)
	require.NoError(t, err)
	info, err := collateral.ParseTCBInfo(c.TCBInfo)
	require.NoError(t, err)
	assert.True(t, info.NextUpdate.After(time.Now().Add(24*time.Hour)), "current for a day: %s", info.NextUpdate)

	env, err := os.ReadFile(p.path(trustEnvFile))
	require.NoError(t, err)
	assert.Contains(t, string(env), "export CVMGATE_SIM_URL="+p.URL+"\n")
	assert.Contains(t, string(env), "export "+pccsEnv+"="+p.PCCS+"\n")
	assert.NotContains(t, string(env), "DSTACK_SIMULATOR_ENDPOINT", "no --agent")

	pem, err := os.ReadFile(p.path(trustTLSCAFile))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(p.URL + "/hello?x=1")
	require.NoError(t, err, "the CVM's certificate chains to tls-ca.pem")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var got map[string]string
	require.NoError(t, json.Unmarshal(body, &got), "%s", body)
	assert.Equal(t, map[string]string{"app": "cvmgate simulate", "method": "GET", "path": "/hello"}, got)
}

// TestSimulateStops: SIGINT and SIGTERM stop the simulator cleanly
// (exit 0), its address and its agent's socket released.
func TestSimulateStops(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			sock := filepath.Join(shortTempDir(t), "dstack.sock")
			p := startSimulate(t, "--agent", sock)
			p.signal(t, sig)
			assert.NoFileExists(t, sock)
			u, err := url.Parse(p.URL)
			require.NoError(t, err)
			ln, err := net.Listen("tcp", u.Host)
			require.NoError(t, err, "the address is free again")
			ln.Close()
		})
	}
}

// TestSimulateUsage: what simulate cannot start is a usage error that
// says what was expected.
func TestSimulateUsage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	file := writeFile(t, "f", []byte("x"))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown attack", []string{"--attack", "bogus"}, `--attack "bogus": unknown attack; expected one of: relay, replay, compose, debug`},
		{"listen not host:port", []string{"--listen", "8443"}, `--listen "8443": expected host:port`},
		{"busy address", []string{"--listen", ln.Addr().String()}, "address already in use"},
		{"busy address under the relay", []string{"--listen", ln.Addr().String(), "--attack", "relay"}, "address already in use"},
		{"missing compose", []string{"--listen", "127.0.0.1:0", "--compose", filepath.Join(t.TempDir(), "none.json")}, "--compose"},
		{"trust dir is a file", []string{"--listen", "127.0.0.1:0", "--write-trust", file}, "--write-trust " + file},
		{"an argument", []string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"simulate"}, tt.args...)...)
			assert.Equal(t, exitUsage, code, "%s%s", stdout, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

// jsSDKEnv names a directory whose node_modules holds @phala/dstack-sdk
// (npm install @phala/dstack-sdk @noble/curves@1 @noble/hashes@1), for
// TestSimulateJSSDK; without it the test skips.
const jsSDKEnv = "CVMGATE_TEST_JS_SDK"

// TestSimulateJSSDK: an app written with the official dstack JS SDK runs
// unmodified against simulate --agent, found through
// DSTACK_SIMULATOR_ENDPOINT, and the quote it gets verifies under the
// test root with the report data it asked for as the nonce.
func TestSimulateJSSDK(t *testing.T) {
	dir := os.Getenv(jsSDKEnv)
	if dir == "" {
		t.Skipf("set %s to a directory with node_modules/@phala/dstack-sdk to run an app of the JS SDK", jsSDKEnv)
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err, "%s is set, node is needed", jsSDKEnv)
	script, err := filepath.Abs("testdata/sdk/app.js")
	require.NoError(t, err)
	for _, agent := range []string{filepath.Join(shortTempDir(t), "dstack.sock"), "127.0.0.1:0"} {
		t.Run(agentNetwork(agent), func(t *testing.T) {
			p := startSimulate(t, "--agent", agent)
			out := filepath.Join(t.TempDir(), "quote.json")
			cmd := exec.Command(node, script, out)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "NODE_PATH=" + filepath.Join(dir, "node_modules"), "DSTACK_SIMULATOR_ENDPOINT=" + p.Agent}
			stdout, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", stdout)
			assert.Contains(t, string(stdout), "Using simulator endpoint: "+p.Agent)
			code, res := runJSON(t, append([]string{"evidence", "verify", "--attestation", out, "--no-policy", "--nonce", strings.Repeat("ab", 32)}, p.trust()...)...)
			assert.Equal(t, exitOK, code, "%v", res["error"])
		})
	}
}
