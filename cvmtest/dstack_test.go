package cvmtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// TestAppEvidenceVerifies checks that a simulated dstack app's attestation
// and info pass the project's verifier with every default and with each
// field set, and that the report shows exactly what the app measured.
func TestAppEvidenceVerifies(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c, err := p.Collateral(cvmtest.CollateralOptions{Now: now})
	require.NoError(t, err)
	opts := p.VerifyOptions(c)
	opts.Now = func() time.Time { return now }
	v, err := verify.New(opts)
	require.NoError(t, err)

	tests := []struct {
		name string
		app  cvmtest.App
	}{
		{"defaults", cvmtest.App{}},
		{"every field set", cvmtest.App{
			Compose:     `{"name":"x","docker_compose_file":"services:\n  a:\n    image: busybox:1\n"}`,
			AppID:       bytes.Repeat([]byte{0xa1}, 20),
			InstanceID:  bytes.Repeat([]byte{0x1d}, 20),
			OSImageHash: bytes.Repeat([]byte{0x0e}, 32),
			KeyProvider: &eventlog.KeyProvider{Name: "local-sgx", ID: "abcd"},
			AppEvents:   []eventlog.Event{eventlog.NewRuntimeEvent("app-started", []byte("v1"))},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts cvmtest.QuoteOptions
			opts.ReportData[0] = 0x42
			attJSON, err := p.Attestation(&tt.app, opts)
			require.NoError(t, err)
			infoJSON, err := tt.app.Info()
			require.NoError(t, err)
			att, err := wire.ParseAttestation(attJSON)
			require.NoError(t, err)
			info, err := wire.ParseInfo(infoJSON)
			require.NoError(t, err)

			r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info},
				&verify.Binding{Mode: verify.BindingNone, Nonce: append([]byte{0x42}, make([]byte, 31)...)}, nil)
			require.NoError(t, err)
			appID, instanceID, osImage, kp := tt.app.Identity()
			hash := sha256.Sum256([]byte(tt.app.ComposeText()))
			id := r.Dstack.Identity
			assert.Equal(t, [4]bool{true, true, true, true}, r.Dstack.RTMRReplayed)
			assert.Equal(t, hash[:], id.ComposeHash)
			assert.Equal(t, appID, id.AppID)
			assert.Equal(t, instanceID, id.InstanceID)
			assert.Equal(t, osImage, id.OSImageHash)
			assert.Equal(t, kp, *id.KeyProvider)
			assert.Len(t, id.AppEvents, len(tt.app.AppEvents))
			assert.Equal(t, tt.app.MRConfigID(), r.Quote.Body.MRConfigID)
			assert.Equal(t, tt.app.ComposeText(), r.Dstack.Compose.Raw)
		})
	}
}

func TestRTMRsRejectsBadEvents(t *testing.T) {
	tests := []struct {
		name  string
		event eventlog.Event
	}{
		{"imr out of range", eventlog.Event{IMR: 4, Digest: make([]byte, 48)}},
		{"negative imr", eventlog.Event{IMR: -1, Digest: make([]byte, 48)}},
		{"short digest", eventlog.Event{IMR: 0, Digest: make([]byte, 32)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cvmtest.RTMRs([]eventlog.Event{tt.event})
			var e *cvmtest.Error
			assert.ErrorAs(t, err, &e)
		})
	}
}

func TestAppsDifferOnlyWhereTheyDiffer(t *testing.T) {
	a := cvmtest.App{}
	b := cvmtest.App{Compose: cvmtest.DefaultCompose + " "}
	ra, err := cvmtest.RTMRs(a.EventLog())
	require.NoError(t, err)
	rb, err := cvmtest.RTMRs(b.EventLog())
	require.NoError(t, err)
	assert.Equal(t, ra[:3], rb[:3], "the compose is measured into RTMR3 only")
	assert.NotEqual(t, ra[3], rb[3])
}
