package cvmtest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzPCSServerRequest sends arbitrary requests to the fake PCS handler:
// it must answer every one with a known status and never panic.
func FuzzPCSServerRequest(f *testing.F) {
	for _, target := range []string{
		TCBInfoPath + "?fmspc=C0DE6F000000",
		TCBInfoPath + "?fmspc=c0de6f000000&fmspc=00",
		QEIdentityPath,
		PCKCRLPath + "?ca=platform&encoding=der",
		PCKCRLPath + "?ca=processor&encoding=pem",
		RootCACRLPath,
		RootCRLPath,
		"/%zz",
		"/sgx/certification/v4/pckcrl?ca=%00",
	} {
		f.Add(http.MethodGet, target)
	}
	f.Add(http.MethodPost, QEIdentityPath)
	p, err := NewPKI(PKIOptions{})
	require.NoError(f, err)
	c, err := p.Collateral(CollateralOptions{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(f, err)
	s := newPCSServer(c, p)

	f.Fuzz(func(t *testing.T, method, target string) {
		req, err := http.NewRequest(method, "http://pcs.test"+target, nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		s.serveHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			assert.Contains(t, []string{"application/json", "application/pkix-crl", "application/x-pem-file"}, rec.Header().Get("Content-Type"))
			if method != http.MethodHead {
				assert.NotEmpty(t, rec.Body.Bytes())
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed:
		default:
			t.Fatalf("%s %q: unexpected status %d", method, target, rec.Code)
		}
	})
}

// FuzzEscapeIssuerChain checks that the header encoding decodes back to
// the chain with both of Go's unescapers.
func FuzzEscapeIssuerChain(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIC+jCC/A==\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0, 0xff, '%', '+', ' ', '~'})
	f.Fuzz(func(t *testing.T, chain []byte) {
		escaped := escapeIssuerChain(chain)
		for _, unescape := range []func(string) (string, error){url.PathUnescape, url.QueryUnescape} {
			got, err := unescape(escaped)
			require.NoError(t, err)
			require.Equal(t, string(chain), got)
		}
	})
}
