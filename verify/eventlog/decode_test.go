package eventlog_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

var (
	d48 = strings.Repeat("ab", 48)
	d47 = strings.Repeat("ab", 47)
)

func bootJSON(imr int, digest string) string {
	return fmt.Sprintf(`{"imr":%d,"event_type":2147483659,"digest":%q,"event":"","event_payload":""}`, imr, digest)
}

func runtimeJSON(imr int, name, payload string) string {
	return fmt.Sprintf(`{"imr":%d,"event_type":134217729,"digest":"","event":%q,"event_payload":%q}`, imr, name, payload)
}

func TestDecodeAccepts(t *testing.T) {
	arr := "[" + bootJSON(0, d48) + "," + runtimeJSON(3, "app-id", "0x0102") + "]"
	quoted, err := json.Marshal(arr)
	require.NoError(t, err)
	tests := []struct {
		name string
		in   string
		n    int
	}{
		{"array", arr, 2},
		{"string holding the array", string(quoted), 2},
		{"whitespace around", " \n\t" + arr + "\r\n ", 2},
		{"empty array", "[]", 0},
		{"0x digest, upper-case hex", "[" + bootJSON(1, "0X"+strings.ToUpper(d48)) + "]", 1},
		{"version 2 with preimage", `[{"imr":3,"event_type":134217729,"event":"x","event_payload":"","version":2,"preimage":"7b7d"}]`, 1},
		{"unknown fields ignored", `[{"imr":3,"event_type":134217729,"event":"x","event_payload":"","hash_input":"zz"}]`, 1},
		{"null digest is absent", `[{"imr":3,"event_type":134217729,"digest":null,"event":"x"}]`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, err := eventlog.Decode([]byte(tc.in))
			require.NoError(t, err)
			assert.Len(t, events, tc.n)
		})
	}

	events, err := eventlog.Decode([]byte(arr))
	require.NoError(t, err)
	assert.Equal(t, eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "app-id", Payload: []byte{1, 2}}, events[1])
	assert.Equal(t, 0, events[0].IMR)
	assert.Equal(t, uint32(0x8000000b), events[0].EventType)
	assert.Len(t, events[0].Digest, 48)
}

func TestDecodeRejects(t *testing.T) {
	many := "[" + strings.Repeat(runtimeJSON(3, "x", "")+",", eventlog.MaxEvents) + runtimeJSON(3, "x", "") + "]"
	huge := `["` + strings.Repeat("a", eventlog.MaxLogSize) + `"]`
	tests := []struct {
		name  string
		in    string
		index int
		field string
	}{
		{"empty input", "", -1, ""},
		{"null", "null", -1, ""},
		{"object", `{"imr":0}`, -1, ""},
		{"number", "5", -1, ""},
		{"string holding a string", `"\"[]\""`, -1, ""},
		{"string holding junk", `"abc"`, -1, ""},
		{"bad JSON string", `"abc`, -1, ""},
		{"truncated array", "[" + bootJSON(0, d48), -1, ""},
		{"trailing data", "[] []", -1, ""},
		{"trailing garbage", "[]x", -1, ""},
		{"too large", huge, -1, ""},
		{"too many events", many, -1, ""},
		{"element not an object", "[" + bootJSON(0, d48) + ",5]", 1, ""},
		{"null element", "[null]", 0, ""},
		{"missing imr", `[{"event_type":1,"digest":"` + d48 + `"}]`, 0, "imr"},
		{"missing event_type", `[{"imr":0,"digest":"` + d48 + `"}]`, 0, "event_type"},
		{"imr 4", "[" + bootJSON(4, d48) + "]", 0, "imr"},
		{"imr -1", "[" + bootJSON(-1, d48) + "]", 0, "imr"},
		{"imr huge", `[{"imr":99999999999999999999,"event_type":1}]`, 0, ""},
		{"imr string", `[{"imr":"0","event_type":1}]`, 0, ""},
		{"negative event_type", `[{"imr":0,"event_type":-1}]`, 0, ""},
		{"event_type over 32 bits", `[{"imr":0,"event_type":4294967296}]`, 0, ""},
		{"digest not hex", "[" + bootJSON(0, strings.Repeat("zz", 48)) + "]", 0, "digest"},
		{"digest odd length", "[" + bootJSON(0, d48+"a") + "]", 0, "digest"},
		{"digest 47 bytes", "[" + bootJSON(0, d47) + "]", 0, "digest"},
		{"digest 49 bytes", "[" + bootJSON(0, d48+"ab") + "]", 0, "digest"},
		{"boot event without digest", "[" + bootJSON(0, d48) + "," + bootJSON(1, "") + "]", 1, "digest"},
		{"runtime event digest 32 bytes", `[{"imr":3,"event_type":134217729,"digest":"` + strings.Repeat("00", 32) + `","event":"x"}]`, 0, "digest"},
		{"payload not hex", "[" + runtimeJSON(3, "app-id", "0xg0") + "]", 0, "event_payload"},
		{"preimage not hex", `[{"imr":3,"event_type":134217729,"event":"x","preimage":"q"}]`, 0, "preimage"},
		{"runtime event in imr 2", "[" + runtimeJSON(2, "app-id", "") + "]", 0, "imr"},
		{"runtime event in imr 0", "[" + runtimeJSON(0, "compose-hash", "") + "]", 0, "imr"},
		{"boot event in imr 3", "[" + bootJSON(3, d48) + "]", 0, "event_type"},
		{"version 3", `[{"imr":3,"event_type":134217729,"event":"x","version":3}]`, 0, "version"},
		{"version -1", `[{"imr":3,"event_type":134217729,"event":"x","version":-1}]`, 0, "version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, err := eventlog.Decode([]byte(tc.in))
			require.Error(t, err)
			assert.Nil(t, events)
			require.ErrorIs(t, err, eventlog.ErrMalformed)
			var m *eventlog.MalformedError
			require.ErrorAs(t, err, &m)
			assert.Equal(t, tc.index, m.Index, "index: %v", err)
			if tc.field != "" {
				assert.Equal(t, tc.field, m.Field, "field: %v", err)
			}
			assert.NotErrorIs(t, err, eventlog.ErrDigestMismatch)
		})
	}
}

func TestMalformedErrorNamesExpectedAndFound(t *testing.T) {
	_, err := eventlog.Decode([]byte("[" + bootJSON(0, d48) + "," + bootJSON(0, d47) + "]"))
	require.Error(t, err)
	assert.Equal(t, "eventlog: malformed event 1: digest: expected 48 bytes, found 47", err.Error())

	_, err = eventlog.Decode([]byte("[" + runtimeJSON(2, "app-id", "") + "]"))
	require.Error(t, err)
	assert.Equal(t, `eventlog: malformed event 0: imr: expected 3 for dstack runtime event "app-id", found 2`, err.Error())
}

func TestEventJSONRoundTrip(t *testing.T) {
	e := eventlog.Event{
		IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Digest: make([]byte, 48),
		Event: "compose-hash", Payload: []byte{0xAB, 0xCD}, Version: 2, Preimage: []byte("{}"),
	}
	e.Digest[0] = 0xFE
	b, err := json.Marshal(e)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"event_payload":"abcd"`)
	assert.Contains(t, string(b), `"digest":"fe00`)
	assert.Contains(t, string(b), `"preimage":"7b7d"`)
	assert.Contains(t, string(b), `"version":2`)

	var back eventlog.Event
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, e, back)

	v1, err := json.Marshal(eventlog.Event{IMR: 0, EventType: 1})
	require.NoError(t, err)
	assert.JSONEq(t, `{"imr":0,"event_type":1,"digest":"","event":"","event_payload":""}`, string(v1))
}
