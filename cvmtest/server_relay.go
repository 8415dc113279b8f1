package cvmtest

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/cvmgate/cvmgate/wire"
)

// NewRelay starts a man in the middle in front of target: a TLS server
// with a certificate of its own, issued by the same TLS CA (so WebPKI
// validation passes), that forwards every request, attestation included,
// to target. The attestation it relays binds target's key, not the
// relay's, which a client must refuse. Its Policy, VerifyOptions and
// TransportOptions are target's; its counters count what it forwarded.
// Like NewServer it panics if it cannot start.
func NewRelay(target *Server) *Server {
	s, err := NewRelayAt(target, DefaultListenAddress)
	if err != nil {
		panic("cvmtest: NewRelay: " + err.Error())
	}
	return s
}

// NewRelayAt is NewRelay listening on the TCP address addr (see
// WithListenAddress), for a relay other processes reach at a known
// address. It returns an error where NewRelay panics.
func NewRelayAt(target *Server, addr string) (*Server, error) {
	if addr == "" {
		return nil, invalid("relay", "address", "a host:port", `""`)
	}
	u, err := url.Parse(target.URL)
	if err != nil {
		return nil, err
	}
	s := &Server{coll: target.coll}
	s.issue = func() (tls.Certificate, error) {
		return target.cfg.pki.TLSCertificate(TLSCertOptions{Subject: "cvmtest relay", ServerAuth: true})
	}
	upstream := target.Client() // trusts the TLS CA, verifies nothing of the CVM
	s.onClose = upstream.CloseIdleConnections
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport: upstream.Transport,
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	s.cvm = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.InfoPath && r.URL.Path != wire.AttestationPath {
			s.appRequests.Add(1)
		}
		proxy.ServeHTTP(w, r)
	})
	s.cfg = &serverConfig{pki: target.cfg.pki, app: target.cfg.app, status: target.cfg.status,
		teeTCBSVN: target.cfg.teeTCBSVN, debug: target.cfg.debug, unbound: target.cfg.unbound, replicas: 1, listen: addr}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}
