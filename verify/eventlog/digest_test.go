package eventlog_test

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

func runtimeEvent(name string, payload []byte, version int) eventlog.Event {
	return eventlog.Event{IMR: 3, EventType: eventlog.EventTypeDstackRuntime, Event: name, Payload: payload, Version: version}
}

func TestRuntimeDigestV1(t *testing.T) {
	for _, version := range []int{0, 1} {
		e := runtimeEvent("app-id", []byte{0xde, 0xad, 0xbe, 0xef}, version)
		// le32(0x08000001) || ":" || "app-id" || ":" || payload, written out.
		want := sha512.Sum384([]byte("\x01\x00\x00\x08:app-id:\xde\xad\xbe\xef"))
		got, err := eventlog.RuntimeDigest(e)
		require.NoError(t, err)
		assert.Equal(t, want[:], got)

		pre, err := eventlog.RuntimePreimage(e)
		require.NoError(t, err)
		assert.Equal(t, []byte("\x01\x00\x00\x08:app-id:\xde\xad\xbe\xef"), pre)
	}
}

func TestRuntimeDigestV1SystemReady(t *testing.T) {
	// An empty payload still carries both separators.
	want := sha512.Sum384([]byte{0x01, 0x00, 0x00, 0x08, ':', 's', 'y', 's', 't', 'e', 'm', '-', 'r', 'e', 'a', 'd', 'y', ':'})
	got, err := eventlog.RuntimeDigest(runtimeEvent("system-ready", nil, 0))
	require.NoError(t, err)
	assert.Equal(t, want[:], got)
}

func TestRuntimePreimageV2(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		payload []byte
		want    string
	}{
		// dstack's own vector (cc-eventlog tdx.rs tests).
		{"dstack vector", "compose-hash", []byte{0xab, 0xcd}, `{"name":"compose-hash","payload":"abcd","type":134217729}`},
		{"app-id", "app-id", mustHex(t, "86e59625be93207bc2351c4d1bba20037cec8e16"),
			`{"name":"app-id","payload":"86e59625be93207bc2351c4d1bba20037cec8e16","type":134217729}`},
		{"empty", "", nil, `{"name":"","payload":"","type":134217729}`},
		{"upper-case payload bytes give lower-case hex", "x", []byte{0xAB, 0xCD, 0xEF}, `{"name":"x","payload":"abcdef","type":134217729}`},
		{"quote, backslash, newline", "a\"b\\c\nd", []byte{0}, `{"name":"a\"b\\c\nd","payload":"00","type":134217729}`},
		{"short escapes", "\b\f\n\r\t", nil, `{"name":"\b\f\n\r\t","payload":"","type":134217729}`},
		{"other controls", "\x00\x01\x1f", nil, `{"name":"\u0000\u0001\u001f","payload":"","type":134217729}`},
		{"DEL and slash literal", "\x7f/", nil, "{\"name\":\"\x7f/\",\"payload\":\"\",\"type\":134217729}"},
		{"non-ASCII literal", "测试-🦀\u2028", nil, "{\"name\":\"测试-🦀\u2028\",\"payload\":\"\",\"type\":134217729}"},
		{"html characters literal", "<&>", nil, `{"name":"<&>","payload":"","type":134217729}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := runtimeEvent(tc.event, tc.payload, 2)
			pre, err := eventlog.RuntimePreimage(e)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(pre))

			d, err := eventlog.RuntimeDigest(e)
			require.NoError(t, err)
			want := sha512.Sum384([]byte(tc.want))
			assert.Equal(t, want[:], d)

			var back struct {
				Name    string `json:"name"`
				Payload string `json:"payload"`
				Type    uint32 `json:"type"`
			}
			require.NoError(t, json.Unmarshal(pre, &back))
			assert.Equal(t, tc.event, back.Name)
			assert.Equal(t, hex.EncodeToString(tc.payload), back.Payload)
			assert.Equal(t, eventlog.EventTypeDstackRuntime, back.Type)
		})
	}
}

func TestRuntimeDigestVersionsDiffer(t *testing.T) {
	v1, err := eventlog.RuntimeDigest(runtimeEvent("test", []byte{1, 2, 3}, 1))
	require.NoError(t, err)
	v2, err := eventlog.RuntimeDigest(runtimeEvent("test", []byte{1, 2, 3}, 2))
	require.NoError(t, err)
	assert.NotEqual(t, v1, v2)
}

func TestRuntimeDigestRejects(t *testing.T) {
	tests := []struct {
		name  string
		event eventlog.Event
		field string
	}{
		{"boot event", eventlog.Event{IMR: 0, EventType: 4}, "event_type"},
		{"version 3", runtimeEvent("x", nil, 3), "version"},
		{"invalid UTF-8 name in v2", runtimeEvent("a\xffb", nil, 2), "event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := eventlog.RuntimeDigest(tc.event)
			assert.Nil(t, d)
			require.ErrorIs(t, err, eventlog.ErrMalformed)
			var m *eventlog.MalformedError
			require.ErrorAs(t, err, &m)
			assert.Equal(t, tc.field, m.Field)
		})
	}
	// Version 1 hashes raw bytes: an invalid UTF-8 name is fine there.
	_, err := eventlog.RuntimeDigest(runtimeEvent("a\xffb", nil, 1))
	require.NoError(t, err)
}

func TestExtend(t *testing.T) {
	var mr, d [48]byte
	d[0] = 7
	want := sha512.Sum384(append(mr[:], d[:]...))
	assert.Equal(t, want, eventlog.Extend(mr, d))
	assert.NotEqual(t, eventlog.Extend(mr, d), eventlog.Extend(d, mr))
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
