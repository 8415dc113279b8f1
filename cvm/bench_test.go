package cvm_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvm"
	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/wire"
)

// benchAttestation fetches the attestation of ts over one keep-alive
// connection b.N times.
func benchAttestation(b *testing.B, c *http.Client, origin string) {
	u, err := wire.AttestationURL(origin, newNonce())
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkHandlerAttestation is the whole attestation path of a CVM:
// HTTPS request, the served key looked up, a call to the (fake) guest
// agent on its unix socket, which signs a quote, and the answer encoded.
// The real agent's quote adds tens of milliseconds.
func BenchmarkHandlerAttestation(b *testing.B) {
	a, agent := startAgent(b)
	h, err := cvm.NewHandler(agent, nil, cvm.Options{})
	require.NoError(b, err)
	ts := startTLS(b, h, &tls.Config{Certificates: []tls.Certificate{agentCert(b, agent)}})
	benchAttestation(b, tlsClient(b, a.PKI().TLSCAPool(), false), ts.URL)
}

// fixedAgent answers every quote with one attestation of real size.
type fixedAgent struct{ att *wire.Attestation }

func (f fixedAgent) GetQuote(context.Context, []byte) (*wire.Attestation, error) { return f.att, nil }
func (f fixedAgent) Info(context.Context) (*wire.Info, error)                    { return &wire.Info{}, nil }

// BenchmarkHandlerAttestationOverhead is the same path with an agent in
// process that answers at once: what cvm and HTTPS add to a quote.
func BenchmarkHandlerAttestationOverhead(b *testing.B) {
	p, err := cvmtest.NewPKI(cvmtest.PKIOptions{})
	require.NoError(b, err)
	att, err := p.AttestationDocument(&cvmtest.App{}, cvmtest.QuoteOptions{Padding: 70})
	require.NoError(b, err)
	h, err := cvm.NewHandler(fixedAgent{att}, nil, cvm.Options{})
	require.NoError(b, err)
	cert := testCert(b)
	ts := startTLS(b, h, &tls.Config{Certificates: []tls.Certificate{cert}})
	benchAttestation(b, tlsClient(b, certPool(cert), false), ts.URL)
}
