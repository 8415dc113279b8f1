package transport_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/benchcpu"
	"github.com/cvmgate/cvmgate/transport"
)

// benchGet sends one small GET over keep-alive and drains the answer.
func benchGet(b *testing.B, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// benchRequests sends one request to s with c, then measures the next
// ones, over keep-alive.
func benchRequests(b *testing.B, c *http.Client, s *cvmtest.Server) {
	benchGet(b, c, s.URL+"/warm")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for b.Loop() {
		benchGet(b, c, s.URL+"/bench")
	}
	cpu.Report(b)
}

// BenchmarkTransportAttested is a request to a verified CVM over a pinned
// keep-alive connection: what every request after the first costs.
// Compare with BenchmarkTransportPlain, run in the same invocation.
func BenchmarkTransportAttested(b *testing.B) {
	s := newServer(b)
	benchRequests(b, newTransport(b, s.Policy(), s).Client(), s)
}

// BenchmarkTransportPlain is the same request to the same server with a
// plain http.Transport that trusts its certificate.
func BenchmarkTransportPlain(b *testing.B) {
	s := newServer(b)
	benchRequests(b, s.Client(), s)
}

// BenchmarkTransportFirstContact is the time to the first verified
// response: handshake, attestation with collateral from memory, a new
// connection and the request, with a Transport made for each.
func BenchmarkTransportFirstContact(b *testing.B) {
	s := newServer(b)
	opts := s.TransportOptions()
	pol := s.Policy()
	b.ReportAllocs()
	for b.Loop() {
		tr, err := transport.New(pol, opts...)
		if err != nil {
			b.Fatal(err)
		}
		benchGet(b, tr.Client(), s.URL+"/first")
		tr.CloseIdleConnections()
	}
}
