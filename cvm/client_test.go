package cvm_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// recorded is a request as the agent received it.
type recorded struct {
	method, path, contentType string
	body                      []byte
}

// TestClientRequests checks what the client sends for each method: a POST
// to /<Method> with a JSON content type (without it the agent reads
// protobuf) and the arguments in the agent's JSON shape.
func TestClientRequests(t *testing.T) {
	a, err := cvmtest.NewAgent(cvmtest.AgentOptions{})
	require.NoError(t, err)
	var mu sync.Mutex
	var reqs []recorded
	socket := serveUnix(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Content-Type"), body})
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		a.ServeHTTP(w, r)
	}))
	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: socket})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	assert.Equal(t, socket, c.Endpoint())

	ctx := context.Background()
	_, err = c.GetQuote(ctx, []byte{0xab, 0xcd})
	require.NoError(t, err)
	_, err = c.Info(ctx)
	require.NoError(t, err)
	nb := time.Unix(1700000000, 0)
	_, err = c.GetTLSKey(ctx, cvm.TLSKeyOptions{Subject: "s", AltNames: []string{"a"}, UsageServerAuth: true, NotBefore: nb})
	require.NoError(t, err)
	_, err = c.GetTLSKey(ctx, cvm.TLSKeyOptions{})
	require.NoError(t, err)

	require.Len(t, reqs, 4)
	want := []struct{ path, body string }{
		{"/GetQuote", `{"report_data":"abcd"}`},
		{"/Info", `{}`},
		{"/GetTlsKey", `{"subject":"s","alt_names":["a"],"usage_ra_tls":false,"usage_server_auth":true,"usage_client_auth":false,"not_before":1700000000}`},
		{"/GetTlsKey", `{"subject":"","alt_names":[],"usage_ra_tls":false,"usage_server_auth":false,"usage_client_auth":false}`},
	}
	for i, w := range want {
		assert.Equal(t, http.MethodPost, reqs[i].method)
		assert.Equal(t, w.path, reqs[i].path)
		assert.Equal(t, "application/json", reqs[i].contentType)
		assert.JSONEq(t, w.body, string(reqs[i].body))
	}
}

// TestClientHTTPEndpoint checks an http:// endpoint with a path: method
// names are appended to it, as the Go, Python and Rust SDKs do.
func TestClientHTTPEndpoint(t *testing.T) {
	a, err := cvmtest.NewAgent(cvmtest.AgentOptions{})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/prefix/", http.StripPrefix("/prefix", a))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: ts.URL + "/prefix/"})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	_, err = c.Info(context.Background())
	require.NoError(t, err)
}

// TestClientEnvironment checks that the zero ClientOptions follow
// DSTACK_SIMULATOR_ENDPOINT.
func TestClientEnvironment(t *testing.T) {
	_, srv := cvmtest.StartAgent(t, cvmtest.AgentOptions{})
	t.Setenv(cvm.SimulatorEndpointEnv, srv.Endpoint)
	assert.Equal(t, srv.Endpoint, cvm.DefaultEndpoint())
	c, err := cvm.NewClient(cvm.ClientOptions{})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	assert.Equal(t, srv.Endpoint, c.Endpoint())
	_, err = c.Info(context.Background())
	require.NoError(t, err)
}

// TestClientErrors checks that every way a call fails is an *AgentError
// matching ErrAgent, with the cause matchable.
func TestClientErrors(t *testing.T) {
	okJSON := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		call    func(*cvm.Client) error
		status  int
		message string
		is      error
	}{
		{
			name: "agent refusal",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, "{\n  \"error\": \"Report data is too long\"\n}")
			},
			call:    getQuote,
			status:  400,
			message: "Report data is too long",
		},
		{
			name: "refusal without JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "upstream exploded", http.StatusInternalServerError)
			},
			call:    getQuote,
			status:  500,
			message: `"upstream exploded\n"`,
		},
		{
			name: "protobuf answer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write([]byte{0x0a, 0x14})
			},
			call:    info,
			status:  200,
			message: `expected an application/json answer, found "application/octet-stream"`,
		},
		{
			name:    "malformed attestation",
			handler: okJSON(`{"quote":"zz"}`),
			call:    getQuote,
			status:  200,
			is:      wire.ErrMalformedAttestation,
		},
		{
			name:    "malformed info",
			handler: okJSON(`{"tcb_info":5}`),
			call:    info,
			status:  200,
			is:      wire.ErrMalformedInfo,
		},
		{
			name: "oversized answer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"quote":"`+strings.Repeat("00", cvm.DefaultMaxResponseSize)+`"}`)
			},
			call:   getQuote,
			status: 200,
			is:     verify.ErrTooLarge,
		},
		{
			name: "redirect not followed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
			},
			call:   info,
			status: 302,
		},
		{name: "TLS key without key", handler: okJSON(`{"certificate_chain":["x"]}`), call: tlsKey, status: 200, message: "malformed answer"},
		{name: "TLS key without chain", handler: okJSON(`{"key":"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n","certificate_chain":[]}`), call: tlsKey, status: 200},
		{name: "TLS key not PKCS#8", handler: okJSON(`{"key":"-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n","certificate_chain":["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"]}`), call: tlsKey, status: 200},
		{name: "TLS key chain element with two blocks", handler: okJSON(`{"key":"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n","certificate_chain":["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"]}`), call: tlsKey, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: serveUnix(t, tt.handler)})
			require.NoError(t, err)
			defer c.CloseIdleConnections()
			err = tt.call(c)
			require.Error(t, err)
			assert.ErrorIs(t, err, cvm.ErrAgent)
			var ae *cvm.AgentError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.status, ae.StatusCode)
			if tt.message != "" {
				assert.Contains(t, ae.Message, tt.message)
			}
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func getQuote(c *cvm.Client) error { _, err := c.GetQuote(context.Background(), nil); return err }
func info(c *cvm.Client) error     { _, err := c.Info(context.Background()); return err }
func tlsKey(c *cvm.Client) error {
	_, err := c.GetTLSKey(context.Background(), cvm.TLSKeyOptions{})
	return err
}

// TestClientMismatchedKey checks that a key that is not the leaf's is refused.
func TestClientMismatchedKey(t *testing.T) {
	_, good := startAgent(t)
	other := agentCert(t, good)
	a, err := cvmtest.NewAgent(cvmtest.AgentOptions{})
	require.NoError(t, err)
	// An answer pairing a fresh key with another key's chain.
	socket := serveUnix(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, r)
		var ans map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ans["certificate_chain"] = []string{string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Certificate[0]}))}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ans)
	}))
	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: socket})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	err = tlsKey(c)
	require.ErrorIs(t, err, cvm.ErrAgent)
	assert.Contains(t, err.Error(), "private key does not match public key")
}

// TestClientTimeout checks that a call is bounded by ClientOptions.Timeout
// and by its context.
func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	socket := serveUnix(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))

	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: socket, Timeout: 20 * time.Millisecond})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	err = info(c)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, cvm.ErrAgent)

	c, err = cvm.NewClient(cvm.ClientOptions{Endpoint: socket})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.GetQuote(ctx, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestClientNoAgent checks a socket with nothing behind it.
func TestClientNoAgent(t *testing.T) {
	c, err := cvm.NewClient(cvm.ClientOptions{Endpoint: t.TempDir() + "/none.sock"})
	require.NoError(t, err)
	err = info(c)
	var ae *cvm.AgentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 0, ae.StatusCode)
	assert.True(t, errors.Unwrap(err) != nil)
}

// TestNewClientOptions checks refused options.
func TestNewClientOptions(t *testing.T) {
	_, err := cvm.NewClient(cvm.ClientOptions{Endpoint: "/x", Timeout: -1})
	assert.Error(t, err)
	_, err = cvm.NewClient(cvm.ClientOptions{Endpoint: "/x", MaxResponseSize: -1})
	assert.Error(t, err)
}
