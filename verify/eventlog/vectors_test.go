package eventlog_test

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// dstackVector is one real dstack GetQuote response from testdata/vectors.
type dstackVector struct {
	Quote      string `json:"quote"`
	EventLog   string `json:"event_log"`
	ReportData string `json:"report_data"`
	VMConfig   string `json:"vm_config"`
}

// loadDstackVector reads a dstack vector by file name.
func loadDstackVector(t testing.TB, name string) dstackVector {
	t.Helper()
	b := testvectors.Read(t, "dstack", name)
	var v dstackVector
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

// Offsets of the v4 quote body fields used here: the 48-byte header, then
// TEE_TCB_SVN (16), MRSEAM, MRSIGNERSEAM (48 each), SEAMATTRIBUTES,
// TDATTRIBUTES, XFAM (8 each), MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG
// (48 each), RTMR0-3 (48 each), REPORTDATA (64). Read directly so these
// tests do not depend on the quote parser.
const (
	offRTMR0      = 48 + 16 + 48 + 48 + 8 + 8 + 8 + 4*48
	offReportData = offRTMR0 + 4*48
)

// quoteRTMRs returns the RTMRs of a raw v4 quote and checks the offsets
// against the vector's own report_data.
func quoteRTMRs(t testing.TB, v dstackVector) [4][48]byte {
	t.Helper()
	q, err := hex.DecodeString(v.Quote)
	require.NoError(t, err)
	require.Greater(t, len(q), offReportData+64)
	require.Equal(t, uint16(4), uint16(q[0])|uint16(q[1])<<8, "quote version")
	require.Equal(t, v.ReportData, hex.EncodeToString(q[offReportData:offReportData+64]), "REPORTDATA offset")
	var r [4][48]byte
	for i := range r {
		copy(r[i][:], q[offRTMR0+48*i:])
	}
	return r
}

// rawEvents decodes the vector's event log generically, independently of
// package eventlog, for hand-derived expectations.
func rawEvents(t testing.TB, v dstackVector) []map[string]any {
	t.Helper()
	var raw []map[string]any
	require.NoError(t, json.Unmarshal([]byte(v.EventLog), &raw))
	return raw
}

// rawPayload returns the hex-decoded payload of the first raw event named name.
func rawPayload(t testing.TB, raw []map[string]any, name string) []byte {
	t.Helper()
	for _, e := range raw {
		if e["event"] == name {
			p, err := hex.DecodeString(e["event_payload"].(string))
			require.NoError(t, err)
			return p
		}
	}
	t.Fatalf("no %q event in the vector", name)
	return nil
}

var vectorNames = []string{"quote-report.json", "tdx-lite-getquote.json"}

func TestVectorReplayEqualsQuote(t *testing.T) {
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			v := loadDstackVector(t, name)
			events, err := eventlog.Decode([]byte(v.EventLog))
			require.NoError(t, err)
			require.Len(t, events, len(rawEvents(t, v)))

			rtmrs, replayed, err := eventlog.Replay(events)
			require.NoError(t, err)
			want := quoteRTMRs(t, v)
			for i := range 4 {
				assert.Equalf(t, hex.EncodeToString(want[i][:]), hex.EncodeToString(rtmrs[i][:]), "RTMR%d", i)
			}
			for i, e := range replayed {
				assert.Lenf(t, e.Digest, 48, "event %d digest", i)
			}
		})
	}
}

func TestVectorIdentity(t *testing.T) {
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			v := loadDstackVector(t, name)
			raw := rawEvents(t, v)
			events, err := eventlog.Decode([]byte(v.EventLog))
			require.NoError(t, err)
			_, replayed, err := eventlog.Replay(events)
			require.NoError(t, err)
			id, err := eventlog.ExtractIdentity(replayed)
			require.NoError(t, err)

			assert.Equal(t, rawPayload(t, raw, "app-id"), id.AppID)
			assert.Equal(t, rawPayload(t, raw, "compose-hash"), id.ComposeHash)
			assert.Equal(t, rawPayload(t, raw, "instance-id"), id.InstanceID)
			// dstack derives a default app id from the compose hash.
			assert.Equal(t, id.ComposeHash[:20], id.AppID)

			var kp eventlog.KeyProvider
			require.NoError(t, json.Unmarshal(rawPayload(t, raw, "key-provider"), &kp))
			require.NotNil(t, id.KeyProvider)
			assert.Equal(t, kp, *id.KeyProvider)
		})
	}
}

func TestVectorIdentityDetails(t *testing.T) {
	old := loadDstackVector(t, "quote-report.json")
	id := identityOf(t, old)
	assert.Equal(t, "local-sgx", id.KeyProvider.Name)
	assert.Nil(t, id.OSImageHash, "the older guest logs no os-image-hash")
	require.Len(t, id.AppEvents, 1)
	assert.Equal(t, "LIUM_MINER_HOTKEY", id.AppEvents[0].Event)
	assert.Equal(t, "5D33PtgfkGYQsMLCMrKBjVEMTESqRYDFffT6r9jBdaH3eLt4", string(id.AppEvents[0].Payload))

	lite := loadDstackVector(t, "tdx-lite-getquote.json")
	id = identityOf(t, lite)
	assert.Equal(t, "kms", id.KeyProvider.Name)
	assert.Equal(t, "zfs", id.StorageFS)
	assert.Equal(t, rawPayload(t, rawEvents(t, lite), "os-image-hash"), id.OSImageHash)
	assert.Empty(t, id.AppEvents)
}

func identityOf(t *testing.T, v dstackVector) *eventlog.Identity {
	t.Helper()
	events, err := eventlog.Decode([]byte(v.EventLog))
	require.NoError(t, err)
	_, replayed, err := eventlog.Replay(events)
	require.NoError(t, err)
	id, err := eventlog.ExtractIdentity(replayed)
	require.NoError(t, err)
	return id
}

// indexOf returns the position of the first event named name.
func indexOf(t *testing.T, events []eventlog.Event, name string) int {
	t.Helper()
	for i, e := range events {
		if e.Event == name {
			return i
		}
	}
	t.Fatalf("no %q event", name)
	return -1
}

func TestVectorForgedComposePayload(t *testing.T) {
	t.Run("logged digest kept", func(t *testing.T) {
		// quote-report.json logs runtime digests: the forged payload no
		// longer matches its logged digest.
		v := loadDstackVector(t, "quote-report.json")
		events, err := eventlog.Decode([]byte(v.EventLog))
		require.NoError(t, err)
		i := indexOf(t, events, "compose-hash")
		events[i].Payload[0] ^= 1

		_, _, err = eventlog.Replay(events)
		require.ErrorIs(t, err, eventlog.ErrDigestMismatch)
		var dm *eventlog.DigestMismatchError
		require.ErrorAs(t, err, &dm)
		assert.Equal(t, "compose-hash", dm.Name)
		assert.Equal(t, i, dm.Index)
		assert.Equal(t, "digest", dm.Field)
		assert.Equal(t, events[i].Digest, dm.Found)
		assert.NotEqual(t, dm.Expected, dm.Found)
		assert.Contains(t, err.Error(), "compose-hash")
	})
	for _, name := range vectorNames {
		t.Run("digest stripped/"+name, func(t *testing.T) {
			// With no logged digest to contradict it, the forgery shows as
			// an RTMR3 that no longer equals the quote's.
			v := loadDstackVector(t, name)
			events, err := eventlog.Decode([]byte(v.EventLog))
			require.NoError(t, err)
			i := indexOf(t, events, "compose-hash")
			events[i].Payload[31] ^= 0x80
			events[i].Digest = nil

			rtmrs, _, err := eventlog.Replay(events)
			require.NoError(t, err)
			want := quoteRTMRs(t, v)
			assert.Equal(t, want[0], rtmrs[0])
			assert.Equal(t, want[1], rtmrs[1])
			assert.Equal(t, want[2], rtmrs[2])
			assert.NotEqual(t, want[3], rtmrs[3], "RTMR3 must expose the forged payload")
		})
	}
}

func TestVectorFlippedBootDigest(t *testing.T) {
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			v := loadDstackVector(t, name)
			want := quoteRTMRs(t, v)
			events, err := eventlog.Decode([]byte(v.EventLog))
			require.NoError(t, err)
			boot := 0
			for i, e := range events {
				if e.EventType == eventlog.EventTypeDstackRuntime {
					continue
				}
				boot++
				tampered := cloneEvents(events)
				tampered[i].Digest[i%48] ^= 1
				rtmrs, _, err := eventlog.Replay(tampered)
				require.NoError(t, err)
				for r := range 4 {
					if r == e.IMR {
						assert.NotEqualf(t, want[r], rtmrs[r], "event %d: RTMR%d must change", i, r)
					} else {
						assert.Equalf(t, want[r], rtmrs[r], "event %d: RTMR%d must not change", i, r)
					}
				}
			}
			assert.Equal(t, 20, boot, "boot events in the vector")
		})
	}
}

func cloneEvents(events []eventlog.Event) []eventlog.Event {
	out := make([]eventlog.Event, len(events))
	for i, e := range events {
		e.Digest = append([]byte(nil), e.Digest...)
		e.Payload = append([]byte(nil), e.Payload...)
		out[i] = e
	}
	return out
}
