// Package transport is an http.RoundTripper that only talks to verified
// confidential VMs.
//
// Wrap an http.Client once:
//
//	pol, _ := policy.Load("policy.yaml")
//	t, _ := transport.New(pol)
//	client := t.Client()
//	resp, err := client.Get("https://app.example/api")
//
// From then on every request reaches only a dstack CVM whose quote, event
// log, compose hash and TLS key have been verified against the policy.
//
// # How
//
// Every connection the Transport makes is checked right after its TLS
// handshake, before http.Transport may write a byte of a request on it:
// the SHA-256 of the server's leaf SubjectPublicKeyInfo must be a key the
// Transport has attested for that origin (scheme, host and port) and whose
// verdict has not lapsed. A connection presenting an unknown key is
// attested on the spot, over that very connection: GET /attestation with a
// fresh 32-byte nonce and GET /info (in parallel over HTTP/2), then
// package verify checks the quote against Intel's root, replays the event
// log, checks the compose and the binding of REPORTDATA to nonce and key,
// and the policy judges the result. Only then is the key pinned; the
// connection that carried the attestation is closed and a fresh one, now
// presenting a pinned key, carries the request. No application byte is
// written on a connection whose key has not been attested, so retrying
// after an unknown key is safe for every method.
//
// Concurrent first requests share one attestation per origin and key;
// a caller's context cancels its own wait, never the shared attestation.
// An origin may have several attested keys at once: replicas of one app,
// and a CVM that restarted with a fresh key. A verdict lapses at the
// earliest of verify.Report.ValidUntil and the policy's
// attestation.max_age; it is renewed in the background ahead of that while
// the old one still serves. A request that finds a verdict lapsed waits
// while the origin is attested again: the connections of a key attested
// again carry on, those of a key that is not are closed. A request that
// fails on a connection the Transport closed under the pool (that of an
// evicted origin or of a dropped key) is sent again only where net/http
// would retry it: an idempotent method or an Idempotency-Key header, and a
// body it can get again.
// Failures are returned as *AttestationError and remembered for a short,
// growing backoff so a broken CVM is not hammered.
//
// What a CVM can cost a client is bounded: each document within
// wire.MaxDocumentSize (a larger declared Content-Length is refused
// unread), each attestation, and each connection's dial and handshake,
// within the attestation timeout, and the unknown keys one dial attests.
//
// # Certificates and binding
//
// With channel binding "spki" (the default) or "ratls" the attested key is
// what is trusted, so self-signed and KMS-issued certificates work; the
// certificate chain is not checked unless WithWebPKI asks for it too. With
// binding "none" the channel is not bound to the TD (a relay cannot be
// ruled out) and WebPKI validation always stays on. Phala Cloud's gateway
// terminates TLS unless the host name uses the "s" passthrough suffix
// (<app-id>-<port>s.<domain>); only with passthrough is the CVM's own key
// on the wire, which binding "spki" needs.
//
// Plain http:// requests are refused. A redirect to another origin is
// attested before it is followed. A WebSocket upgrade (Connection: upgrade,
// Upgrade: websocket) goes over an HTTP/1.1 connection, attested like any
// other, and its 101 response's Body is the two-way stream, as with
// http.Transport; other requests keep HTTP/2 where the CVM speaks it. Proxies (HTTPS_PROXY, the base
// transport's Proxy) are used through HTTP CONNECT; the TLS session is
// still end to end with the CVM.
package transport
