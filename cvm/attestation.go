package cvm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cvmgate/cvmgate/wire"
)

// serveAttestation answers wire.AttestationPath: a quote over
// wire.ReportData(nonce, SPKI of the leaf this connection served).
func (h *Handler) serveAttestation(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil {
		writeError(w, http.StatusForbidden, "attestation is served over TLS only: there is no key to bind")
		return
	}
	nonce, msg := parseNonce(r.URL.RawQuery)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	cert := ServedCertificate(r.Context())
	if cert == nil {
		h.log.Error("cvm: no certificate recorded for the connection; serve with cvm.TLSConfig and cvm.ConnContext (or cvm.Configure)", "remote", r.RemoteAddr)
		writeError(w, http.StatusInternalServerError, "this connection cannot be attested")
		return
	}
	spki, err := leafSPKI(cert)
	if err != nil {
		h.log.Error("cvm: served certificate has no readable leaf", "err", err)
		writeError(w, http.StatusInternalServerError, "this connection cannot be attested")
		return
	}
	rd, err := wire.ReportData(nonce[:], spki)
	if err != nil {
		h.log.Error("cvm: building report data", "err", err)
		writeError(w, http.StatusInternalServerError, "this connection cannot be attested")
		return
	}
	if r.Method == http.MethodHead {
		writeHead(w)
		return
	}
	if !h.acquire(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	att, err := h.agent.GetQuote(ctx, rd[:])
	cancel()
	h.release()
	if err != nil {
		h.agentFailed(w, r, "GetQuote", err)
		return
	}
	body, err := att.MarshalJSON()
	if err != nil {
		h.log.Error("cvm: encoding the attestation", "err", err)
		writeError(w, http.StatusInternalServerError, "the attestation could not be encoded")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// parseNonce reads the query of an attestation request: exactly one
// reportData parameter holding wire.NonceSize bytes of hex. It returns the
// nonce, or a message for the client.
func parseNonce(rawQuery string) ([wire.NonceSize]byte, string) {
	var zero [wire.NonceSize]byte
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return zero, "expected a URL query, found a malformed one"
	}
	vals := q[wire.ReportDataParam]
	if len(vals) != 1 {
		return zero, fmt.Sprintf("expected one %s parameter, found %d", wire.ReportDataParam, len(vals))
	}
	nonce, err := wire.ParseNonce(vals[0])
	if err != nil {
		return zero, err.Error()
	}
	return nonce, ""
}

// agentFailed answers a failed agent call without its details, which go
// to the log: 504 when the call ran out of time, 502 otherwise, nothing
// when the client has gone.
func (h *Handler) agentFailed(w http.ResponseWriter, r *http.Request, method string, err error) {
	if r.Context().Err() != nil {
		h.log.Debug("cvm: client gone during agent call", "method", method, "err", err)
		return
	}
	h.log.Error("cvm: guest agent call failed", "method", method, "err", err)
	if errors.Is(err, context.DeadlineExceeded) {
		writeError(w, http.StatusGatewayTimeout, "the guest agent did not answer in time")
		return
	}
	writeError(w, http.StatusBadGateway, "the guest agent could not answer")
}
