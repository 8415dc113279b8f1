package transport_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"math"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// The abuse tests run misbehaving CVMs against a client and bound what
// each costs it: time against the attestation timeout, bytes allocated,
// heap and goroutines kept afterwards. They do not run in parallel, so
// that the memory figures are the abuse's own.

// TestAbuseOversizedAnswers: an attestation that never ends, and one
// whose event log is 1 GiB, are refused as too large after at most the
// document bound is read, without allocating them.
func TestAbuseOversizedAnswers(t *testing.T) {
	tests := []struct {
		name  string
		opt   cvmtest.Option
		found string // what the error says was found
	}{
		{"stream forever", cvmtest.WithOversizedAttestation(math.MaxInt64), "found more"},
		// Refused on its Content-Length, before a byte is read.
		{"1 GiB event log", cvmtest.WithOversizedEventLog(1 << 30), "found 1073741824 bytes (Content-Length)"},
		{"1 GiB event log streamed", cvmtest.WithAttestationResponder(streamedLog(1 << 30)), "found more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cvmtest.NewServer(okApp, tt.opt)
			defer srv.Close()
			tr := abuseTransport(t, srv, 30*time.Second)
			c, err := measureGet(t, tr, srv.URL+"/x")
			require.Error(t, err)
			assert.Equal(t, verify.KindMalformedEvidence, verify.KindOf(err), "%v", err)
			assert.ErrorIs(t, err, verify.ErrTooLarge)
			assert.Contains(t, err.Error(), tt.found)
			ae, ok := errorsAs(err)
			require.True(t, ok)
			assert.Equal(t, transport.StepAttestation, ae.Step)
			assert.Zero(t, srv.AppRequests())
			assert.Less(t, c.elapsed, slack, "refused on size, long before the timeout")
			// Reading up to the bound, and what HTTP/2 flow control (a 4 MiB
			// stream window) lets the server send ahead: megabytes, not
			// the gigabyte sent.
			assert.Less(t, c.allocated, uint64(32<<20), "%.1f MiB allocated for an answer refused at %d bytes", mib(c.allocated), wire.MaxDocumentSize)
			assert.Less(t, c.retained, int64(4<<20), "nothing of the answer is kept")
		})
	}
}

// TestAbuseSlowCVMs: a CVM that never answers the attestation, and one
// that answers a byte at a time, cost the client the attestation timeout
// and no more, and nothing afterwards.
func TestAbuseSlowCVMs(t *testing.T) {
	never := make(chan struct{})
	defer close(never)
	tests := []struct {
		name string
		opt  cvmtest.Option
	}{
		{"never answers", cvmtest.WithAttestationGate(never)},
		{"slowloris", cvmtest.WithTrickledAttestation(5 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cvmtest.NewServer(okApp, tt.opt)
			defer srv.Close()
			tr := abuseTransport(t, srv, abuseTimeout)
			c, err := measureGet(t, tr, srv.URL+"/x")
			require.Error(t, err)
			assert.Equal(t, verify.KindUnreachable, verify.KindOf(err), "%v", err)
			assert.Zero(t, srv.AppRequests())
			assert.GreaterOrEqual(t, c.elapsed, abuseTimeout, "the timeout, not an earlier failure, ended it")
			assert.Less(t, c.elapsed, abuseTimeout+slack)
			assert.Less(t, c.allocated, uint64(16<<20))
			assert.Less(t, c.retained, int64(2<<20))
		})
	}
}

// TestAbuseTarpit: a host that accepts TCP connections and never
// completes the TLS handshake holds 100 concurrent requests for the
// attestation timeout at most, however the base transport bounds
// handshakes (not at all, or longer), and every connection is closed.
func TestAbuseTarpit(t *testing.T) {
	const n = 100
	for _, base := range []struct {
		name string
		t    *http.Transport
	}{
		{"no handshake timeout", &http.Transport{}},
		{"default transport", http.DefaultTransport.(*http.Transport).Clone()},
	} {
		t.Run(base.name, func(t *testing.T) {
			pit := newTarpit(t)
			honest := cvmtest.NewServer(nil)
			defer honest.Close()
			tr := abuseTransport(t, honest, abuseTimeout, transport.WithBaseTransport(base.t))
			var unreachable atomic.Int64
			c := measure(t, func() {
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						resp, err := tr.Client().Get(pit.URL() + "/x")
						drain(resp)
						if verify.KindOf(err) == verify.KindUnreachable {
							unreachable.Add(1)
						}
					})
				}
				wg.Wait()
			}, func() { pit.waitAllClosed(t, slack) })
			assert.EqualValues(t, n, unreachable.Load())
			assert.Less(t, c.elapsed, abuseTimeout+slack, "bounded by the attestation timeout")
			assert.Less(t, c.retained, int64(4<<20))
			assert.Less(t, c.goroutines, 10, "no dial left behind")
		})
	}
}

// TestAbuseNewKeyPerConnection: a CVM that presents a new key on every
// connection (more replicas than a dial tries) costs one request a
// bounded number of connections and attestations, then a key_binding
// refusal.
func TestAbuseNewKeyPerConnection(t *testing.T) {
	srv := cvmtest.NewServer(okApp, cvmtest.WithReplicas(16))
	defer srv.Close()
	tr := abuseTransport(t, srv, 30*time.Second)
	c, err := measureGet(t, tr, srv.URL+"/x")
	require.Error(t, err)
	assert.Equal(t, verify.KindKeyBinding, verify.KindOf(err), "%v", err)
	ae, ok := errorsAs(err)
	require.True(t, ok)
	assert.Equal(t, transport.StepKeys, ae.Step)
	assert.EqualValues(t, 8, srv.AttestationRequests(), "one attestation per new key, up to the dial's bound")
	assert.Zero(t, srv.AppRequests())
	assert.Less(t, c.elapsed, 2*slack, "eight attestations")
}

// TestAbuseFailedFetchesLeakNothing: a CVM that fails one of the two
// documents (an error status, a body cut short), while the other is in
// flight on the same HTTP/2 connection, leaves no connection or goroutine
// behind, attestation after attestation.
func TestAbuseFailedFetchesLeakNothing(t *testing.T) {
	const n = 60
	tests := []struct {
		name string
		opt  cvmtest.Option
	}{
		{"info answered 500", cvmtest.WithInfoResponder(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "agent down", http.StatusInternalServerError)
		})},
		{"info cut short", cvmtest.WithInfoResponder(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, `{"app_id":`)
		})},
		{"attestation answered 500", cvmtest.WithAttestationResponder(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "agent down", http.StatusInternalServerError)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cvmtest.NewServer(okApp, tt.opt)
			defer srv.Close()
			tr := abuseTransport(t, srv, 30*time.Second)
			g0 := runtime.NumGoroutine()
			for range n {
				_, err := tr.Attest(context.Background(), srv.URL)
				require.Equal(t, verify.KindUnreachable, verify.KindOf(err), "%v", err)
			}
			// The server's side of each closed connection ends soon after.
			left := settledGoroutines(g0+10, slack) - g0
			t.Logf("%d failed attestations: %+d goroutines", n, left)
			assert.LessOrEqual(t, left, 10, "connections left open by %d failed attestations", n)
		})
	}
}

// TestAbuseConcurrentRequestsToFailingCVM: 1000 concurrent requests to a
// CVM whose attestation fails cost one attestation, whose failure is
// returned to all of them and to later ones while its backoff lasts. Each
// request still costs a TLS handshake, to learn the key it meets.
func TestAbuseConcurrentRequestsToFailingCVM(t *testing.T) {
	const n = 1000
	srv := cvmtest.NewServer(okApp, cvmtest.WithDebug()) // a debug TD: refused by a policy that does not allow it
	defer srv.Close()
	pol := srv.Policy()
	pol.TCB.AllowDebug = false
	require.NoError(t, pol.Validate())
	// Every request costs a handshake, to learn the key whose failure is
	// remembered; P-256 key exchange is the cheapest under the race
	// detector, which makes the default hybrid one slow.
	base := &http.Transport{TLSClientConfig: &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP256}}}
	tr := newTransport(t, pol, srv, transport.WithBaseTransport(base), transport.WithFailureBackoff(time.Minute))
	var refused atomic.Int64
	c := measure(t, func() {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				resp, err := tr.Client().Get(srv.URL + "/x")
				drain(resp)
				if verify.KindOf(err) == verify.KindPolicy {
					refused.Add(1)
				}
			})
		}
		wg.Wait()
	}, tr.CloseIdleConnections)
	assert.EqualValues(t, n, refused.Load())
	// The backoff outlasts the flood (with the default one second, the
	// requests whose handshake ends after it attest again, a few times
	// at most as it doubles).
	assert.EqualValues(t, 1, srv.AttestationRequests(), "attestations for %d requests", n)
	assert.Zero(t, srv.AppRequests())
	assert.Less(t, c.elapsed, 10*time.Second+slack)
	assert.Less(t, c.retained, int64(4<<20))
	t.Logf("%d requests, %d attestations", n, srv.AttestationRequests())
}

// streamedLog answers an attestation whose event log makes it n bytes,
// streamed without a Content-Length until the client stops reading.
func streamedLog(n int64) http.HandlerFunc {
	event := []byte(`{"imr":3,"event_type":134217729,"digest":"","event":"flood","event_payload":"00"},`)
	chunk := bytes.Repeat(event, (32<<10)/len(event))
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.WriteString(w, `{"quote":"00","event_log":[`); err != nil {
			return
		}
		for sent := int64(0); sent < n; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// okApp answers "ok".
var okApp = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
