package cvmtest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Option configures NewServer.
type Option func(*serverConfig) error

// serverConfig is what the options set.
type serverConfig struct {
	pki       *PKI
	app       App
	status    string
	teeTCBSVN [16]byte // of status; zero for the default
	debug     bool
	replay    bool
	unbound   bool
	replicas  int
	expired   bool
	delay     time.Duration
	gate      <-chan struct{}
	oversize  int64
	bigLog    int64
	trickle   time.Duration
	responder http.HandlerFunc
	infoResp  http.HandlerFunc
	cert      *tls.Certificate
	editLog   func([]eventlog.Event) []eventlog.Event
	maxQuotes int
	listen    string // the server's TCP address
	agentNet  string // the agent's network, "tcp" or "unix"
	agentAddr string // and address
}

// DefaultServerMaxConcurrentQuotes is the cvm.Options.MaxConcurrentQuotes
// of a Server: higher than cvm's default, so that load tests measure the
// client, not the simulated CVM's 503s.
const DefaultServerMaxConcurrentQuotes = 256

// WithPKI signs the server's quotes with p instead of the default PKI.
// Servers of one seed share a TLS CA and a root, so one's Policy and
// TransportOptions serve against another's.
func WithPKI(p *PKI) Option {
	return func(c *serverConfig) error {
		if p == nil {
			return invalid("server options", "WithPKI", "a PKI", "nil")
		}
		c.pki = p
		return nil
	}
}

// WithApp runs app instead of the zero App.
func WithApp(app App) Option {
	return func(c *serverConfig) error {
		c.app = app
		return nil
	}
}

// WithComposeFile runs the app-compose.json text compose (App.Compose).
func WithComposeFile(compose []byte) Option {
	return func(c *serverConfig) error {
		if len(compose) == 0 {
			return invalid("server options", "WithComposeFile", "an app-compose.json text", "none")
		}
		c.app.Compose = string(compose)
		return nil
	}
}

// WithTCBStatus makes the server's platform one the default collateral
// rates status (a PlatformFor status, such as "OutOfDate"). Without
// WithPKI the server uses a PKI of the default seed whose PCK certificate
// carries that platform's TCB (made once per status and shared); its
// Policy accepts that status.
func WithTCBStatus(status string) Option {
	return func(c *serverConfig) error {
		if _, err := PlatformFor(status); err != nil {
			return err
		}
		c.status = status
		return nil
	}
}

// WithDebug makes the server a debug TD (TDATTRIBUTES bit 0). Its Policy
// allows debug.
func WithDebug() Option {
	return func(c *serverConfig) error {
		c.debug = true
		return nil
	}
}

// WithReplay makes the server answer every attestation request with the
// first quote it made, whatever the nonce: a replaying CVM.
func WithReplay() Option {
	return func(c *serverConfig) error {
		c.replay = true
		return nil
	}
}

// WithoutKeyBinding makes the server quote the client's nonce alone,
// padded with zeros (nonce || 32 zero bytes), as seed-style servers do: the
// TLS key is not bound. Its Policy has binding "none".
func WithoutKeyBinding() Option {
	return func(c *serverConfig) error {
		c.unbound = true
		return nil
	}
}

// WithReplicas puts n replicas behind the server's one address, each with
// its own TLS key; connections go to them in turn (round-robin per
// connection), and each replica's attestation binds its own key.
func WithReplicas(n int) Option {
	return func(c *serverConfig) error {
		if n < 1 {
			return invalid("server options", "WithReplicas", "at least 1", n)
		}
		c.replicas = n
		return nil
	}
}

// WithExpiredCollateral makes the collateral of TransportOptions and
// VerifyOptions one that expired an hour ago.
func WithExpiredCollateral() Option {
	return func(c *serverConfig) error {
		c.expired = true
		return nil
	}
}

// WithAttestationDelay makes each quote take d (or until the client gives
// up), as a slow quoting enclave would: the request holds one of the
// server's quote slots meanwhile (see WithMaxConcurrentQuotes), and the
// cvm handler's own timeout (cvm.DefaultQuoteTimeout) still applies.
func WithAttestationDelay(d time.Duration) Option {
	return func(c *serverConfig) error {
		if d < 0 {
			return invalid("server options", "WithAttestationDelay", "a duration of at least 0", d)
		}
		c.delay = d
		return nil
	}
}

// WithAttestationGate makes each quote wait for a value from gate, or its
// closing (or until the client gives up): a slow CVM whose pace the test
// controls, without sleeping. Like WithAttestationDelay, the request holds
// a quote slot meanwhile.
func WithAttestationGate(gate <-chan struct{}) Option {
	return func(c *serverConfig) error {
		c.gate = gate
		return nil
	}
}

// WithOversizedAttestation pads each attestation answer with spaces after
// the document to n bytes in all, sent without a Content-Length. With n
// of math.MaxInt64 the answer never ends: a CVM that streams forever.
func WithOversizedAttestation(n int64) Option {
	return func(c *serverConfig) error {
		if n <= 0 {
			return invalid("server options", "WithOversizedAttestation", "a positive size", n)
		}
		c.oversize = n
		return nil
	}
}

// WithOversizedEventLog makes each attestation answer n bytes in all, with
// that Content-Length: the real quote, then an event log of the real
// events followed by copies of an application event up to the size, as a
// CVM flooding its log would send. Only the first bytes are ever made; the
// rest is streamed as the client reads.
func WithOversizedEventLog(n int64) Option {
	return func(c *serverConfig) error {
		if n <= 0 {
			return invalid("server options", "WithOversizedEventLog", "a positive size", n)
		}
		c.bigLog = n
		return nil
	}
}

// WithTrickledAttestation sends each attestation answer one byte at a
// time, flushed, every interval apart (a slowloris CVM): the headers come
// at once, the body never faster than a byte per interval.
func WithTrickledAttestation(interval time.Duration) Option {
	return func(c *serverConfig) error {
		if interval <= 0 {
			return invalid("server options", "WithTrickledAttestation", "a positive interval", interval)
		}
		c.trickle = interval
		return nil
	}
}

// WithAttestationResponder answers every attestation request with f
// instead of the simulated CVM, for fuzzing and abuse tests. The request
// is still counted.
func WithAttestationResponder(f func(w http.ResponseWriter, r *http.Request)) Option {
	return func(c *serverConfig) error {
		if f == nil {
			return invalid("server options", "WithAttestationResponder", "a function", "nil")
		}
		c.responder = f
		return nil
	}
}

// WithInfoResponder answers every info request with f instead of the
// simulated CVM, for fuzzing and abuse tests.
func WithInfoResponder(f func(w http.ResponseWriter, r *http.Request)) Option {
	return func(c *serverConfig) error {
		if f == nil {
			return invalid("server options", "WithInfoResponder", "a function", "nil")
		}
		c.infoResp = f
		return nil
	}
}

// WithTLSCertificate makes every replica serve cert instead of a key from
// the agent's GetTlsKey, and keep it across RotateKey: a CVM whose key is
// known in advance, so that evidence bound to it (dstack's RA-TLS binding,
// wire.RATLSReportData) can be made once and served again, as fuzz
// corpora need.
func WithTLSCertificate(cert tls.Certificate) Option {
	return func(c *serverConfig) error {
		if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
			return invalid("server options", "WithTLSCertificate", "a certificate with its key", "none")
		}
		if cert.Leaf == nil {
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err != nil {
				return invalid("server options", "WithTLSCertificate", "a DER leaf certificate", err)
			}
			cert.Leaf = leaf
		}
		c.cert = &cert
		return nil
	}
}

// WithTamperedEventLog makes the server edit the event log of each
// attestation after its quote was made (AgentOptions.EditEventLog), for
// instance to forge a payload while keeping the old digest.
func WithTamperedEventLog(edit func([]eventlog.Event) []eventlog.Event) Option {
	return func(c *serverConfig) error {
		if edit == nil {
			return invalid("server options", "WithTamperedEventLog", "a function", "nil")
		}
		c.editLog = edit
		return nil
	}
}

// WithMaxConcurrentQuotes bounds the quotes the server makes at once
// (cvm.Options.MaxConcurrentQuotes); beyond it attestation requests are
// answered 503. The default is DefaultServerMaxConcurrentQuotes.
func WithMaxConcurrentQuotes(n int) Option {
	return func(c *serverConfig) error {
		if n < 1 {
			return invalid("server options", "WithMaxConcurrentQuotes", "at least 1", n)
		}
		c.maxQuotes = n
		return nil
	}
}

// DefaultListenAddress is where a Server listens without
// WithListenAddress: a free loopback port.
const DefaultListenAddress = "127.0.0.1:0"

// WithListenAddress makes the server listen on the TCP address addr
// (host:port, such as "127.0.0.1:8443") instead of DefaultListenAddress,
// for a simulator other processes reach at a known address. Its
// certificates name localhost and 127.0.0.1.
func WithListenAddress(addr string) Option {
	return func(c *serverConfig) error {
		if addr == "" {
			return invalid("server options", "WithListenAddress", "a host:port", `""`)
		}
		c.listen = addr
		return nil
	}
}

// WithAgentAddress serves the server's fake guest agent on network ("unix"
// or "tcp") at address (a socket path, or host:port) instead of a free
// loopback port, so that an application using the dstack SDKs
// (DSTACK_SIMULATOR_ENDPOINT, see AgentEndpoint) talks to the same agent
// as the server's attestation handler, as it would in a real CVM.
func WithAgentAddress(network, address string) Option {
	return func(c *serverConfig) error {
		if network != "unix" && network != "tcp" {
			return invalid("server options", "WithAgentAddress", `network "unix" or "tcp"`, network)
		}
		if address == "" {
			return invalid("server options", "WithAgentAddress", "an address", `""`)
		}
		c.agentNet, c.agentAddr = network, address
		return nil
	}
}

// resolveServerOptions applies opts and the defaults.
func resolveServerOptions(opts []Option) (*serverConfig, error) {
	c := &serverConfig{replicas: 1, maxQuotes: DefaultServerMaxConcurrentQuotes,
		listen: DefaultListenAddress, agentNet: "tcp", agentAddr: "127.0.0.1:0"}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.status != "" {
		plat, err := PlatformFor(c.status)
		if err != nil {
			return nil, err
		}
		c.teeTCBSVN = plat.TEETCBSVN
	}
	if c.pki == nil {
		p, err := statusPKI(c.status)
		if err != nil {
			return nil, err
		}
		c.pki = p
	}
	return c, nil
}

// statusPKIs holds the default-seed PKI of each TCB status, made once.
var statusPKIs sync.Map // status -> func() (*PKI, error)

// statusPKI returns the default PKI, or for a status other than UpToDate
// a PKI of the default seed whose PCK certificate has that platform TCB.
func statusPKI(status string) (*PKI, error) {
	if status == "" || status == "UpToDate" {
		return defaultPKI()
	}
	f, _ := statusPKIs.LoadOrStore(status, sync.OnceValues(func() (*PKI, error) {
		plat, err := PlatformFor(status)
		if err != nil {
			return nil, err
		}
		return NewPKI(PKIOptions{TCB: &plat.PCK})
	}))
	p, err := f.(func() (*PKI, error))()
	if err != nil {
		return nil, fmt.Errorf("cvmtest: PKI for TCB status %q: %w", status, err)
	}
	return p, nil
}
