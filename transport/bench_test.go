package transport_test

import (
	"crypto/tls"
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
	c := newCVM(b, false)
	tr, err := transport.New(c.policy(b), c.options(b)...)
	if err != nil {
		b.Fatal(err)
	}
	client := tr.Client()
	benchGet(b, client, c.srv.URL+"/warm")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for b.Loop() {
		benchGet(b, client, c.srv.URL+"/bench")
	}
	cpu.Report(b)
}

// BenchmarkTransportPlain is the same request with a plain http.Transport.
func BenchmarkTransportPlain(b *testing.B) {
	c := newCVM(b, false)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: rootsOf(c.srv)}}}
	benchGet(b, client, c.srv.URL+"/warm")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for b.Loop() {
		benchGet(b, client, c.srv.URL+"/bench")
	}
	cpu.Report(b)
}

// BenchmarkTransportFirstContact is the time to the first verified
// response: handshake, attestation (with collateral cached in the
// verifier), verification, a second handshake and the request.
func BenchmarkTransportFirstContact(b *testing.B) {
	c := newCVM(b, false)
	opts := c.options(b)
	b.ReportAllocs()
	for b.Loop() {
		tr, err := transport.New(c.policy(b), opts...)
		if err != nil {
			b.Fatal(err)
		}
		benchGet(b, tr.Client(), c.srv.URL+"/first")
		tr.CloseIdleConnections()
	}
}
