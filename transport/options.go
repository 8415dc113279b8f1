package transport

import (
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// Defaults of the options.
const (
	// DefaultAttestationTimeout bounds one attestation: the handshake of
	// the connection it is made over, both documents, collateral and
	// verification.
	DefaultAttestationTimeout = 30 * time.Second
	// DefaultMaxOrigins bounds the origins whose verified keys are kept.
	DefaultMaxOrigins = 10000
	// DefaultFailureBackoff is how long a failed attestation is returned
	// again without a new attempt; it doubles on each further failure up
	// to MaxFailureBackoff.
	DefaultFailureBackoff = time.Second
	// MaxFailureBackoff caps the failure backoff.
	MaxFailureBackoff = time.Minute
	// DefaultMaxKeysPerOrigin bounds the attested keys kept per origin
	// (replicas, rotations).
	DefaultMaxKeysPerOrigin = 64
)

// Option configures a Transport. Options are applied in order by New.
type Option func(*config) error

// config is what the options set.
type config struct {
	base       *http.Transport
	verifier   *verify.Verifier
	verifyOpts *verify.Options
	policyFor  func(origin string) (*policy.Policy, error)
	attestPath string
	infoPath   string
	timeout    time.Duration
	logger     *slog.Logger
	observer   func(Attestation)
	webPKI     bool
	rootCAs    *x509.CertPool
	now        func() time.Time
	maxOrigins int
	backoff    time.Duration
}

// WithBaseTransport makes the Transport's connections with a clone of
// base: its dialer, proxy, timeouts, TLS settings and limits. base itself
// is never modified. The default is a clone of http.DefaultTransport.
func WithBaseTransport(base *http.Transport) Option {
	return func(c *config) error {
		if base == nil {
			return errors.New("transport: WithBaseTransport(nil)")
		}
		c.base = base
		return nil
	}
}

// WithVerifier verifies with v, so that one Verifier, its collateral cache
// and its chain cache serve every Transport of the process.
func WithVerifier(v *verify.Verifier) Option {
	return func(c *config) error {
		if v == nil {
			return errors.New("transport: WithVerifier(nil)")
		}
		c.verifier, c.verifyOpts = v, nil
		return nil
	}
}

// WithVerifyOptions makes the Transport's own Verifier with opts (trusted
// roots, collateral source, clock). Without this option or WithVerifier,
// the Transport verifies against Intel's pinned root with collateral from
// Intel PCS.
func WithVerifyOptions(opts verify.Options) Option {
	return func(c *config) error {
		c.verifyOpts, c.verifier = &opts, nil
		return nil
	}
}

// WithPolicyFunc gives each origin ("https://host:port") its own policy.
// An error, or a nil policy, refuses the origin. Without it every origin
// is judged by the policy given to New.
func WithPolicyFunc(f func(origin string) (*policy.Policy, error)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("transport: WithPolicyFunc(nil)")
		}
		c.policyFor = f
		return nil
	}
}

// WithPaths sets the paths of the attestation and info documents. The
// defaults are wire.AttestationPath and wire.InfoPath.
func WithPaths(attestation, info string) Option {
	return func(c *config) error {
		if len(attestation) == 0 || attestation[0] != '/' || len(info) == 0 || info[0] != '/' {
			return errors.New("transport: WithPaths: paths must start with /")
		}
		c.attestPath, c.infoPath = attestation, info
		return nil
	}
}

// WithAttestationTimeout bounds one attestation, and each connection's
// dial and TLS handshake, whether or not an attestation follows. The
// default is DefaultAttestationTimeout.
func WithAttestationTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("transport: WithAttestationTimeout: must be positive")
		}
		c.timeout = d
		return nil
	}
}

// WithLogger logs attestations, refreshes and failures to l. Nothing is
// logged by default. Keys are logged as SPKI hashes; no secret is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithObserver calls f after every attestation, successful or not, for
// metrics and audit logs. f must not block.
func WithObserver(f func(Attestation)) Option {
	return func(c *config) error {
		c.observer = f
		return nil
	}
}

// WithWebPKI requires the CVM's certificate to verify under the system's
// (or WithRootCAs') roots for its host name too, on top of the attested
// key. With binding "none" WebPKI validation is always on.
func WithWebPKI() Option {
	return func(c *config) error {
		c.webPKI = true
		return nil
	}
}

// WithRootCAs sets the roots WebPKI validation uses, instead of the base
// transport's TLSClientConfig.RootCAs or the system's.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(c *config) error {
		c.rootCAs = pool
		return nil
	}
}

// WithClock sets the clock that decides when a verification lapses. The
// default is time.Now. The verifier keeps its own clock (verify.Options.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("transport: WithClock(nil)")
		}
		c.now = now
		return nil
	}
}

// WithMaxOrigins bounds the origins whose verified keys are kept (least
// recently used first out). The default is DefaultMaxOrigins.
func WithMaxOrigins(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return errors.New("transport: WithMaxOrigins: must be positive")
		}
		c.maxOrigins = n
		return nil
	}
}

// WithFailureBackoff sets how long a failed attestation is returned again
// without a new attempt, doubling per consecutive failure up to
// MaxFailureBackoff. The default is DefaultFailureBackoff.
func WithFailureBackoff(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("transport: WithFailureBackoff: must be positive")
		}
		c.backoff = d
		return nil
	}
}

// defaults returns the configuration before options.
func defaults() *config {
	return &config{
		attestPath: wire.AttestationPath,
		infoPath:   wire.InfoPath,
		timeout:    DefaultAttestationTimeout,
		now:        time.Now,
		maxOrigins: DefaultMaxOrigins,
		backoff:    DefaultFailureBackoff,
	}
}
