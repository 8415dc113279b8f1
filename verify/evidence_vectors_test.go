package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/verify/quote"
	"github.com/cvmgate/cvmgate/wire"
)

// evVectorNames are the real dstack GetQuote answers in testdata/vectors.
var evVectorNames = []string{"quote-report.json", "tdx-lite-getquote.json"}

// evDstackDoc reads a dstack vector: a GetQuote answer, which has the
// /attestation shape.
func evDstackDoc(tb testing.TB, name string) []byte {
	tb.Helper()
	return testvectors.Read(tb, "dstack", name)
}

// evVectorAttestation parses a dstack vector with ParseAttestation.
func evVectorAttestation(tb testing.TB, name string) *wire.Attestation {
	tb.Helper()
	a, err := wire.ParseAttestation(evDstackDoc(tb, name))
	require.NoError(tb, err)
	return a
}

// evIntelVerifier verifies real quotes against Intel's pinned root without
// collateral, at a time inside the quote's PCK certificate validity.
func evIntelVerifier(tb testing.TB, rawQuote []byte) *verify.Verifier {
	tb.Helper()
	q, err := quote.Parse(rawQuote)
	require.NoError(tb, err)
	chain, err := q.PCKChain()
	require.NoError(tb, err)
	at := chain[0].NotBefore.Add(24 * time.Hour)
	v, err := verify.New(verify.Options{
		NoCollateral: true,
		Now:          func() time.Time { return at },
	})
	require.NoError(tb, err)
	return v
}

// acceptUnknown accepts the TCB status of a report verified without
// collateral.
var acceptUnknown = verify.Accept{Statuses: []verify.TCBStatus{verify.StatusUnknown}}

// evRawPayload hex-decodes the payload of the first event named name in the
// vector's raw JSON, independently of package eventlog.
func evRawPayload(tb testing.TB, doc []byte, name string) []byte {
	tb.Helper()
	var outer struct {
		EventLog string `json:"event_log"`
	}
	require.NoError(tb, json.Unmarshal(doc, &outer))
	var raw []struct {
		Event   string `json:"event"`
		Payload string `json:"event_payload"`
	}
	require.NoError(tb, json.Unmarshal([]byte(outer.EventLog), &raw))
	for _, e := range raw {
		if e.Event == name {
			p, err := hex.DecodeString(e.Payload)
			require.NoError(tb, err)
			return p
		}
	}
	tb.Fatalf("no %q event in the vector", name)
	return nil
}

func TestVectorAttestationReplay(t *testing.T) {
	for _, name := range evVectorNames {
		t.Run(name, func(t *testing.T) {
			a := evVectorAttestation(t, name)
			q, err := quote.Parse(a.Quote)
			require.NoError(t, err)
			assert.Equal(t, a.ReportData, q.Body.ReportData[:], "the vector's report_data is the quote's")

			rtmrs, _, err := eventlog.Replay(a.EventLog)
			require.NoError(t, err)
			for i := range 4 {
				assert.Equalf(t, hex.EncodeToString(q.Body.RTMR[i][:]), hex.EncodeToString(rtmrs[i][:]), "RTMR%d", i)
			}
		})
	}
}

func TestVectorVerifyEvidence(t *testing.T) {
	for _, name := range evVectorNames {
		t.Run(name, func(t *testing.T) {
			doc := evDstackDoc(t, name)
			a := evVectorAttestation(t, name)
			v := evIntelVerifier(t, a.Quote)

			r, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: a}, nil, acceptUnknown)
			require.NoError(t, err)
			require.NotNil(t, r.Dstack)
			d := r.Dstack
			assert.Equal(t, [4]bool{true, true, true, true}, d.RTMRReplayed)
			assert.Len(t, d.Events, len(a.EventLog))
			assert.Equal(t, evRawPayload(t, doc, "app-id"), d.Identity.AppID)
			assert.Equal(t, evRawPayload(t, doc, "compose-hash"), d.Identity.ComposeHash)
			assert.Equal(t, evRawPayload(t, doc, "instance-id"), d.Identity.InstanceID)
			assert.Nil(t, d.Compose, "no app compose supplied")
			assert.Equal(t, verify.BindingMode(""), d.Binding)
			for i, e := range d.Events {
				assert.Lenf(t, e.Digest, 48, "event %d", i)
			}
		})
	}
}

func TestVectorMRConfigID(t *testing.T) {
	tests := []struct {
		name string
		want verify.MRConfigIDForm
	}{
		{"quote-report.json", verify.MRConfigIDZero},
		// The current guest binds the compose hash in MR_CONFIG_ID too.
		{"tdx-lite-getquote.json", verify.MRConfigIDComposeHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := evVectorAttestation(t, tc.name)
			r, err := evIntelVerifier(t, a.Quote).VerifyEvidence(context.Background(), &verify.Evidence{Attestation: a}, nil, acceptUnknown)
			require.NoError(t, err)
			assert.Equal(t, tc.want, r.Dstack.MRConfigID)
		})
	}
}

func TestVectorBinding(t *testing.T) {
	a := evVectorAttestation(t, "quote-report.json")
	v := evIntelVerifier(t, a.Quote)
	ctx := context.Background()
	ev := &verify.Evidence{Attestation: a}

	// The older guest was asked for report_data 0x1234 || zeros.
	nonce := make([]byte, 32)
	nonce[0], nonce[1] = 0x12, 0x34
	r, err := v.VerifyEvidence(ctx, ev, &verify.Binding{Mode: verify.BindingNone, Nonce: nonce}, acceptUnknown)
	require.NoError(t, err)
	assert.Equal(t, verify.BindingNone, r.Dstack.Binding)

	other := bytes.Clone(nonce)
	other[1] = 0x35
	_, err = v.VerifyEvidence(ctx, ev, &verify.Binding{Mode: verify.BindingNone, Nonce: other}, acceptUnknown)
	e := evRequireKind(t, err, verify.KindStaleNonce)
	assert.Equal(t, hex.EncodeToString(other), e.Expected)
	assert.Equal(t, hex.EncodeToString(nonce), e.Found)
	require.NotNil(t, e.Report, "diagnostic report attached")

	_, err = v.VerifyEvidence(ctx, ev, &verify.Binding{Mode: verify.BindingSPKI, Nonce: make([]byte, 32), SPKI: []byte("x")}, acceptUnknown)
	evRequireKind(t, err, verify.KindStaleNonce)
}

func TestVectorForgedComposePayload(t *testing.T) {
	t.Run("logged digest kept", func(t *testing.T) {
		a := evVectorAttestation(t, "quote-report.json")
		i := evIndexOf(t, a.EventLog, "compose-hash")
		a.EventLog[i].Payload[0] ^= 1

		_, err := evIntelVerifier(t, a.Quote).VerifyEvidence(context.Background(), &verify.Evidence{Attestation: a}, nil, acceptUnknown)
		e := evRequireKind(t, err, verify.KindEventDigestMismatch)
		assert.Contains(t, e.Check, "compose-hash")
		assert.Equal(t, hex.EncodeToString(a.EventLog[i].Digest), e.Found, "found: the logged digest")
		assert.ErrorIs(t, err, eventlog.ErrDigestMismatch)
	})
	for _, name := range evVectorNames {
		t.Run("digest stripped/"+name, func(t *testing.T) {
			a := evVectorAttestation(t, name)
			q, err := quote.Parse(a.Quote)
			require.NoError(t, err)
			i := evIndexOf(t, a.EventLog, "compose-hash")
			a.EventLog[i].Payload[5] ^= 0x40
			a.EventLog[i].Digest = nil

			r, err := evIntelVerifier(t, a.Quote).VerifyEvidence(context.Background(), &verify.Evidence{Attestation: a}, nil, acceptUnknown)
			assert.Nil(t, r)
			e := evRequireKind(t, err, verify.KindRTMRMismatch)
			assert.Contains(t, e.Check, "rtmr3")
			assert.Equal(t, hex.EncodeToString(q.Body.RTMR[3][:]), e.Expected)
			assert.NotEqual(t, e.Expected, e.Found)
			require.NotNil(t, e.Report)
			assert.Equal(t, [4]bool{true, true, true, false}, e.Report.Dstack.RTMRReplayed)
		})
	}
}

func TestVectorFlippedBootDigest(t *testing.T) {
	for _, name := range evVectorNames {
		t.Run(name, func(t *testing.T) {
			a := evVectorAttestation(t, name)
			v := evIntelVerifier(t, a.Quote)
			q, err := quote.Parse(a.Quote)
			require.NoError(t, err)
			for i, e := range a.EventLog {
				if e.EventType == eventlog.EventTypeDstackRuntime {
					continue
				}
				tampered := *a
				tampered.EventLog = append([]eventlog.Event(nil), a.EventLog...)
				tampered.EventLog[i].Digest = append([]byte(nil), e.Digest...)
				tampered.EventLog[i].Digest[47] ^= 0x01

				_, err := v.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: &tampered}, nil, acceptUnknown)
				ve := evRequireKind(t, err, verify.KindRTMRMismatch)
				assert.Equalf(t, fmt.Sprintf("rtmr%d replay", e.IMR), ve.Check, "event %d", i)
				assert.Equal(t, hex.EncodeToString(q.Body.RTMR[e.IMR][:]), ve.Expected)
			}
		})
	}
}

func TestVectorComposeMismatch(t *testing.T) {
	a := evVectorAttestation(t, "tdx-lite-getquote.json")
	v := evIntelVerifier(t, a.Quote)
	compose := []byte(`{"docker_compose_file":"services:\n  evil:\n    image: evil\n"}`)
	h := sha256.Sum256(compose)

	for _, ev := range []*verify.Evidence{
		{Attestation: a, AppCompose: compose},
		{Attestation: a, Info: &wire.Info{TCBInfo: wire.InfoTCB{AppCompose: string(compose)}}},
	} {
		_, err := v.VerifyEvidence(context.Background(), ev, nil, acceptUnknown)
		e := evRequireKind(t, err, verify.KindComposeMismatch)
		assert.Equal(t, hex.EncodeToString(a.EventLog[evIndexOf(t, a.EventLog, "compose-hash")].Payload), e.Expected)
		assert.Equal(t, hex.EncodeToString(h[:]), e.Found)
	}
}

// evIndexOf returns the position of the first event named name.
func evIndexOf(tb testing.TB, events []eventlog.Event, name string) int {
	tb.Helper()
	for i, e := range events {
		if e.Event == name {
			return i
		}
	}
	tb.Fatalf("no %q event", name)
	return -1
}

// evRequireKind requires err to be an *Error of kind k and returns it.
func evRequireKind(tb testing.TB, err error, k verify.Kind) *verify.Error {
	tb.Helper()
	require.Error(tb, err)
	require.ErrorIs(tb, err, k, "%v", err)
	var e *verify.Error
	require.ErrorAs(tb, err, &e)
	require.Equal(tb, k, e.Kind)
	return e
}
