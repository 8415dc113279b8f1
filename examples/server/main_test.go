package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// start runs the program with args until the test ends and returns its
// address.
func start(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, func(a string) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	select {
	case a := <-addr:
		return a
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
		return ""
	}
}

// verifyServer fetches the server's attestation and info as a cvmgate
// client does and verifies them against the agent's PKI.
func verifyServer(t *testing.T, c *http.Client, addr string, pki *cvmtest.PKI) (*verify.Report, []byte) {
	t.Helper()
	origin := "https://" + addr
	nonce := make([]byte, wire.NonceSize)
	_, _ = rand.Read(nonce)
	u, err := wire.AttestationURL(origin, nonce)
	require.NoError(t, err)
	body, resp := get(t, c, u)
	att, err := wire.ParseAttestation(body)
	require.NoError(t, err)
	spki := resp.TLS.PeerCertificates[0].RawSubjectPublicKeyInfo

	infoURL, err := wire.InfoURL(origin)
	require.NoError(t, err)
	body, _ = get(t, c, infoURL)
	info, err := wire.ParseInfo(body)
	require.NoError(t, err)

	coll, err := pki.Collateral(cvmtest.CollateralOptions{})
	require.NoError(t, err)
	v, err := verify.New(pki.VerifyOptions(coll))
	require.NoError(t, err)
	r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info},
		&verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki}, nil)
	require.NoError(t, err)
	return r, spki
}

func get(t *testing.T, c *http.Client, u string) ([]byte, *http.Response) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	return body, resp
}

// client trusts the PKI's TLS CA: the root of the agent's certificates.
func client(t *testing.T, pki *cvmtest.PKI) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.TLSCAPool()}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestServerAgainstFakeAgent runs the program against a fake guest agent
// on a unix socket, named by flag or by DSTACK_SIMULATOR_ENDPOINT, and
// checks that its evidence verifies, binds the key it serves, and that
// the application answers beside it.
func TestServerAgainstFakeAgent(t *testing.T) {
	app := cvmtest.App{}
	tests := []struct {
		name string
		env  bool
	}{{"-agent flag", false}, {"DSTACK_SIMULATOR_ENDPOINT", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agent, sock := cvmtest.StartAgent(t, cvmtest.AgentOptions{App: app})
			var addr string
			if tt.env {
				t.Setenv(cvm.SimulatorEndpointEnv, sock.Endpoint)
				addr = start(t)
			} else {
				addr = start(t, "-agent", sock.Endpoint)
			}
			c := client(t, agent.PKI())
			r, _ := verifyServer(t, c, addr, agent.PKI())
			h := app.ComposeHash()
			assert.Equal(t, h[:], r.Dstack.Identity.ComposeHash)
			assert.Equal(t, verify.BindingSPKI, r.Dstack.Binding)
			assert.Equal(t, int64(1), agent.Calls(cvmtest.MethodGetTLSKey))

			body, resp := get(t, c, "https://"+addr+"/")
			assert.Equal(t, "hello from inside the CVM\n", string(body))
			assert.Equal(t, 2, resp.ProtoMajor)
			assert.Equal(t, "localhost", resp.TLS.PeerCertificates[0].Subject.CommonName)
		})
	}
}

// TestServerRotation checks that after a new key from the agent, a new
// connection is served with it and its attestation binds it.
func TestServerRotation(t *testing.T) {
	agent, sock := cvmtest.StartAgent(t, cvmtest.AgentOptions{})
	cfg, err := parseFlags([]string{"-agent", sock.Endpoint, "-rotate", "0"}, io.Discard)
	require.NoError(t, err)
	s, err := newServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = s.http.ServeTLS(ln, "", "") }()
	defer s.http.Close()

	_, first := verifyServer(t, client(t, agent.PKI()), ln.Addr().String(), agent.PKI())
	require.NoError(t, s.rotate(context.Background()))
	_, second := verifyServer(t, client(t, agent.PKI()), ln.Addr().String(), agent.PKI())
	assert.NotEqual(t, first, second)
	assert.Equal(t, s.cert.Load().Leaf.RawSubjectPublicKeyInfo, second)
}

// TestFlags checks the command line.
func TestFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-alt-names", "a.example, 10.0.0.1,", "-subject", "a"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.example", "10.0.0.1"}, cfg.altNames)
	assert.Equal(t, ":8443", cfg.addr)
	for _, args := range [][]string{{"extra"}, {"-rotate", "-1s"}, {"-nope"}} {
		_, err := parseFlags(args, io.Discard)
		assert.Error(t, err, "%q", args)
	}
	err = run(context.Background(), []string{"-agent", t.TempDir() + "/none.sock"}, io.Discard, nil)
	assert.ErrorIs(t, err, cvm.ErrAgent, "no agent, no key, no server")
}
