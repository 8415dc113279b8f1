package conformance_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/collateral"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/verify/quote"
	"github.com/cvmgate/cvmgate/wire"
)

// The platform every case starts from: the default test PKI, collateral
// valid now, and a verifier that trusts that PKI's root and serves that
// collateral. Cases that need another platform make their own.
var (
	platformOnce sync.Once
	basePKI      *cvmtest.PKI
	baseColl     *collateral.Collateral
	baseErr      error
)

func platform(t *testing.T) (*cvmtest.PKI, *collateral.Collateral) {
	t.Helper()
	platformOnce.Do(func() {
		if basePKI, baseErr = cvmtest.NewPKI(cvmtest.PKIOptions{}); baseErr == nil {
			baseColl, baseErr = basePKI.Collateral(cvmtest.CollateralOptions{})
		}
	})
	require.NoError(t, baseErr)
	return basePKI, baseColl
}

// verifierFor returns a verifier trusting p's root alone and serving c.
func verifierFor(t *testing.T, p *cvmtest.PKI, c *collateral.Collateral) *verify.Verifier {
	t.Helper()
	v, err := verify.New(p.VerifyOptions(c))
	require.NoError(t, err)
	return v
}

// baseVerifier is verifierFor the base platform.
func baseVerifier(t *testing.T) *verify.Verifier {
	p, c := platform(t)
	return verifierFor(t, p, c)
}

// collateralWith returns the base platform's collateral made with opts.
func collateralWith(t *testing.T, opts cvmtest.CollateralOptions) *collateral.Collateral {
	t.Helper()
	p, _ := platform(t)
	c, err := p.Collateral(opts)
	require.NoError(t, err)
	return c
}

// verifyQuote verifies raw with v under the default acceptance (UpToDate,
// no debug).
func verifyQuote(v *verify.Verifier, raw []byte) error {
	_, err := v.Verify(context.Background(), raw, nil)
	return err
}

// baseQuote returns a quote of the base platform for opts.
func baseQuote(t *testing.T, opts cvmtest.QuoteOptions) []byte {
	t.Helper()
	p, _ := platform(t)
	raw, err := p.Quote(opts)
	require.NoError(t, err)
	return raw
}

// resigned returns a quote of the base platform for opts, edited by edit
// and signed again (QE report and quote), so that only the edited field's
// check can fail.
func resigned(t *testing.T, opts cvmtest.QuoteOptions, edit func(*quote.Quote)) []byte {
	t.Helper()
	p, _ := platform(t)
	q, err := p.QuoteStruct(opts)
	require.NoError(t, err)
	edit(q)
	raw, err := p.Resign(q)
	require.NoError(t, err)
	return raw
}

// patched returns a copy of raw with b written at off.
func patched(raw []byte, off int, b ...byte) []byte {
	out := bytes.Clone(raw)
	copy(out[off:], b)
	return out
}

// The channel of the evidence cases: the client's nonce and the SPKI of
// the leaf the connection presented.
var (
	caseNonce = bytes.Repeat([]byte{0x4e}, wire.NonceSize)
	caseSPKI  = []byte("conformance: the SPKI of the connection's leaf")
)

// spkiBinding is what a client checks under binding spki.
func spkiBinding() *verify.Binding {
	return &verify.Binding{Mode: verify.BindingSPKI, Nonce: caseNonce, SPKI: caseSPKI}
}

// cvmEvidence describes what a CVM sends: app's evidence, the quote over
// opts with REPORTDATA bound to caseNonce and caseSPKI unless opts sets
// its own, its RTMRs those of extended (app's event log when nil), the
// event log served being served (extended when nil), and the info
// document's compose text being compose (app's when nil).
type cvmEvidence struct {
	app      cvmtest.App
	opts     cvmtest.QuoteOptions
	extended []eventlog.Event
	served   []eventlog.Event
	compose  *string
	mrConfig *[48]byte
}

// build returns the evidence e describes, on the base platform.
func (e cvmEvidence) build(t *testing.T) *verify.Evidence {
	t.Helper()
	p, _ := platform(t)
	return e.buildOn(t, p)
}

// buildOn returns the evidence e describes, quoted by p.
func (e cvmEvidence) buildOn(t *testing.T, p *cvmtest.PKI) *verify.Evidence {
	t.Helper()
	extended := e.extended
	if extended == nil {
		extended = e.app.EventLog()
	}
	served := e.served
	if served == nil {
		served = extended
	}
	rtmrs, err := cvmtest.RTMRs(extended)
	require.NoError(t, err)
	opts := e.opts
	if opts.ReportData == ([64]byte{}) {
		opts.ReportData, err = wire.ReportData(caseNonce, caseSPKI)
		require.NoError(t, err)
	}
	opts.RTMRs = rtmrs
	opts.MRConfigID = e.app.MRConfigID()
	if e.mrConfig != nil {
		opts.MRConfigID = *e.mrConfig
	}
	raw, err := p.Quote(opts)
	require.NoError(t, err)
	info, err := e.app.InfoDocument()
	require.NoError(t, err)
	if e.compose != nil {
		info.TCBInfo.AppCompose = *e.compose
	}
	return &verify.Evidence{Attestation: &wire.Attestation{Quote: raw, EventLog: served}, Info: info}
}

// verifyEvidence verifies e's evidence on the base platform under b and
// pol (the default acceptance when nil).
func verifyEvidence(t *testing.T, e cvmEvidence, b *verify.Binding, pol verify.Policy) error {
	t.Helper()
	_, err := baseVerifier(t).VerifyEvidence(context.Background(), e.build(t), b, pol)
	return err
}

// policyOf returns the strictest policy the honest CVM running app
// satisfies (policy.FromReport of its verified evidence), edited by edit.
func policyOf(t *testing.T, app cvmtest.App, edit func(*policy.Policy)) *policy.Policy {
	t.Helper()
	r, err := baseVerifier(t).VerifyEvidence(context.Background(), cvmEvidence{app: app}.build(t), spkiBinding(), nil)
	require.NoError(t, err)
	p, err := policy.FromReport(r)
	require.NoError(t, err)
	if edit != nil {
		edit(p)
	}
	require.NoError(t, p.Validate())
	return p
}

// replaceEvent returns events with the first event named name replaced
// by with, or removed when with is nil.
func replaceEvent(events []eventlog.Event, name string, with *eventlog.Event) []eventlog.Event {
	out := make([]eventlog.Event, 0, len(events))
	done := false
	for _, e := range events {
		if !done && e.Event == name {
			done = true
			if with != nil {
				out = append(out, *with)
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// insertBefore returns events with extra inserted before the first event
// named name.
func insertBefore(events []eventlog.Event, name string, extra ...eventlog.Event) []eventlog.Event {
	var out []eventlog.Event
	for i, e := range events {
		if e.Event == name {
			out = append(out, events[:i]...)
			out = append(out, extra...)
			return append(out, events[i:]...)
		}
	}
	return append(slices.Clone(events), extra...)
}

// pemOf encodes certs as concatenated PEM blocks.
func pemOf(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
