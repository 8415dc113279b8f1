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
	for _, h2 := range []bool{false, true} {
		c := newCVM(t, h2)
		p := newConnectProxy(t)
		proxyURL, err := url.Parse(p.srv.URL)
		require.NoError(t, err)
		base := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
		tr, err := transport.New(c.policy(t), append(c.options(t), transport.WithBaseTransport(base))...)
		require.NoError(t, err)
		_, body := get(t, tr.Client(), c.srv.URL+"/via-proxy")
		assert.Equal(t, "hello /via-proxy", body)
		assert.EqualValues(t, 1, c.attHits.Load())
		assert.GreaterOrEqual(t, p.tunnels.Load(), int64(2), "the attestation and the request went through the proxy")
	}
}

func TestProxyRefusingConnect(t *testing.T) {
	c := newCVM(t, false)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer refusing.Close()
	proxyURL, _ := url.Parse(refusing.URL)
	tr, err := transport.New(c.policy(t), append(c.options(t), transport.WithBaseTransport(&http.Transport{Proxy: http.ProxyURL(proxyURL)}))...)
	require.NoError(t, err)
	_, err = tr.Client().Get(c.srv.URL + "/x")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, transport.StepConnect, ae.Step)
	assert.Contains(t, err.Error(), "403")
	assert.EqualValues(t, 0, c.appHits.Load())
}

// TestRedirectToAnotherOriginIsAttested: the client follows a redirect to
// another CVM only once that CVM's key is attested.
func TestRedirectToAnotherOriginIsAttested(t *testing.T) {
	target := newCVM(t, false)
	front := newCVM(t, false)
	redirecting := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/go" {
			http.Redirect(w, r, target.srv.URL+"/landed", http.StatusFound)
			return
		}
		front.serve(w, r)
	}))
	redirecting.StartTLS()
	defer redirecting.Close()
	front.srv = redirecting // attestations bind the redirecting server's key

	tr, err := transport.New(target.policy(t), target.options(t)...)
	require.NoError(t, err)
	resp, body := get(t, tr.Client(), redirecting.URL+"/go")
	assert.Equal(t, "hello /landed", body)
	assert.Equal(t, target.srv.URL+"/landed", resp.Request.URL.String())
	assert.EqualValues(t, 1, front.attHits.Load())
	assert.EqualValues(t, 1, target.attHits.Load(), "the redirect target was attested before it was followed")

	// A redirect to plain HTTP is refused.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	tr2, err := transport.New(target.policy(t), target.options(t)...)
	require.NoError(t, err)
	client := tr2.Client()
	client.CheckRedirect = nil
	redirectToPlain := httptest.NewTLSServer(http.RedirectHandler(plain.URL, http.StatusFound))
	defer redirectToPlain.Close()
	_, err = client.Get(redirectToPlain.URL)
	require.Error(t, err)
}
