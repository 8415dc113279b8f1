package transport

import (
	"errors"
	"net"
	"net/http"
)

// maxReplays bounds how often send sends a request again.
const maxReplays = 2

// send sends req through the pool. A request that failed on a closed
// connection is sent again, up to maxReplays times, when net/http would
// replay it (see replayable): the Transport closes the connections of an
// evicted origin and of a key it drops, and http.Transport can hand such a
// connection to a request before its reader has seen it close. The new
// attempt gets another pooled connection or a new one, which is checked
// like any other; a request that is not replayable gets the error.
func (t *Transport) send(req *http.Request) (*http.Response, error) {
	resp, err := t.inner.RoundTrip(onlyHTTP1(req))
	for range maxReplays {
		if err == nil || !errors.Is(err, net.ErrClosed) || !replayable(req) {
			break
		}
		r, rerr := rewound(req)
		if rerr != nil {
			break
		}
		resp, err = t.inner.RoundTrip(onlyHTTP1(r))
	}
	return resp, err
}

// replayable reports whether req may be sent twice, by net/http's rule for
// its own retries: its body can be had again, and its method is idempotent
// or it carries an Idempotency-Key (or X-Idempotency-Key) header.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// rewound returns req ready to be sent again: req itself when it has no
// body, else a copy with a fresh body from GetBody. req is not modified.
func rewound(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}
