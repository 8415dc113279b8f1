package cvmtest_test

import (
	"context"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/cvmtest"
)

// busyAddress returns a loopback address something already listens on.
func busyAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestListenAddress: the server and a relay listen where they are told,
// so that a busy address is an error, and a free one is served.
func TestListenAddress(t *testing.T) {
	busy := busyAddress(t)
	assert.PanicsWithValue(t, "cvmtest: NewServer: cvmtest: server listener: listen tcp "+busy+": bind: address already in use",
		func() { cvmtest.NewServer(nil, cvmtest.WithListenAddress(busy)) })

	_, err := cvmtest.StartServer(nil, cvmtest.WithListenAddress(busy))
	require.ErrorContains(t, err, "address already in use", "StartServer returns the error")

	srv := cvmtest.NewServer(okApp, cvmtest.WithListenAddress("127.0.0.1:0"))
	defer srv.Close()
	assert.True(t, strings.HasPrefix(srv.URL, "https://127.0.0.1:"), srv.URL)
	_, err = verifyServer(t, client(t, srv), srv, srv, srv.Policy())
	require.NoError(t, err)

	_, err = cvmtest.NewRelayAt(srv, busy)
	require.ErrorContains(t, err, "address already in use")
	relay, err := cvmtest.NewRelayAt(srv, "127.0.0.1:0")
	require.NoError(t, err)
	defer relay.Close()
	assert.Empty(t, relay.AgentEndpoint(), "a relay has no agent")
	resp, err := client(t, relay).Get(relay.URL + "/hello")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, int64(1), srv.AppRequests(), "the relay forwards to its target")

	assert.Panics(t, func() { cvmtest.NewServer(nil, cvmtest.WithListenAddress("")) })
	_, err = cvmtest.NewRelayAt(srv, "")
	assert.Error(t, err)
}

// TestAgentAddress: WithAgentAddress serves the server's own agent on a
// unix socket, the one its attestations come from, as a dstack SDK in the
// same CVM would reach it.
func TestAgentAddress(t *testing.T) {
	dir, err := os.MkdirTemp("", "cvmtest")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "dstack.sock")
	srv := cvmtest.NewServer(nil, cvmtest.WithAgentAddress("unix", sock))
	assert.Equal(t, sock, srv.AgentEndpoint())

	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: srv.AgentEndpoint()})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	info, err := c.Info(context.Background())
	require.NoError(t, err)
	app := srv.App()
	sum := app.ComposeHash()
	assert.Equal(t, hex.EncodeToString(sum[:]), info.ComposeHash)
	rd := make([]byte, 64)
	att, err := c.GetQuote(context.Background(), rd)
	require.NoError(t, err)
	assert.NotEmpty(t, att.Quote)

	srv.Close()
	_, err = os.Stat(sock)
	assert.ErrorIs(t, err, os.ErrNotExist, "Close removes the socket")

	tcp := cvmtest.NewServer(nil, cvmtest.WithAgentAddress("tcp", "127.0.0.1:0"))
	defer tcp.Close()
	assert.True(t, strings.HasPrefix(tcp.AgentEndpoint(), "http://127.0.0.1:"), tcp.AgentEndpoint())

	for _, bad := range [][2]string{{"udp", "x"}, {"unix", ""}} {
		assert.Panics(t, func() { cvmtest.NewServer(nil, cvmtest.WithAgentAddress(bad[0], bad[1])) }, "%v", bad)
	}
}

// TestPolicyFor: PolicyFor is the policy of a server of the same options,
// without one; a threat option changes it as it changes Policy.
func TestPolicyFor(t *testing.T) {
	for _, opts := range [][]cvmtest.Option{nil, {cvmtest.WithDebug()}, {cvmtest.WithoutKeyBinding()}} {
		srv := cvmtest.NewServer(nil, opts...)
		p, err := cvmtest.PolicyFor(opts...)
		require.NoError(t, err)
		assert.Equal(t, srv.Policy(), p)
		srv.Close()
	}
	honest, err := cvmtest.PolicyFor()
	require.NoError(t, err)
	debug, err := cvmtest.PolicyFor(cvmtest.WithDebug())
	require.NoError(t, err)
	assert.False(t, honest.TCB.AllowDebug)
	assert.True(t, debug.TCB.AllowDebug)
	_, err = cvmtest.PolicyFor(cvmtest.WithTCBStatus("Bogus"))
	assert.Error(t, err)
}
