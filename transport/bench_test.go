package transport_test

import (
	"io"
	"net/http"
	"testing"

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

// BenchmarkTransportAttested is a request to a verified CVM over a pinned
// keep-alive connection: what every request after the first costs.
// Compare with BenchmarkTransportPlain, run in the same invocation.
func BenchmarkTransportAttested(b *testing.B) {
	s := newServer(b)
	client := newTransport(b, s.Policy(), s).Client()
	benchGet(b, client, s.URL+"/warm")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for b.Loop() {
		benchGet(b, client, s.URL+"/bench")
	}
	cpu.Report(b)
}

// BenchmarkTransportPlain is the same request to the same server with a
// plain http.Transport that trusts its certificate.
func BenchmarkTransportPlain(b *testing.B) {
	s := newServer(b)
	client := s.Client()
	benchGet(b, client, s.URL+"/warm")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for b.Loop() {
		benchGet(b, client, s.URL+"/bench")
	}
	cpu.Report(b)
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
