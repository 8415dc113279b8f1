package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
)

// Transport is an http.RoundTripper that sends requests only over
// connections whose TLS key is attested for the request's origin. It is
// safe for concurrent use. Make one with New and reuse it: it holds the
// verified keys and the connection pool.
type Transport struct {
	cfg      *config
	pol      *policy.Policy
	verifier *verify.Verifier

	base    *http.Transport // the caller's settings: proxy, timeouts, TLS
	inner   *http.Transport // the pool; every connection comes from dialPinned
	tlsBase *tls.Config
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	h2      bool

	mu      sync.Mutex // guards origins' get-or-add
	origins *lru.Cache[string, *origin]
	flights singleflight.Group
}

// New returns a Transport that judges every origin by pol (or by
// WithPolicyFunc). It fails on an invalid policy or option.
func New(pol *policy.Policy, opts ...Option) (*Transport, error) {
	cfg := defaults()
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if pol == nil && cfg.policyFor == nil {
		return nil, errors.New("transport: New needs a policy, or WithPolicyFunc")
	}
	if pol != nil {
		if err := pol.Validate(); err != nil {
			return nil, fmt.Errorf("transport: %w", err)
		}
	}
	t := &Transport{cfg: cfg, pol: pol, verifier: cfg.verifier}
	if t.verifier == nil {
		var vo verify.Options
		if cfg.verifyOpts != nil {
			vo = *cfg.verifyOpts
		}
		v, err := verify.New(vo)
		if err != nil {
			return nil, fmt.Errorf("transport: %w", err)
		}
		t.verifier = v
	}
	base := cfg.base
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t.base = base.Clone()
	t.h2 = allowsHTTP2(t.base)
	t.tlsBase = &tls.Config{MinVersion: tls.VersionTLS12}
	if t.base.TLSClientConfig != nil {
		t.tlsBase = t.base.TLSClientConfig.Clone()
	}
	t.dial = t.base.DialContext
	if t.dial == nil {
		t.dial = (&net.Dialer{Timeout: DefaultAttestationTimeout, KeepAlive: DefaultAttestationTimeout}).DialContext
	}

	t.inner = t.base.Clone()
	t.inner.Proxy = nil // dialPinned tunnels through the proxy itself
	t.inner.OnProxyConnectResponse = nil
	t.inner.DialContext = nil
	t.inner.DialTLSContext = t.dialPinned
	t.inner.TLSClientConfig = nil
	t.inner.TLSNextProto = nil
	t.inner.Protocols = nil
	t.inner.ForceAttemptHTTP2 = t.h2

	origins, err := lru.NewWithEvict(cfg.maxOrigins, func(_ string, o *origin) { closeAll(o.evict()) })
	if err != nil {
		return nil, err
	}
	t.origins = origins
	return t, nil
}

// allowsHTTP2 reports whether base lets HTTP/2 be negotiated: unless its
// Protocols leave HTTP/2 out or its TLSNextProto is set without "h2".
func allowsHTTP2(base *http.Transport) bool {
	if base.Protocols != nil {
		return base.Protocols.HTTP2()
	}
	if base.TLSNextProto != nil {
		_, ok := base.TLSNextProto["h2"]
		return ok
	}
	return true
}

// RoundTrip sends req to an attested CVM, attesting the origin's key
// first when needed. It refuses requests that are not https. It never
// modifies req. Errors of attestation are *AttestationError.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("transport: nil Request.URL")
	}
	name, err := originName(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if req.URL.Scheme != "https" {
		closeBody(req)
		return nil, schemeRefusal(name, req.URL.Scheme)
	}
	now := t.cfg.now()
	if o, ok := t.origins.Get(name); ok && o.lapsed(now) {
		if err := t.attestLapsed(req.Context(), o); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	resp, err := t.send(req)
	if err != nil {
		return nil, err
	}
	if k, _, ok := keyOf(resp.TLS); ok {
		if o, ok := t.origins.Peek(name); ok {
			v, renew := o.serving(k, now)
			if v != nil {
				resp.Request = resp.Request.WithContext(context.WithValue(resp.Request.Context(), verdictKey{}, v))
			}
			if renew {
				t.renew(o, k)
			}
		}
	}
	return resp, nil
}

// closeBody closes a request body RoundTrip will not send.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// verdictKey is the context key under which RoundTrip leaves the verdict
// on the request of the response.
type verdictKey struct{}

// VerdictFor returns the verdict of the CVM key behind resp, a response of
// a Transport, for audit logs: which CVM answered and how it was judged.
// The Verdict is shared with the Transport and must not be modified. It
// returns false for a response of another RoundTripper.
func VerdictFor(resp *http.Response) (*Verdict, bool) {
	if resp == nil || resp.Request == nil {
		return nil, false
	}
	v, ok := resp.Request.Context().Value(verdictKey{}).(*Verdict)
	return v, ok
}

// Client returns an http.Client that sends every request through t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// CloseIdleConnections closes the idle connections of the pool. Verified
// keys stay pinned.
func (t *Transport) CloseIdleConnections() { t.inner.CloseIdleConnections() }

// origin returns the state of origin name, adding it when new.
func (t *Transport) origin(name string) *origin {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o, ok := t.origins.Get(name); ok {
		return o
	}
	o := newOrigin(name)
	t.origins.Add(name, o)
	return o
}

// policyFor returns the policy of origin name.
func (t *Transport) policyFor(name string) (*policy.Policy, error) {
	if t.cfg.policyFor == nil {
		return t.pol, nil
	}
	p, err := t.cfg.policyFor(name)
	if err == nil && p == nil {
		err = errors.New("no policy for this origin")
	}
	if err == nil {
		err = p.Validate()
	}
	if err != nil {
		return nil, &AttestationError{Origin: name, Step: StepPolicy, Err: &verify.Error{Kind: verify.KindInvalidPolicy, Check: "policy for origin", Err: err}}
	}
	return p, nil
}

// schemeRefusal is the refusal of a URL of origin name whose scheme is not
// https.
func schemeRefusal(name, scheme string) error {
	return &AttestationError{Origin: name, Step: StepScheme, Err: &verify.Error{Kind: verify.KindKeyBinding,
		Check: "scheme", Expected: "https (a plain-HTTP request cannot be bound to an attested key)", Found: scheme}}
}

// originName is the origin of u as "https://host:port", the host in lower
// case and the port explicit, as dialPinned sees it.
func originName(u *url.URL) (string, error) {
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("transport: URL %q has no host", u.Redacted())
	}
	return u.Scheme + "://" + net.JoinHostPort(host, portOr(u.Port(), u.Scheme)), nil
}

// portOr is a URL's port, or where it is empty the default port of its
// scheme: 80 for http, else 443.
func portOr(port, scheme string) string {
	if port != "" {
		return port
	}
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// observe reports an attestation to the observer and the logger.
func (t *Transport) observe(a Attestation) {
	if t.cfg.observer != nil {
		t.cfg.observer(a)
	}
	if t.cfg.logger == nil {
		return
	}
	attrs := []any{slog.String("origin", a.Origin), slog.String("spki_sha256", a.SPKISHA256), slog.Duration("duration", a.Duration), slog.Bool("refresh", a.Refresh)}
	if a.Err != nil {
		t.cfg.logger.Warn("attestation failed", append(attrs, slog.String("kind", string(verify.KindOf(a.Err))), slog.String("error", a.Err.Error()))...)
		return
	}
	attrs = append(attrs, slog.String("tcb_status", string(a.Report.TCBStatus)))
	if d := a.Report.Dstack; d != nil {
		attrs = append(attrs, slog.String("compose_hash", fmt.Sprintf("%x", d.Identity.ComposeHash)), slog.String("app_id", fmt.Sprintf("%x", d.Identity.AppID)))
	}
	t.cfg.logger.Info("attested", attrs...)
}

// logf logs a failure outside an attestation.
func (t *Transport) logf(what, origin string, k keyID, err error) {
	if t.cfg.logger != nil {
		t.cfg.logger.Warn(what, slog.String("origin", origin), slog.String("spki_sha256", k.String()), slog.String("error", err.Error()))
	}
}

// Attest attests the origin of rawURL now, whatever is pinned or
// remembered of earlier failures: it connects, fetches the evidence over
// that connection with a fresh nonce, verifies it under the origin's
// policy, and pins the key on success. It returns the attestation with the
// full report and the documents as received, for one-shot checks and
// monitors; ctx bounds it together with the attestation timeout.
func (t *Transport) Attest(ctx context.Context, rawURL string) (Attestation, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Attestation{}, fmt.Errorf("transport: %w", err)
	}
	name, err := originName(u)
	if err != nil {
		return Attestation{}, err
	}
	if u.Scheme != "https" {
		err := schemeRefusal(name, u.Scheme)
		return Attestation{Origin: name, Err: err}, err
	}
	pol, err := t.policyFor(name)
	if err != nil {
		return Attestation{Origin: name, Err: err}, err
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.timeout)
	defer cancel()
	conn, k, err := t.connect(ctx, strings.TrimPrefix(name, "https://"), pol)
	if err != nil {
		err = &AttestationError{Origin: name, Step: StepConnect, Err: connectError(err)}
		return Attestation{Origin: name, Err: err}, err
	}
	return t.attest(ctx, t.origin(name), pol, k, conn, false)
}
