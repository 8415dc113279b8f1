package cvmtest_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify/collateral"
)

// get fetches path from s and returns the response with its body read.
func get(t *testing.T, s *cvmtest.PCSServer, path string) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	require.NoError(t, err)
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(t, err)
	return resp, body
}

// signedDoc splits an Intel signed JSON body.
func signedDoc(t *testing.T, body []byte, key string) (raw json.RawMessage, sig []byte) {
	t.Helper()
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &doc))
	require.Len(t, doc, 2)
	var sigHex string
	require.NoError(t, json.Unmarshal(doc["signature"], &sigHex))
	assert.Equal(t, strings.ToLower(sigHex), sigHex, "Intel writes signatures in lower-case hex")
	sig, err := hex.DecodeString(sigHex)
	require.NoError(t, err)
	return doc[key], sig
}

func TestPCSServerEndpoints(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	s := cvmtest.NewPCSServer(c, p)
	defer s.Close()

	rootCRLPath := mustURL(t, p.Root.CRLDistributionPoints[0]).Path
	tests := []struct {
		name        string
		path        string
		status      int
		contentType string
		chainHeader string
		chain       []byte
		check       func(t *testing.T, body []byte)
	}{
		{"TCB info", cvmtest.TCBInfoPath + "?fmspc=" + p.FMSPC(), 200, "application/json",
			cvmtest.TCBInfoIssuerChainHeader, c.TCBInfoIssuerChain, func(t *testing.T, body []byte) {
				raw, sig := signedDoc(t, body, "tcbInfo")
				assert.Equal(t, c.TCBInfo, []byte(raw), "the signed bytes are served unchanged")
				assert.Equal(t, c.TCBInfoSignature, sig)
			}},
		{"TCB info, lower-case FMSPC", cvmtest.TCBInfoPath + "?fmspc=" + strings.ToLower(p.FMSPC()) + "&update=standard", 200,
			"application/json", cvmtest.TCBInfoIssuerChainHeader, c.TCBInfoIssuerChain, nil},
		{"QE identity", cvmtest.QEIdentityPath, 200, "application/json",
			cvmtest.QEIdentityIssuerChainHeader, c.QEIdentityIssuerChain, func(t *testing.T, body []byte) {
				raw, sig := signedDoc(t, body, "enclaveIdentity")
				assert.Equal(t, c.QEIdentity, []byte(raw))
				assert.Equal(t, c.QEIdentitySignature, sig)
			}},
		{"PCK CRL DER", cvmtest.PCKCRLPath + "?ca=platform&encoding=der", 200, "application/pkix-crl",
			cvmtest.PCKCRLIssuerChainHeader, c.PCKCRLIssuerChain, func(t *testing.T, body []byte) {
				assert.Equal(t, c.PCKCRL, body)
			}},
		{"PCK CRL PEM by default", cvmtest.PCKCRLPath + "?ca=platform", 200, "application/x-pem-file",
			cvmtest.PCKCRLIssuerChainHeader, c.PCKCRLIssuerChain, func(t *testing.T, body []byte) {
				block, rest := pem.Decode(body)
				require.NotNil(t, block)
				assert.Equal(t, "X509 CRL", block.Type)
				assert.Equal(t, c.PCKCRL, block.Bytes)
				assert.Empty(t, rest)
			}},
		{"root CA CRL (PCCS path)", cvmtest.RootCACRLPath, 200, "application/pkix-crl", "", nil,
			func(t *testing.T, body []byte) { assert.Equal(t, c.RootCACRL, body) }},
		{"root CA CRL (distribution point)", rootCRLPath, 200, "application/pkix-crl", "", nil,
			func(t *testing.T, body []byte) { assert.Equal(t, c.RootCACRL, body) }},
		{"unknown FMSPC", cvmtest.TCBInfoPath + "?fmspc=00906ED50000", 404, "application/json", "", nil, nil},
		{"malformed FMSPC", cvmtest.TCBInfoPath + "?fmspc=xyz", 400, "application/json", "", nil, nil},
		{"missing FMSPC", cvmtest.TCBInfoPath, 400, "application/json", "", nil, nil},
		{"other CA", cvmtest.PCKCRLPath + "?ca=processor&encoding=der", 404, "application/json", "", nil, nil},
		{"unknown CA", cvmtest.PCKCRLPath + "?ca=root", 400, "application/json", "", nil, nil},
		{"unknown encoding", cvmtest.PCKCRLPath + "?ca=platform&encoding=base64", 400, "application/json", "", nil, nil},
		{"unknown path", "/sgx/certification/v4/pckcert", 404, "application/json", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, s, tt.path)
			assert.Equal(t, tt.status, resp.StatusCode, string(body))
			assert.Equal(t, tt.contentType, resp.Header.Get("Content-Type"))
			if tt.chainHeader != "" {
				escaped := resp.Header.Get(tt.chainHeader)
				assert.NotContains(t, escaped, "+", "'+' would turn into a space under QueryUnescape")
				for _, unescape := range []func(string) (string, error){url.PathUnescape, url.QueryUnescape} {
					chain, err := unescape(escaped)
					require.NoError(t, err)
					assert.Equal(t, string(tt.chain), chain)
				}
			}
			if tt.status != 200 {
				var e struct{ Error string }
				require.NoError(t, json.Unmarshal(body, &e))
				assert.NotEmpty(t, e.Error)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}

	t.Run("method", func(t *testing.T) {
		resp, err := s.Client().Post(s.URL+cvmtest.QEIdentityPath, "application/json", strings.NewReader("{}"))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// TestPCSServerFeedsPCCSSource fetches from the fake server with the
// project's own PCCS client: what it gets must be the collateral served.
func TestPCSServerFeedsPCCSSource(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			p := mustDefaultPKI(t)
			c := defaultCollateral(t, p)
			newServer := cvmtest.NewPCSServer
			if tls {
				newServer = cvmtest.NewPCSServerTLS
			}
			s := newServer(c, p)
			defer s.Close()
			assert.Equal(t, tls, strings.HasPrefix(s.URL, "https://"))

			src, err := collateral.NewPCCS(s.URL, collateral.HTTPOptions{Client: s.Client()})
			require.NoError(t, err)
			got, err := src.Fetch(context.Background(), collateral.Request{FMSPC: p.FMSPC(), CA: collateral.CAPlatform})
			require.NoError(t, err)
			assert.Equal(t, c, got)
			assert.Equal(t, int64(1), s.Requests(cvmtest.TCBInfoPath))
			assert.Equal(t, int64(1), s.Requests(cvmtest.QEIdentityPath))
			assert.Equal(t, int64(1), s.Requests(cvmtest.PCKCRLPath))
			assert.Equal(t, int64(1), s.Requests(cvmtest.RootCACRLPath))
			assert.Equal(t, int64(4), s.TotalRequests())
		})
	}
}

func TestPCSServerControls(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	tcbPath := cvmtest.TCBInfoPath + "?fmspc=" + p.FMSPC()

	t.Run("fail", func(t *testing.T) {
		s := cvmtest.NewPCSServer(c, p)
		defer s.Close()
		s.Fail("", http.StatusServiceUnavailable)
		s.Fail(cvmtest.QEIdentityPath, http.StatusTooManyRequests)
		resp, _ := get(t, s, tcbPath)
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		resp, _ = get(t, s, cvmtest.QEIdentityPath)
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "a path setting wins")
		s.Fail("", 0)
		resp, _ = get(t, s, tcbPath)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		resp, _ = get(t, s, cvmtest.QEIdentityPath)
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		s.Fail(cvmtest.QEIdentityPath, 0)
		resp, _ = get(t, s, cvmtest.QEIdentityPath)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, int64(3), s.Requests(cvmtest.QEIdentityPath), "failed requests count too")
		assert.Equal(t, int64(0), s.Requests("/nothing"))
	})

	t.Run("hang until the client gives up", func(t *testing.T) {
		s := cvmtest.NewPCSServer(c, p)
		defer s.Close()
		release := make(chan struct{})
		defer close(release)
		entered := s.Hang(release)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+tcbPath, nil)
			if err != nil {
				errc <- err
				return
			}
			resp, err := s.Client().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		assert.Equal(t, cvmtest.TCBInfoPath, <-entered)
		cancel()
		assert.ErrorIs(t, <-errc, context.Canceled)
	})

	t.Run("hang until released", func(t *testing.T) {
		s := cvmtest.NewPCSServer(c, p)
		defer s.Close()
		release := make(chan struct{})
		entered := s.Hang(release)
		type result struct {
			status int
			err    error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := s.Client().Get(s.URL + cvmtest.QEIdentityPath)
			if err != nil {
				done <- result{err: err}
				return
			}
			resp.Body.Close()
			done <- result{status: resp.StatusCode}
		}()
		<-entered
		select {
		case r := <-done:
			t.Fatalf("request finished while hanging: %+v", r)
		default:
		}
		close(release)
		r := <-done
		require.NoError(t, r.err)
		assert.Equal(t, http.StatusOK, r.status)
		assert.Nil(t, s.Hang(nil))
		resp, _ := get(t, s, cvmtest.QEIdentityPath)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})

	t.Run("close releases hanging requests", func(t *testing.T) {
		s := cvmtest.NewPCSServer(c, p)
		entered := s.Hang(make(chan struct{}))
		errc := make(chan error, 1)
		go func() {
			resp, err := s.Client().Get(s.URL + cvmtest.QEIdentityPath)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil {
					err = errors.New("got a response")
				}
			}
			errc <- err
		}()
		<-entered
		s.Close()
		assert.Error(t, <-errc)
	})

	t.Run("oversize", func(t *testing.T) {
		s := cvmtest.NewPCSServer(c, p)
		defer s.Close()
		s.Oversize(200 << 10)
		resp, body := get(t, s, tcbPath)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Len(t, body, 200<<10)
		assert.Equal(t, "204800", resp.Header.Get("Content-Length"))
		raw, _ := signedDoc(t, body, "tcbInfo")
		assert.Equal(t, c.TCBInfo, []byte(raw), "padding keeps the JSON valid")
		_, body = get(t, s, cvmtest.PCKCRLPath+"?ca=platform&encoding=der")
		assert.Len(t, body, 200<<10)
		assert.Equal(t, c.PCKCRL, body[:len(c.PCKCRL)])
		s.Oversize(0)
		_, body = get(t, s, cvmtest.RootCACRLPath)
		assert.Equal(t, c.RootCACRL, body)
	})

	t.Run("endless", func(t *testing.T) {
		s := cvmtest.NewPCSServer(c, p)
		defer s.Close()
		s.Oversize(-1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+cvmtest.QEIdentityPath, nil)
		require.NoError(t, err)
		resp, err := s.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, int64(-1), resp.ContentLength)
		const limit = 4 << 20
		n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, limit))
		require.NoError(t, err)
		assert.Equal(t, int64(limit), n, "the body goes on past any limit")
	})

	t.Run("swap collateral", func(t *testing.T) {
		s := cvmtest.NewPCSServer(c, p)
		defer s.Close()
		later, err := p.Collateral(cvmtest.CollateralOptions{Now: testNow.Add(24 * time.Hour)})
		require.NoError(t, err)
		s.SetCollateral(later)
		_, body := get(t, s, cvmtest.QEIdentityPath)
		raw, _ := signedDoc(t, body, "enclaveIdentity")
		assert.Equal(t, later.QEIdentity, []byte(raw))
		s.SetCollateral(nil)
		for _, path := range []string{tcbPath, cvmtest.QEIdentityPath, cvmtest.PCKCRLPath + "?ca=platform", cvmtest.RootCACRLPath} {
			resp, _ := get(t, s, path)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		}
	})
}

func TestPCSServerWithoutPKI(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	s := cvmtest.NewPCSServer(c, nil)
	defer s.Close()
	for _, tt := range []struct {
		path   string
		status int
	}{
		{cvmtest.RootCACRLPath, http.StatusOK},
		{cvmtest.RootCRLPath, http.StatusNotFound},
		{cvmtest.PCKCRLPath + "?ca=platform&encoding=der", http.StatusOK},
		{cvmtest.PCKCRLPath + "?ca=processor&encoding=der", http.StatusOK},
		{cvmtest.TCBInfoPath + "?fmspc=" + p.FMSPC(), http.StatusOK},
	} {
		resp, _ := get(t, s, tt.path)
		assert.Equal(t, tt.status, resp.StatusCode, tt.path)
	}
}

func TestGetter(t *testing.T) {
	p := mustDefaultPKI(t)
	c := defaultCollateral(t, p)
	s := cvmtest.NewPCSServer(c, p)
	defer s.Close()
	g := s.Getter()

	header, body, err := g.Get("https://api.trustedservices.intel.com/tdx/certification/v4/tcb?fmspc=" + strings.ToLower(p.FMSPC()))
	require.NoError(t, err)
	assert.NotEmpty(t, header[http.CanonicalHeaderKey(cvmtest.TCBInfoIssuerChainHeader)])
	raw, _ := signedDoc(t, body, "tcbInfo")
	assert.Equal(t, c.TCBInfo, []byte(raw))

	_, body, err = g.GetContext(context.Background(), p.Root.CRLDistributionPoints[0])
	require.NoError(t, err)
	assert.Equal(t, c.RootCACRL, body)

	_, _, err = g.Get("https://api.trustedservices.intel.com/tdx/certification/v4/tcb?fmspc=000000000000")
	assert.ErrorIs(t, err, cvmtest.ErrUnexpectedStatus)
	assert.Contains(t, err.Error(), "expected 200, found 404")

	s.Oversize(cvmtest.MaxGetterBody + 10)
	_, _, err = g.Get(cvmtest.DefaultBaseURL + cvmtest.QEIdentityPath)
	assert.ErrorIs(t, err, cvmtest.ErrBodyTooLarge)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = g.GetContext(ctx, cvmtest.DefaultBaseURL+cvmtest.QEIdentityPath)
	assert.ErrorIs(t, err, context.Canceled)
	var e *cvmtest.Error
	assert.ErrorAs(t, err, &e)

	_, _, err = g.Get("://no scheme")
	assert.ErrorAs(t, err, &e)
}
