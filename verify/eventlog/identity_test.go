package eventlog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

func rt(name string, payload []byte) eventlog.Event { return eventlog.NewRuntimeEvent(name, payload) }

// replace returns testLog with the first event named name replaced by with
// (or removed, when with is nil).
func replace(name string, with ...eventlog.Event) []eventlog.Event {
	var out []eventlog.Event
	done := false
	for _, e := range testLog() {
		if !done && e.Event == name {
			out = append(out, with...)
			done = true
			continue
		}
		out = append(out, e)
	}
	return out
}

// insertBefore returns testLog with extra inserted before system-ready.
func insertBefore(extra ...eventlog.Event) []eventlog.Event {
	return replace("system-ready", append(extra, rt("system-ready", nil))...)
}

func TestExtractIdentity(t *testing.T) {
	id, err := eventlog.ExtractIdentity(testLog(rt("app-event", []byte("v1")), rt("app-id", make([]byte, 20))))
	require.NoError(t, err)
	assert.Equal(t, testAppID, id.AppID)
	assert.Equal(t, testComposeHash, id.ComposeHash)
	assert.Equal(t, testInstanceID, id.InstanceID)
	assert.Equal(t, testOSImageHash, id.OSImageHash)
	assert.Equal(t, &eventlog.KeyProvider{Name: "kms", ID: "3059"}, id.KeyProvider)
	assert.Equal(t, "ext4", id.StorageFS)
	assert.False(t, id.GPUAttestation)
	assert.Nil(t, id.GPUPolicyHash)
	assert.Empty(t, id.InitScriptHashes)
	require.Len(t, id.AppEvents, 2, "events after system-ready")
	assert.Equal(t, "app-event", id.AppEvents[0].Event)
	assert.Equal(t, "app-id", id.AppEvents[1].Event, "an app-id after system-ready is an app event, not identity")
}

func TestExtractIdentityOptionalEvents(t *testing.T) {
	id, err := eventlog.ExtractIdentity(insertBefore(
		rt("init-script-hash", []byte{1}),
		rt("init-script-hash", []byte{2}),
		rt("gpu-policy-hash", []byte{3}),
		rt("gpu-attestation", []byte("ok")),
		rt("some-future-event", []byte{4}),
	))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{{1}, {2}}, id.InitScriptHashes)
	assert.Equal(t, []byte{3}, id.GPUPolicyHash)
	assert.True(t, id.GPUAttestation)
}

func TestExtractIdentityMinimal(t *testing.T) {
	// An older guest: no os-image-hash, key-provider or storage-fs, and an
	// empty instance id.
	id, err := eventlog.ExtractIdentity([]eventlog.Event{
		rt("system-preparing", nil), rt("app-id", testAppID), rt("compose-hash", testComposeHash),
		rt("instance-id", nil), rt("boot-mr-done", nil), rt("system-ready", nil),
	})
	require.NoError(t, err)
	assert.Equal(t, []byte{}, id.InstanceID, "present but empty")
	assert.Nil(t, id.OSImageHash, "absent")
	assert.Nil(t, id.KeyProvider)
}

func TestExtractIdentityLegacyComposeName(t *testing.T) {
	id, err := eventlog.ExtractIdentity(replace("compose-hash", rt("upgraded-app-id", testComposeHash)))
	require.NoError(t, err)
	assert.Equal(t, testComposeHash, id.ComposeHash)

	_, err = eventlog.ExtractIdentity(insertBefore(rt("upgraded-app-id", testComposeHash)))
	var dup *eventlog.DuplicateEventError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, "compose-hash", dup.Name)
}

func TestExtractIdentityDuplicates(t *testing.T) {
	for _, name := range []string{"app-id", "compose-hash", "instance-id", "os-image-hash", "key-provider", "storage-fs", "system-preparing", "boot-mr-done", "gpu-policy-hash", "gpu-attestation"} {
		t.Run(name, func(t *testing.T) {
			var payload []byte
			for _, e := range testLog() {
				if e.Event == name {
					payload = e.Payload
				}
			}
			events := insertBefore(rt(name, payload), rt(name, payload))
			id, err := eventlog.ExtractIdentity(events)
			assert.Nil(t, id)
			require.ErrorIs(t, err, eventlog.ErrDuplicateEvent)
			var dup *eventlog.DuplicateEventError
			require.ErrorAs(t, err, &dup)
			assert.Equal(t, name, dup.Name)
			assert.Less(t, dup.First, dup.Second)
			assert.Equal(t, name, events[dup.Second].Event)
			assert.Contains(t, err.Error(), name)
		})
	}
}

func TestExtractIdentityMissing(t *testing.T) {
	tests := []struct {
		name   string
		events []eventlog.Event
		want   string
	}{
		{"no system-ready", replace("system-ready"), "system-ready"},
		{"empty log", nil, "system-ready"},
		{"no app-id", replace("app-id"), "app-id"},
		{"no compose-hash", replace("compose-hash"), "compose-hash"},
		{"compose-hash only after system-ready", append(replace("compose-hash"), rt("compose-hash", testComposeHash)), "compose-hash"},
		{"system-ready as a boot event", append(append(testLog()[:5], identityEvents()[:8]...),
			eventlog.Event{IMR: 2, EventType: 1, Event: "system-ready", Digest: make([]byte, 48)}), "system-ready"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := eventlog.ExtractIdentity(tc.events)
			assert.Nil(t, id)
			require.ErrorIs(t, err, eventlog.ErrMissingEvent)
			var m *eventlog.MissingEventError
			require.ErrorAs(t, err, &m)
			assert.Equal(t, tc.want, m.Name)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestExtractIdentityMalformed(t *testing.T) {
	tests := []struct {
		name   string
		events []eventlog.Event
	}{
		{"app-id 19 bytes", replace("app-id", rt("app-id", make([]byte, 19)))},
		{"app-id 32 bytes", replace("app-id", rt("app-id", make([]byte, 32)))},
		{"compose-hash 20 bytes", replace("compose-hash", rt("compose-hash", make([]byte, 20)))},
		{"compose-hash empty", replace("compose-hash", rt("compose-hash", nil))},
		{"instance-id 32 bytes", replace("instance-id", rt("instance-id", make([]byte, 32)))},
		{"os-image-hash 48 bytes", replace("os-image-hash", rt("os-image-hash", make([]byte, 48)))},
		{"key-provider not JSON", replace("key-provider", rt("key-provider", []byte("kms")))},
		{"key-provider array", replace("key-provider", rt("key-provider", []byte(`["kms"]`)))},
		{"key-provider no name", replace("key-provider", rt("key-provider", []byte(`{"id":"00"}`)))},
		{"key-provider empty name", replace("key-provider", rt("key-provider", []byte(`{"name":"","id":"00"}`)))},
		{"key-provider no id", replace("key-provider", rt("key-provider", []byte(`{"name":"kms"}`)))},
		{"key-provider id not a string", replace("key-provider", rt("key-provider", []byte(`{"name":"kms","id":5}`)))},
		{"key-provider name null", replace("key-provider", rt("key-provider", []byte(`{"name":null,"id":"00"}`)))},
		{"key-provider duplicate name", replace("key-provider", rt("key-provider", []byte(`{"name":"kms","id":"00","name":"local-sgx"}`)))},
		{"key-provider duplicate id", replace("key-provider", rt("key-provider", []byte(`{"name":"kms","id":"00","id":"11"}`)))},
		{"key-provider duplicate escaped key", replace("key-provider", rt("key-provider", []byte(`{"name":"kms","id":"00","\u0069d":"11"}`)))},
		{"key-provider name only in another case", replace("key-provider", rt("key-provider", []byte(`{"Name":"kms","id":"00"}`)))},
		{"key-provider id only in another case", replace("key-provider", rt("key-provider", []byte(`{"name":"kms","ID":"00"}`)))},
		{"key-provider trailing data", replace("key-provider", rt("key-provider", []byte(`{"name":"kms","id":"00"}{}`)))},
		{"storage-fs not UTF-8", replace("storage-fs", rt("storage-fs", []byte{0xff}))},
		{"runtime event in imr 2", insertBefore(eventlog.Event{IMR: 2, EventType: eventlog.EventTypeDstackRuntime, Event: "app-id", Payload: testAppID})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := eventlog.ExtractIdentity(tc.events)
			assert.Nil(t, id)
			require.ErrorIs(t, err, eventlog.ErrMalformed)
			var m *eventlog.MalformedError
			require.ErrorAs(t, err, &m)
			assert.GreaterOrEqual(t, m.Index, 0)
			assert.Contains(t, err.Error(), "expected")
		})
	}
}

// TestExtractIdentityKeyProvider: the key-provider payloads dstack writes
// and reads, and what dstack ignores in them.
func TestExtractIdentityKeyProvider(t *testing.T) {
	tests := []struct {
		name, payload string
		want          eventlog.KeyProvider
	}{
		{"kms", `{"name":"kms","id":"3059"}`, eventlog.KeyProvider{Name: "kms", ID: "3059"}},
		{"none, no id", `{"name":"none","id":""}`, eventlog.KeyProvider{Name: "none", ID: ""}},
		{"unknown keys ignored", `{"name":"kms","Name":"x","id":"00","ID":"11","more":{"id":"22"}}`, eventlog.KeyProvider{Name: "kms", ID: "00"}},
		{"escaped value", `{"name":"k\u006ds","id":"00"}`, eventlog.KeyProvider{Name: "kms", ID: "00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := eventlog.ExtractIdentity(replace("key-provider", rt("key-provider", []byte(tt.payload))))
			require.NoError(t, err)
			assert.Equal(t, &tt.want, id.KeyProvider)
		})
	}
}

func TestExtractIdentityIgnoresAppEventSizes(t *testing.T) {
	// After system-ready the app may log anything under any name.
	id, err := eventlog.ExtractIdentity(testLog(rt("compose-hash", []byte{1}), rt("key-provider", []byte("x"))))
	require.NoError(t, err)
	assert.Equal(t, testComposeHash, id.ComposeHash)
	assert.Len(t, id.AppEvents, 2)
}

func TestExtractIdentityDoesNotAlias(t *testing.T) {
	events := testLog(rt("app-event", []byte{7}))
	id, err := eventlog.ExtractIdentity(events)
	require.NoError(t, err)
	id.AppID[0] ^= 1
	id.AppEvents[0].Payload[0] ^= 1
	assert.Equal(t, testLog(rt("app-event", []byte{7})), events)
}
