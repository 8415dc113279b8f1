package collateral

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFetchRefusesHTTPSDowngrade checks that a redirect from HTTPS to plain
// HTTP on the same host and port is refused, also with a caller's client
// whose own policy would follow it.
func TestFetchRefusesHTTPSDowngrade(t *testing.T) {
	f := newFakePCS(t)
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	plain := "http://" + strings.TrimPrefix(srv.URL, "https://")
	f.override[fakeTCB] = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain+r.URL.RequestURI(), http.StatusFound)
	}
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
	src, err := NewPCCS(srv.URL, HTTPOptions{Client: client})
	require.NoError(t, err)
	_, err = src.Fetch(context.Background(), realReq)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrRedirect)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.Contains(t, err.Error(), "from https to http")
}
