package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// Response headers the proxy sets from the verdict of the CVM key that
// answered, so that a client (or its logs) sees what it talked to. Any
// header of the upstream's with the prefix is dropped first: only the
// proxy speaks for the attestation.
const (
	verdictHeaderPrefix  = "Cvmgate-"
	headerAppID          = "Cvmgate-App-Id"
	headerComposeHash    = "Cvmgate-Compose-Hash"
	headerTCBStatus      = "Cvmgate-Tcb-Status"
	headerSPKISHA256     = "Cvmgate-Spki-Sha256"
	headerVerdictExpires = "Cvmgate-Verdict-Expires"
)

// proxyError is the JSON body of an answer the proxy gives itself
// instead of the upstream's (docs/json.md, proxy-error).
type proxyError struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	Message       string `json:"message"`
	Origin        string `json:"origin"`
	Hint          string `json:"hint,omitempty"`
}

// Kinds of the proxy's own refusals, besides verify's.
const (
	kindRequestTooLarge = "request_too_large"
	kindUpstream        = "upstream"
)

// newProxyHandler returns a reverse proxy to upstream that sends every
// request through tr, an attested transport: a request reaches the
// upstream only over a connection whose key tr has attested. Request
// bodies beyond maxBody are refused with 413. Responses stream as they
// come (no buffering: server-sent events and long polls work), and a
// WebSocket upgrade (101 Switching Protocols) becomes a two-way tunnel.
func newProxyHandler(upstream *url.URL, tr http.RoundTripper, log *slog.Logger, maxBody int64) http.Handler {
	origin := upstream.Scheme + "://" + upstream.Host
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
		},
		Transport:      tr,
		FlushInterval:  -1,
		ModifyResponse: setVerdictHeaders,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProxyError(w, r, err, origin, log)
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			writeProxyError(w, r, &http.MaxBytesError{Limit: maxBody}, origin, log)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		rp.ServeHTTP(w, r)
	})
}

// setVerdictHeaders replaces the upstream's Cvmgate-* headers with the
// verdict of the key that answered.
func setVerdictHeaders(resp *http.Response) error {
	for name := range resp.Header {
		if strings.HasPrefix(http.CanonicalHeaderKey(name), verdictHeaderPrefix) {
			delete(resp.Header, name)
		}
	}
	v, ok := transport.VerdictFor(resp)
	if !ok {
		return nil
	}
	h := resp.Header
	if len(v.AppID) > 0 {
		h.Set(headerAppID, hex.EncodeToString(v.AppID))
	}
	if len(v.ComposeHash) > 0 {
		h.Set(headerComposeHash, hex.EncodeToString(v.ComposeHash))
	}
	h.Set(headerTCBStatus, string(v.TCBStatus))
	h.Set(headerSPKISHA256, hex.EncodeToString(v.SPKISHA256[:]))
	h.Set(headerVerdictExpires, v.Expires.UTC().Format(time.RFC3339))
	return nil
}

// writeProxyError answers a request the upstream did not: 413 for a body
// beyond the bound, 504 when the upstream timed out, 502 otherwise (a CVM
// that failed attestation, or could not be reached), with a JSON body
// saying why.
func writeProxyError(w http.ResponseWriter, r *http.Request, err error, origin string, log *slog.Logger) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away: nobody to answer.
		log.Debug("client gone", slog.String("path", r.URL.Path))
		return
	}
	status, body := proxyErrorOf(err, origin)
	attrs := []any{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status), slog.String("kind", body.Kind), slog.String("error", body.Message)}
	if status == http.StatusBadGateway && verify.KindOf(err) != "" && !verify.KindOf(err).Inconclusive() {
		log.Error("upstream refused: attestation failed", attrs...)
	} else {
		log.Warn("request not forwarded", attrs...)
	}
	data, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// proxyErrorOf classifies err into a status and a body.
func proxyErrorOf(err error, origin string) (int, proxyError) {
	body := proxyError{SchemaVersion: schemaVersion, Origin: origin}
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooLarge):
		body.Kind = kindRequestTooLarge
		body.Message = "the request body is larger than the proxy's --max-body of " + formatBytes(tooLarge.Limit)
		body.Hint = "send a smaller body, or start the proxy with a larger --max-body"
		return http.StatusRequestEntityTooLarge, body
	case verify.KindOf(err) != "":
		body.Kind = string(verify.KindOf(err))
		body.Message = describe(err)
		body.Hint = hint(err)
		var ae *transport.AttestationError
		if errors.As(err, &ae) {
			body.Origin = ae.Origin
		}
	default:
		body.Kind = kindUpstream
		body.Message = "the attested upstream did not answer: " + err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return http.StatusGatewayTimeout, body
	}
	return http.StatusBadGateway, body
}
