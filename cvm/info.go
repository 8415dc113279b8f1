package cvm

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// infoCache holds the encoded Info document for maxAge. One request at a
// time asks the agent; the others wait for its answer (or their context).
type infoCache struct {
	maxAge time.Duration
	fetch  chan struct{} // a one-slot lock that waits with a context

	mu      sync.Mutex
	body    []byte
	expires time.Time
}

func newInfoCache(maxAge time.Duration) *infoCache {
	return &infoCache{maxAge: maxAge, fetch: make(chan struct{}, 1)}
}

// get returns the cached document if it is still fresh.
func (c *infoCache) get(now time.Time) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil && now.Before(c.expires) {
		return c.body
	}
	return nil
}

// put stores a document fetched at now.
func (c *infoCache) put(body []byte, now time.Time) {
	if c.maxAge < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.body, c.expires = body, now.Add(c.maxAge)
}

// serveInfo answers wire.InfoPath with the agent's Info document.
// HEAD gets the headers without an agent call.
func (h *Handler) serveInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		writeHead(w)
		return
	}
	if body := h.info.get(time.Now()); body != nil {
		writeJSON(w, http.StatusOK, body)
		return
	}
	// Wait for a fetch in flight, then look again.
	select {
	case h.info.fetch <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	defer func() { <-h.info.fetch }()
	if body := h.info.get(time.Now()); body != nil {
		writeJSON(w, http.StatusOK, body)
		return
	}
	if !h.acquire(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	info, err := h.agent.Info(ctx)
	cancel()
	h.release()
	if err != nil {
		h.agentFailed(w, r, "Info", err)
		return
	}
	body, err := info.MarshalJSON()
	if err != nil {
		h.log.Error("cvm: encoding the info document", "err", err)
		writeError(w, http.StatusInternalServerError, "the info document could not be encoded")
		return
	}
	h.info.put(body, time.Now())
	writeJSON(w, http.StatusOK, body)
}
