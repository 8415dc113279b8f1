package transport

import (
	"context"
	"net/http"
	"strings"
)

// http1OnlyKey is the context key under which RoundTrip marks a request
// that must travel over HTTP/1.1; the dial context of the connection
// made for it carries the mark (net/http passes the request context's
// values to DialTLSContext).
type http1OnlyKey struct{}

// requiresHTTP1 reports whether req asks to switch to WebSocket
// (Connection: upgrade, Upgrade: websocket), which HTTP/2 cannot carry.
// It is net/http's own rule for keeping a request off HTTP/2 connections:
// such a request is never given a pooled HTTP/2 connection, and the
// connection dialed for it must not negotiate HTTP/2 either, or net/http
// hands it to its HTTP/2 client, which refuses the Upgrade header.
func requiresHTTP1(req *http.Request) bool {
	if !strings.EqualFold(strings.TrimSpace(req.Header.Get("Upgrade")), "websocket") {
		return false
	}
	for _, v := range req.Header.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// onlyHTTP1 returns req, or for a request that requiresHTTP1 a shallow
// copy whose context marks it so; req itself is never modified.
func onlyHTTP1(req *http.Request) *http.Request {
	if !requiresHTTP1(req) {
		return req
	}
	return req.WithContext(context.WithValue(req.Context(), http1OnlyKey{}, true))
}

// offersHTTP2 reports whether a connection dialed under ctx may offer
// HTTP/2 in ALPN: when the base transport allows it and ctx is not that
// of a request that requiresHTTP1.
func (t *Transport) offersHTTP2(ctx context.Context) bool {
	return t.h2 && ctx.Value(http1OnlyKey{}) == nil
}
