package transport_test

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// forgeComposePayload swaps the compose-hash event's payload and keeps its
// logged digest, the bypass one verifier once fell for.
func forgeComposePayload(events []eventlog.Event) []eventlog.Event {
	out := append([]eventlog.Event(nil), events...)
	for i, e := range out {
		if e.Event == "compose-hash" {
			h := sha256.Sum256([]byte("another compose"))
			e.Payload = h[:]
			out[i] = e
		}
	}
	return out
}

// TestThreatsRefused: each threat of DESIGN.md is refused with an
// *AttestationError of its kind before any request reaches the app.
func TestThreatsRefused(t *testing.T) {
	honest := newServer(t)
	never := make(chan struct{}) // an attestation gate that never opens
	t.Cleanup(func() { close(never) })
	tests := []struct {
		name   string
		server func(t *testing.T) *cvmtest.Server
		policy func(p *policy.Policy)
		opts   []transport.Option
		step   string
		kind   verify.Kind
	}{
		{name: "replayed quote", server: func(t *testing.T) *cvmtest.Server {
			s := newServer(t, cvmtest.WithReplay())
			// Someone else fetched the quote the server will replay.
			resp, err := s.Client().Get(s.URL + wire.AttestationPath + "?" + wire.ReportDataParam + "=" + strings.Repeat("ab", 32))
			require.NoError(t, err)
			resp.Body.Close()
			return s
		}, step: transport.StepVerify, kind: verify.KindStaleNonce},
		{name: "relay man in the middle", server: func(t *testing.T) *cvmtest.Server {
			r := cvmtest.NewRelay(honest)
			t.Cleanup(r.Close)
			return r
		}, step: transport.StepVerify, kind: verify.KindKeyBinding},
		{name: "unbound key", server: func(t *testing.T) *cvmtest.Server { return newServer(t, cvmtest.WithoutKeyBinding()) },
			step: transport.StepVerify, kind: verify.KindKeyBinding},
		{name: "wrong compose", server: func(t *testing.T) *cvmtest.Server {
			return newServer(t, cvmtest.WithComposeFile([]byte(`{"runner":"docker-compose","docker_compose_file":"services:\n  evil:\n    image: evil:latest\n"}`)))
		}, step: transport.StepVerify, kind: verify.KindPolicy},
		{name: "debug TD", server: func(t *testing.T) *cvmtest.Server { return newServer(t, cvmtest.WithDebug()) },
			step: transport.StepVerify, kind: verify.KindPolicy},
		{name: "OutOfDate beyond the grace", server: func(t *testing.T) *cvmtest.Server { return newServer(t, cvmtest.WithTCBStatus("OutOfDate")) },
			policy: func(p *policy.Policy) { p.TCB.OutOfDateGrace = policy.Duration(time.Hour) },
			step:   transport.StepVerify, kind: verify.KindPolicy},
		{name: "expired collateral", server: func(t *testing.T) *cvmtest.Server { return newServer(t, cvmtest.WithExpiredCollateral()) },
			step: transport.StepVerify, kind: verify.KindCollateralExpired},
		{name: "tampered event payload", server: func(t *testing.T) *cvmtest.Server {
			return newServer(t, cvmtest.WithTamperedEventLog(forgeComposePayload))
			// The agent logs runtime events without their digest, as dstack's
			// does: the recomputed digest of the forged payload then replays
			// to another RTMR3 than the quote's.
		}, step: transport.StepVerify, kind: verify.KindRTMRMismatch},
		{name: "oversized attestation", server: func(t *testing.T) *cvmtest.Server {
			return newServer(t, cvmtest.WithOversizedAttestation(2*wire.MaxDocumentSize))
		}, step: transport.StepAttestation, kind: verify.KindMalformedEvidence},
		{name: "attestation slower than the timeout", server: func(t *testing.T) *cvmtest.Server {
			return newServer(t, cvmtest.WithAttestationGate(never))
		}, opts: []transport.Option{transport.WithAttestationTimeout(300 * time.Millisecond)},
			step: transport.StepAttestation, kind: verify.KindUnreachable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.server(t)
			pol := honest.Policy()
			if tc.policy != nil {
				tc.policy(pol)
				require.NoError(t, pol.Validate())
			}
			before := honest.AppRequests()
			start := time.Now()
			_, err := newTransport(t, pol, s, tc.opts...).Client().Get(s.URL + "/secret")
			var ae *transport.AttestationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.step, ae.Step, "%v", err)
			assert.Equal(t, tc.kind, verify.KindOf(err), "%v", err)
			assert.Zero(t, s.AppRequests(), "no request reached the app")
			assert.Equal(t, before, honest.AppRequests(), "nothing was relayed to the app")
			assert.Less(t, time.Since(start), 20*time.Second)
		})
	}
}

// TestUnboundChannelNeedsWebPKI: a policy that accepts an unbound channel
// reaches a seed-style CVM only with WebPKI validation of its certificate.
func TestUnboundChannelNeedsWebPKI(t *testing.T) {
	s := newServer(t, cvmtest.WithoutKeyBinding())
	pol := s.Policy()
	require.Equal(t, verify.BindingNone, pol.Channel.Binding)
	resp, body := get(t, newTransport(t, pol, s).Client(), s.URL+"/open")
	assert.Equal(t, "hello /open", body)
	v, ok := transport.VerdictFor(resp)
	require.True(t, ok)
	assert.Equal(t, verify.BindingNone, v.Binding)

	// Without the TLS CA among the roots, WebPKI validation fails the
	// handshake: binding none never trusts a key on the quote's word.
	tr, err := transport.New(pol, transport.WithVerifyOptions(s.VerifyOptions()))
	require.NoError(t, err)
	_, err = tr.Client().Get(s.URL + "/open")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, transport.StepConnect, ae.Step)
	assert.Equal(t, verify.KindKeyBinding, verify.KindOf(err), "a refusal, not a network failure: %v", err)
	assert.EqualValues(t, 1, s.AppRequests())
}

// TestWithWebPKI: with WithWebPKI a bound channel needs both the attested
// key and a certificate valid for the host.
func TestWithWebPKI(t *testing.T) {
	s := newServer(t)
	mustGet(t, newTransport(t, s.Policy(), s, transport.WithWebPKI()).Client(), s.URL+"/ok")
	tr, err := transport.New(s.Policy(), transport.WithVerifyOptions(s.VerifyOptions()), transport.WithWebPKI())
	require.NoError(t, err)
	_, err = tr.Client().Get(s.URL + "/ok")
	require.Error(t, err)
	assert.EqualValues(t, 1, s.AppRequests())
}

func TestPlainHTTPRefused(t *testing.T) {
	s := newServer(t)
	_, err := newTransport(t, s.Policy(), s).Client().Get("http://" + strings.TrimPrefix(s.URL, "https://") + "/x")
	var ae *transport.AttestationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, transport.StepScheme, ae.Step)
	assert.Equal(t, verify.KindKeyBinding, verify.KindOf(err))
	assert.Zero(t, s.AppRequests())
}

// TestRequestBodyClosedOnRefusal: RoundTrip closes a request body it does
// not send, as the RoundTripper contract asks.
func TestRequestBodyClosedOnRefusal(t *testing.T) {
	s := newServer(t)
	body := &closeRecorder{Reader: bytes.NewReader([]byte("secret"))}
	req, err := http.NewRequest(http.MethodPost, "http://"+strings.TrimPrefix(s.URL, "https://")+"/x", body)
	require.NoError(t, err)
	_, err = newTransport(t, s.Policy(), s).RoundTrip(req)
	require.Error(t, err)
	assert.True(t, body.closed)
}

type closeRecorder struct {
	*bytes.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }
