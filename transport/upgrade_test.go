package transport_test

import (
	"bufio"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
)

// upgradeEcho answers a WebSocket-style upgrade with 101 Switching
// Protocols and then echoes what it reads on the hijacked connection; any
// other request gets its protocol version.
func upgradeEcho(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") == "" {
		io.WriteString(w, r.Proto)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	brw.Flush()
	io.Copy(conn, brw)
}

// TestWebSocketUpgradeOverHTTP2CapableCVM: a CVM that speaks HTTP/2 still
// gets a WebSocket upgrade over an attested HTTP/1.1 connection, the 101
// response's body is the two-way stream, and ordinary requests keep
// HTTP/2. (Before, the upgrade's connection negotiated h2 and net/http's
// HTTP/2 client refused the Upgrade header.)
func TestWebSocketUpgradeOverHTTP2CapableCVM(t *testing.T) {
	s := cvmtest.NewServer(http.HandlerFunc(upgradeEcho))
	t.Cleanup(s.Close)
	tr := newTransport(t, s.Policy(), s)

	_, body := get(t, tr.Client(), s.URL+"/plain")
	assert.Equal(t, "HTTP/2.0", body, "ordinary requests keep HTTP/2")

	req, err := http.NewRequest(http.MethodGet, s.URL+"/ws", nil)
	require.NoError(t, err)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	_, attested := transport.VerdictFor(resp)
	assert.True(t, attested, "the upgraded connection's key is attested")
	stream, ok := resp.Body.(io.ReadWriteCloser)
	require.True(t, ok, "a 101 response's body is the connection")
	t.Cleanup(func() { stream.Close() })
	_, err = io.WriteString(stream, "ping\n")
	require.NoError(t, err)
	line, err := bufio.NewReader(stream).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "ping\n", line)
}

func TestRequiresHTTP1(t *testing.T) {
	tests := map[string]struct {
		connection []string
		upgrade    string
		want       bool
	}{
		"websocket":                 {[]string{"Upgrade"}, "websocket", true},
		"any case":                  {[]string{"upgrade"}, "WebSocket", true},
		"token among others":        {[]string{"keep-alive, Upgrade"}, "websocket", true},
		"token in a second header":  {[]string{"keep-alive", "upgrade"}, "websocket", true},
		"no Connection upgrade":     {[]string{"keep-alive"}, "websocket", false},
		"no Connection header":      {nil, "websocket", false},
		"another protocol":          {[]string{"Upgrade"}, "h2c", false},
		"no Upgrade header":         {[]string{"Upgrade"}, "", false},
		"token only as a substring": {[]string{"upgrades"}, "websocket", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.connection {
				h.Add("Connection", v)
			}
			if tc.upgrade != "" {
				h.Set("Upgrade", tc.upgrade)
			}
			assert.Equal(t, tc.want, transport.RequiresHTTP1(&http.Request{Header: h}))
		})
	}
}
