package conformance_test

import (
	"context"
	"errors"
	"io"
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
	"github.com/cvmgate/cvmgate/wire"
)

// honestServer is the CVM whose policy and trust the transport cases'
// clients hold: what the client expects to reach.
func honestServer(t *testing.T) *cvmtest.Server {
	t.Helper()
	s := cvmtest.NewServer(nil)
	t.Cleanup(s.Close)
	return s
}

// reach sends a request to the CVM make starts, through a transport
// holding the honest server's policy and trust (the threat server's own
// trust when ownTrust), with opts; no request may reach the CVM's
// application.
func reach(ownTrust bool, mk func(t *testing.T, honest *cvmtest.Server) *cvmtest.Server, opts ...transport.Option) func(t *testing.T) error {
	return func(t *testing.T) error {
		honest := honestServer(t)
		srv := mk(t, honest)
		trust := honest
		if ownTrust {
			trust = srv
		}
		tr, err := transport.New(honest.Policy(), append(trust.TransportOptions(), opts...)...)
		require.NoError(t, err)
		defer tr.CloseIdleConnections()
		resp, err := tr.Client().Get(srv.URL + "/app")
		if err == nil {
			resp.Body.Close()
		}
		assert.Zero(t, srv.AppRequests(), "a request reached the application")
		return err
	}
}

// server starts a cvmtest server with opts, closed when the test ends.
func server(opts ...cvmtest.Option) func(t *testing.T, honest *cvmtest.Server) *cvmtest.Server {
	return func(t *testing.T, _ *cvmtest.Server) *cvmtest.Server {
		s := cvmtest.NewServer(nil, opts...)
		t.Cleanup(s.Close)
		return s
	}
}

// answering starts a server whose attestation answer is f's.
func answering(f http.HandlerFunc) func(t *testing.T, honest *cvmtest.Server) *cvmtest.Server {
	return server(cvmtest.WithAttestationResponder(f))
}

// transportCases are CVMs and networks a verifying client meets: a man in
// the middle, a replaying or unbinding CVM, one that runs something else,
// and servers that answer the protocol wrongly, hugely, slowly or with a
// new key every time.
func transportCases() []hostileCase {
	other := []byte(`{"manifest_version":2,"name":"other","runner":"docker-compose","docker_compose_file":"services:\n  x:\n    image: busybox@sha256:` + strings.Repeat("b", 64) + `\n"}`)
	never := make(chan struct{}) // never closed: an attestation that never comes
	return []hostileCase{
		{"transport/relay MITM", verify.KindKeyBinding, "spki", reach(false, func(t *testing.T, honest *cvmtest.Server) *cvmtest.Server {
			r := cvmtest.NewRelay(honest)
			t.Cleanup(r.Close)
			return r
		})},
		{"transport/replaying CVM", verify.KindStaleNonce, "", func(t *testing.T) error {
			srv := cvmtest.NewServer(nil, cvmtest.WithReplay())
			t.Cleanup(srv.Close)
			tr, err := transport.New(srv.Policy(), srv.TransportOptions()...)
			require.NoError(t, err)
			defer tr.CloseIdleConnections()
			_, err = tr.Attest(context.Background(), srv.URL)
			require.NoError(t, err, "the first quote is fresh")
			_, err = tr.Attest(context.Background(), srv.URL)
			return err
		}},
		{"transport/CVM that does not bind its key", verify.KindKeyBinding, "", reach(false, server(cvmtest.WithoutKeyBinding()))},
		{"transport/CVM running another compose", verify.KindPolicy, "app.compose_hashes", reach(false, server(cvmtest.WithComposeFile(other)))},
		{"transport/debug TD", verify.KindPolicy, "DEBUG", reach(false, server(cvmtest.WithDebug()))},
		{"transport/out-of-date TCB", verify.KindPolicy, "OutOfDate", reach(false, server(cvmtest.WithTCBStatus("OutOfDate")))},
		{"transport/forged compose-hash event", verify.KindRTMRMismatch, "rtmr3", reach(false, server(cvmtest.WithTamperedEventLog(forgedComposeHash)))},
		{"transport/expired collateral", verify.KindCollateralExpired, "", reach(true, server(cvmtest.WithExpiredCollateral()))},
		{"transport/plain http", verify.KindKeyBinding, "scheme", func(t *testing.T) error {
			honest := honestServer(t)
			tr, err := transport.New(honest.Policy(), honest.TransportOptions()...)
			require.NoError(t, err)
			_, err = tr.Client().Get("http" + strings.TrimPrefix(honest.URL, "https") + "/app")
			return err
		}},
		{"transport/attestation answered 500", verify.KindUnreachable, "500", reach(false, answering(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"agent down"}`, http.StatusInternalServerError)
		}))},
		{"transport/attestation that is not JSON", verify.KindMalformedEvidence, "", reach(false, answering(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "<html>hello</html>")
		}))},
		{"transport/attestation without a quote", verify.KindMalformedEvidence, "quote", reach(false, answering(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"event_log":[]}`)
		}))},
		{"transport/attestation over the size bound", verify.KindMalformedEvidence, "too large", reach(false, server(cvmtest.WithOversizedAttestation(2*wire.MaxDocumentSize)))},
		{"transport/1 GiB event log", verify.KindMalformedEvidence, "too large", reach(false, server(cvmtest.WithOversizedEventLog(1<<30)))},
		{"transport/attestation redirected to another origin", verify.KindUnreachable, "302", reach(false, answering(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/attestation?"+r.URL.RawQuery, http.StatusFound)
		}))},
		{"transport/info whose tcb_info is not JSON", verify.KindMalformedEvidence, "tcb_info", reach(false, server(cvmtest.WithInfoResponder(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"app_id":"00","tcb_info":"{not json"}`)
		})))},
		// The compose is checked where the CVM publishes it; a policy
		// that judges it refuses a CVM that hides it.
		{"transport/info hiding the app compose", verify.KindPolicy, "no app compose", reach(false, server(cvmtest.WithInfoResponder(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"app_id":"00","tcb_info":{"app_compose":""}}`)
		})))},
		{"transport/new key on every connection", verify.KindKeyBinding, "", reach(false, server(cvmtest.WithReplicas(16)))},
		{"transport/attestation never answered", verify.KindUnreachable, "", reach(false, server(cvmtest.WithAttestationGate(never)),
			transport.WithAttestationTimeout(300*time.Millisecond))},
		{"transport/slowloris attestation", verify.KindUnreachable, "", reach(false, server(cvmtest.WithTrickledAttestation(10*time.Millisecond)),
			transport.WithAttestationTimeout(300*time.Millisecond))},
		{"transport/no policy for the origin", verify.KindInvalidPolicy, "", reach(false, server(), transport.WithPolicyFunc(func(string) (*policy.Policy, error) {
			return nil, errors.New("unknown origin")
		}))},
	}
}
