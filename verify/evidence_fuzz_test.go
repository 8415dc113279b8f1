package verify_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify"
)

// evSeedVectors adds the real dstack documents, when present, as seeds.
func evSeedVectors(f *testing.F) {
	dir, err := testvectors.Find()
	if err != nil {
		return
	}
	for _, name := range evVectorNames {
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
		a, err := verify.ParseAttestation(b)
		if err != nil {
			require.Nil(t, a)
			require.ErrorIs(t, err, verify.ErrMalformedAttestation)
			k := verify.KindOf(err)
			require.True(t, k == verify.KindMalformedQuote || k == verify.KindEventLogMalformed, "kind %q", k)
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
		info, err := verify.ParseInfo(b)
		if err != nil {
			require.Nil(t, info)
			require.ErrorIs(t, err, verify.ErrMalformedInfo)
			return
		}
		require.NotNil(t, info)
	})
}

func FuzzParseCompose(f *testing.F) {
	f.Add([]byte(`{"docker_compose_file":"services:\n  a:\n    image: x@` + evPinnedDigest + `\n"}`))
	f.Add([]byte(`{"docker_compose_file":"x: &a [*a]\nservices: {}\n"}`))
	f.Add([]byte(`{"runner":"bash"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := verify.ParseCompose(b)
		if err != nil {
			require.Nil(t, c)
			require.ErrorIs(t, err, verify.ErrMalformedCompose)
			return
		}
		require.Equal(t, string(b), c.Raw)
		for i := 1; i < len(c.Services); i++ {
			require.Less(t, c.Services[i-1].Name, c.Services[i].Name)
		}
	})
}
