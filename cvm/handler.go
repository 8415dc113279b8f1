package cvm

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/cvmgate/cvmgate/internal/clip"
	"github.com/cvmgate/cvmgate/wire"
)

// Defaults of Options.
const (
	// DefaultMaxConcurrentQuotes bounds the agent calls a Handler makes at
	// once. The guest agent makes one quote at a time (tens of
	// milliseconds each on real hardware), so more would only queue there.
	DefaultMaxConcurrentQuotes = 8
	// DefaultQuoteTimeout bounds one agent call made for a request.
	DefaultQuoteTimeout = 10 * time.Second
	// DefaultInfoMaxAge is how long a Handler serves the agent's Info
	// document before asking again. The agent makes a quote for every
	// Info call, and the document only changes when the CVM reboots.
	DefaultInfoMaxAge = time.Minute
	// RetryAfter is the Retry-After value, in seconds, of a 503 answer.
	RetryAfter = 1
)

// maxQuery bounds the query string of a protocol request: the
// reportData parameter is 75 bytes.
const maxQuery = 256

// Options configures NewHandler. The zero value gives the defaults.
type Options struct {
	// MaxConcurrentQuotes bounds the agent calls in flight; a request
	// beyond it is answered 503 with Retry-After. Zero means
	// DefaultMaxConcurrentQuotes.
	MaxConcurrentQuotes int
	// QuoteTimeout bounds each agent call. Zero means DefaultQuoteTimeout.
	QuoteTimeout time.Duration
	// InfoMaxAge is how long an Info document is served from memory.
	// Zero means DefaultInfoMaxAge; a negative value asks the agent on
	// every request.
	InfoMaxAge time.Duration
	// Logger receives what went wrong inside (agent failures, a server
	// set up without ConnContext); clients only ever see a short reason.
	// Nil discards.
	Logger *slog.Logger
}

// Handler serves wire.AttestationPath and wire.InfoPath from a guest agent
// and passes every other request to its fallback. It is safe for
// concurrent use.
//
// The attestation answers GET (and HEAD, without making a quote) with the
// query reportData=<64 hex> only over a connection whose served
// certificate TLSConfig recorded; its quote is over
// wire.ReportData(nonce, SPKI of that leaf). Refusals are JSON
// {"error": "..."}: 400 for a malformed nonce, 403 without TLS, 405 for
// other methods, 413 for a request with a body, 414 for an oversized
// query, 503 with Retry-After when MaxConcurrentQuotes calls are in
// flight, 502 or 504 when the agent fails or times out, 500 when the
// connection's certificate is unknown.
type Handler struct {
	agent    Agent
	fallback http.Handler
	slots    chan struct{}
	timeout  time.Duration
	log      *slog.Logger
	info     *infoCache
}

// NewHandler returns a Handler that answers the protocol's paths from
// agent and every other request with fallback (nil means 404).
func NewHandler(agent Agent, fallback http.Handler, opts Options) (*Handler, error) {
	if agent == nil {
		return nil, errors.New("cvm: NewHandler: expected an Agent, found nil")
	}
	if opts.MaxConcurrentQuotes < 0 || opts.QuoteTimeout < 0 {
		return nil, fmt.Errorf("cvm: options: expected a positive MaxConcurrentQuotes and QuoteTimeout (or zero for the default), found %d and %v", opts.MaxConcurrentQuotes, opts.QuoteTimeout)
	}
	h := &Handler{agent: agent, fallback: fallback, timeout: opts.QuoteTimeout, log: opts.Logger}
	if h.fallback == nil {
		h.fallback = http.NotFoundHandler()
	}
	n := opts.MaxConcurrentQuotes
	if n == 0 {
		n = DefaultMaxConcurrentQuotes
	}
	h.slots = make(chan struct{}, n)
	if h.timeout == 0 {
		h.timeout = DefaultQuoteTimeout
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	maxAge := opts.InfoMaxAge
	if maxAge == 0 {
		maxAge = DefaultInfoMaxAge
	}
	h.info = newInfoCache(maxAge)
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case wire.AttestationPath:
		if checkRequest(w, r) {
			h.serveAttestation(w, r)
		}
	case wire.InfoPath:
		if checkRequest(w, r) {
			h.serveInfo(w, r)
		}
	default:
		h.fallback.ServeHTTP(w, r)
	}
}

// checkRequest refuses what no protocol request looks like: a method other
// than GET or HEAD, a body, an oversized query. It reports whether r may
// go on.
func checkRequest(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("expected GET or HEAD, found %s", clip.Quote(r.Method, 16)))
	case r.ContentLength != 0:
		writeError(w, http.StatusRequestEntityTooLarge, "expected no request body")
	case len(r.URL.RawQuery) > maxQuery:
		writeError(w, http.StatusRequestURITooLong, fmt.Sprintf("expected a query of at most %d bytes, found %d", maxQuery, len(r.URL.RawQuery)))
	default:
		return true
	}
	return false
}

// acquire takes a slot for an agent call without waiting, or answers 503.
func (h *Handler) acquire(w http.ResponseWriter) bool {
	select {
	case h.slots <- struct{}{}:
		return true
	default:
		w.Header().Set("Retry-After", fmt.Sprint(RetryAfter))
		writeError(w, http.StatusServiceUnavailable, "busy: too many quotes in progress, retry later")
		return false
	}
}

// release returns a slot taken by acquire.
func (h *Handler) release() { <-h.slots }
