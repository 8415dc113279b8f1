package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// echoApp answers with the method, path and body it received, sets a
// header that claims a verdict (the proxy must drop it), and answers a
// WebSocket-style upgrade by echoing on the hijacked connection.
func echoApp(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" {
		upgradeEcho(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Cvmgate-App-Id", "forged by the upstream")
	fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
}

// upgradeEcho switches to an echo protocol on the hijacked connection.
func upgradeEcho(w http.ResponseWriter, r *http.Request) {
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

// proxyFront serves the proxy in front of the upstream URL up, judged by
// pol with the transport options of trust, and returns its base URL.
func proxyFront(t *testing.T, up string, pol *policy.Policy, trust *cvmtest.Server, maxBody int64) (string, *syncBuffer) {
	t.Helper()
	tr, err := transport.New(pol, append(trust.TransportOptions(), transport.WithAttestationTimeout(10*time.Second))...)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	u, err := url.Parse(up)
	require.NoError(t, err)
	logs := &syncBuffer{}
	front := httptest.NewServer(newProxyHandler(u, tr, slog.New(slog.NewJSONHandler(logs, nil)), maxBody))
	t.Cleanup(front.Close)
	return front.URL, logs
}

// TestProxyForwardsToAttestedCVM: requests reach the app of an honest
// CVM through the proxy, with the verdict of the key that answered in
// headers, the upstream's own Cvmgate-* headers dropped, and a path
// prefix of the upstream kept.
func TestProxyForwardsToAttestedCVM(t *testing.T) {
	s := cvmtest.NewServer(http.HandlerFunc(echoApp))
	t.Cleanup(s.Close)
	front, _ := proxyFront(t, s.URL+"/base", s.Policy(), s, defaultMaxBody)

	resp, err := http.Post(front+"/v1/chat?x=1", "text/plain", strings.NewReader("hello"))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Equal(t, "POST /base/v1/chat?x=1 hello", string(body))

	app := s.App()
	h := app.ComposeHash()
	appID, _, _, _ := app.Identity()
	assert.Equal(t, hex.EncodeToString(h[:]), resp.Header.Get(headerComposeHash))
	assert.Equal(t, hex.EncodeToString(appID), resp.Header.Get(headerAppID), "the upstream's forged header is dropped")
	assert.Equal(t, "UpToDate", resp.Header.Get(headerTCBStatus))
	assert.Len(t, resp.Header.Get(headerSPKISHA256), 64)
	exp, err := time.Parse(time.RFC3339, resp.Header.Get(headerVerdictExpires))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour), exp, 5*time.Minute, "max_age 1h")
	assert.Equal(t, int64(1), s.AppRequests())
}

// TestProxyRefusesThreats: a CVM that fails attestation gets no request;
// the client gets 502 with a documented JSON body naming the kind.
func TestProxyRefusesThreats(t *testing.T) {
	honest := cvmtest.NewServer(http.HandlerFunc(echoApp))
	t.Cleanup(honest.Close)
	doc := readJSONDoc(t)
	newServer := func(t *testing.T, opts ...cvmtest.Option) *cvmtest.Server {
		s := cvmtest.NewServer(http.HandlerFunc(echoApp), opts...)
		t.Cleanup(s.Close)
		return s
	}
	tests := []struct {
		name   string
		server func(t *testing.T) *cvmtest.Server
		kind   verify.Kind
		status int
	}{
		{"changed compose", func(t *testing.T) *cvmtest.Server {
			return newServer(t, cvmtest.WithComposeFile([]byte(changedCompose)))
		}, verify.KindPolicy, http.StatusBadGateway},
		{"debug TD", func(t *testing.T) *cvmtest.Server { return newServer(t, cvmtest.WithDebug()) }, verify.KindPolicy, http.StatusBadGateway},
		{"relay", func(t *testing.T) *cvmtest.Server {
			r := cvmtest.NewRelay(honest)
			t.Cleanup(r.Close)
			return r
		}, verify.KindKeyBinding, http.StatusBadGateway},
		{"replayed quote", func(t *testing.T) *cvmtest.Server {
			s := newServer(t, cvmtest.WithReplay())
			resp, err := s.Client().Get(s.URL + wire.AttestationPath + "?" + wire.ReportDataParam + "=" + strings.Repeat("ab", 32))
			require.NoError(t, err)
			resp.Body.Close()
			return s
		}, verify.KindStaleNonce, http.StatusBadGateway},
		{"expired collateral", func(t *testing.T) *cvmtest.Server { return newServer(t, cvmtest.WithExpiredCollateral()) }, verify.KindCollateralExpired, http.StatusBadGateway},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.server(t)
			before := honest.AppRequests()
			front, logs := proxyFront(t, s.URL, honest.Policy(), s, defaultMaxBody)
			status, body := getProxyError(t, front+"/secret")
			assert.Equal(t, tc.status, status)
			checkDocumented(t, doc, "proxy-error", body, tc.name)
			assert.Equal(t, string(tc.kind), body["kind"])
			assert.Equal(t, "https://"+strings.TrimPrefix(s.URL, "https://"), body["origin"])
			assert.NotEmpty(t, body["message"])
			assert.Zero(t, s.AppRequests(), "no request reached the app")
			assert.Equal(t, before, honest.AppRequests(), "nothing was relayed to the app")
			assert.Contains(t, logs.String(), `"msg":"upstream refused: attestation failed"`)
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		gone := "https://" + strings.TrimPrefix(closedURL(t), "http://")
		front, _ := proxyFront(t, gone, honest.Policy(), honest, defaultMaxBody)
		status, body := getProxyError(t, front+"/")
		assert.Equal(t, http.StatusBadGateway, status)
		checkDocumented(t, doc, "proxy-error", body, "unreachable")
		assert.Equal(t, "unreachable", body["kind"])
		assert.Contains(t, body["hint"], "no verdict")
	})
}

// getProxyError gets url and decodes the proxy's JSON error.
func getProxyError(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// TestProxyStreams: the proxy passes each chunk on as the upstream
// flushes it: the client reads the first before the app writes the
// second.
func TestProxyStreams(t *testing.T) {
	next := make(chan struct{})
	s := cvmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(s.Close)
	front, _ := proxyFront(t, s.URL, s.Policy(), s, defaultMaxBody)
	resp, err := http.Get(front + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("data: %d\n", i), line)
		_, err = rd.ReadString('\n')
		require.NoError(t, err)
		next <- struct{}{} // only now does the app write the next event
	}
}

// TestProxyWebSocketUpgrade: an upgrade through the proxy gets 101 and a
// two-way tunnel to the app over an attested connection.
func TestProxyWebSocketUpgrade(t *testing.T) {
	s := cvmtest.NewServer(http.HandlerFunc(echoApp))
	t.Cleanup(s.Close)
	front, _ := proxyFront(t, s.URL, s.Policy(), s, defaultMaxBody)
	conn, rd, resp := dialUpgrade(t, strings.TrimPrefix(front, "http://"))
	assert.Equal(t, "websocket", resp.Header.Get("Upgrade"))
	assert.NotEmpty(t, resp.Header.Get(headerComposeHash), "the verdict is on the upgrade's answer too")
	for _, msg := range []string{"ping\n", "pong\n"} {
		_, err := io.WriteString(conn, msg)
		require.NoError(t, err)
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, msg, line)
	}
	assert.Equal(t, int64(1), s.AppRequests())
}

// dialUpgrade connects to the proxy at addr (host:port), asks for a
// WebSocket upgrade of /ws and requires 101 Switching Protocols. It
// returns the tunnel's connection, its reader (past the response
// headers) and the response.
func dialUpgrade(t *testing.T, addr string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(waitLimit))
	_, err = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	require.NoError(t, err)
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	return conn, rd, resp
}

// TestProxyBodyLimit: a body beyond --max-body is refused with 413,
// before the upstream sees it when its length is declared.
func TestProxyBodyLimit(t *testing.T) {
	s := cvmtest.NewServer(http.HandlerFunc(echoApp))
	t.Cleanup(s.Close)
	front, _ := proxyFront(t, s.URL, s.Policy(), s, 10)
	doc := readJSONDoc(t)

	resp, err := http.Post(front+"/upload", "text/plain", strings.NewReader("0123456789"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "at the bound")

	before := s.AppRequests()
	resp, err = http.Post(front+"/upload", "text/plain", strings.NewReader("0123456789X"))
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	checkDocumented(t, doc, "proxy-error", body, "too large")
	assert.Equal(t, kindRequestTooLarge, body["kind"])
	assert.Equal(t, "the request body is larger than the proxy's --max-body of 10", body["message"])
	assert.Equal(t, before, s.AppRequests(), "a declared length over the bound is not forwarded")

	// A body of unknown length is cut at the bound.
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(strings.Repeat("x", 20)))
		pw.Close()
	}()
	resp, err = http.Post(front+"/upload", "text/plain", pr)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
}

// TestProxyErrorStatus: how each failure is answered.
func TestProxyErrorStatus(t *testing.T) {
	refused := &transport.AttestationError{Origin: "https://cvm.example:443", Step: transport.StepVerify,
		Err: &verify.Error{Kind: verify.KindKeyBinding, Check: "report data", Expected: "a", Found: "b"}}
	tests := []struct {
		name   string
		err    error
		status int
		kind   string
		origin string
	}{
		{"attestation refused", refused, http.StatusBadGateway, "key_binding", "https://cvm.example:443"},
		{"wrapped", fmt.Errorf("round trip: %w", refused), http.StatusBadGateway, "key_binding", "https://cvm.example:443"},
		{"no verdict", &verify.Error{Kind: verify.KindUnreachable, Err: errors.New("refused")}, http.StatusBadGateway, "unreachable", "https://up.example"},
		{"response timeout", timeoutError{}, http.StatusGatewayTimeout, kindUpstream, "https://up.example"},
		{"deadline", context.DeadlineExceeded, http.StatusGatewayTimeout, "unreachable", "https://up.example"},
		{"connection reset", errors.New("read: connection reset by peer"), http.StatusBadGateway, kindUpstream, "https://up.example"},
		{"body too large", &http.MaxBytesError{Limit: 64 << 20}, http.StatusRequestEntityTooLarge, kindRequestTooLarge, "https://up.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := proxyErrorOf(tc.err, "https://up.example")
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.kind, body.Kind)
			assert.Equal(t, tc.origin, body.Origin)
			assert.Equal(t, schemaVersion, body.SchemaVersion)
			assert.NotEmpty(t, body.Message)
		})
	}
	_, body := proxyErrorOf(&http.MaxBytesError{Limit: 64 << 20}, "x")
	assert.Equal(t, "the request body is larger than the proxy's --max-body of 64M", body.Message)
}

// timeoutError is a net.Error that timed out.
type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout awaiting response headers" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestByteSizeFlag(t *testing.T) {
	tests := map[string]int64{"0": 0, "10": 10, "64M": 64 << 20, "64MiB": 64 << 20, "64mb": 64 << 20, "2k": 2048, "1G": 1 << 30}
	for in, want := range tests {
		var b byteSize
		require.NoError(t, b.Set(in), in)
		assert.Equal(t, want, int64(b), in)
	}
	for _, in := range []string{"", "M", "-1", "1T", "1.5M", "9999999999G"} {
		var b byteSize
		assert.Error(t, b.Set(in), in)
	}
	b := byteSize(64 << 20)
	assert.Equal(t, "64M", b.String())
	b = 1000
	assert.Equal(t, "1000", b.String())
}
