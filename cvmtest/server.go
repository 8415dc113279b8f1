package cvmtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/wire"
)

// Server is a simulated dstack CVM on loopback, what httptest.Server is to
// HTTP: a TLS server (HTTP/1.1 and HTTP/2) whose wire.AttestationPath and
// wire.InfoPath are served by the real cvm.Handler, backed by a fake guest
// agent (Agent) that signs quotes with a test PKI for an App, and whose
// every other path reaches the caller's application handler. Its TLS
// certificates come from the agent's GetTlsKey, as a dstack app's do, and
// chain to the PKI's TLSCA.
//
// Options simulate the threats a client must refuse: another compose, a
// debug TD, any TCB status, expired collateral, a replaying CVM, a CVM that
// does not bind its key, slow, trickled, endless or oversized attestation
// answers and flooded event logs, answers of the caller's choosing,
// several replicas behind one address, and (NewRelay) a man in the middle.
type Server struct {
	// URL is the server's base URL, https://127.0.0.1:port.
	URL string

	cfg    *serverConfig
	coll   *collateral.Collateral
	tlsCfg *tls.Config
	ln     *handoff

	mu    sync.Mutex  // serializes RotateKey and Close
	gen   *generation // the current http.Server
	agent *AgentServer
	cli   *cvm.Client
	cvm   http.Handler // serves everything but the threat options
	issue func() (tls.Certificate, error)
	// onClose, if set, releases what else the server holds.
	onClose func()

	certs atomic.Pointer[[]tls.Certificate]
	next  atomic.Uint64

	pinOnce sync.Once
	pinApp  *policy.App // see pinnedRule

	appRequests, attRequests atomic.Int64
}

// NewServer starts a simulated CVM serving app (nil means 404) beside the
// protocol's paths. Like httptest.NewServer it panics if it cannot start,
// or on an invalid option.
func NewServer(app http.Handler, opts ...Option) *Server {
	s, err := newServer(app, opts)
	if err != nil {
		panic("cvmtest: NewServer: " + err.Error())
	}
	return s
}

// StartServer is NewServer returning an error where NewServer panics, for
// programs (cvmgate simulate) that report a busy address or an invalid
// option rather than crash.
func StartServer(app http.Handler, opts ...Option) (*Server, error) {
	return newServer(app, opts)
}

func newServer(app http.Handler, opts []Option) (*Server, error) {
	cfg, err := resolveServerOptions(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	if s.coll, err = serverCollateral(cfg); err != nil {
		return nil, err
	}
	quote := QuoteOptions{Padding: 70, TEETCBSVN: cfg.teeTCBSVN} // padded as real guest agents send
	if cfg.debug {
		quote.TDAttributes = DefaultTDAttributes
		quote.TDAttributes[0] |= 1 // DEBUG
	}
	a, err := NewAgent(AgentOptions{PKI: cfg.pki, App: cfg.app, Quote: quote, EditEventLog: cfg.editLog})
	if err != nil {
		return nil, err
	}
	if s.agent, err = a.Listen(cfg.agentNet, cfg.agentAddr); err != nil {
		return nil, err
	}
	if s.cli, err = cvm.NewClient(cvm.ClientOptions{Endpoint: s.agent.Endpoint}); err != nil {
		_ = s.agent.Close()
		return nil, err
	}
	var agent cvm.Agent = s.cli
	if cfg.unbound {
		agent = unboundAgent{agent}
	}
	if cfg.replay {
		agent = &replayAgent{next: agent}
	}
	if cfg.delay > 0 || cfg.gate != nil {
		agent = slowAgent{next: agent, delay: cfg.delay, gate: cfg.gate}
	}
	if app == nil {
		app = http.NotFoundHandler()
	}
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.appRequests.Add(1)
		app.ServeHTTP(w, r)
	})
	if s.cvm, err = cvm.NewHandler(agent, counted, cvm.Options{MaxConcurrentQuotes: cfg.maxQuotes}); err != nil {
		s.closeAgent()
		return nil, err
	}
	s.issue = func() (tls.Certificate, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return s.cli.GetTLSKey(ctx, cvm.TLSKeyOptions{
			Subject: "localhost", AltNames: []string{"localhost", "127.0.0.1"}, UsageServerAuth: true,
		})
	}
	if err := s.start(); err != nil {
		s.closeAgent()
		return nil, err
	}
	return s, nil
}

// serverCollateral is the collateral clients of the server verify with:
// valid around now, or expired an hour ago.
func serverCollateral(cfg *serverConfig) (*collateral.Collateral, error) {
	opts := CollateralOptions{}
	if cfg.expired {
		now := time.Now()
		opts.IssueDate, opts.NextUpdate = now.Add(-31*24*time.Hour), now.Add(-time.Hour)
	}
	return cfg.pki.Collateral(opts)
}

// start makes the replicas' certificates and starts serving TLS with
// cvm's certificate recording, so that each connection's attestation
// binds the key it was served.
func (s *Server) start() error {
	if err := s.newCertificates(); err != nil {
		return err
	}
	cfg, err := cvm.TLSConfig(&tls.Config{
		GetCertificate: s.certificate,
		NextProtos:     []string{"h2", "http/1.1"},
		MinVersion:     tls.VersionTLS12,
	})
	if err != nil {
		return err
	}
	s.tlsCfg = cfg
	ln, err := net.Listen("tcp", s.cfg.listen)
	if err != nil {
		return &Error{Op: "server listener", Err: err}
	}
	s.ln = newHandoff(ln)
	s.gen = s.serve()
	s.URL = "https://" + ln.Addr().String()
	return nil
}

// serve starts a new generation of the HTTP server on the handoff's next
// queue. (httptest's StartTLS would add its own certificate, served
// without asking cvm's recorder, so the server is made here.)
func (s *Server) serve() *generation {
	g := &generation{queue: s.ln.next(), served: make(chan struct{})}
	g.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ConnContext:       cvm.ConnContext,
		ConnState:         g.fresh.hook,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // clients that refuse a certificate are the point
	}
	l := tls.NewListener(g.queue, s.tlsCfg)
	go func() {
		defer close(g.served)
		_ = g.srv.Serve(l)
	}()
	return g
}

// newCertificates gives every replica a new TLS key.
func (s *Server) newCertificates() error {
	certs := make([]tls.Certificate, s.cfg.replicas)
	for i := range certs {
		if s.cfg.cert != nil {
			certs[i] = *s.cfg.cert
			continue
		}
		c, err := s.issue()
		if err != nil {
			return err
		}
		certs[i] = c
	}
	s.certs.Store(&certs)
	return nil
}

// certificate serves the replicas' certificates in turn, one per
// handshake.
func (s *Server) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	certs := *s.certs.Load()
	i := (s.next.Add(1) - 1) % uint64(len(certs))
	return &certs[i], nil
}

// serveHTTP counts attestation requests and applies the threat options
// that replace the cvm handler's answer.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == wire.InfoPath && s.cfg.infoResp != nil {
		s.cfg.infoResp(w, r)
		return
	}
	if r.URL.Path != wire.AttestationPath {
		s.cvm.ServeHTTP(w, r)
		return
	}
	s.attRequests.Add(1)
	switch {
	case s.cfg.responder != nil:
		s.cfg.responder(w, r)
	case s.cfg.oversize > 0:
		s.serveOversized(w, r)
	case s.cfg.bigLog > 0:
		s.serveBigEventLog(w, r)
	case s.cfg.trickle > 0:
		s.serveTrickled(w, r)
	default:
		s.cvm.ServeHTTP(w, r)
	}
}

// Close shuts the server and its agent down, closing every connection.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ln.Close()
	_ = s.gen.srv.Close()
	s.closeAgent()
	if s.onClose != nil {
		s.onClose()
	}
}

// closeAgent stops the fake agent, if the server has one.
func (s *Server) closeAgent() {
	if s.cli != nil {
		s.cli.CloseIdleConnections()
	}
	if s.agent != nil {
		_ = s.agent.Close()
	}
}

// AgentEndpoint returns where the server's fake guest agent listens, in
// the form DSTACK_SIMULATOR_ENDPOINT takes: a socket path, or
// http://host:port. A relay has none and returns "".
func (s *Server) AgentEndpoint() string {
	if s.agent == nil {
		return ""
	}
	return s.agent.Endpoint
}

// AppRequests returns how many requests reached the application handler.
func (s *Server) AppRequests() int64 { return s.appRequests.Load() }

// AttestationRequests returns how many requests for wire.AttestationPath
// the server received, answered or not.
func (s *Server) AttestationRequests() int64 { return s.attRequests.Load() }

// RotateKey gives the server (every replica) a new TLS key and closes the
// existing client connections, so that the next request must dial and
// meets the new key (under WithTLSCertificate, the same key again). The address stays open throughout, new connections
// going to a new http.Server; the old one's connections are closed
// gracefully (HTTP/2 GOAWAY, HTTP/1.1 connections closed when idle), so
// that clients retry requests they had not yet sent on a new connection.
// RotateKey returns when they are closed, which takes up to a second for
// HTTP/2 (net/http's GOAWAY grace); requests still in progress get
// RotateDrainTimeout to finish before their connection is cut.
func (s *Server) RotateKey() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.newCertificates(); err != nil {
		return fmt.Errorf("cvmtest: RotateKey: %w", err)
	}
	old := s.gen
	s.gen = s.serve()
	old.retire()
	return nil
}

// RotateDrainTimeout bounds how long RotateKey waits for requests in
// progress on the old connections.
const RotateDrainTimeout = 5 * time.Second

// PKI returns the PKI that signs the server's quotes.
func (s *Server) PKI() *PKI { return s.cfg.pki }

// App returns the application the simulated CVM runs.
func (s *Server) App() App { return s.cfg.app }

// Certificates returns the leaf certificates the server (each replica)
// serves now.
func (s *Server) Certificates() []*x509.Certificate {
	certs := *s.certs.Load()
	out := make([]*x509.Certificate, len(certs))
	for i := range certs {
		out[i] = certs[i].Leaf
	}
	return out
}

// Collateral returns the collateral clients of the server verify with (the
// expired one under WithExpiredCollateral).
func (s *Server) Collateral() *collateral.Collateral { return s.coll }

// VerifyOptions returns verifier options for the server's evidence: its
// PKI's root as the only trusted root, and Collateral.
func (s *Server) VerifyOptions() verify.Options {
	return s.cfg.pki.VerifyOptions(s.coll)
}

// Client returns an HTTP client that trusts the server's TLS CA and
// nothing else, and verifies nothing about the CVM: a plain client.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: s.cfg.pki.TLSCAPool()},
		ForceAttemptHTTP2: true,
	}}
}
