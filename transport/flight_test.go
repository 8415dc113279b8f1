package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/policy"
)

// TestFlightAfterOutcomeDoesNotAttest: a dial that found k neither pinned
// nor failed, and reaches attestShared only after another dial's flight for
// k has ended, must take that flight's outcome instead of attesting k again
// (under load this turned one attestation of a failing CVM into two). The
// late flight closes the conn it was given and returns the standing verdict
// or failure.
func TestFlightAfterOutcomeDoesNotAttest(t *testing.T) {
	pol, err := policy.Parse([]byte("version: 1\napp: {any: true}\n"), "")
	require.NoError(t, err)
	standing := errors.New("the earlier flight's failure")
	now := time.Now()
	k := keyID{7}
	tests := []struct {
		name    string
		settle  func(o *origin)
		wantErr error
	}{
		{"pinned since", func(o *origin) {
			o.pin(k, &verdict{Verdict: Verdict{Expires: now.Add(time.Hour)}, refreshAt: now.Add(time.Hour)}, now)
		}, nil},
		{"failed since", func(o *origin) { o.fail(k, standing, now, time.Hour) }, standing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attestations atomic.Int64
			tr, err := New(pol, WithAttestationTimeout(50*time.Millisecond),
				WithObserver(func(Attestation) { attestations.Add(1) }))
			require.NoError(t, err)
			o := tr.origin("https://cvm.example:443")
			tt.settle(o)
			client, server := net.Pipe()
			t.Cleanup(func() { server.Close() })
			conn := tls.Client(client, &tls.Config{ServerName: "cvm.example"})

			consumed, err := tr.attestShared(context.Background(), o, pol, k, conn, false)
			assert.True(t, consumed, "the flight's conn is closed, so the caller must not reuse it")
			assert.ErrorIs(t, err, tt.wantErr) // for nil: err is nil
			assert.Zero(t, attestations.Load(), "k was attested again")
			_, werr := client.Write([]byte{0})
			assert.ErrorIs(t, werr, io.ErrClosedPipe, "the conn was not closed")
		})
	}
}
