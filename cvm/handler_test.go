package cvm_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// appHandler is the application beside the protocol paths.
var appHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "app:"+r.URL.Path)
})

// TestHandlerBindsServedKey checks the heart of the CVM side: over HTTP/1.1
// and HTTP/2, the attestation is a quote over the client's nonce and the
// key of the leaf this connection presented, and it verifies.
func TestHandlerBindsServedKey(t *testing.T) {
	a, agent := startAgent(t)
	h, err := cvm.NewHandler(agent, appHandler, cvm.Options{})
	require.NoError(t, err)
	ts := startTLS(t, h, &tls.Config{Certificates: []tls.Certificate{agentCert(t, agent)}})
	v := newVerifier(t, a.PKI())

	for _, h2 := range []bool{false, true} {
		name := map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[h2]
		t.Run(name, func(t *testing.T) {
			c := tlsClient(t, a.PKI().TLSCAPool(), h2)
			nonce := newNonce()
			att, spki, resp := attest(t, c, ts.URL, nonce)
			assert.Equal(t, map[bool]int{false: 1, true: 2}[h2], resp.ProtoMajor)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

			infoResp, err := c.Get(ts.URL + wire.InfoPath)
			require.NoError(t, err)
			body, _ := io.ReadAll(infoResp.Body)
			infoResp.Body.Close()
			require.Equal(t, http.StatusOK, infoResp.StatusCode)
			info, err := wire.ParseInfo(body)
			require.NoError(t, err)

			r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info},
				&verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki}, nil)
			require.NoError(t, err)
			assert.Equal(t, verify.BindingSPKI, r.Dstack.Binding)

			resp, err = c.Get(ts.URL + "/hello")
			require.NoError(t, err)
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, "app:/hello", string(body))
		})
	}
}

// boundKey returns the SPKI hash a quote's REPORTDATA binds, checking its
// nonce.
func boundKey(t *testing.T, att *wire.Attestation, nonce []byte) []byte {
	t.Helper()
	require.Len(t, att.ReportData, wire.ReportDataSize)
	require.Equal(t, nonce, att.ReportData[:wire.NonceSize])
	return att.ReportData[wire.NonceSize:]
}

func spkiHash(spki []byte) []byte { h := sha256.Sum256(spki); return h[:] }

// TestHandlerCertificateChange checks that after the server changes its
// certificate, each connection's attestation binds the key that
// connection was served: the new one on a new connection, the old one on
// a connection made before.
func TestHandlerCertificateChange(t *testing.T) {
	a, agent := startAgent(t)
	h, err := cvm.NewHandler(agent, nil, cvm.Options{})
	require.NoError(t, err)
	var current atomic.Pointer[tls.Certificate]
	first := agentCert(t, agent)
	current.Store(&first)
	ts := startTLS(t, h, &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return current.Load(), nil }})

	old := tlsClient(t, a.PKI().TLSCAPool(), false)
	nonce := newNonce()
	att, spki, _ := attest(t, old, ts.URL, nonce)
	assert.Equal(t, spkiHash(first.Leaf.RawSubjectPublicKeyInfo), boundKey(t, att, nonce))
	assert.Equal(t, first.Leaf.RawSubjectPublicKeyInfo, spki)

	second := agentCert(t, agent)
	current.Store(&second)

	fresh := tlsClient(t, a.PKI().TLSCAPool(), false)
	nonce = newNonce()
	att, spki, _ = attest(t, fresh, ts.URL, nonce)
	assert.Equal(t, second.Leaf.RawSubjectPublicKeyInfo, spki)
	assert.Equal(t, spkiHash(spki), boundKey(t, att, nonce))

	nonce = newNonce()
	att, spki, _ = attest(t, old, ts.URL, nonce)
	assert.Equal(t, first.Leaf.RawSubjectPublicKeyInfo, spki, "the old connection is still open")
	assert.Equal(t, spkiHash(spki), boundKey(t, att, nonce))
}

// TestHandlerCertificateSelection checks that the key bound is that of the
// certificate crypto/tls would pick: by server name among Certificates, or
// from a config GetConfigForClient returns.
func TestHandlerCertificateSelection(t *testing.T) {
	a, agent := startAgent(t)
	h, err := cvm.NewHandler(agent, nil, cvm.Options{})
	require.NoError(t, err)
	certA, err := agent.GetTLSKey(context.Background(), cvm.TLSKeyOptions{Subject: "a", AltNames: []string{"a.example"}})
	require.NoError(t, err)
	certB, err := agent.GetTLSKey(context.Background(), cvm.TLSKeyOptions{Subject: "b", AltNames: []string{"b.example"}})
	require.NoError(t, err)

	tests := []struct {
		name string
		base *tls.Config
	}{
		{"Certificates", &tls.Config{Certificates: []tls.Certificate{certA, certB}}},
		{"GetConfigForClient", &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			if hello.ServerName == "b.example" {
				return &tls.Config{Certificates: []tls.Certificate{certB}}, nil
			}
			return &tls.Config{Certificates: []tls.Certificate{certA}}, nil
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startTLS(t, h, tt.base)
			for name, want := range map[string]tls.Certificate{"a.example": certA, "b.example": certB} {
				c := tlsClient(t, a.PKI().TLSCAPool(), false)
				c.Transport.(*http.Transport).TLSClientConfig.ServerName = name
				nonce := newNonce()
				att, spki, _ := attest(t, c, ts.URL, nonce)
				assert.Equal(t, want.Leaf.RawSubjectPublicKeyInfo, spki, name)
				assert.Equal(t, spkiHash(spki), boundKey(t, att, nonce), name)
			}
		})
	}
}

// TestHandlerNoResumption checks that a client offering a session ticket
// gets a full handshake, so that the server knows the key it presented.
func TestHandlerNoResumption(t *testing.T) {
	a, agent := startAgent(t)
	h, err := cvm.NewHandler(agent, nil, cvm.Options{})
	require.NoError(t, err)
	ts := startTLS(t, h, &tls.Config{Certificates: []tls.Certificate{agentCert(t, agent)}})
	cfg := &tls.Config{RootCAs: a.PKI().TLSCAPool(), ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	for i := range 2 {
		tr := &http.Transport{TLSClientConfig: cfg}
		nonce := newNonce()
		att, spki, resp := attest(t, &http.Client{Transport: tr}, ts.URL, nonce)
		assert.False(t, resp.TLS.DidResume, "connection %d", i)
		assert.Equal(t, spkiHash(spki), boundKey(t, att, nonce))
		tr.CloseIdleConnections()
	}
}

// stubAgent is an in-process Agent whose calls a test controls.
type stubAgent struct {
	entered chan struct{} // receives once per call, if not nil
	gate    chan struct{} // calls wait for it, if not nil
	err     error
	att     *wire.Attestation
	info    *wire.Info
	quotes  atomic.Int64
	infos   atomic.Int64
}

func (s *stubAgent) wait(ctx context.Context) error {
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.err
}

func (s *stubAgent) GetQuote(ctx context.Context, rd []byte) (*wire.Attestation, error) {
	s.quotes.Add(1)
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	if s.att != nil {
		return s.att, nil
	}
	return &wire.Attestation{Quote: []byte{1}, ReportData: rd}, nil
}

func (s *stubAgent) Info(ctx context.Context) (*wire.Info, error) {
	s.infos.Add(1)
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	if s.info != nil {
		return s.info, nil
	}
	return &wire.Info{AppName: "stub"}, nil
}

// errorOf reads a refusal's {"error": ...}.
func errorOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var e struct {
		Error *string `json:"error"`
	}
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	require.NotNil(t, e.Error, "%s", body)
	return *e.Error
}

// TestHandlerRefusals checks every refusal: its status, its JSON error,
// and that no quote was made for it.
func TestHandlerRefusals(t *testing.T) {
	stub := &stubAgent{}
	h, err := cvm.NewHandler(stub, appHandler, cvm.Options{})
	require.NoError(t, err)
	ts, client := startSelfSigned(t, h)
	plain := httptest.NewServer(h)
	defer plain.Close()
	unrecorded := httptest.NewTLSServer(h) // TLS, but not set up with cvm.TLSConfig
	defer unrecorded.Close()

	good := wire.ReportDataParam + "=" + strings.Repeat("ab", wire.NonceSize)
	tests := []struct {
		name    string
		client  *http.Client
		url     string
		method  string
		body    string
		status  int
		message string
	}{
		{"plain HTTP", plain.Client(), plain.URL + wire.AttestationPath + "?" + good, "GET", "", 403, "TLS only"},
		{"not set up", unrecorded.Client(), unrecorded.URL + wire.AttestationPath + "?" + good, "GET", "", 500, "cannot be attested"},
		{"POST", client, ts.URL + wire.AttestationPath + "?" + good, "POST", "", 405, `expected GET or HEAD, found "POST"`},
		{"PUT info", client, ts.URL + wire.InfoPath, "PUT", "", 405, "expected GET or HEAD"},
		{"no nonce", client, ts.URL + wire.AttestationPath, "GET", "", 400, "expected one reportData parameter, found 0"},
		{"two nonces", client, ts.URL + wire.AttestationPath + "?" + good + "&" + good, "GET", "", 400, "found 2"},
		{"short nonce", client, ts.URL + wire.AttestationPath + "?reportData=abcd", "GET", "", 400, "expected 64 hex characters, found 4"},
		{"64-byte report data", client, ts.URL + wire.AttestationPath + "?reportData=" + strings.Repeat("ab", 64), "GET", "", 400, "expected 64 hex characters"},
		{"0x nonce", client, ts.URL + wire.AttestationPath + "?reportData=0x" + strings.Repeat("ab", 31), "GET", "", 400, "without 0x"},
		{"not hex", client, ts.URL + wire.AttestationPath + "?reportData=" + strings.Repeat("zz", 32), "GET", "", 400, "expected hex"},
		{"bad query", client, ts.URL + wire.AttestationPath + "?reportData=%zz", "GET", "", 400, "malformed"},
		{"body", client, ts.URL + wire.AttestationPath + "?" + good, "GET", "x", 413, "no request body"},
		{"long query", client, ts.URL + wire.AttestationPath + "?" + good + "&pad=" + strings.Repeat("a", 300), "GET", "", 414, "at most 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stub.quotes.Load() + stub.infos.Load()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, tt.url, body)
			require.NoError(t, err)
			resp, err := tt.client.Do(req)
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.status == 405 {
				assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
			}
			assert.Contains(t, errorOf(t, resp), tt.message)
			assert.Equal(t, before, stub.quotes.Load()+stub.infos.Load(), "no agent call")
		})
	}
}

// TestHandlerHead checks that HEAD is validated like GET and answered
// without a quote.
func TestHandlerHead(t *testing.T) {
	stub := &stubAgent{}
	h, err := cvm.NewHandler(stub, nil, cvm.Options{})
	require.NoError(t, err)
	ts, c := startSelfSigned(t, h)
	for _, u := range []string{
		ts.URL + attestationPath,
		ts.URL + wire.InfoPath,
	} {
		resp, err := c.Head(u)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	}
	resp, err := c.Head(ts.URL + wire.AttestationPath + "?reportData=01")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Zero(t, stub.quotes.Load()+stub.infos.Load())
}

// TestHandlerSaturated checks the bound on concurrent quotes: with both
// slots held, the next request is answered 503 with Retry-After at once,
// and the held ones complete when the agent answers.
func TestHandlerSaturated(t *testing.T) {
	stub := &stubAgent{entered: make(chan struct{}), gate: make(chan struct{})}
	h, err := cvm.NewHandler(stub, nil, cvm.Options{MaxConcurrentQuotes: 2})
	require.NoError(t, err)
	ts, c := startSelfSigned(t, h)
	u := ts.URL + attestationPath

	statuses := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := c.Get(u)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	<-stub.entered
	<-stub.entered

	resp, err := c.Get(u)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Contains(t, errorOf(t, resp), "busy")
	resp, err = c.Get(ts.URL + wire.InfoPath)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "info needs a quote too")
	resp.Body.Close()

	close(stub.gate)
	assert.Equal(t, http.StatusOK, <-statuses)
	assert.Equal(t, http.StatusOK, <-statuses)
	stub.entered = nil
	resp, err = c.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "slots are released")
}

// TestHandlerAgentFailure checks that agent failures are answered 502 or
// 504 without their details.
func TestHandlerAgentFailure(t *testing.T) {
	tests := []struct {
		name    string
		stub    *stubAgent
		timeout time.Duration
		status  int
	}{
		{"agent error", &stubAgent{err: errors.New("secret internal detail")}, 0, http.StatusBadGateway},
		{"agent timeout", &stubAgent{gate: make(chan struct{})}, 20 * time.Millisecond, http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := cvm.NewHandler(tt.stub, nil, cvm.Options{QuoteTimeout: tt.timeout})
			require.NoError(t, err)
			ts, c := startSelfSigned(t, h)
			for _, u := range []string{ts.URL + attestationPath, ts.URL + wire.InfoPath} {
				resp, err := c.Get(u)
				require.NoError(t, err)
				assert.Equal(t, tt.status, resp.StatusCode)
				msg := errorOf(t, resp)
				assert.Contains(t, msg, "guest agent")
				assert.NotContains(t, msg, "secret")
			}
		})
	}
}

// TestHandlerInfoCache checks that Info is served from memory for
// InfoMaxAge, and asked for on every request when it is negative.
func TestHandlerInfoCache(t *testing.T) {
	tests := []struct {
		maxAge time.Duration
		calls  int64
	}{{0, 1}, {-1, 3}}
	for _, tt := range tests {
		stub := &stubAgent{}
		h, err := cvm.NewHandler(stub, nil, cvm.Options{InfoMaxAge: tt.maxAge})
		require.NoError(t, err)
		for range 3 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, wire.InfoPath, nil))
			require.Equal(t, http.StatusOK, rec.Code, "info needs no TLS")
			info, err := wire.ParseInfo(rec.Body.Bytes())
			require.NoError(t, err)
			assert.Equal(t, "stub", info.AppName)
		}
		assert.Equal(t, tt.calls, stub.infos.Load(), "InfoMaxAge %v", tt.maxAge)
	}
}

// TestHandlerFallback checks that only the exact protocol paths are the
// handler's.
func TestHandlerFallback(t *testing.T) {
	stub := &stubAgent{}
	h, err := cvm.NewHandler(stub, appHandler, cvm.Options{})
	require.NoError(t, err)
	for _, p := range []string{"/", "/attestation/", "/info/x", "/Attestation"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, p, nil))
		assert.Equal(t, "app:"+p, rec.Body.String())
	}
	h, err = cvm.NewHandler(stub, nil, cvm.Options{})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

// TestNewHandlerOptions checks refused arguments.
func TestNewHandlerOptions(t *testing.T) {
	_, err := cvm.NewHandler(nil, nil, cvm.Options{})
	assert.Error(t, err)
	_, err = cvm.NewHandler(&stubAgent{}, nil, cvm.Options{MaxConcurrentQuotes: -1})
	assert.Error(t, err)
	_, err = cvm.NewHandler(&stubAgent{}, nil, cvm.Options{QuoteTimeout: -1})
	assert.Error(t, err)
}

// TestHandlerEncodesAgentAttestation checks that the handler serves the
// agent's attestation as wire encodes it, hex without 0x.
func TestHandlerEncodesAgentAttestation(t *testing.T) {
	stub := &stubAgent{att: &wire.Attestation{Quote: []byte{0xde, 0xad}, ReportData: []byte{1}, VMConfig: "{}"}}
	h, err := cvm.NewHandler(stub, nil, cvm.Options{})
	require.NoError(t, err)
	ts, c := startSelfSigned(t, h)
	resp, err := c.Get(ts.URL + attestationPath)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, err := stub.att.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, string(want), string(body))
	assert.Contains(t, string(body), `"quote":"dead"`)
}
