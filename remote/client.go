package remote

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// PhalaURL is the endpoint of Phala Cloud's hosted quote verifier.
const PhalaURL = "https://cloud-api.phala.network/api/v1/attestations/verify"

// DefaultTimeout bounds one Verify when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configures New. The zero value is ready to use.
type Options struct {
	// HTTPClient sends the requests, as it is configured. Nil means a
	// client of the package's own, which follows no redirect.
	HTTPClient *http.Client
	// Timeout bounds one Verify, request and answer. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Client asks one remote verifier. It is safe for concurrent use.
type Client struct {
	url     string
	hc      *http.Client
	timeout time.Duration
}

// Verdict is a remote verifier's answer about one quote.
type Verdict struct {
	// Verified is true when the verifier found the quote genuine (its
	// signature chain, collateral and TCB).
	Verified bool
	// Detail is the verifier's reason for a refusal, such as "Quote
	// verification failed"; "" when verified.
	Detail string
	// Checksum is the verifier's id of the quote, "" when not given.
	Checksum string
	// ReportData is the quote's REPORTDATA as the verifier read it, nil
	// when not given. Verify checks it against the quote it sent.
	ReportData []byte
}

// New returns a client of the verifier at endpoint: an https URL, or an
// http one on a loopback host (a local fake). PhalaURL is Phala Cloud's.
func New(endpoint string, opts Options) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("remote: verifier URL %q: %w", endpoint, err)
	}
	switch {
	case u.Host == "":
		return nil, fmt.Errorf("remote: verifier URL %q: expected an absolute URL such as %s", endpoint, PhalaURL)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("remote: verifier URL %q: expected https (http only on a loopback host)", endpoint)
	}
	c := &Client{url: u.String(), hc: opts.HTTPClient, timeout: opts.Timeout}
	if c.hc == nil {
		c.hc = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the verifier's endpoint.
func (c *Client) URL() string { return c.url }

// Verify sends rawQuote (as the CVM sent it, padding included) to the
// verifier and returns its verdict: Verified true or false. It fails with
// an *Error (ErrUnavailable, ErrRequest, ErrAnswer) when there is no
// verdict, including when the verifier describes another quote than the
// one sent.
func (c *Client) Verify(ctx context.Context, rawQuote []byte) (*Verdict, error) {
	if len(rawQuote) == 0 {
		return nil, &Error{URL: c.url, Class: ErrRequest, Err: errors.New("no quote to send")}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	body, err := json.Marshal(map[string]string{"hex": hex.EncodeToString(rawQuote)})
	if err != nil {
		return nil, &Error{URL: c.url, Class: ErrRequest, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{URL: c.url, Class: ErrRequest, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &Error{URL: c.url, Class: ErrUnavailable, Err: err}
	}
	defer resp.Body.Close()
	data, err := limits.ReadAll(resp.Body, MaxAnswerSize)
	switch {
	case errors.Is(err, limits.ErrTooLarge):
		return nil, &Error{URL: c.url, Class: ErrAnswer, Status: resp.StatusCode, Err: err}
	case err != nil:
		return nil, &Error{URL: c.url, Class: ErrUnavailable, Status: resp.StatusCode, Err: err}
	}
	v, err := parseAnswer(resp.StatusCode, data)
	if err != nil {
		e := err.(*Error)
		e.URL = c.url
		return nil, e
	}
	if err := sameQuote(rawQuote, v); err != nil {
		return nil, &Error{URL: c.url, Class: ErrAnswer, Status: resp.StatusCode, Err: err}
	}
	return v, nil
}

// sameQuote checks that a verdict that names a REPORTDATA names the one
// of the quote sent. A quote that does not parse locally is not checked.
func sameQuote(raw []byte, v *Verdict) error {
	if v.ReportData == nil {
		return nil
	}
	q, err := quote.Parse(raw)
	if err != nil {
		return nil
	}
	if !bytes.Equal(v.ReportData, q.Body.ReportData[:]) {
		return fmt.Errorf("the answer is about another quote: expected REPORTDATA %x, found %x", q.Body.ReportData[:], v.ReportData)
	}
	return nil
}
