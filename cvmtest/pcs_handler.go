package cvmtest

import (
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// response is one answer of the fake PCS before the test controls
// (oversize) apply.
type response struct {
	status      int
	contentType string
	header      map[string]string
	body        []byte
}

// serveHTTP counts the request, applies Fail and Hang, and answers.
func (s *PCSServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	s.count(path)
	if g := s.hang.Load(); g != nil {
		select {
		case g.entered <- path:
		default:
		}
		select {
		case <-g.release:
		case <-r.Context().Done():
			return
		case <-s.closed:
			// Drop the connection, as a server going away does, rather
			// than answer an empty 200.
			panic(http.ErrAbortHandler)
		}
	}
	if st := s.failStatus(path); st != 0 {
		s.write(w, r, errorResponse(st, "injected failure"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.write(w, r, errorResponse(http.StatusMethodNotAllowed, "method not allowed"))
		return
	}
	s.write(w, r, s.route(r))
}

// route picks the answer for r from the current collateral.
func (s *PCSServer) route(r *http.Request) response {
	pc := s.content.Load()
	q := r.URL.Query()
	path := r.URL.Path
	switch {
	case path == TCBInfoPath:
		fmspc := q.Get("fmspc")
		if len(fmspc) != 12 || !isHex(fmspc) {
			return errorResponse(http.StatusBadRequest, "fmspc must be 12 hex characters")
		}
		if pc.c == nil || !strings.EqualFold(fmspc, pc.fmspc) {
			return errorResponse(http.StatusNotFound, "no TCB info for this fmspc")
		}
		return jsonResponse(pc.tcb, TCBInfoIssuerChainHeader, pc.c.TCBInfoIssuerChain)
	case path == QEIdentityPath:
		if pc.c == nil {
			return errorResponse(http.StatusNotFound, "no QE identity")
		}
		return jsonResponse(pc.qe, QEIdentityIssuerChainHeader, pc.c.QEIdentityIssuerChain)
	case path == PCKCRLPath:
		return pc.pckCRL(collateral.CA(q.Get("ca")), q.Get("encoding"))
	case path == RootCACRLPath, s.rootCRLPath != "" && path == s.rootCRLPath:
		if pc.c == nil || len(pc.c.RootCACRL) == 0 {
			return errorResponse(http.StatusNotFound, "no root CA CRL")
		}
		return response{status: http.StatusOK, contentType: "application/pkix-crl", body: pc.c.RootCACRL}
	}
	return errorResponse(http.StatusNotFound, "not found")
}

// pckCRL answers a PCK CRL request for ca in encoding ("der", or "pem"
// and "" for PEM, as Intel PCS v4 defaults).
func (pc *pcsContent) pckCRL(ca collateral.CA, encoding string) response {
	if ca != collateral.CAPlatform && ca != collateral.CAProcessor {
		return errorResponse(http.StatusBadRequest, `ca must be "platform" or "processor"`)
	}
	if encoding != "" && encoding != "der" && encoding != "pem" {
		return errorResponse(http.StatusBadRequest, `encoding must be "der" or "pem"`)
	}
	if pc.c == nil || len(pc.c.PCKCRL) == 0 || (pc.ca != "" && ca != pc.ca) {
		return errorResponse(http.StatusNotFound, "no PCK CRL for this CA")
	}
	resp := response{
		status:      http.StatusOK,
		contentType: "application/x-pem-file",
		header:      map[string]string{PCKCRLIssuerChainHeader: escapeIssuerChain(pc.c.PCKCRLIssuerChain)},
		body:        pc.pem,
	}
	if encoding == "der" {
		resp.contentType = "application/pkix-crl"
		resp.body = pc.c.PCKCRL
	}
	return resp
}

func jsonResponse(body []byte, chainHeader string, chain []byte) response {
	return response{
		status:      http.StatusOK,
		contentType: "application/json",
		header:      map[string]string{chainHeader: escapeIssuerChain(chain)},
		body:        body,
	}
}

func errorResponse(status int, msg string) response {
	return response{
		status:      status,
		contentType: "application/json",
		body:        []byte(`{"error":` + strconv.Quote(msg) + `}`),
	}
}

// write sends resp, padded or made endless as Oversize says.
func (s *PCSServer) write(w http.ResponseWriter, r *http.Request, resp response) {
	h := w.Header()
	for k, v := range resp.header {
		h.Set(k, v)
	}
	h.Set("Content-Type", resp.contentType)
	pad := byte(0)
	if resp.contentType == "application/json" || strings.HasPrefix(resp.contentType, "application/x-pem") {
		pad = ' '
	}
	extra := int64(0)
	switch n := s.oversize.Load(); {
	case n < 0:
		extra = -1 // endless: no Content-Length, chunked
	case n > int64(len(resp.body)):
		extra = n - int64(len(resp.body))
		h.Set("Content-Length", strconv.FormatInt(n, 10))
	default:
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(resp.body); err != nil || extra == 0 {
		return
	}
	writePadding(w, r, s.closed, extra, pad)
}

// writePadding writes n bytes of pad (forever if n < 0) in chunks, stopping
// when a write fails, the request's context ends or closed (if not nil) is
// closed.
func writePadding(w http.ResponseWriter, r *http.Request, closed <-chan struct{}, n int64, pad byte) {
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = pad
	}
	flusher, _ := w.(http.Flusher)
	for n != 0 {
		select {
		case <-r.Context().Done():
			return
		case <-closed:
			panic(http.ErrAbortHandler) // the server is going away
		default:
		}
		c := chunk
		if n > 0 && n < int64(len(c)) {
			c = c[:n]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		if n > 0 {
			n -= int64(len(c))
		}
	}
}

// pemCRL encodes a DER CRL as PEM, or returns nil for none.
func pemCRL(der []byte) []byte {
	if len(der) == 0 {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
