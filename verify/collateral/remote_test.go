package collateral

import (
	"context"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/limits"
)

// realReq is the request matching go-tdx-guest's embedded collateral.
var realReq = Request{FMSPC: "50806f000000", CA: CAPlatform}

// newPCCS starts f and returns a PCCS source for it.
func newPCCS(t *testing.T, f *fakePCS, opts HTTPOptions) Source {
	t.Helper()
	srv := f.start(t)
	src, err := NewPCCS(srv.URL+f.prefix, opts)
	require.NoError(t, err)
	return src
}

func TestPCCSFetch(t *testing.T) {
	f := newFakePCS(t)
	f.prefix = "/pccs/v1"
	srv := f.start(t)
	src, err := NewPCCS(srv.URL+"/pccs/v1/", HTTPOptions{})
	require.NoError(t, err)
	assert.Equal(t, "pccs:"+srv.URL+"/pccs/v1", src.ID())

	c, err := src.Fetch(context.Background(), realReq)
	require.NoError(t, err)

	// The signed values are the exact bytes served, not a re-encoding.
	assert.Equal(t, string(signedValue(t, testdata.TcbInfoBody, "tcbInfo")), string(c.TCBInfo))
	assert.Equal(t, string(signedValue(t, testdata.QeIdentityBody, "enclaveIdentity")), string(c.QEIdentity))
	assert.Len(t, c.TCBInfoSignature, signatureSize)
	assert.Len(t, c.QEIdentitySignature, signatureSize)
	assert.Equal(t, f.chain, string(c.TCBInfoIssuerChain))
	assert.Equal(t, f.chain, string(c.QEIdentityIssuerChain))
	assert.Equal(t, f.chain, string(c.PCKCRLIssuerChain))
	assert.Equal(t, testdata.PckCrlBody, c.PCKCRL)
	assert.Equal(t, testdata.RootCrlBody, c.RootCACRL, "hex root CA CRL decoded to DER")
	require.NoError(t, c.Validate())

	assert.ElementsMatch(t, []string{
		"/pccs/v1/tdx/certification/v4/tcb?fmspc=50806F000000",
		"/pccs/v1/tdx/certification/v4/qe/identity",
		"/pccs/v1/sgx/certification/v4/pckcrl?ca=platform&encoding=der",
		"/pccs/v1/sgx/certification/v4/rootcacrl",
	}, f.seen())
	assert.Equal(t, []string{DefaultUserAgent, DefaultUserAgent, DefaultUserAgent, DefaultUserAgent}, f.userAgents)
}

func TestPCSFetchUsesIntelURLs(t *testing.T) {
	f := newFakePCS(t)
	f.rootCRL = testdata.RootCrlBody
	srv := f.start(t)
	target, err := url.Parse(srv.URL)
	require.NoError(t, err)
	rt := &rewriteTransport{target: target}
	src := NewPCS(HTTPOptions{Client: &http.Client{Transport: rt}, UserAgent: "test-agent"})
	assert.Equal(t, "pcs:https://api.trustedservices.intel.com", src.ID())

	c, err := src.Fetch(context.Background(), Request{FMSPC: "50806F000000", CA: CAProcessor})
	require.NoError(t, err)
	assert.Equal(t, testdata.RootCrlBody, c.RootCACRL)
	assert.ElementsMatch(t, []string{
		"https://api.trustedservices.intel.com/tdx/certification/v4/tcb?fmspc=50806F000000",
		"https://api.trustedservices.intel.com/tdx/certification/v4/qe/identity",
		"https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=processor&encoding=der",
		"https://certificates.trustedservices.intel.com/IntelSGXRootCA.der",
	}, rt.asked)
	assert.Equal(t, []string{"test-agent", "test-agent", "test-agent", "test-agent"}, f.userAgents)
}

func TestFetchCRLEncodings(t *testing.T) {
	pemCRL := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}) }
	tests := []struct {
		name   string
		encode func([]byte) []byte
	}{
		{"der", func(b []byte) []byte { return b }},
		{"hex", func(b []byte) []byte { return []byte(hex.EncodeToString(b)) }},
		{"upper hex with newline", func(b []byte) []byte { return []byte(strings.ToUpper(hex.EncodeToString(b)) + "\n") }},
		{"pem", pemCRL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePCS(t)
			f.pckCRL = tt.encode(testdata.PckCrlBody)
			f.rootCRL = tt.encode(testdata.RootCrlBody)
			c, err := newPCCS(t, f, HTTPOptions{}).Fetch(context.Background(), realReq)
			require.NoError(t, err)
			assert.Equal(t, testdata.PckCrlBody, c.PCKCRL)
			assert.Equal(t, testdata.RootCrlBody, c.RootCACRL)
		})
	}
}

func TestNewPCCSBaseURL(t *testing.T) {
	tests := []struct {
		in, wantID string
	}{
		{"https://pccs.phala.network", "pccs:https://pccs.phala.network"},
		{"https://pccs.phala.network/", "pccs:https://pccs.phala.network"},
		{"https://pccs.example:8081/sgx/certification/v4/", "pccs:https://pccs.example:8081"},
		{"https://h.example/prefix/tdx/certification/v4", "pccs:https://h.example/prefix"},
		{"http://127.0.0.1:8081/a/b", "pccs:http://127.0.0.1:8081/a/b"},
	}
	for _, tt := range tests {
		src, err := NewPCCS(tt.in, HTTPOptions{})
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.wantID, src.ID(), tt.in)
	}
	for _, bad := range []string{"", "pccs.phala.network", "ftp://h.example", "https://", "https://h.example/?x=1", "https://h.example/#f", "://x", "https://user:secret@h.example", "https://h.example/%zz"} {
		_, err := NewPCCS(bad, HTTPOptions{})
		assert.Error(t, err, "%q", bad)
	}
}

func TestFetchNon200(t *testing.T) {
	for _, path := range []string{fakeTCB, fakeQE, fakePCKCRL, fakeRootCRL} {
		for _, status := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable} {
			t.Run(fmt.Sprintf("%s/%d", path, status), func(t *testing.T) {
				f := newFakePCS(t)
				f.override[path] = func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Error-Code", "NoData")
					w.WriteHeader(status)
				}
				c, err := newPCCS(t, f, HTTPOptions{}).Fetch(context.Background(), realReq)
				require.Error(t, err)
				assert.Nil(t, c)
				var fe *FetchError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, status, fe.StatusCode)
				assert.Contains(t, fe.URL, path)
				assert.ErrorIs(t, err, ErrUnavailable)
				assert.NotErrorIs(t, err, ErrMalformed)
				assert.Contains(t, err.Error(), "expected status 200 OK, found "+strconv.Itoa(status))
				assert.Contains(t, err.Error(), `Error-Code: "NoData"`)
			})
		}
	}
}

func TestFetchBodyLimit(t *testing.T) {
	largest := len(testdata.PckCrlBody) // the largest of the four real bodies
	endless := func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 4096)
		for i := 0; i < 256; i++ { // bounded: 1 MiB at most
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
	withLength := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(largest+1))
		w.Write(make([]byte, largest+1))
	}
	tests := []struct {
		name     string
		max      int64
		override map[string]http.HandlerFunc
		wantErr  bool
	}{
		{name: "exactly at the limit", max: int64(largest)},
		{name: "one byte over", max: int64(largest - 1), wantErr: true},
		{name: "content-length over", max: int64(largest), override: map[string]http.HandlerFunc{fakeQE: withLength}, wantErr: true},
		{name: "endless tcb info", max: int64(largest), override: map[string]http.HandlerFunc{fakeTCB: endless}, wantErr: true},
		{name: "endless root crl", max: int64(largest), override: map[string]http.HandlerFunc{fakeRootCRL: endless}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePCS(t)
			f.rootCRL = testdata.RootCrlBody
			for p, h := range tt.override {
				f.override[p] = h
			}
			c, err := newPCCS(t, f, HTTPOptions{MaxBodySize: tt.max}).Fetch(context.Background(), realReq)
			if !tt.wantErr {
				require.NoError(t, err)
				assert.Equal(t, testdata.PckCrlBody, c.PCKCRL)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, limits.ErrTooLarge)
			assert.ErrorIs(t, err, ErrUnavailable)
			var fe *FetchError
			assert.ErrorAs(t, err, &fe)
		})
	}
}

func TestFetchSlowEndpoint(t *testing.T) {
	block := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	halfBody := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000")
		w.Write([]byte(`{"tcbInfo":`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		opts    HTTPOptions
		ctx     func() (context.Context, context.CancelFunc)
	}{
		{"caller deadline, no headers", block, HTTPOptions{},
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			}},
		{"option timeout, no headers", block, HTTPOptions{Timeout: 100 * time.Millisecond},
			func() (context.Context, context.CancelFunc) { return context.Background(), func() {} }},
		{"caller deadline, stalled body", halfBody, HTTPOptions{},
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePCS(t)
			f.override[fakeTCB] = tt.handler
			src := newPCCS(t, f, tt.opts)
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err := src.Fetch(ctx, realReq)
			require.Error(t, err)
			assert.Less(t, time.Since(start), 10*time.Second)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorIs(t, err, ErrUnavailable)
			assert.NotErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestFetchCallerCancel(t *testing.T) {
	f := newFakePCS(t)
	arrived := make(chan struct{})
	var once sync.Once
	f.override[fakeQE] = func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-r.Context().Done()
	}
	src := newPCCS(t, f, HTTPOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := src.Fetch(ctx, realReq)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ErrUnavailable)
}

func TestFetchIsConcurrent(t *testing.T) {
	f := newFakePCS(t)
	var arrived sync.WaitGroup
	arrived.Add(4)
	all := make(chan struct{})
	go func() {
		arrived.Wait()
		close(all)
	}()
	// Each request waits until all four have arrived: a sequential
	// fetcher would stall until its timeout.
	f.gate = func(r *http.Request) {
		arrived.Done()
		select {
		case <-all:
		case <-r.Context().Done():
		}
	}
	c, err := newPCCS(t, f, HTTPOptions{Timeout: 20 * time.Second}).Fetch(context.Background(), realReq)
	require.NoError(t, err)
	assert.NotEmpty(t, c.TCBInfo)
}

func TestFetchMalformed(t *testing.T) {
	body := func(b string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(headerTCBInfoChain, url.PathEscape(string(newTestPKI(t).pem)))
			w.Header().Set(headerQEIdentityChain, url.PathEscape(string(newTestPKI(t).pem)))
			w.Header().Set(headerPCKCRLChain, url.PathEscape(string(newTestPKI(t).pem)))
			w.Write([]byte(b))
		}
	}
	realTCB := string(testdata.TcbInfoBody)
	tests := []struct {
		name      string
		path      string
		body      string
		wantItem  string
		wantField string
	}{
		{"tcb truncated json", fakeTCB, realTCB[:100], itemTCBInfo, ""},
		{"tcb missing tcbInfo", fakeTCB, `{"signature":"00"}`, itemTCBInfo, "tcbInfo"},
		{"tcb null tcbInfo", fakeTCB, `{"tcbInfo":null,"signature":"00"}`, itemTCBInfo, "tcbInfo"},
		{"tcb info missing nextUpdate", fakeTCB, strings.Replace(realTCB, `"nextUpdate"`, `"nextUpdateX"`, 1), itemTCBInfo, "nextUpdate"},
		{"tcb signature not hex", fakeTCB, strings.Replace(realTCB, `"signature":"`, `"signature":"zz`, 1), itemTCBInfo, "signature"},
		{"tcb signature short", fakeTCB, `{"tcbInfo":` + string(signedValue(t, testdata.TcbInfoBody, "tcbInfo")) +
			`,"signature":"` + strings.Repeat("ab", signatureSize-1) + `"}`, itemTCBInfo, "signature"},
		{"tcb signature missing", fakeTCB, `{"tcbInfo":` + string(signedValue(t, testdata.TcbInfoBody, "tcbInfo")) + `}`, itemTCBInfo, "signature"},
		{"qe html", fakeQE, `<html>maintenance</html>`, itemQEIdentity, ""},
		{"qe array", fakeQE, `[]`, itemQEIdentity, ""},
		{"qe missing enclaveIdentity", fakeQE, `{"qeIdentity":{},"signature":"00"}`, itemQEIdentity, "enclaveIdentity"},
		{"pck crl garbage", fakePCKCRL, "garbage", itemPCKCRL, ""},
		{"pck crl empty", fakePCKCRL, "", itemPCKCRL, ""},
		{"pck crl pem of a certificate", fakePCKCRL, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", itemPCKCRL, "body"},
		{"root crl odd hex", fakeRootCRL, "308", itemRootCACRL, ""},
		{"root crl hex of not a crl", fakeRootCRL, "3000", itemRootCACRL, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePCS(t)
			f.override[tt.path] = body(tt.body)
			_, err := newPCCS(t, f, HTTPOptions{}).Fetch(context.Background(), realReq)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.NotErrorIs(t, err, ErrUnavailable)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantItem, fe.Item, "error: %v", err)
			if tt.wantField != "" {
				assert.Equal(t, tt.wantField, fe.Field, "error: %v", err)
			}
			assert.Contains(t, err.Error(), tt.path, "the error names the URL")
		})
	}
}

func TestFetchIssuerChainHeader(t *testing.T) {
	notCert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	tests := []struct {
		name      string
		edit      func(f *fakePCS)
		wantField string // empty: success
	}{
		{"path escaped", func(f *fakePCS) {}, ""},
		{"query escaped", func(f *fakePCS) { f.escape = url.QueryEscape }, ""},
		{"older header name", func(f *fakePCS) { f.tcbHeader = headerTCBInfoChainOld }, ""},
		{"missing", func(f *fakePCS) { f.tcbHeader = "X-Other" }, "TCB-Info-Issuer-Chain header"},
		{"bad escape", func(f *fakePCS) { f.escape = func(string) string { return "%zz" } }, "TCB-Info-Issuer-Chain header"},
		{"not pem", func(f *fakePCS) { f.escape = func(string) string { return "hello" } }, "TCB-Info-Issuer-Chain header"},
		{"not a certificate", func(f *fakePCS) { f.chain = notCert }, "TCB-Info-Issuer-Chain header"},
		{"trailing garbage", func(f *fakePCS) { f.chain += "garbage" }, "TCB-Info-Issuer-Chain header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePCS(t)
			tt.edit(f)
			c, err := newPCCS(t, f, HTTPOptions{}).Fetch(context.Background(), realReq)
			if tt.wantField == "" {
				require.NoError(t, err)
				assert.Equal(t, f.chain, string(c.TCBInfoIssuerChain))
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformed)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			// Every header carries the chain, so whichever item fails
			// first names its own header.
			assert.Contains(t, fe.Field, "header", "error: %v", err)
		})
	}
}

func TestFetchQEAndPCKChainHeadersRequired(t *testing.T) {
	for _, path := range []string{fakeQE, fakePCKCRL} {
		t.Run(path, func(t *testing.T) {
			f := newFakePCS(t)
			f.override[path] = func(w http.ResponseWriter, r *http.Request) {
				if path == fakeQE {
					w.Write(f.qeBody)
				} else {
					w.Write(f.pckCRL)
				}
			}
			_, err := newPCCS(t, f, HTTPOptions{}).Fetch(context.Background(), realReq)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			want := map[string]string{fakeQE: headerQEIdentityChain, fakePCKCRL: headerPCKCRLChain}[path]
			assert.Equal(t, want+" header", fe.Field)
		})
	}
}

func TestFetchRedirects(t *testing.T) {
	other := newFakePCS(t)
	otherSrv := other.start(t)

	f := newFakePCS(t)
	f.override[fakeTCB] = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+r.URL.RequestURI(), http.StatusFound)
	}
	_, err := newPCCS(t, f, HTTPOptions{}).Fetch(context.Background(), realReq)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrRedirect)
	assert.ErrorIs(t, err, ErrUnavailable)
	for _, u := range other.seen() {
		assert.NotContains(t, u, "/tcb", "the other host was never asked")
	}

	// A redirect within the same host is followed, also with a caller's
	// client whose own policy is kept.
	var policyCalls int
	client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		policyCalls++
		return nil
	}}
	g := newFakePCS(t)
	g.override[fakeQE] = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved", http.StatusMovedPermanently)
	}
	g.override["/moved"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(headerQEIdentityChain, url.PathEscape(g.chain))
		w.Write(g.qeBody)
	}
	c, err := newPCCS(t, g, HTTPOptions{Client: client}).Fetch(context.Background(), realReq)
	require.NoError(t, err)
	assert.NotEmpty(t, c.QEIdentity)
	assert.Equal(t, 1, policyCalls)
	assert.Nil(t, client.CheckRedirect(nil, nil), "the caller's client is not modified")

	// Endless same-host redirects stop.
	h := newFakePCS(t)
	h.override[fakeRootCRL] = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}
	_, err = newPCCS(t, h, HTTPOptions{}).Fetch(context.Background(), realReq)
	assert.ErrorIs(t, err, ErrRedirect)
}

func TestFetchInvalidRequest(t *testing.T) {
	f := newFakePCS(t)
	src := newPCCS(t, f, HTTPOptions{})
	for _, req := range []Request{
		{FMSPC: "", CA: CAPlatform},
		{FMSPC: "50806f00000", CA: CAPlatform},
		{FMSPC: "50806f0000000", CA: CAPlatform},
		{FMSPC: "50806f00000g", CA: CAPlatform},
		{FMSPC: "50806f000000&x=1", CA: CAPlatform},
		{FMSPC: "50806f000000", CA: ""},
		{FMSPC: "50806f000000", CA: "root"},
	} {
		_, err := src.Fetch(context.Background(), req)
		assert.ErrorIs(t, err, ErrInvalidRequest, "%+v", req)
		assert.False(t, errors.Is(err, ErrUnavailable) || errors.Is(err, ErrMalformed), "%+v", req)
	}
	assert.Empty(t, f.seen(), "no request was sent")
}

func TestFetchNetworkError(t *testing.T) {
	f := newFakePCS(t)
	srv := f.start(t)
	src, err := NewPCCS(srv.URL, HTTPOptions{})
	require.NoError(t, err)
	srv.Close()
	_, err = src.Fetch(context.Background(), realReq)
	var fe *FetchError
	require.ErrorAs(t, err, &fe)
	assert.Zero(t, fe.StatusCode)
	assert.ErrorIs(t, err, ErrUnavailable)
}
