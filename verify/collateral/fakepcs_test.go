package collateral

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"
)

// Paths the fake PCS serves, relative to its prefix.
const (
	fakeTCB     = "/tdx/certification/v4/tcb"
	fakeQE      = "/tdx/certification/v4/qe/identity"
	fakePCKCRL  = "/sgx/certification/v4/pckcrl"
	fakeRootCRL = "/sgx/certification/v4/rootcacrl"
	fakeIntelRo = "/IntelSGXRootCA.der"
)

// fakePCS is an Intel-PCS-shaped server serving go-tdx-guest's real 2023
// collateral bodies, with issuer chains from a test PKI. Tests change its
// fields before the first request, or override a path with a handler.
type fakePCS struct {
	prefix     string
	tcbBody    []byte
	qeBody     []byte
	pckCRL     []byte
	rootCRL    []byte
	chain      string
	escape     func(string) string
	tcbHeader  string
	override   map[string]http.HandlerFunc
	gate       func(r *http.Request)
	mu         sync.Mutex
	requests   []*url.URL
	userAgents []string
}

// newFakePCS returns a fake PCS with real bodies, the root CA CRL served
// as hex the way Intel's PCCS does.
func newFakePCS(t testing.TB) *fakePCS {
	return &fakePCS{
		tcbBody:   testdata.TcbInfoBody,
		qeBody:    testdata.QeIdentityBody,
		pckCRL:    testdata.PckCrlBody,
		rootCRL:   []byte(hex.EncodeToString(testdata.RootCrlBody)),
		chain:     string(newTestPKI(t).pem),
		escape:    url.PathEscape,
		tcbHeader: headerTCBInfoChain,
		override:  map[string]http.HandlerFunc{},
	}
}

// start serves f on a loopback httptest server closed at the end of t.
func (f *fakePCS) start(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

// ServeHTTP implements http.Handler.
func (f *fakePCS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.URL)
	f.userAgents = append(f.userAgents, r.UserAgent())
	f.mu.Unlock()

	if f.gate != nil {
		f.gate(r)
	}
	path, ok := strings.CutPrefix(r.URL.Path, f.prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if h, ok := f.override[path]; ok {
		h(w, r)
		return
	}
	switch path {
	case fakeTCB:
		if r.URL.Query().Get("fmspc") == "" {
			http.Error(w, "no fmspc", http.StatusBadRequest)
			return
		}
		w.Header().Set(f.tcbHeader, f.escape(f.chain))
		w.Header().Set("Content-Type", "application/json")
		w.Write(f.tcbBody)
	case fakeQE:
		w.Header().Set(headerQEIdentityChain, f.escape(f.chain))
		w.Header().Set("Content-Type", "application/json")
		w.Write(f.qeBody)
	case fakePCKCRL:
		if ca := r.URL.Query().Get("ca"); ca != "platform" && ca != "processor" {
			http.Error(w, "bad ca", http.StatusBadRequest)
			return
		}
		w.Header().Set(headerPCKCRLChain, f.escape(f.chain))
		w.Write(f.pckCRL)
	case fakeRootCRL, fakeIntelRo:
		w.Write(f.rootCRL)
	default:
		http.NotFound(w, r)
	}
}

// seen returns the URLs requested so far.
func (f *fakePCS) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.requests))
	for i, u := range f.requests {
		out[i] = u.String()
	}
	return out
}

// rewriteTransport sends every request to target, keeping path and query,
// and records the URL originally asked for.
type rewriteTransport struct {
	target *url.URL
	mu     sync.Mutex
	asked  []string
}

// RoundTrip implements http.RoundTripper.
func (rt *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.asked = append(rt.asked, req.URL.String())
	rt.mu.Unlock()
	out := req.Clone(req.Context())
	out.URL.Scheme = rt.target.Scheme
	out.URL.Host = rt.target.Host
	out.Host = ""
	return http.DefaultTransport.RoundTrip(out)
}
