package wire_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

func TestReportData(t *testing.T) {
	nonce := bytes.Repeat([]byte{7}, wire.NonceSize)
	spki := []byte("spki")
	rd, err := wire.ReportData(nonce, spki)
	require.NoError(t, err)
	h := sha256.Sum256(spki)
	assert.Equal(t, nonce, rd[:32])
	assert.Equal(t, h[:], rd[32:])

	// What a CVM builds is what a client checks.
	require.NoError(t, verify.CheckBinding(rd, verify.Binding{Mode: verify.BindingSPKI, Nonce: nonce, SPKI: spki}))

	for name, tc := range map[string]struct{ nonce, spki []byte }{
		"short nonce": {nonce[:31], spki},
		"long nonce":  {append(bytes.Clone(nonce), 0), spki},
		"no nonce":    {nil, spki},
		"no spki":     {nonce, nil},
	} {
		_, err := wire.ReportData(tc.nonce, tc.spki)
		assert.Error(t, err, name)
	}
}

func TestRATLSReportData(t *testing.T) {
	spki := []byte("spki")
	rd := wire.RATLSReportData(spki)
	assert.Equal(t, sha512.Sum512([]byte("ratls-cert:spki")), rd)
	require.NoError(t, verify.CheckBinding(rd, verify.Binding{Mode: verify.BindingRATLS, SPKI: spki}))
}

func TestAttestationURL(t *testing.T) {
	nonce := bytes.Repeat([]byte{0xab}, wire.NonceSize)
	u, err := wire.AttestationURL("https://app.example:8443/ignored?x=1", nonce)
	require.NoError(t, err)
	assert.Equal(t, "https://app.example:8443/attestation?reportData="+strings.Repeat("ab", 32), u)
	got, err := wire.ParseNonce(strings.Repeat("ab", 32))
	require.NoError(t, err)
	assert.Equal(t, nonce, got[:])

	i, err := wire.InfoURL("https://app.example")
	require.NoError(t, err)
	assert.Equal(t, "https://app.example/info", i)

	_, err = wire.AttestationURL("https://app.example", nonce[:16])
	assert.Error(t, err)
	for _, bad := range []string{"", "app.example", "/path", "https://"} {
		_, err = wire.InfoURL(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseNonceRejects(t *testing.T) {
	for name, s := range map[string]string{
		"empty":     "",
		"short":     strings.Repeat("ab", 31),
		"long":      strings.Repeat("ab", 33),
		"0x prefix": "0x" + strings.Repeat("ab", 31),
		"not hex":   strings.Repeat("zz", 32),
		"spaces":    strings.Repeat("ab", 31) + " a",
	} {
		_, err := wire.ParseNonce(s)
		assert.Error(t, err, name)
	}
}

// TestMarshalRoundTrip: what MarshalJSON writes, Parse reads back to the
// same document, in the shape the dstack guest agent answers.
func TestMarshalRoundTrip(t *testing.T) {
	events := []eventlog.Event{
		eventlog.NewBootEvent(0, 1, []byte("fw")),
		eventlog.NewRuntimeEvent("app-id", bytes.Repeat([]byte{1}, 20)),
	}
	a := &wire.Attestation{Quote: []byte{4, 0, 2, 0}, EventLog: events, ReportData: bytes.Repeat([]byte{9}, 64), VMConfig: `{"cpu_count":2}`}
	b, err := a.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"event_log":"[`, "the event log is a string holding an array, as the agent sends it")
	back, err := wire.ParseAttestation(b)
	require.NoError(t, err)
	assert.Equal(t, a.Quote, back.Quote)
	assert.Equal(t, a.ReportData, back.ReportData)
	assert.Equal(t, a.VMConfig, back.VMConfig)
	require.Len(t, back.EventLog, 2)
	assert.Equal(t, events[1].Payload, back.EventLog[1].Payload)

	info := &wire.Info{
		AppID: "01", InstanceID: "02", AppName: "app", ComposeHash: "03", OSImageHash: "04",
		KeyProviderInfo: `{"name":"kms","id":"05"}`, DeviceID: "06",
		TCBInfo: wire.InfoTCB{MRTD: "aa", RTMR3: "bb", AppCompose: "{\"x\":\"\u00e9\\n\"}", EventLog: events},
	}
	b, err = info.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"tcb_info":"{`, "tcb_info is a string holding an object")
	got, err := wire.ParseInfo(b)
	require.NoError(t, err)
	assert.Equal(t, info.TCBInfo.AppCompose, got.TCBInfo.AppCompose, "the compose text survives byte for byte")
	assert.Equal(t, info.KeyProviderInfo, got.KeyProviderInfo)
	assert.Equal(t, info.AppID, got.AppID)
	assert.Len(t, got.TCBInfo.EventLog, 2)
}

func TestDocumentsTooLarge(t *testing.T) {
	big := []byte(`{"quote":"` + strings.Repeat("00", wire.MaxDocumentSize) + `"}`)
	_, err := wire.ParseAttestation(big)
	assert.ErrorIs(t, err, verify.ErrTooLarge)
	_, err = wire.ParseInfo(big)
	assert.ErrorIs(t, err, verify.ErrTooLarge)
}
