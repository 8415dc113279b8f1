package transport_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
)

// connectProxy is an HTTP CONNECT proxy on loopback that counts tunnels.
type connectProxy struct {
	srv     *httptest.Server
	tunnels atomic.Int64
}

func newConnectProxy(t *testing.T) *connectProxy {
	p := &connectProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		upstream, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		p.tunnels.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			upstream.Close()
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { io.Copy(upstream, conn); upstream.Close() }()
		go func() { io.Copy(conn, upstream); conn.Close() }()
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// TestThroughProxy: with a proxy the TLS session still runs end to end with
// the CVM, the key is attested through the tunnel and requests follow.
func TestThroughProxy(t *testing.T) {
	for name, h2 := range map[string]bool{"http1": false, "http2": true} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			p := newConnectProxy(t)
			proxyURL, err := url.Parse(p.srv.URL)
			require.NoError(t, err)
			base := &http.Transport{Proxy: http.ProxyURL(proxyURL), Protocols: protocols(true, h2)}
			resp, body := get(t, newTransport(t, s.Policy(), s, transport.WithBaseTransport(base)).Client(), s.URL+"/via-proxy")
			assert.Equal(t, "hello /via-proxy", body)
			assert.Equal(t, map[bool]int{false: 1, true: 2}[h2], resp.ProtoMajor)
			assert.EqualValues(t, 1, s.AttestationRequests())
			assert.GreaterOrEqual(t, p.tunnels.Load(), int64(2), "the attestation and the request went through the proxy")
		})
	}
}

func TestProxyRefusingConnect(t *testing.T) {
	s := newServer(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer refusing.Close()
	proxyURL, _ := url.Parse(refusing.URL)
	_, err := newTransport(t, s.Policy(), s, transport.WithBaseTransport(&http.Transport{Proxy: http.ProxyURL(proxyURL)})).Client().Get(s.URL + "/x")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, transport.StepConnect, ae.Step)
	assert.Contains(t, err.Error(), "403")
	assert.Zero(t, s.AppRequests())
}

// TestRedirectToAnotherOriginIsAttested: the client follows a redirect to
// another CVM only once that CVM's key is attested; a redirect to plain
// HTTP is refused.
func TestRedirectToAnotherOriginIsAttested(t *testing.T) {
	target := newServer(t)
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	front := cvmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := target.URL + "/landed"
		if r.URL.Path == "/plain" {
			to = plain.URL
		}
		http.Redirect(w, r, to, http.StatusFound)
	}))
	defer front.Close()

	client := newTransport(t, target.Policy(), target).Client()
	resp, body := get(t, client, front.URL+"/go")
	assert.Equal(t, "hello /landed", body)
	assert.Equal(t, target.URL+"/landed", resp.Request.URL.String())
	assert.EqualValues(t, 1, front.AttestationRequests())
	assert.EqualValues(t, 1, target.AttestationRequests(), "the redirect target was attested before it was followed")

	_, err := client.Get(front.URL + "/plain")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, transport.StepScheme, ae.Step)
}
