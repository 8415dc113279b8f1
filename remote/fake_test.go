package remote_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// fake is a local stand-in for a hosted verifier: it records the quote
// it was sent and answers what the test sets.
type fake struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	body   string
	got    []byte // the quote received
	ctype  string // its Content-Type
}

// newFake starts a fake verifier answering status and body.
func newFake(t *testing.T, status int, body string) *fake {
	t.Helper()
	f := &fake{status: status, body: body}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Hex string `json:"hex"`
	}
	data, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ctype = r.Header.Get("Content-Type")
	if r.Method == http.MethodPost && json.Unmarshal(data, &req) == nil {
		f.got, _ = hexfmt.Decode(req.Hex)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}

// received returns the quote the fake was sent and its content type.
func (f *fake) received() ([]byte, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got, f.ctype
}

// testQuote is a quote of the default test PKI with REPORTDATA rd,
// padded as a guest agent pads it.
func testQuote(t *testing.T, rd byte) []byte {
	t.Helper()
	var opts cvmtest.QuoteOptions
	opts.ReportData[0] = rd
	opts.Padding = 70
	q, err := cvmtest.MustPKI(t, cvmtest.PKIOptions{}).Quote(opts)
	require.NoError(t, err)
	return q
}
