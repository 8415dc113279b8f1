package transport_test

import (
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/wire"
)

// cvm is a minimal simulated dstack CVM for the transport's own tests: an
// httptest TLS server whose /attestation binds its own key.
type cvm struct {
	srv     *httptest.Server
	pki     *cvmtest.PKI
	app     cvmtest.App
	appHits atomic.Int64
	attHits atomic.Int64

	mu   sync.Mutex
	gate chan struct{} // when set, /attestation waits for it to close
}

var (
	pkiOnce sync.Once
	pki     *cvmtest.PKI
	coll    *collateral.Collateral
)

func sharedPKI(t testing.TB) (*cvmtest.PKI, *collateral.Collateral) {
	pkiOnce.Do(func() {
		var err error
		pki, err = cvmtest.NewPKI(cvmtest.PKIOptions{})
		if err == nil {
			coll, err = pki.Collateral(cvmtest.CollateralOptions{})
		}
		if err != nil {
			panic(err)
		}
	})
	return pki, coll
}

func newCVM(t testing.TB, h2 bool) *cvm {
	p, _ := sharedPKI(t)
	c := &cvm{pki: p}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.srv.EnableHTTP2 = h2
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *cvm) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case wire.AttestationPath:
		c.attHits.Add(1)
		c.mu.Lock()
		gate := c.gate
		c.mu.Unlock()
		if gate != nil {
			<-gate
		}
		nonce, err := wire.ParseNonce(r.URL.Query().Get(wire.ReportDataParam))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		spki := c.srv.Certificate().RawSubjectPublicKeyInfo
		rd, _ := wire.ReportData(nonce[:], spki)
		att, err := c.pki.AttestationDocument(&c.app, cvmtest.QuoteOptions{ReportData: rd})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b, _ := att.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	case wire.InfoPath:
		info, _ := c.app.InfoDocument()
		b, _ := info.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	default:
		c.appHits.Add(1)
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}
}

// policy is the strictest policy c satisfies.
func (c *cvm) policy(t testing.TB) *policy.Policy {
	h := c.app.ComposeHash()
	p, err := policy.Parse([]byte(fmt.Sprintf("version: 1\napp:\n  compose_hashes: [%s]\n", hex.EncodeToString(h[:]))), "")
	require.NoError(t, err)
	return p
}

// options trust the test PKI and serve its collateral.
func (c *cvm) options(t testing.TB) []transport.Option {
	_, cl := sharedPKI(t)
	return []transport.Option{
		transport.WithVerifyOptions(verify.Options{TrustedRoots: []*x509.Certificate{c.pki.Root}, Collateral: collateral.Static(cl, "test")}),
		transport.WithRootCAs(rootsOf(c.srv)),
	}
}

func rootsOf(s *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return pool
}
