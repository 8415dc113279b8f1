package transport_test

import (
	"crypto/sha256"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
)

// app answers "hello <path>".
var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello "+r.URL.Path) })

// newServer starts a simulated CVM serving app, closed with the test.
func newServer(t testing.TB, opts ...cvmtest.Option) *cvmtest.Server {
	t.Helper()
	s := cvmtest.NewServer(app, opts...)
	t.Cleanup(s.Close)
	return s
}

// newTransport returns a Transport judging by pol that trusts the test PKI
// of s, with extra options.
func newTransport(t testing.TB, pol *policy.Policy, s *cvmtest.Server, opts ...transport.Option) *transport.Transport {
	t.Helper()
	tr, err := transport.New(pol, append(s.TransportOptions(), opts...)...)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// http1 is a base transport that does not negotiate HTTP/2.
func http1() transport.Option {
	return transport.WithBaseTransport(&http.Transport{Protocols: protocols(true, false)})
}

func protocols(h1, h2 bool) *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(h1)
	p.SetHTTP2(h2)
	return &p
}

// get fetches url and returns the response and its body.
func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// mustGet fetches url and drains the answer.
func mustGet(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// withMaxAge returns p with attestation.max_age d.
func withMaxAge(t *testing.T, p *policy.Policy, d time.Duration) *policy.Policy {
	t.Helper()
	p.Attestation.MaxAge = policy.Duration(d)
	require.NoError(t, p.Validate())
	return p
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// observed collects attestations.
type observed struct{ ch chan transport.Attestation }

func newObserved() *observed { return &observed{ch: make(chan transport.Attestation, 100)} }

func (o *observed) observe(a transport.Attestation) { o.ch <- a }

// next waits for the next attestation.
func (o *observed) next(t *testing.T) transport.Attestation {
	t.Helper()
	select {
	case a := <-o.ch:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("no attestation observed")
		return transport.Attestation{}
	}
}

// sha256Of is the SHA-256 of b.
func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }
