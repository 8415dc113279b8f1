package cvmtest

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// Paths PCSServer serves, as Intel PCS (and a PCCS) names them.
const (
	TCBInfoPath    = "/tdx/certification/v4/tcb"
	QEIdentityPath = "/tdx/certification/v4/qe/identity"
	PCKCRLPath     = "/sgx/certification/v4/pckcrl"
	RootCACRLPath  = "/sgx/certification/v4/rootcacrl"
)

// Response headers carrying URL-escaped PEM issuer chains, as Intel PCS
// sends them.
const (
	TCBInfoIssuerChainHeader    = "TCB-Info-Issuer-Chain"
	QEIdentityIssuerChainHeader = "SGX-Enclave-Identity-Issuer-Chain"
	PCKCRLIssuerChainHeader     = "SGX-PCK-CRL-Issuer-Chain"
)

// PCSServer is a fake Intel PCS (or PCCS) on a loopback httptest server. It
// serves one collateral set:
//
//	GET /tdx/certification/v4/tcb?fmspc=XXXXXXXXXXXX      {"tcbInfo":...,"signature":"hex"}
//	GET /tdx/certification/v4/qe/identity                 {"enclaveIdentity":...,"signature":"hex"}
//	GET /sgx/certification/v4/pckcrl?ca=platform|processor[&encoding=der|pem]
//	GET /sgx/certification/v4/rootcacrl                   DER
//	GET <path of the PKI root's CRL distribution point>   DER
//
// with the issuer chain headers Intel sends. An FMSPC or CA other than the
// collateral's answers 404, a malformed query 400. Its controls (Fail,
// Hang, Oversize, SetCollateral) let tests play an unreliable or hostile
// service; all methods are safe for concurrent use.
type PCSServer struct {
	// URL is the base URL, such as http://127.0.0.1:41234, with no
	// trailing slash.
	URL string

	srv         *httptest.Server
	rootCRLPath string
	closed      chan struct{}
	closeOnce   sync.Once

	content  atomic.Pointer[pcsContent]
	hang     atomic.Pointer[hangGate]
	oversize atomic.Int64

	mu       sync.Mutex
	fail     map[string]int           // path ("" for all) -> status
	requests map[string]*atomic.Int64 // path -> count
	total    atomic.Int64
}

// pcsContent is what the server answers with; it is swapped whole.
type pcsContent struct {
	c     *collateral.Collateral
	fmspc string        // upper-case hex, from the TCB info
	ca    collateral.CA // issuer of the PCK CRL; "" serves it for either
	tcb   []byte        // TCB info response body
	qe    []byte        // QE identity response body
	pem   []byte        // PCK CRL as PEM
}

// hangGate holds requests until release is closed.
type hangGate struct {
	release <-chan struct{}
	entered chan string
}

// NewPCSServer starts a fake PCS on loopback plain HTTP serving a copy of
// c, usually made by p.Collateral. p names the root CRL's distribution
// point path and the PCK CA; it may be nil, and then the root CRL is only
// served at RootCACRLPath and the PCK CRL for either CA. Close it when
// done.
func NewPCSServer(c *collateral.Collateral, p *PKI) *PCSServer {
	s := newPCSServer(c, p)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// NewPCSServerTLS is NewPCSServer over HTTPS with a self-signed server
// certificate; Client returns a client that trusts it.
func NewPCSServerTLS(c *collateral.Collateral, p *PKI) *PCSServer {
	s := newPCSServer(c, p)
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

func newPCSServer(c *collateral.Collateral, p *PKI) *PCSServer {
	s := &PCSServer{
		closed:   make(chan struct{}),
		fail:     map[string]int{},
		requests: map[string]*atomic.Int64{},
	}
	var ca collateral.CA
	if p != nil {
		ca = p.CA
		for _, dp := range p.Root.CRLDistributionPoints {
			if u, err := url.Parse(dp); err == nil && u.Path != "" {
				s.rootCRLPath = u.Path
				break
			}
		}
	}
	s.content.Store(newPCSContent(c, ca))
	return s
}

// Close shuts the server down, first releasing hanging requests and
// ending endless bodies.
func (s *PCSServer) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.srv.Close()
}

// Client returns an HTTP client for the server (one that trusts its
// certificate, for NewPCSServerTLS).
func (s *PCSServer) Client() *http.Client { return s.srv.Client() }

// SetCollateral makes the server answer with a copy of c from now on, for the same
// CA as before. A nil c makes every collateral path answer 404.
func (s *PCSServer) SetCollateral(c *collateral.Collateral) {
	s.content.Store(newPCSContent(c, s.content.Load().ca))
}

// Requests returns how many requests have arrived for path (such as
// TCBInfoPath), whatever was answered.
func (s *PCSServer) Requests(path string) int64 {
	s.mu.Lock()
	n := s.requests[path]
	s.mu.Unlock()
	if n == nil {
		return 0
	}
	return n.Load()
}

// TotalRequests returns how many requests have arrived in all.
func (s *PCSServer) TotalRequests() int64 { return s.total.Load() }

// Fail makes requests for path (every path if path is "") answer status
// with a small JSON error body. A status of 0 clears it. A path-specific
// setting wins over the "" one.
func (s *PCSServer) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.fail, path)
		return
	}
	s.fail[path] = status
}

// Hang makes every request that arrives from now on wait, without
// answering, until release is closed (then it is answered normally), the
// client gives up, or the server closes. A nil release stops hanging new
// requests. Each request that starts waiting sends its path on the
// returned channel (buffered; sends that would block are dropped), so a
// test can wait for a request to be stuck instead of sleeping.
func (s *PCSServer) Hang(release <-chan struct{}) <-chan string {
	if release == nil {
		s.hang.Store(nil)
		return nil
	}
	g := &hangGate{release: release, entered: make(chan string, 64)}
	s.hang.Store(g)
	return g.entered
}

// Oversize pads every body to n bytes (JSON with spaces, DER with zero
// bytes, so a client without a size limit still parses it) when n > 0,
// streams an endless body when n < 0, and restores normal bodies when n
// is 0.
func (s *PCSServer) Oversize(n int64) { s.oversize.Store(n) }

// count records a request for path.
func (s *PCSServer) count(path string) {
	s.total.Add(1)
	s.mu.Lock()
	n := s.requests[path]
	if n == nil {
		n = new(atomic.Int64)
		s.requests[path] = n
	}
	s.mu.Unlock()
	n.Add(1)
}

// failStatus returns the status path must fail with, or 0.
func (s *PCSServer) failStatus(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.fail[path]; ok {
		return st
	}
	return s.fail[""]
}

// newPCSContent prepares the responses for a copy of c, so that later
// changes to c do not reach the server.
func newPCSContent(c *collateral.Collateral, ca collateral.CA) *pcsContent {
	pc := &pcsContent{ca: ca}
	if c == nil {
		return pc
	}
	c = cloneCollateral(c)
	pc.c = c
	var head struct {
		FMSPC string `json:"fmspc"`
	}
	// Collateral whose TCB info has no readable fmspc is served for no
	// FMSPC, like an unknown platform.
	_ = json.Unmarshal(c.TCBInfo, &head)
	pc.fmspc = strings.ToUpper(head.FMSPC)
	pc.tcb = signedBody("tcbInfo", c.TCBInfo, c.TCBInfoSignature)
	pc.qe = signedBody("enclaveIdentity", c.QEIdentity, c.QEIdentitySignature)
	pc.pem = pemCRL(c.PCKCRL)
	return pc
}

func cloneCollateral(c *collateral.Collateral) *collateral.Collateral {
	return &collateral.Collateral{
		TCBInfo:               clone(c.TCBInfo),
		TCBInfoSignature:      clone(c.TCBInfoSignature),
		TCBInfoIssuerChain:    clone(c.TCBInfoIssuerChain),
		QEIdentity:            clone(c.QEIdentity),
		QEIdentitySignature:   clone(c.QEIdentitySignature),
		QEIdentityIssuerChain: clone(c.QEIdentityIssuerChain),
		PCKCRL:                clone(c.PCKCRL),
		PCKCRLIssuerChain:     clone(c.PCKCRLIssuerChain),
		RootCACRL:             clone(c.RootCACRL),
	}
}

// signedBody is Intel's response shape {"<name>":<raw>,"signature":"<hex>"},
// with raw embedded byte for byte so that its signature still verifies.
func signedBody(name string, raw, sig []byte) []byte {
	var b strings.Builder
	b.WriteString(`{"`)
	b.WriteString(name)
	b.WriteString(`":`)
	b.Write(raw)
	b.WriteString(`,"signature":"`)
	b.WriteString(hex.EncodeToString(sig))
	b.WriteString(`"}`)
	return []byte(b.String())
}
