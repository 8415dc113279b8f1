package transport_test

import (
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/transport"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// verifiedReport verifies a simulated CVM's evidence, as an attestation
// would, and returns the full report.
func verifiedReport(t testing.TB) *verify.Report {
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c, err := p.Collateral(cvmtest.CollateralOptions{})
	require.NoError(t, err)
	nonce := make([]byte, wire.NonceSize)
	rd, err := wire.ReportData(nonce, []byte("spki"))
	require.NoError(t, err)
	app := &cvmtest.App{}
	att, err := p.AttestationDocument(app, cvmtest.QuoteOptions{ReportData: rd})
	require.NoError(t, err)
	info, err := app.InfoDocument()
	require.NoError(t, err)
	v, err := verify.New(p.VerifyOptions(c))
	require.NoError(t, err)
	r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info},
		&verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: []byte("spki")}, nil)
	require.NoError(t, err)
	return r
}

// TestMemoryOf10000Origins measures what the Transport keeps for 10,000
// verified origins, each with its own compact report, and prints it.
func TestMemoryOf10000Origins(t *testing.T) {
	const n = 10000
	full := verifiedReport(t)

	before, _ := heapStats()
	origins := transport.PinOrigins(n, func(int) *verify.Report {
		return ownStrings(full) // each origin its own report, as after n attestations
	})
	after, _ := heapStats()
	runtime.KeepAlive(origins)
	per := float64(after-before) / n
	t.Logf("memory of %d cached origins: %.1f MB (%.0f bytes each); a full report with its raw quote and event log is %d bytes of JSON",
		n, float64(after-before)/1e6, per, len(mustJSON(t, full)))
	require.Less(t, after-before, uint64(20e6), "10,000 verdicts must fit in 20 MB")
}

// ownStrings returns a shallow copy of r whose strings, which Compact
// shares rather than copies, are allocated afresh, as they are for each
// real verification.
func ownStrings(r *verify.Report) *verify.Report {
	c := *r
	c.FMSPC, c.PCEID, c.DeviceID = strings.Clone(r.FMSPC), strings.Clone(r.PCEID), strings.Clone(r.DeviceID)
	d := *r.Dstack
	kp := *d.Identity.KeyProvider
	kp.Name, kp.ID = strings.Clone(kp.Name), strings.Clone(kp.ID)
	d.Identity.KeyProvider = &kp
	app := *d.Compose
	app.Services = slices.Clone(app.Services)
	for i := range app.Services {
		app.Services[i].Name, app.Services[i].Image = strings.Clone(app.Services[i].Name), strings.Clone(app.Services[i].Image)
	}
	d.Compose = &app
	c.Dstack = &d
	return &c
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
