package wire_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

var (
	evDocDigest   = strings.Repeat("ab", 48)
	evDocEventLog = `[{"imr":0,"event_type":2147483659,"digest":"` + evDocDigest + `","event":"","event_payload":""},` +
		`{"imr":3,"event_type":134217729,"digest":"","event":"app-id","event_payload":"0102"}]`
)

func evQuotedJSON(t testing.TB, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

func TestParseAttestation(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		quote      []byte
		events     int
		reportData []byte
		vmConfig   string
	}{
		{
			name:  "guest agent shape",
			doc:   `{"quote":"0400020000","event_log":` + evQuotedJSON(t, evDocEventLog) + `,"report_data":"1234","vm_config":"{\"cpu_count\":2}"}`,
			quote: []byte{4, 0, 2, 0, 0}, events: 2, reportData: []byte{0x12, 0x34}, vmConfig: `{"cpu_count":2}`,
		},
		{
			name:  "array event log, 0x hex, object vm_config",
			doc:   `{"quote":"0x0400","event_log":` + evDocEventLog + `,"report_data":"0X` + strings.Repeat("AB", 64) + `","vm_config":{"cpu_count":2}}`,
			quote: []byte{4, 0}, events: 2, reportData: []byte(strings.Repeat("\xab", 64)), vmConfig: `{"cpu_count":2}`,
		},
		{
			name:  "trailing zeros kept",
			doc:   `{"quote":"04000000000000"}`,
			quote: []byte{4, 0, 0, 0, 0, 0, 0},
		},
		{name: "no event log", doc: `{"quote":"04"}`, quote: []byte{4}},
		{name: "null event log", doc: `{"quote":"04","event_log":null,"vm_config":null,"report_data":""}`, quote: []byte{4}},
		{name: "empty string event log", doc: `{"quote":"04","event_log":""}`, quote: []byte{4}},
		{name: "unknown fields", doc: `{"quote":"04","attestation":{"x":1},"extra":[1,2]}`, quote: []byte{4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := wire.ParseAttestation([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.quote, a.Quote)
			assert.Len(t, a.EventLog, tc.events)
			assert.Equal(t, tc.reportData, a.ReportData)
			assert.Equal(t, tc.vmConfig, a.VMConfig)
		})
	}
}

func TestParseAttestationRejects(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		kind  verify.Kind
		field string
	}{
		{"empty", ``, verify.KindMalformedEvidence, ""},
		{"not an object", `[]`, verify.KindMalformedEvidence, ""},
		{"bad JSON", `{"quote":`, verify.KindMalformedEvidence, ""},
		{"too large", `{"quote":"` + strings.Repeat("00", wire.MaxDocumentSize) + `"}`, verify.KindMalformedEvidence, ""},
		{"no quote", `{"event_log":[]}`, verify.KindMalformedEvidence, "quote"},
		{"empty quote", `{"quote":""}`, verify.KindMalformedEvidence, "quote"},
		{"bare 0x quote", `{"quote":"0x"}`, verify.KindMalformedEvidence, "quote"},
		{"quote not hex", `{"quote":"04zz"}`, verify.KindMalformedEvidence, "quote"},
		{"quote odd length", `{"quote":"040"}`, verify.KindMalformedEvidence, "quote"},
		{"quote with spaces", `{"quote":"04 00"}`, verify.KindMalformedEvidence, "quote"},
		{"quote a number", `{"quote":4}`, verify.KindMalformedEvidence, ""},
		{"report_data not hex", `{"quote":"04","report_data":"xy"}`, verify.KindMalformedEvidence, "report_data"},
		{"report_data 65 bytes", `{"quote":"04","report_data":"` + strings.Repeat("00", 65) + `"}`, verify.KindMalformedEvidence, "report_data"},
		{"vm_config a number", `{"quote":"04","vm_config":5}`, verify.KindMalformedEvidence, "vm_config"},
		{"event log an object", `{"quote":"04","event_log":{"imr":0}}`, verify.KindEventLogMalformed, "event_log"},
		{"event log a number", `{"quote":"04","event_log":5}`, verify.KindEventLogMalformed, "event_log"},
		{"event log bad hex", `{"quote":"04","event_log":[{"imr":3,"event_type":134217729,"event":"x","event_payload":"q"}]}`, verify.KindEventLogMalformed, "event_log"},
		{"event log imr 4", `{"quote":"04","event_log":"[{\"imr\":4,\"event_type\":1,\"digest\":\"` + evDocDigest + `\"}]"}`, verify.KindEventLogMalformed, "event_log"},
		{"event log string not an array", `{"quote":"04","event_log":"{}"}`, verify.KindEventLogMalformed, "event_log"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := wire.ParseAttestation([]byte(tc.doc))
			assert.Nil(t, a)
			require.Equal(t, tc.kind, verify.KindOf(err), "KindOf(%v)", err)
			require.ErrorIs(t, err, wire.ErrMalformedAttestation)
			var de *wire.DocumentError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, "attestation", de.Document)
			assert.Equal(t, tc.field, de.Field)
			assert.NotEmpty(t, de.Expected)
			if tc.kind == verify.KindEventLogMalformed {
				assert.ErrorIs(t, err, eventlog.ErrMalformed)
			}
		})
	}
}

func TestParseInfo(t *testing.T) {
	compose := "{\"docker_compose_file\":\"services:\\n  a:\\n    image: x\\n\",\n  \"name\": \"é\"}"
	tcb := map[string]any{
		"mrtd": "aa", "rtmr0": "00", "rtmr1": "01", "rtmr2": "02", "rtmr3": "03",
		"app_compose": compose, "event_log": json.RawMessage(evDocEventLog),
	}
	tcbJSON, err := json.Marshal(tcb)
	require.NoError(t, err)
	base := map[string]any{
		"app_id": "a1", "instance_id": "1d", "app_name": "demo", "compose_hash": "c0",
		"os_image_hash": "05", "key_provider_info": `{"name":"kms","id":"30"}`, "device_id": "de",
		"vm_config": `{"cpu_count":2}`, "app_cert": "-----BEGIN...",
	}
	for _, shape := range []string{"object", "string"} {
		t.Run("tcb_info as "+shape, func(t *testing.T) {
			doc := map[string]any{}
			for k, v := range base {
				doc[k] = v
			}
			if shape == "object" {
				doc["tcb_info"] = json.RawMessage(tcbJSON)
			} else {
				doc["tcb_info"] = string(tcbJSON)
			}
			b, err := json.Marshal(doc)
			require.NoError(t, err)
			info, err := wire.ParseInfo(b)
			require.NoError(t, err)
			assert.Equal(t, "a1", info.AppID)
			assert.Equal(t, "1d", info.InstanceID)
			assert.Equal(t, "demo", info.AppName)
			assert.Equal(t, "c0", info.ComposeHash)
			assert.Equal(t, "05", info.OSImageHash)
			assert.Equal(t, `{"name":"kms","id":"30"}`, info.KeyProviderInfo)
			assert.Equal(t, "de", info.DeviceID)
			assert.Equal(t, `{"cpu_count":2}`, info.VMConfig)
			assert.Equal(t, "aa", info.TCBInfo.MRTD)
			assert.Equal(t, "03", info.TCBInfo.RTMR3)
			assert.Equal(t, compose, info.TCBInfo.AppCompose, "app_compose kept byte for byte")
			assert.Len(t, info.TCBInfo.EventLog, 2)
		})
	}
}

func TestParseInfoShapes(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		kp   string
	}{
		{"minimal", `{}`, ""},
		{"key provider object", `{"key_provider_info":{"name":"kms","id":"30"}}`, `{"name":"kms","id":"30"}`},
		{"null tcb_info", `{"tcb_info":null}`, ""},
		{"empty tcb_info string", `{"tcb_info":""}`, ""},
		{"tcb_info without event log", `{"tcb_info":{"app_compose":"{}"}}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := wire.ParseInfo([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.kp, info.KeyProviderInfo)
		})
	}
}

func TestParseInfoRejects(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		field string
	}{
		{"empty", ``, ""},
		{"array", `[]`, ""},
		{"bad JSON", `{"app_id":`, ""},
		{"too large", `{"app_name":"` + strings.Repeat("a", wire.MaxDocumentSize) + `"}`, ""},
		{"invalid UTF-8", "{\"tcb_info\":{\"app_compose\":\"\xff\"}}", ""},
		{"app_id a number", `{"app_id":5}`, ""},
		{"tcb_info a number", `{"tcb_info":5}`, "tcb_info"},
		{"tcb_info string not JSON", `{"tcb_info":"nope"}`, "tcb_info"},
		{"tcb_info string holding an array", `{"tcb_info":"[1]"}`, "tcb_info"},
		{"app_compose an object", `{"tcb_info":{"app_compose":{}}}`, "tcb_info"},
		{"key_provider_info an array", `{"key_provider_info":[]}`, "key_provider_info"},
		{"vm_config a boolean", `{"vm_config":true}`, "vm_config"},
		{"event log malformed", `{"tcb_info":{"event_log":[{"imr":9,"event_type":1}]}}`, "tcb_info.event_log"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := wire.ParseInfo([]byte(tc.doc))
			assert.Nil(t, info)
			require.ErrorIs(t, err, wire.ErrMalformedInfo)
			assert.NotErrorIs(t, err, wire.ErrMalformedAttestation)
			// The same kinds as an attestation document's errors.
			wantKind := verify.KindMalformedEvidence
			if strings.HasSuffix(tc.field, "event_log") {
				wantKind = verify.KindEventLogMalformed
			}
			assert.Equal(t, wantKind, verify.KindOf(err), "KindOf(%v)", err)
			var de *wire.DocumentError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, "info", de.Document)
			assert.Equal(t, tc.field, de.Field)
			assert.Contains(t, err.Error(), "expected")
		})
	}
}
