package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
)

// maxUnknownKeys bounds the unknown keys one dial attests before it gives
// up: a cold start against N round-robin replicas meets at most N.
const maxUnknownKeys = 8

// dialPinned is the http.Transport's DialTLSContext: it returns a TLS
// connection to addr only once the key it presents is attested for the
// origin and its verdict is current. A connection with an unknown key is
// attested first, over that very connection (which the attestation then
// consumes), and a new connection is made.
func (t *Transport) dialPinned(ctx context.Context, network, addr string) (net.Conn, error) {
	name := "https://" + addr
	pol, err := t.policyFor(name)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		o := t.origin(name) // again each time: the cache may have evicted it
		conn, k, err := t.connect(ctx, addr, pol)
		if err != nil {
			return nil, &AttestationError{Origin: name, Step: StepConnect, Err: connectError(err)}
		}
		if t.register(o, k, conn) {
			return conn, nil
		}
		if err := o.failed(k, t.cfg.now()); err != nil {
			conn.Close()
			return nil, err
		}
		if attempt >= maxUnknownKeys {
			conn.Close()
			return nil, &AttestationError{Origin: name, Step: StepKeys, SPKISHA256: k.String(),
				Err: &verify.Error{Kind: verify.KindKeyBinding, Check: "keys",
					Expected: fmt.Sprintf("a pinned key within %d connections", maxUnknownKeys), Found: "a new key on every connection"}}
		}
		consumed, err := t.attestShared(ctx, o, pol, k, conn, false)
		if err != nil {
			if !consumed {
				conn.Close()
			}
			return nil, err
		}
		if !consumed && t.register(o, k, conn) {
			return conn, nil
		}
		if !consumed {
			conn.Close()
		}
	}
}

// register hands conn to the pool when k is attested and current for o:
// the connection is tracked so that it is closed when the verdict goes. A
// verdict due for renewal is renewed in the background.
func (t *Transport) register(o *origin, k keyID, conn *tls.Conn) bool {
	// The hook is set first, so that a close racing with the registration
	// still unregisters; on a connection that is not registered it does
	// nothing.
	if tc, isTracked := conn.NetConn().(*trackedConn); isTracked {
		hook := func() { o.unregister(k, conn) }
		tc.onClose.Store(&hook)
	}
	ok, renew := o.use(k, conn, t.cfg.now())
	if !ok {
		return false
	}
	if renew {
		t.renew(o, k)
	}
	return true
}

// connect makes a TLS connection to addr, through the proxy if there is
// one, and returns it with the key its leaf presents. It does not judge
// the key: the caller pins or attests it before any request byte is
// written. The attestation timeout bounds the dial and the handshake
// together (and the base transport's TLSHandshakeTimeout the handshake,
// when shorter): http.Transport dials with a context that a request's
// cancellation does not end, so without a bound of its own a host that
// accepts connections and never completes a handshake would hold each
// dial for ever.
func (t *Transport) connect(ctx context.Context, addr string, pol *policy.Policy) (*tls.Conn, keyID, error) {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.timeout)
	defer cancel()
	raw, err := t.dialRaw(ctx, addr)
	if err != nil {
		return nil, keyID{}, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		raw.Close()
		return nil, keyID{}, err
	}
	conn := tls.Client(&trackedConn{Conn: raw}, t.tlsConfig(host, pol, t.offersHTTP2(ctx)))
	hctx := ctx
	if d := t.base.TLSHandshakeTimeout; d > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if err := conn.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, keyID{}, err
	}
	cs := conn.ConnectionState()
	k, _, ok := keyOf(&cs)
	if !ok {
		conn.Close()
		return nil, keyID{}, errors.New("the server presented no certificate")
	}
	return conn, k, nil
}

// tlsConfig is the configuration of one connection to host under pol,
// offering HTTP/2 in ALPN when h2.
//
// With binding spki or ratls, and without WithWebPKI, the certificate
// chain is not verified by crypto/tls (InsecureSkipVerify): the server's
// key is trusted only once a quote bound to it has been verified, which
// connect's callers do right after the handshake and before handing the
// connection to http.Transport, so no request byte is ever written on an
// unverified connection. verifyLeaf still requires a parseable leaf.
func (t *Transport) tlsConfig(host string, pol *policy.Policy, h2 bool) *tls.Config {
	c := t.tlsBase.Clone()
	if c.ServerName == "" {
		c.ServerName = host
	}
	if h2 {
		c.NextProtos = []string{"h2", "http/1.1"}
	} else {
		c.NextProtos = []string{"http/1.1"}
	}
	if t.cfg.rootCAs != nil {
		c.RootCAs = t.cfg.rootCAs
	}
	if !t.cfg.webPKI && pol.Channel.Binding != verify.BindingNone {
		c.InsecureSkipVerify = true // the attested key is what is trusted; see above
		c.VerifyConnection = verifyLeaf
	}
	return c
}

// verifyLeaf requires the server to present a certificate.
func verifyLeaf(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("transport: the server presented no certificate")
	}
	return nil
}

// dialRaw opens the network connection to addr: directly, or through the
// base transport's proxy with HTTP CONNECT.
func (t *Transport) dialRaw(ctx context.Context, addr string) (net.Conn, error) {
	if t.base.Proxy != nil {
		req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: addr}, Header: http.Header{}}
		proxy, err := t.base.Proxy(req)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		if proxy != nil {
			return t.dialProxy(ctx, proxy, addr)
		}
	}
	return t.dial(ctx, "tcp", addr)
}

// dialProxy opens a tunnel to addr through an http or https proxy.
func (t *Transport) dialProxy(ctx context.Context, proxy *url.URL, addr string) (net.Conn, error) {
	proxyAddr := net.JoinHostPort(proxy.Hostname(), portOr(proxy.Port(), proxy.Scheme))
	var conn net.Conn
	var err error
	switch proxy.Scheme {
	case "http":
		conn, err = t.dial(ctx, "tcp", proxyAddr)
	case "https":
		if conn, err = t.dial(ctx, "tcp", proxyAddr); err == nil {
			tc := tls.Client(conn, &tls.Config{ServerName: proxy.Hostname(), RootCAs: t.tlsBase.RootCAs, MinVersion: tls.VersionTLS12})
			if err = tc.HandshakeContext(ctx); err != nil {
				conn.Close()
			}
			conn = tc
		}
	default:
		return nil, fmt.Errorf("proxy %s: scheme %q is not supported (http or https proxies with CONNECT)", proxy.Redacted(), proxy.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", proxy.Redacted(), err)
	}
	if err := connectTunnel(ctx, conn, proxy, addr, t.base.ProxyConnectHeader); err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: %w", proxy.Redacted(), err)
	}
	return conn, nil
}

// maxProxyResponse bounds the proxy's answer to CONNECT.
const maxProxyResponse = 64 << 10

// connectTunnel asks the proxy on conn for a tunnel to addr.
func connectTunnel(ctx context.Context, conn net.Conn, proxy *url.URL, addr string, header http.Header) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultAttestationTimeout)
	}
	conn.SetDeadline(deadline)
	defer conn.SetDeadline(time.Time{})
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: header.Clone()}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if u := proxy.User; u != nil {
		pass, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pass)))
	}
	if err := req.Write(conn); err != nil {
		return err
	}
	br := bufio.NewReaderSize(&limitedReader{r: conn, n: maxProxyResponse}, 4096)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fmt.Errorf("CONNECT %s: %w", addr, err)
	}
	// The body of a successful CONNECT is the tunnel: it is not read.
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("CONNECT %s: %s", addr, resp.Status)
	}
	if br.Buffered() > 0 {
		return fmt.Errorf("CONNECT %s: the proxy sent data before the TLS handshake", addr)
	}
	return nil
}

// limitedReader reads at most n bytes from r, then fails.
type limitedReader struct {
	r net.Conn
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("proxy answer too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// connectError classifies a failure to connect: a certificate that WebPKI
// validation refused is the server's (key_binding: the channel cannot be
// trusted), anything else left no verdict (unreachable).
func connectError(err error) error {
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return &verify.Error{Kind: verify.KindKeyBinding, Check: "tls certificate",
			Expected: "a certificate valid for the host under the WebPKI roots", Found: "one that is not", Err: err}
	}
	return unreachable("connect", err)
}

// unreachable wraps a network failure as a verify.Error of kind
// KindUnreachable: no verdict was reached.
func unreachable(check string, err error) error {
	var e *verify.Error
	if errors.As(err, &e) {
		return err
	}
	return &verify.Error{Kind: verify.KindUnreachable, Check: check, Err: err}
}
