package remote_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/remote"
)

// phalaOK is a 200 answer in the shape of Phala's, with verified and the
// REPORTDATA given.
func phalaOK(verified, reportData string) string {
	return `{"success":true,"quote":{"header":{"version":4,"tee_type":"TEE_TDX"},"cert_data":"-----BEGIN CERTIFICATE-----\n...",` +
		`"body":{"tee_tcb_svn":"06010300000000000000000000000000","reportdata":"` + reportData + `"},"verified":` + verified + `},` +
		`"checksum":"9aa049fb","can_download":null,"uploaded_at":null,"quote_collateral":{"tcb_info":"{}"}}`
}

// TestVerify: each answer of the verifier gives a verdict or an error of
// the right class, and the request is the documented one.
func TestVerify(t *testing.T) {
	q := testQuote(t, 0x42)
	rd := "0x42" + strings.Repeat("00", 63)
	other := "0x43" + strings.Repeat("00", 63)
	tests := []struct {
		name     string
		status   int
		body     string
		verified bool
		detail   string
		class    error
		contains string
	}{
		{"verified", 200, phalaOK("true", rd), true, "", nil, ""},
		{"verified as 1", 200, phalaOK("1", rd), true, "", nil, ""},
		{"refused", 200, phalaOK("false", rd), false, "", nil, ""},
		{"refused as 0", 200, phalaOK("0", rd), false, "", nil, ""},
		{"no report data", 200, `{"quote":{"verified":true}}`, true, "", nil, ""},
		{"verification failed", 400, `{"detail":"Quote verification failed"}`, false, "Quote verification failed", nil, ""},
		{"malformed quote", 422, `{"detail":"Invalid quote: malformed quote structure"}`, false, "Invalid quote: malformed quote structure", nil, ""},
		{"a request error", 400, `{"detail":"Either 'file' or 'hex' must be provided"}`, false, "", remote.ErrRequest, "HTTP 400: Either 'file' or 'hex' must be provided"},
		{"a validation error", 422, `{"detail":[{"loc":["body","hex"],"msg":"field required"}]}`, false, "", remote.ErrRequest, `[{"loc":["body","hex"],"msg":"field required"}]`},
		{"not found", 404, `{"detail":"Not Found"}`, false, "", remote.ErrRequest, "HTTP 404"},
		{"server error", 500, `{"detail":"Internal server error during verification"}`, false, "", remote.ErrUnavailable, "Internal server error"},
		{"rate limited", 429, ``, false, "", remote.ErrUnavailable, "HTTP 429"},
		{"not JSON", 200, `<html>`, false, "", remote.ErrAnswer, "invalid character"},
		{"no verdict", 200, `{"success":true}`, false, "", remote.ErrAnswer, `no "quote.verified"`},
		{"a verdict of another type", 200, `{"quote":{"verified":"yes"}}`, false, "", remote.ErrAnswer, `expected true, false, 1 or 0, found "yes"`},
		{"report data not hex", 200, phalaOK("true", "0xzz"), false, "", remote.ErrAnswer, "not hex"},
		{"about another quote", 200, phalaOK("true", other), false, "", remote.ErrAnswer, "another quote"},
		{"a long detail is clipped", 400, `{"detail":"` + strings.Repeat("x", 1000) + `"}`, false, "", remote.ErrRequest, strings.Repeat("x", 256) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.status, tt.body)
			c, err := remote.New(f.URL, remote.Options{})
			require.NoError(t, err)
			v, err := c.Verify(context.Background(), q)
			got, ctype := f.received()
			assert.Equal(t, q, got, "the quote is sent as received, padding included, in hex")
			assert.Equal(t, "application/json", ctype)
			if tt.class != nil {
				require.Error(t, err)
				assert.Nil(t, v)
				assert.ErrorIs(t, err, tt.class)
				var e *remote.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, f.URL, e.URL)
				assert.Equal(t, tt.status, e.Status)
				assert.Contains(t, err.Error(), tt.contains)
				assert.NotContains(t, err.Error(), strings.Repeat("x", 257))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.verified, v.Verified)
			assert.Equal(t, tt.detail, v.Detail)
		})
	}
}

// TestVerifyUnavailable: no verdict when the verifier cannot be reached,
// is too slow, answers too much or redirects.
func TestVerifyUnavailable(t *testing.T) {
	q := testQuote(t, 1)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, err := remote.New(closed.URL, remote.Options{})
	require.NoError(t, err)
	_, err = c.Verify(context.Background(), q)
	assert.ErrorIs(t, err, remote.ErrUnavailable)

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	c, err = remote.New(slow.URL, remote.Options{Timeout: 50 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Verify(context.Background(), q)
	assert.ErrorIs(t, err, remote.ErrUnavailable)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	huge := newFake(t, 200, `{"quote":{"verified":true},"pad":"`+strings.Repeat("x", remote.MaxAnswerSize)+`"}`)
	c, err = remote.New(huge.URL, remote.Options{})
	require.NoError(t, err)
	_, err = c.Verify(context.Background(), q)
	assert.ErrorIs(t, err, remote.ErrAnswer)

	target := newFake(t, 200, phalaOK("true", ""))
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	c, err = remote.New(redirect.URL, remote.Options{})
	require.NoError(t, err)
	_, err = c.Verify(context.Background(), q)
	assert.ErrorIs(t, err, remote.ErrRequest, "a redirect is not followed")
	got, _ := target.received()
	assert.Nil(t, got)

	_, err = c.Verify(context.Background(), nil)
	assert.ErrorIs(t, err, remote.ErrRequest)
}

// TestNew: the endpoint must be https, or http on loopback.
func TestNew(t *testing.T) {
	for _, ok := range []string{remote.PhalaURL, "http://127.0.0.1:8080/verify", "http://localhost/v", "http://[::1]:1/"} {
		c, err := remote.New(ok, remote.Options{})
		require.NoError(t, err, ok)
		assert.Equal(t, ok, c.URL())
	}
	for _, bad := range []string{"", "cloud-api.phala.network/verify", "http://cloud-api.phala.network/x", "ftp://x/", "https://%zz"} {
		_, err := remote.New(bad, remote.Options{})
		assert.Error(t, err, bad)
	}
}

// TestErrorMessage: an error names the verifier, the class, the status
// and the detail.
func TestErrorMessage(t *testing.T) {
	e := &remote.Error{URL: "https://v.example/verify", Class: remote.ErrUnavailable, Status: 503, Detail: "down", Err: errors.New("boom")}
	assert.Equal(t, "remote: https://v.example/verify: remote verifier unavailable: HTTP 503: down: boom", e.Error())
	assert.ErrorIs(t, e, remote.ErrUnavailable)
	assert.NotErrorIs(t, e, remote.ErrAnswer)
}
