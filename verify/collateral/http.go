package collateral

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/cvmgate/cvmgate/internal/clip"
	"github.com/cvmgate/cvmgate/internal/limits"
)

// Defaults of HTTPOptions.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBodySize = 1 << 20
	DefaultUserAgent   = "cvmgate-collateral/1"
)

// maxRedirects bounds the same-host redirects followed.
const maxRedirects = 5

// HTTPOptions configures the Intel PCS and PCCS sources. The zero value is
// ready to use.
type HTTPOptions struct {
	// Client sends the requests. Nil means a client with connect, TLS
	// handshake and response-header timeouts. Redirects to another host
	// or from HTTPS to HTTP are refused whatever the client allows.
	Client *http.Client
	// Timeout bounds one Fetch, all four requests included. It is applied
	// through the context. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBodySize bounds each response body. A larger body fails the fetch
	// with an error matching verify.ErrTooLarge; it is never truncated. Zero means
	// DefaultMaxBodySize.
	MaxBodySize int64
	// UserAgent is sent with each request. Empty means DefaultUserAgent.
	UserAgent string
}

// withDefaults fills in the zero fields of o.
func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.Client == nil {
		o.Client = defaultClient()
	}
	o.Client = refuseCrossHostRedirects(o.Client)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = DefaultMaxBodySize
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o
}

// defaultClient returns a client whose transport bounds every phase of a
// connection; the overall deadline comes from the request context.
func defaultClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  20 * time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConnsPerHost:    4,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}}
}

// refuseCrossHostRedirects returns a copy of c that refuses redirects to
// another host or from HTTPS to HTTP before applying c's own policy.
func refuseCrossHostRedirects(c *http.Client) *http.Client {
	cp := *c
	next := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		from := via[len(via)-1].URL
		if req.URL.Host != from.Host {
			return fmt.Errorf("%w: from host %s to host %s", ErrRedirect, from.Host, req.URL.Host)
		}
		if from.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("%w: from https to %s", ErrRedirect, req.URL.Scheme)
		}
		if len(via) > maxRedirects {
			return fmt.Errorf("%w: expected at most %d redirects, found more", ErrRedirect, maxRedirects)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cp
}

// response is a successful HTTP answer, its body read in full.
type response struct {
	header http.Header
	body   []byte
}

// get fetches url and returns its 200 answer. Every failure is a
// *FetchError, which matches ErrUnavailable.
func get(ctx context.Context, o HTTPOptions, url string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &FetchError{URL: url, Err: err}
	}
	req.Header.Set("User-Agent", o.UserAgent)
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, &FetchError{URL: url, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &FetchError{URL: url, StatusCode: resp.StatusCode, Err: statusErr(resp)}
	}
	if resp.ContentLength > o.MaxBodySize {
		return nil, &FetchError{URL: url, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("%w: expected a body of at most %d bytes, found Content-Length %d",
				limits.ErrTooLarge, o.MaxBodySize, resp.ContentLength)}
	}
	body, err := limits.ReadAll(resp.Body, o.MaxBodySize)
	if err != nil {
		return nil, &FetchError{URL: url, StatusCode: resp.StatusCode, Err: fmt.Errorf("read body: %w", err)}
	}
	return &response{header: resp.Header, body: body}, nil
}

// statusErr describes a non-200 answer, with Intel's Error-Code and
// Error-Message headers where present.
func statusErr(resp *http.Response) error {
	msg := fmt.Sprintf("expected status 200 OK, found %s", resp.Status)
	for _, h := range []string{"Error-Code", "Error-Message"} {
		if v := resp.Header.Get(h); v != "" {
			msg += fmt.Sprintf("; %s: %q", h, clip.String(v, 200))
		}
	}
	return errors.New(msg)
}
