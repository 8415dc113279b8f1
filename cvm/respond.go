package cvm

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// setHeaders sets the headers of every protocol answer: JSON, never
// cached (an attestation is for one nonce), never sniffed.
func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// writeJSON writes body with its length.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	setHeaders(w)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeHead answers a HEAD request that would have succeeded.
func writeHead(w http.ResponseWriter) {
	setHeaders(w)
	w.WriteHeader(http.StatusOK)
}

// errorBody is the JSON of every refusal.
type errorBody struct {
	Error string `json:"error"`
}

// writeError writes {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	body, err := json.Marshal(errorBody{msg})
	if err != nil { // cannot happen: one string
		body = []byte(`{"error":"internal error"}`)
	}
	writeJSON(w, status, body)
}
