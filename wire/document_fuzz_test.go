package wire_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/wire"
)

// evSeedVectors adds the real dstack documents, when present, as seeds.
func evSeedVectors(f *testing.F) {
	dir, err := testvectors.Find()
	if err != nil {
		return
	}
	for _, name := range []string{"quote-report.json", "tdx-lite-getquote.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, "dstack", name)); err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseAttestation(f *testing.F) {
	f.Add([]byte(`{"quote":"0400","event_log":` + evDocEventLog + `,"report_data":"12","vm_config":{"a":1}}`))
	f.Add([]byte(`{"quote":"0x04","event_log":"[]","vm_config":"{}"}`))
	f.Add([]byte(`{"quote":"04","event_log":null}`))
	evSeedVectors(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := wire.ParseAttestation(b)
		if err != nil {
			require.Nil(t, a)
			require.ErrorIs(t, err, wire.ErrMalformedAttestation)
			k := verify.KindOf(err)
			require.True(t, k == verify.KindMalformedEvidence || k == verify.KindEventLogMalformed, "kind %q", k)
			return
		}
		require.NotEmpty(t, a.Quote)
		require.LessOrEqual(t, len(a.ReportData), 64)
	})
}

func FuzzParseInfo(f *testing.F) {
	tcb, _ := json.Marshal(map[string]any{"app_compose": "{\"x\":1}", "event_log": json.RawMessage(evDocEventLog), "rtmr3": "00"})
	f.Add([]byte(`{"app_id":"a1","tcb_info":` + string(tcb) + `}`))
	q, _ := json.Marshal(string(tcb))
	f.Add([]byte(`{"app_id":"a1","key_provider_info":{"name":"kms"},"tcb_info":` + string(q) + `}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := wire.ParseInfo(b)
		if err != nil {
			require.Nil(t, info)
			require.ErrorIs(t, err, wire.ErrMalformedInfo)
			return
		}
		require.NotNil(t, info)
	})
}
