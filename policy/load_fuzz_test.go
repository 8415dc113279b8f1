package policy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// realReports are verified reports of simulated CVMs of several shapes:
// the default app, an unpinned compose, scripts beside a pinned compose,
// no key provider, another TCB status, a TD 1.5 quote, each binding.
func realReports(tb testing.TB) []*verify.Report {
	tb.Helper()
	pinned := `{"manifest_version":2,"name":"s","runner":"docker-compose","pre_launch_script":"echo hi","init_script":"true",` +
		`"docker_compose_file":"services:\n  x:\n    image: busybox@sha256:` + strings.Repeat("a", 64) + `\n"}`
	unpinned := `{"manifest_version":2,"name":"u","runner":"docker-compose","docker_compose_file":"services:\n  x:\n    image: busybox:latest\n"}`
	bash := `{"manifest_version":1,"name":"b","runner":"bash","bash_script":"curl x | sh"}`
	plat, err := cvmtest.PlatformFor("SWHardeningNeeded")
	require.NoError(tb, err)
	cases := []struct {
		app     cvmtest.App
		pki     cvmtest.PKIOptions
		quote   cvmtest.QuoteOptions
		binding verify.BindingMode
	}{
		{app: cvmtest.App{}, binding: verify.BindingSPKI},
		{app: cvmtest.App{Compose: unpinned}, binding: verify.BindingNone},
		{app: cvmtest.App{Compose: pinned}, binding: verify.BindingRATLS},
		{app: cvmtest.App{Compose: bash, KeyProvider: &eventlog.KeyProvider{Name: "none"}}, binding: verify.BindingSPKI},
		{app: cvmtest.App{}, pki: cvmtest.PKIOptions{TCB: &plat.PCK}, quote: cvmtest.QuoteOptions{TEETCBSVN: plat.TEETCBSVN}, binding: verify.BindingSPKI},
		{app: cvmtest.App{}, quote: cvmtest.QuoteOptions{Version: 5}, binding: verify.BindingSPKI},
	}
	var reports []*verify.Report
	for _, c := range cases {
		p := cvmtest.MustPKI(tb, c.pki)
		coll, err := p.Collateral(cvmtest.CollateralOptions{})
		require.NoError(tb, err)
		v, err := verify.New(p.VerifyOptions(coll))
		require.NoError(tb, err)
		nonce, spki := make([]byte, wire.NonceSize), []byte("fuzz spki")
		b := &verify.Binding{Mode: c.binding, Nonce: nonce, SPKI: spki}
		switch c.binding {
		case verify.BindingSPKI:
			c.quote.ReportData, err = wire.ReportData(nonce, spki)
			require.NoError(tb, err)
		case verify.BindingRATLS:
			c.quote.ReportData, b.Nonce = wire.RATLSReportData(spki), nil
		}
		att, err := p.AttestationDocument(&c.app, c.quote)
		require.NoError(tb, err)
		info, err := c.app.InfoDocument()
		require.NoError(tb, err)
		r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info}, b, verify.Accept{Statuses: verify.Statuses()})
		require.NoError(tb, err)
		reports = append(reports, r)
	}
	return reports
}

// FuzzLoad feeds policy.Load real-shaped policy files: the example policy
// beside its app-compose.json, and the policies FromReport writes for
// simulated CVMs of several shapes, as YAML and as JSON. Whatever it
// reads, Load agrees with Parse, refuses with an error that matches
// ErrInvalid and has the kind invalid_policy, or returns a valid policy
// that judges any report without panicking, loads again from its own
// Marshal output unchanged, and refuses or accepts each report as the
// policy it was loaded from does.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	compose, err := os.ReadFile("../testdata/policy/app-compose.json")
	require.NoError(f, err)
	require.NoError(f, os.WriteFile(filepath.Join(dir, "app-compose.json"), compose, 0o600))
	example, err := os.ReadFile("../testdata/policy/example.yaml")
	require.NoError(f, err)
	f.Add(example)

	reports := realReports(f)
	for _, r := range reports {
		p, err := policy.FromReport(r)
		require.NoError(f, err)
		require.NoError(f, p.Check(r), "FromReport's policy accepts its report")
		y, err := p.Marshal()
		require.NoError(f, err)
		f.Add(y)
		j, err := json.MarshalIndent(p, "", "  ")
		require.NoError(f, err)
		f.Add(j)
	}

	path := filepath.Join(dir, "policy.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, os.WriteFile(path, data, 0o600))
		p, err := policy.Load(path)
		parsed, perr := policy.Parse(data, dir)
		require.Equal(t, err == nil, perr == nil, "Load: %v; Parse: %v", err, perr)
		if err != nil {
			require.Nil(t, p)
			require.ErrorIs(t, err, policy.ErrInvalid)
			require.Equal(t, verify.KindInvalidPolicy, verify.KindOf(err), "%v", err)
			return
		}
		require.Equal(t, parsed, p)
		require.NoError(t, p.Validate())

		out, err := p.Marshal()
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, out, 0o600))
		back, err := policy.Load(path)
		require.NoError(t, err, "marshaled:\n%s", out)
		require.Equal(t, p, back)
		for _, r := range reports {
			require.Equal(t, p.Check(r) == nil, back.Check(r) == nil)
		}
	})
}
