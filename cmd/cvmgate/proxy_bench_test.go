package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
)

// BenchmarkProxyRequest: a GET through the proxy to a simulated CVM whose
// key is pinned, beside the same GET from a Go client of the transport:
// the difference is what a client in another language pays for the
// sidecar (a loopback hop and the reverse proxy).
func BenchmarkProxyRequest(b *testing.B) {
	s := cvmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	b.Cleanup(s.Close)
	tr, err := transport.New(s.Policy(), s.TransportOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tr.CloseIdleConnections)
	up, _ := url.Parse(s.URL)
	front := httptest.NewServer(newProxyHandler(up, tr, slog.New(slog.NewTextHandler(io.Discard, nil)), defaultMaxBody))
	b.Cleanup(front.Close)
	get := func(b *testing.B, c *http.Client, u string) {
		resp, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	for _, bc := range []struct {
		name   string
		client *http.Client
		url    string
	}{
		{"transport", tr.Client(), s.URL + "/x"},
		{"proxy", front.Client(), front.URL + "/x"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			get(b, bc.client, bc.url) // attest and pin first
			b.ReportAllocs()
			for b.Loop() {
				get(b, bc.client, bc.url)
			}
		})
	}
}
