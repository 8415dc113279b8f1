package eventlog_test

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// FuzzDecode feeds arbitrary bytes to Decode and everything downstream of
// it. Nothing may panic; a decoded log must survive a JSON round trip
// unchanged, and its replay and identity must be deterministic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(`"[]"`))
	f.Add([]byte("[" + bootJSON(0, d48) + "," + runtimeJSON(3, "app-id", "0x0102") + "]"))
	f.Add([]byte(`[{"imr":3,"event_type":134217729,"event":"x\n","event_payload":"00","version":2,"preimage":"7b7d"}]`))
	f.Add([]byte(compactIdentityLog()))
	f.Fuzz(checkDecode)
}

// compactIdentityLog is the RTMR3 sequence of a dstack guest in its
// shortest JSON: runtime events whose digests Replay computes.
func compactIdentityLog() string {
	var events []string
	for _, e := range identityEvents() {
		events = append(events, runtimeJSON(3, e.Event, hex.EncodeToString(e.Payload)))
	}
	return "[" + strings.Join(events, ",") + "]"
}

// TestCompactIdentityLog keeps the seed compactIdentityLog a log that
// decodes, replays and yields the identity of testLog.
func TestCompactIdentityLog(t *testing.T) {
	events, err := eventlog.Decode([]byte(compactIdentityLog()))
	require.NoError(t, err)
	_, replayed, err := eventlog.Replay(events)
	require.NoError(t, err)
	got, err := eventlog.ExtractIdentity(replayed)
	require.NoError(t, err)
	_, full, err := eventlog.Replay(testLog())
	require.NoError(t, err)
	want, err := eventlog.ExtractIdentity(full)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestDecodeVectorsFuzzProperties checks what FuzzDecode checks on the real
// event logs. They are not seeds: the fuzzer minimizes every input that
// finds new coverage, in time that grows with the square of its length,
// and with logs of 5 to 7 KB it would do little else.
func TestDecodeVectorsFuzzProperties(t *testing.T) {
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			checkDecode(t, []byte(loadDstackVector(t, name).EventLog))
		})
	}
}

// checkDecode is the property of FuzzDecode: b either fails to decode as
// malformed, or decodes to events that survive a JSON round trip, replay
// the same way twice and yield an identity without panicking.
func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	events, err := eventlog.Decode(b)
	if err != nil {
		require.ErrorIs(t, err, eventlog.ErrMalformed)
		require.Nil(t, events)
		return
	}
	out, err := json.Marshal(events)
	require.NoError(t, err)
	again, err := eventlog.Decode(out)
	require.NoError(t, err)
	require.Equal(t, events, again)

	r1, replayed, err1 := eventlog.Replay(events)
	r2, _, err2 := eventlog.Replay(again)
	require.Equal(t, r1, r2)
	require.Equal(t, err1 == nil, err2 == nil)
	if err1 != nil {
		return
	}
	_, _ = eventlog.ExtractIdentity(replayed)
}

// FuzzRuntimePreimageV2 checks the canonical JSON of arbitrary names: it is
// valid JSON that decodes back to the same name and payload.
func FuzzRuntimePreimageV2(f *testing.F) {
	f.Add("compose-hash", []byte{0xab, 0xcd})
	f.Add("a\"b\\c\nd\x00\x1f\x7f", []byte{})
	f.Add("测试-🦀", []byte{1})
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		e := eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: name, Payload: payload, Version: 2}
		pre, err := eventlog.RuntimePreimage(e)
		if err != nil {
			require.ErrorIs(t, err, eventlog.ErrMalformed)
			return
		}
		var back struct {
			Name    string `json:"name"`
			Payload string `json:"payload"`
			Type    uint32 `json:"type"`
		}
		require.NoError(t, json.Unmarshal(pre, &back), "%q", pre)
		require.Equal(t, name, back.Name)
		require.Equal(t, eventlog.EventTypeDstackRuntime, back.Type)
		p, err := eventlog.RuntimeDigest(e)
		require.NoError(t, err)
		require.Len(t, p, 48)
	})
}
