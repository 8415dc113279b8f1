package transport_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
)

// TestMaxOriginsEvicts: beyond WithMaxOrigins origins, the least recently
// used one is forgotten, its connections closed, and its next request
// attests it again; the origin kept is not attested again.
func TestMaxOriginsEvicts(t *testing.T) {
	a, b := newServer(t), newServer(t)
	client := newTransport(t, a.Policy(), a, transport.WithMaxOrigins(1)).Client()
	mustGet(t, client, a.URL+"/1")
	mustGet(t, client, b.URL+"/1") // evicts a
	mustGet(t, client, b.URL+"/2")
	mustGet(t, client, a.URL+"/2") // evicts b
	assert.EqualValues(t, 2, a.AttestationRequests(), "a, forgotten, is attested again")
	assert.EqualValues(t, 1, b.AttestationRequests(), "b, kept while used, is not")
	assert.EqualValues(t, 2, a.AppRequests())
	assert.EqualValues(t, 2, b.AppRequests())
}

// TestPathsOption: WithPaths sends the attestation and info requests to
// the paths it names, with the nonce parameter, and nowhere else.
func TestPathsOption(t *testing.T) {
	var seen atomic.Value
	asked := make(chan struct{})
	var once sync.Once
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cvm/attestation":
			seen.Store(r.URL.Query().Get("reportData"))
			once.Do(func() { close(asked) })
		case "/cvm/info":
			// The two are fetched at once, and the first failure cancels
			// the other: the info fails only once the attestation arrived.
			select {
			case <-asked:
			case <-r.Context().Done():
			}
		}
		http.NotFound(w, r)
	})
	s := cvmtest.NewServer(app)
	t.Cleanup(s.Close)
	tr := newTransport(t, s.Policy(), s, transport.WithPaths("/cvm/attestation", "/cvm/info"))
	_, err := tr.Client().Get(s.URL + "/x")
	require.Error(t, err, "the app answers 404 at the paths named")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, verify.KindUnreachable, verify.KindOf(err))
	assert.Len(t, seen.Load(), 64, "the nonce went to the attestation path named")
	assert.Zero(t, s.AttestationRequests(), "nothing asked the default paths")

	for _, paths := range [][2]string{{"attestation", "/info"}, {"/attestation", ""}} {
		_, err := transport.New(s.Policy(), transport.WithPaths(paths[0], paths[1]))
		assert.ErrorContains(t, err, "paths must start with /", "%q", paths)
	}
}
