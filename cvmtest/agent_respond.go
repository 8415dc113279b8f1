package cvmtest

import (
	"net/http"
	"strconv"
)

// agentHeaders sets what Rocket sends with every answer of the agent.
func agentHeaders(w http.ResponseWriter, contentType string, n int) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(n))
	h.Set("Server", "dstack guest agent")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Permissions-Policy", "interest-cohort=()")
}

// agentWrite writes a JSON answer with its Content-Length, which the JS
// SDK's socket client needs.
func agentWrite(w http.ResponseWriter, status int, body []byte) {
	agentHeaders(w, "application/json", len(body))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// agentError writes the agent's error answer: {"error": msg},
// pretty-printed with two spaces and no trailing newline.
func agentError(w http.ResponseWriter, status int, msg string) {
	body, err := marshalAgentJSON(struct {
		Error string `json:"error"`
	}{msg}, "  ")
	if err != nil { // cannot happen: one string
		body = []byte(`{"error": "internal error"}`)
	}
	agentWrite(w, status, body)
}

// agentNotFound is Rocket's default 404 catcher.
func agentNotFound(w http.ResponseWriter) {
	const body = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\n" +
		"<body><h1>404: Not Found</h1><p>The requested resource could not be found.</p></body>\n</html>"
	agentHeaders(w, "text/html; charset=utf-8", len(body))
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(body))
}
