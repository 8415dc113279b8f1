package eventlog_test

import (
	"bytes"
	"crypto/sha512"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Payloads of the synthetic identity used by these tests.
var (
	testAppID       = bytes.Repeat([]byte{0xa1}, 20)
	testComposeHash = bytes.Repeat([]byte{0xc0}, 32)
	testInstanceID  = bytes.Repeat([]byte{0x1d}, 20)
	testOSImageHash = bytes.Repeat([]byte{0x05}, 32)
	testKeyProvider = []byte(`{"name":"kms","id":"3059"}`)
)

// testLog builds a dstack-shaped log: boot events in IMR 0-2, then the RTMR3
// boot sequence, then extra events after system-ready.
func testLog(after ...eventlog.Event) []eventlog.Event {
	events := []eventlog.Event{
		eventlog.NewBootEvent(0, 0x8000000b, []byte("td hob")),
		eventlog.NewBootEvent(0, 0x80000001, []byte("secure boot")),
		eventlog.NewBootEvent(1, 0x80000003, []byte("boot services app")),
		eventlog.NewBootEvent(2, 0x6, []byte("kernel")),
		eventlog.NewBootEvent(2, 0x6, []byte("initrd")),
	}
	events = append(events, identityEvents()...)
	return append(events, after...)
}

// identityEvents is the RTMR3 sequence of a current dstack guest.
func identityEvents() []eventlog.Event {
	return []eventlog.Event{
		eventlog.NewRuntimeEvent("system-preparing", nil),
		eventlog.NewRuntimeEvent("app-id", testAppID),
		eventlog.NewRuntimeEvent("compose-hash", testComposeHash),
		eventlog.NewRuntimeEvent("instance-id", testInstanceID),
		eventlog.NewRuntimeEvent("boot-mr-done", nil),
		eventlog.NewRuntimeEvent("os-image-hash", testOSImageHash),
		eventlog.NewRuntimeEvent("key-provider", testKeyProvider),
		eventlog.NewRuntimeEvent("storage-fs", []byte("ext4")),
		eventlog.NewRuntimeEvent("system-ready", nil),
	}
}

// manualReplay extends each RTMR by hand, trusting every logged digest.
func manualReplay(events []eventlog.Event) [4][48]byte {
	var r [4][48]byte
	for _, e := range events {
		var d [48]byte
		copy(d[:], e.Digest)
		r[e.IMR] = sha512.Sum384(append(r[e.IMR][:], d[:]...))
	}
	return r
}

func TestReplayMatchesManualExtension(t *testing.T) {
	events := testLog(eventlog.NewRuntimeEvent("app-event", []byte("x")))
	rtmrs, out, err := eventlog.Replay(events)
	require.NoError(t, err)
	assert.Equal(t, manualReplay(events), rtmrs)
	assert.Equal(t, events, out)
	for i := range 4 {
		assert.NotEqual(t, [48]byte{}, rtmrs[i], "RTMR%d extended", i)
	}
}

func TestReplayEmpty(t *testing.T) {
	rtmrs, out, err := eventlog.Replay(nil)
	require.NoError(t, err)
	assert.Equal(t, [4][48]byte{}, rtmrs)
	assert.Empty(t, out)
}

func TestReplayRecomputesRuntimeDigests(t *testing.T) {
	events := testLog()
	stripped := cloneEvents(events)
	for i := range stripped {
		if stripped[i].EventType == eventlog.EventTypeDstackRuntime {
			stripped[i].Digest = nil
		}
	}
	rtmrs, out, err := eventlog.Replay(stripped)
	require.NoError(t, err)
	assert.Equal(t, manualReplay(events), rtmrs)
	assert.Equal(t, events, out, "digests filled in")
	for _, e := range stripped {
		if e.EventType == eventlog.EventTypeDstackRuntime {
			assert.Nil(t, e.Digest, "input left untouched")
		}
	}
}

func TestReplayDoesNotAlias(t *testing.T) {
	events := testLog()
	_, out, err := eventlog.Replay(events)
	require.NoError(t, err)
	out[0].Digest[0] ^= 1
	out[6].Payload[0] ^= 1
	assert.Equal(t, testLog(), events)
}

func TestReplayVersion2(t *testing.T) {
	e := runtimeEvent("compose-hash", testComposeHash, 2)
	pre, err := eventlog.RuntimePreimage(e)
	require.NoError(t, err)
	d := sha512.Sum384(pre)

	tests := []struct {
		name     string
		digest   []byte
		preimage []byte
	}{
		{"no digest, no preimage", nil, nil},
		{"digest only", d[:], nil},
		{"digest and preimage", d[:], pre},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e
			e.Digest, e.Preimage = tc.digest, tc.preimage
			rtmrs, out, err := eventlog.Replay([]eventlog.Event{e})
			require.NoError(t, err)
			assert.Equal(t, d[:], out[0].Digest)
			assert.Equal(t, eventlog.Extend([48]byte{}, d), rtmrs[3])
		})
	}
}

func TestReplayDigestMismatch(t *testing.T) {
	v1pre := []byte("\x01\x00\x00\x08:compose-hash:" + string(testComposeHash))
	v1 := sha512.Sum384(v1pre)
	v2e := runtimeEvent("compose-hash", testComposeHash, 2)
	v2pre, err := eventlog.RuntimePreimage(v2e)
	require.NoError(t, err)
	v2 := sha512.Sum384(v2pre)
	forged := append([]byte{}, testComposeHash...)
	forged[0] ^= 1

	tests := []struct {
		name     string
		event    eventlog.Event
		field    string
		expected []byte
		found    []byte
	}{
		{
			name:  "forged payload, old digest",
			event: eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "compose-hash", Payload: forged, Digest: v1[:]},
			field: "digest", expected: sha384Of("\x01\x00\x00\x08:compose-hash:" + string(forged)), found: v1[:],
		},
		{
			name:  "renamed event, old digest",
			event: eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "compose-hasH", Payload: testComposeHash, Digest: v1[:]},
			field: "digest", expected: sha384Of("\x01\x00\x00\x08:compose-hasH:" + string(testComposeHash)), found: v1[:],
		},
		{
			name:  "v1 digest on a v2 event",
			event: eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "compose-hash", Payload: testComposeHash, Digest: v1[:], Version: 2},
			field: "digest", expected: v2[:], found: v1[:],
		},
		{
			name:  "wrong preimage",
			event: eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "compose-hash", Payload: testComposeHash, Version: 2, Preimage: []byte(`{"name":"compose-hash"}`)},
			field: "preimage", expected: v2pre, found: []byte(`{"name":"compose-hash"}`),
		},
		{
			name:  "v1 preimage on a v2 event, right digest",
			event: eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "compose-hash", Payload: testComposeHash, Version: 2, Digest: v2[:], Preimage: v1pre},
			field: "preimage", expected: v2pre, found: v1pre,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events := append(testLog()[:5], tc.event)
			rtmrs, out, err := eventlog.Replay(events)
			assert.Nil(t, out)
			assert.Equal(t, [4][48]byte{}, rtmrs)
			require.ErrorIs(t, err, eventlog.ErrDigestMismatch)
			assert.NotErrorIs(t, err, eventlog.ErrMalformed)
			var dm *eventlog.DigestMismatchError
			require.ErrorAs(t, err, &dm)
			assert.Equal(t, 5, dm.Index)
			assert.Equal(t, 3, dm.IMR)
			assert.Equal(t, tc.event.Event, dm.Name)
			assert.Equal(t, tc.field, dm.Field)
			assert.Equal(t, tc.expected, dm.Expected)
			assert.Equal(t, tc.found, dm.Found)
			assert.Contains(t, err.Error(), tc.event.Event)
		})
	}
}

func sha384Of(s string) []byte {
	d := sha512.Sum384([]byte(s))
	return d[:]
}

func TestReplayRejectsMalformed(t *testing.T) {
	tests := []struct {
		name  string
		event eventlog.Event
		field string
	}{
		{"runtime event in imr 2", eventlog.Event{IMR: 2, EventType: eventlog.EventTypeDstackRuntime, Event: "app-id", Payload: testAppID}, "imr"},
		{"runtime event in imr 0", eventlog.Event{IMR: 0, EventType: eventlog.EventTypeDstackRuntime, Event: "x"}, "imr"},
		{"boot event in imr 3", eventlog.NewBootEvent(3, 1, []byte("x")), "event_type"},
		{"imr 4", eventlog.NewBootEvent(4, 1, []byte("x")), "imr"},
		{"imr -1", eventlog.NewBootEvent(-1, 1, []byte("x")), "imr"},
		{"boot event without digest", eventlog.Event{IMR: 1, EventType: 4}, "digest"},
		{"boot digest 32 bytes", eventlog.Event{IMR: 1, EventType: 4, Digest: make([]byte, 32)}, "digest"},
		{"runtime digest 47 bytes", eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "x", Digest: make([]byte, 47)}, "digest"},
		{"version 7", eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "x", Version: 7}, "version"},
		{"v2 name not UTF-8", eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: "\xff", Version: 2}, "event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events := append(testLog()[:5], tc.event)
			_, out, err := eventlog.Replay(events)
			assert.Nil(t, out)
			require.ErrorIs(t, err, eventlog.ErrMalformed)
			var m *eventlog.MalformedError
			require.ErrorAs(t, err, &m)
			assert.Equal(t, 5, m.Index)
			assert.Equal(t, tc.field, m.Field)
		})
	}
}

func TestReplayTooManyEvents(t *testing.T) {
	events := make([]eventlog.Event, eventlog.MaxEvents+1)
	_, _, err := eventlog.Replay(events)
	require.ErrorIs(t, err, eventlog.ErrMalformed)
}

func TestNewRuntimeEventCopiesPayload(t *testing.T) {
	p := []byte{1, 2}
	e := eventlog.NewRuntimeEvent("x", p)
	p[0] = 9
	assert.Equal(t, []byte{1, 2}, e.Payload)
	assert.Equal(t, 3, e.IMR)
	d, err := eventlog.RuntimeDigest(e)
	require.NoError(t, err)
	assert.Equal(t, d, e.Digest)
}
