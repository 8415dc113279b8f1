package jsonshape

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzObject: what Object accepts is a valid JSON object that
// encoding/json reads to the same members, and an object Object refuses
// is invalid JSON, not an object, or has a key twice.
func FuzzObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"kms","id":"00"}`, `{"a":1,"a":2}`, `{"a":{"b":[1,2]}} `, `[1]`, `{"a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Object(raw)
		var want map[string]json.RawMessage
		stdErr := json.Unmarshal(raw, &want)
		if err == nil {
			require.NoError(t, stdErr)
			assert.Equal(t, want, got)
			return
		}
		if stdErr == nil && IsObject(raw) {
			// encoding/json read an object Object refused: only a
			// duplicate key, which encoding/json silently merges, may
			// explain it.
			assert.Contains(t, err.Error(), "twice")
		}
	})
}
