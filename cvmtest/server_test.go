package cvmtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// TestServerVerifies checks the happy path over HTTP/1.1 and HTTP/2: the
// server's evidence verifies under its own Policy with its key bound, and
// its application answers beside it.
func TestServerVerifies(t *testing.T) {
	srv := cvmtest.NewServer(okApp)
	defer srv.Close()
	for _, h2 := range []bool{false, true} {
		c := client(t, srv)
		if !h2 {
			c.Transport.(*http.Transport).TLSClientConfig.NextProtos = []string{"http/1.1"}
			c.Transport.(*http.Transport).ForceAttemptHTTP2 = false
		}
		r, err := verifyServer(t, c, srv, srv, srv.Policy())
		require.NoError(t, err)
		assert.Equal(t, verify.BindingSPKI, r.Dstack.Binding)
		assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)

		resp, err := c.Get(srv.URL + "/hello")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "ok", string(body))
		assert.Equal(t, map[bool]int{false: 1, true: 2}[h2], resp.ProtoMajor)
	}
	assert.Equal(t, int64(2), srv.AttestationRequests())
	assert.Equal(t, int64(2), srv.AppRequests())
}

// TestServersShareTrust checks that servers made without a PKI option
// share the default PKI and TLS CA: one's Policy and VerifyOptions serve
// against another.
func TestServersShareTrust(t *testing.T) {
	a := cvmtest.NewServer(nil)
	defer a.Close()
	b := cvmtest.NewServer(nil, cvmtest.WithTCBStatus("OutOfDate"))
	defer b.Close()
	assert.Equal(t, a.PKI().Root.Raw, b.PKI().Root.Raw)
	assert.Equal(t, a.PKI().TLSCA.Raw, b.PKI().TLSCA.Raw)
	_, err := verifyServer(t, client(t, a), b, a, b.Policy())
	require.NoError(t, err, "a's collateral and root verify b")
}

// TestServerThreats checks that each threat option yields evidence the
// verifier refuses, with the kind of error that names it, under the
// policy and trust of an honest server; and that no request reached the
// application.
func TestServerThreats(t *testing.T) {
	honest := cvmtest.NewServer(nil)
	defer honest.Close()
	other := []byte(`{"manifest_version":2,"name":"other","runner":"docker-compose","docker_compose_file":"services:\n  x:\n    image: busybox:latest\n"}`)
	tamper := func(events []eventlog.Event) []eventlog.Event {
		for i := range events {
			if events[i].Event == "compose-hash" {
				events[i].Payload = bytes.Repeat([]byte{0xee}, 32)
			}
		}
		return events
	}
	tests := []struct {
		name  string
		make  func() *cvmtest.Server
		trust bool // verify with the threat server's own VerifyOptions
		kind  verify.Kind
		names string // what the error names
	}{
		{"other compose", func() *cvmtest.Server { return cvmtest.NewServer(nil, cvmtest.WithComposeFile(other)) }, false, verify.KindPolicy, "app.compose_hashes"},
		{"debug TD", func() *cvmtest.Server { return cvmtest.NewServer(nil, cvmtest.WithDebug()) }, false, verify.KindPolicy, "DEBUG set"},
		{"out of date", func() *cvmtest.Server { return cvmtest.NewServer(nil, cvmtest.WithTCBStatus("OutOfDate")) }, false, verify.KindPolicy, `found "OutOfDate"`},
		{"unbound key", func() *cvmtest.Server { return cvmtest.NewServer(nil, cvmtest.WithoutKeyBinding()) }, false, verify.KindKeyBinding, "found 0000000000000000000000000000000000000000000000000000000000000000"},
		{"expired collateral", func() *cvmtest.Server { return cvmtest.NewServer(nil, cvmtest.WithExpiredCollateral()) }, true, verify.KindCollateralExpired, "next update"},
		{"tampered event log", func() *cvmtest.Server { return cvmtest.NewServer(nil, cvmtest.WithTamperedEventLog(tamper)) }, false, verify.KindRTMRMismatch, "rtmr3"},
		{"relay", func() *cvmtest.Server { return cvmtest.NewRelay(honest) }, false, verify.KindKeyBinding, "spki hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.make()
			defer srv.Close()
			trust := honest
			if tt.trust {
				trust = srv
			}
			_, err := verifyServer(t, client(t, srv), srv, trust, honest.Policy())
			require.Error(t, err)
			assert.Equal(t, tt.kind, verify.KindOf(err), "%v", err)
			assert.Contains(t, err.Error(), tt.names)
			assert.Zero(t, srv.AppRequests())
			assert.Equal(t, int64(1), srv.AttestationRequests())
		})
	}
}

// TestServerReplay checks that a replaying server's second attestation
// carries the first nonce.
func TestServerReplay(t *testing.T) {
	srv := cvmtest.NewServer(nil, cvmtest.WithReplay())
	defer srv.Close()
	c := client(t, srv)
	_, err := verifyServer(t, c, srv, srv, srv.Policy())
	require.NoError(t, err, "the first quote is fresh")
	_, err = verifyServer(t, c, srv, srv, srv.Policy())
	assert.Equal(t, verify.KindStaleNonce, verify.KindOf(err), "%v", err)
}

// TestServerWithoutKeyBinding checks a seed-style server: nonce and zeros,
// accepted by its own policy (binding none), refused with binding spki.
func TestServerWithoutKeyBinding(t *testing.T) {
	srv := cvmtest.NewServer(nil, cvmtest.WithoutKeyBinding())
	defer srv.Close()
	p := srv.Policy()
	assert.Equal(t, verify.BindingNone, p.Channel.Binding)
	e, err := gather(context.Background(), client(t, srv), srv.URL)
	require.NoError(t, err)
	assert.Equal(t, e.nonce, e.ev.Attestation.ReportData[:wire.NonceSize])
	assert.Equal(t, make([]byte, 32), e.ev.Attestation.ReportData[wire.NonceSize:])
	r, err := verifyServer(t, client(t, srv), srv, srv, p)
	require.NoError(t, err)
	assert.Equal(t, verify.BindingNone, r.Dstack.Binding)
}

// TestServerRelayForwards checks that a relay serves its own certificate,
// from the same TLS CA, and forwards the application's requests.
func TestServerRelayForwards(t *testing.T) {
	target := cvmtest.NewServer(okApp)
	defer target.Close()
	relay := cvmtest.NewRelay(target)
	defer relay.Close()
	c := client(t, relay)
	resp, err := c.Get(relay.URL + "/x")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "ok", string(body))
	assert.NotEqual(t, target.Certificates()[0].Raw, resp.TLS.PeerCertificates[0].Raw)
	assert.Equal(t, int64(1), target.AppRequests())
	assert.Equal(t, int64(1), relay.AppRequests())
	assert.Equal(t, target.Policy(), relay.Policy())
}

// h1Client returns srv's plain client limited to HTTP/1.1.
func h1Client(t *testing.T, srv *cvmtest.Server) *http.Client {
	c := client(t, srv)
	tr := c.Transport.(*http.Transport)
	tr.ForceAttemptHTTP2 = false
	tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	return c
}

// TestServerRotateKey checks, over HTTP/1.1 and HTTP/2, that RotateKey
// closes the connections and the next connection meets the new key, which
// its attestation binds.
func TestServerRotateKey(t *testing.T) {
	srv := cvmtest.NewServer(okApp)
	defer srv.Close()
	for name, c := range map[string]*http.Client{"HTTP/1.1": h1Client(t, srv), "HTTP/2": client(t, srv)} {
		t.Run(name, func(t *testing.T) {
			e1, err := gather(context.Background(), c, srv.URL)
			require.NoError(t, err)
			require.NoError(t, srv.RotateKey())
			r, err := verifyServer(t, c, srv, srv, srv.Policy())
			require.NoError(t, err, "the client redialed and the new key is bound")
			require.NotNil(t, r)
			e2, err := gather(context.Background(), c, srv.URL)
			require.NoError(t, err)
			assert.NotEqual(t, e1.spki, e2.spki)
			assert.Equal(t, srv.Certificates()[0].RawSubjectPublicKeyInfo, e2.spki)
		})
	}
}

// TestServerRotateKeyUnderLoad checks that requests flowing while the key
// rotates all succeed, each on a connection that presents a key the server
// served: rotation closes connections gracefully.
func TestServerRotateKeyUnderLoad(t *testing.T) {
	srv := cvmtest.NewServer(okApp)
	defer srv.Close()
	for name, c := range map[string]*http.Client{"HTTP/1.1": h1Client(t, srv), "HTTP/2": client(t, srv)} {
		t.Run(name, func(t *testing.T) {
			stop := make(chan struct{})
			errs := make(chan error, 8)
			for range 8 {
				go func() {
					for {
						select {
						case <-stop:
							errs <- nil
							return
						default:
						}
						resp, err := c.Get(srv.URL + "/x")
						if err != nil {
							errs <- err
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
			}
			require.NoError(t, srv.RotateKey())
			close(stop)
			for range 8 {
				assert.NoError(t, <-errs)
			}
		})
	}
}

// TestServerReplicas checks round-robin per connection over replicas with
// keys of their own, each bound by its own attestation.
func TestServerReplicas(t *testing.T) {
	srv := cvmtest.NewServer(nil, cvmtest.WithReplicas(3))
	defer srv.Close()
	leaves := srv.Certificates()
	require.Len(t, leaves, 3)
	var seen [][]byte
	for range 4 {
		c := srv.Client() // a new connection each time
		e, err := gather(context.Background(), c, srv.URL)
		require.NoError(t, err)
		_, err = verifyServer(t, c, srv, srv, srv.Policy())
		require.NoError(t, err)
		c.CloseIdleConnections()
		seen = append(seen, e.spki)
	}
	for i := range 3 {
		assert.Equal(t, leaves[i].RawSubjectPublicKeyInfo, seen[i], "connection %d", i)
	}
	assert.Equal(t, seen[0], seen[3], "round robin")
}

// TestServerSlowAttestation checks the gate: an attestation waits for it,
// and a client that gives up first gets no answer.
func TestServerSlowAttestation(t *testing.T) {
	gate := make(chan struct{})
	srv := cvmtest.NewServer(nil, cvmtest.WithAttestationGate(gate))
	defer srv.Close()
	c := client(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := gather(ctx, c, srv.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	done := make(chan error, 1)
	go func() {
		_, err := verifyServer(t, c, srv, srv, srv.Policy())
		done <- err
	}()
	close(gate) // the abandoned request may still be waiting too
	require.NoError(t, <-done)

	delayed := cvmtest.NewServer(nil, cvmtest.WithAttestationDelay(time.Hour))
	defer delayed.Close()
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = gather(ctx, client(t, delayed), delayed.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestServerOversizedAttestation checks that the answer is padded past
// the bound a client reads within.
func TestServerOversizedAttestation(t *testing.T) {
	srv := cvmtest.NewServer(nil, cvmtest.WithOversizedAttestation(4*wire.MaxDocumentSize))
	defer srv.Close()
	_, err := gather(context.Background(), client(t, srv), srv.URL)
	assert.ErrorIs(t, err, verify.ErrTooLarge)

	// Read whole, it is the real document and spaces.
	resp, err := client(t, srv).Get(srv.URL + wire.AttestationPath + "?reportData=" + string(bytes.Repeat([]byte("00"), 32)))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Len(t, body, 4*wire.MaxDocumentSize)
	assert.Equal(t, int64(-1), resp.ContentLength)
	_, err = wire.ParseAttestation(bytes.TrimRight(body, " "))
	assert.NoError(t, err)
}

// TestServerResponder checks that a responder answers attestations, and is
// counted.
func TestServerResponder(t *testing.T) {
	srv := cvmtest.NewServer(nil, cvmtest.WithAttestationResponder(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"quote":"00"}`)
	}))
	defer srv.Close()
	_, err := verifyServer(t, client(t, srv), srv, srv, srv.Policy())
	assert.Equal(t, verify.KindMalformedQuote, verify.KindOf(err), "%v", err)
	assert.Equal(t, int64(1), srv.AttestationRequests())
}

// TestServerBusy checks WithMaxConcurrentQuotes with a slow quote: of two
// concurrent attestations, the one that finds the slot taken is answered
// 503 at once, the other when the quote is released.
func TestServerBusy(t *testing.T) {
	gate := make(chan struct{})
	srv := cvmtest.NewServer(nil, cvmtest.WithMaxConcurrentQuotes(1), cvmtest.WithAttestationGate(gate))
	defer srv.Close()
	c := client(t, srv)
	u := srv.URL + wire.AttestationPath + "?reportData=" + string(bytes.Repeat([]byte("00"), 32))
	statuses := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := c.Get(u)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	assert.Equal(t, http.StatusServiceUnavailable, <-statuses)
	close(gate)
	assert.Equal(t, http.StatusOK, <-statuses)
}

// TestServerPolicy checks the policy a server says it satisfies.
func TestServerPolicy(t *testing.T) {
	unpinned := []byte(`{"manifest_version":2,"name":"u","runner":"docker-compose","docker_compose_file":"services:\n  x:\n    image: busybox:latest\n"}`)
	scripted := []byte(`{"manifest_version":2,"name":"s","runner":"docker-compose","pre_launch_script":"echo hi","docker_compose_file":"services:\n  x:\n    image: busybox@sha256:` + strings.Repeat("a", 64) + `\n"}`)
	tests := []struct {
		name   string
		opts   []cvmtest.Option
		check  func(*testing.T, *cvmtest.Server)
		status verify.TCBStatus
	}{
		{"default", nil, func(t *testing.T, s *cvmtest.Server) {
			p := s.Policy()
			app := s.App()
			h := app.ComposeHash()
			assert.Equal(t, h[:], []byte(p.App.ComposeHashes[0]))
			assert.True(t, p.App.RequirePinnedImages)
			assert.False(t, p.TCB.AllowDebug)
			assert.Equal(t, verify.BindingSPKI, p.Channel.Binding)
			require.Len(t, p.App.KeyProviders, 1)
			assert.Equal(t, "kms", p.App.KeyProviders[0].Name)
		}, verify.StatusUpToDate},
		{"unpinned compose", []cvmtest.Option{cvmtest.WithComposeFile(unpinned)}, func(t *testing.T, s *cvmtest.Server) {
			assert.False(t, s.Policy().App.RequirePinnedImages)
		}, verify.StatusUpToDate},
		{"pinned compose with a script", []cvmtest.Option{cvmtest.WithComposeFile(scripted)}, func(t *testing.T, s *cvmtest.Server) {
			p := s.Policy()
			assert.True(t, p.App.RequirePinnedImages)
			require.Len(t, p.App.AllowedScripts, 1)
			assert.Equal(t, sha256.Sum256([]byte("echo hi")), [32]byte(p.App.AllowedScripts[0].SHA256))
		}, verify.StatusUpToDate},
		{"debug", []cvmtest.Option{cvmtest.WithDebug()}, func(t *testing.T, s *cvmtest.Server) {
			assert.True(t, s.Policy().TCB.AllowDebug)
		}, verify.StatusUpToDate},
		{"SWHardeningNeeded", []cvmtest.Option{cvmtest.WithTCBStatus("SWHardeningNeeded")}, func(t *testing.T, s *cvmtest.Server) {
			assert.Equal(t, verify.TCBStatus("SWHardeningNeeded"), s.Policy().TCB.Accept[0])
		}, verify.TCBStatus("SWHardeningNeeded")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cvmtest.NewServer(nil, tt.opts...)
			defer srv.Close()
			tt.check(t, srv)
			r, err := verifyServer(t, client(t, srv), srv, srv, srv.Policy())
			require.NoError(t, err)
			assert.Equal(t, tt.status, r.TCBStatus)
		})
	}
}

// TestNewServerPanics checks that an invalid option is a panic, as in
// httptest.
func TestNewServerPanics(t *testing.T) {
	for _, o := range []cvmtest.Option{
		cvmtest.WithReplicas(0), cvmtest.WithTCBStatus("Great"), cvmtest.WithPKI(nil),
		cvmtest.WithComposeFile(nil), cvmtest.WithOversizedAttestation(0), cvmtest.WithAttestationDelay(-1),
		cvmtest.WithAttestationResponder(nil), cvmtest.WithTamperedEventLog(nil), cvmtest.WithMaxConcurrentQuotes(0),
		cvmtest.WithOversizedEventLog(0), cvmtest.WithTrickledAttestation(0), cvmtest.WithInfoResponder(nil),
		cvmtest.WithTLSCertificate(tls.Certificate{}), cvmtest.WithTLSCertificate(tls.Certificate{Certificate: [][]byte{{1}}, PrivateKey: struct{}{}}),
	} {
		assert.Panics(t, func() { cvmtest.NewServer(nil, o).Close() })
	}
}
