package cvm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"time"

	"github.com/cvmgate/cvmgate/internal/limits"
	"github.com/cvmgate/cvmgate/wire"
)

// Defaults of ClientOptions.
const (
	// DefaultClientTimeout bounds one call to the guest agent: dialing,
	// writing the request and reading the whole answer. A quote takes tens
	// of milliseconds; GetTLSKey with a KMS makes a network round trip.
	DefaultClientTimeout = 30 * time.Second
	// DefaultMaxResponseSize bounds an answer of the guest agent. Real
	// quote answers are about 30 KiB.
	DefaultMaxResponseSize = wire.MaxDocumentSize
)

// ClientOptions configures NewClient. The zero value talks to the guest
// agent the dstack SDKs would find (DefaultEndpoint).
type ClientOptions struct {
	// Endpoint is an http:// or https:// URL, or a unix socket path, read
	// as DSTACK_SIMULATOR_ENDPOINT is. Empty means DefaultEndpoint().
	Endpoint string
	// Timeout bounds each call, on top of the caller's context. Zero means
	// DefaultClientTimeout.
	Timeout time.Duration
	// MaxResponseSize bounds each answer; a larger one is refused with an
	// error matching verify.ErrTooLarge. Zero means DefaultMaxResponseSize.
	MaxResponseSize int64
}

// Client calls the dstack guest agent's HTTP API. It is safe for
// concurrent use and implements Agent.
type Client struct {
	ep      endpoint
	raw     string
	http    *http.Client
	timeout time.Duration
	max     int64
}

// NewClient returns a client of the guest agent at opts.Endpoint. It does
// not connect: the first call does.
func NewClient(opts ClientOptions) (*Client, error) {
	raw := opts.Endpoint
	if raw == "" {
		raw = DefaultEndpoint()
	}
	ep, err := parseEndpoint(raw)
	if err != nil {
		return nil, err
	}
	if opts.Timeout < 0 || opts.MaxResponseSize < 0 {
		return nil, fmt.Errorf("cvm: client options: expected a positive Timeout and MaxResponseSize (or zero for the default), found %v and %d", opts.Timeout, opts.MaxResponseSize)
	}
	c := &Client{ep: ep, raw: raw, timeout: opts.Timeout, max: opts.MaxResponseSize}
	if c.timeout == 0 {
		c.timeout = DefaultClientTimeout
	}
	if c.max == 0 {
		c.max = DefaultMaxResponseSize
	}
	tr := &http.Transport{
		// The agent is local: never reach it through a proxy.
		Proxy:               nil,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     time.Minute,
	}
	if ep.socket != "" {
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", ep.socket)
		}
	}
	c.http = &http.Client{
		Transport: tr,
		// The agent never redirects; following one would leave it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// Endpoint returns the endpoint the client talks to.
func (c *Client) Endpoint() string { return c.raw }

// CloseIdleConnections closes the client's idle connections to the agent.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// call POSTs args as JSON to the agent's method and returns the answer's
// body, which is JSON. Every failure is an *AgentError.
func (c *Client) call(ctx context.Context, method string, args any) ([]byte, error) {
	body, err := json.Marshal(args)
	if err != nil {
		return nil, &AgentError{Method: method, Message: "encoding the request", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.ep.baseURL+"/"+method, bytes.NewReader(body))
	if err != nil {
		return nil, &AgentError{Method: method, Message: "building the request", Err: err}
	}
	// Without a JSON content type the agent reads the body as protobuf,
	// and for Info answers in protobuf.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &AgentError{Method: method, Err: err}
	}
	defer resp.Body.Close()
	data, err := limits.ReadAll(resp.Body, c.max)
	if err != nil {
		return nil, &AgentError{Method: method, StatusCode: resp.StatusCode, Message: "reading the answer", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &AgentError{Method: method, StatusCode: resp.StatusCode, Message: agentMessage(data)}
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, &AgentError{Method: method, StatusCode: resp.StatusCode, Message: fmt.Sprintf("expected an application/json answer, found %q", clipMessage(resp.Header.Get("Content-Type")))}
	}
	return data, nil
}

// agentMessage returns the text of an agent's error answer: the "error"
// field of {"error": ...} when there is one, else the start of the body.
func agentMessage(body []byte) string {
	var e struct {
		Error *string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != nil {
		return clipMessage(*e.Error)
	}
	if len(body) == 0 {
		return "no error text"
	}
	return fmt.Sprintf("%q", clipMessage(string(body)))
}
