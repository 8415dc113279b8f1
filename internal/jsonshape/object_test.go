package jsonshape

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObject(t *testing.T) {
	tests := []struct {
		raw  string
		want map[string]json.RawMessage
		err  string
	}{
		{raw: `{}`, want: map[string]json.RawMessage{}},
		{raw: ` {"name":"kms", "id":"00", "x":{"a":[1,{"b":2}]}} `, want: map[string]json.RawMessage{
			"name": json.RawMessage(`"kms"`), "id": json.RawMessage(`"00"`), "x": json.RawMessage(`{"a":[1,{"b":2}]}`)}},
		{raw: `{"Name":"kms","name":"x"}`, want: map[string]json.RawMessage{"Name": json.RawMessage(`"kms"`), "name": json.RawMessage(`"x"`)}},
		{raw: `{"name":"a","name":"b"}`, err: `found "name" twice`},
		{raw: `{"name":"a","n\u0061me":"b"}`, err: `found "name" twice`},
		{raw: `{"a":{"k":1,"k":2}}`, want: map[string]json.RawMessage{"a": json.RawMessage(`{"k":1,"k":2}`)}},
		{raw: `{"a":1} {}`, err: "nothing after"},
		{raw: `{"a":1}x`, err: "nothing after"},
		{raw: `{"a":1`, err: "EOF"},
		{raw: `{"a"}`, err: "colon"},
		{raw: `["a"]`, err: "expected a JSON object, found an array"},
		{raw: `null`, err: "expected a JSON object, found null"},
		{raw: ``, err: "expected a JSON object, found nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := Object([]byte(tt.raw))
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// BenchmarkObject reads objects of 2 and of 10,000 distinct keys: the
// cost per byte of the large one stays close to that of the small one.
func BenchmarkObject(b *testing.B) {
	for _, n := range []int{2, 10000} {
		var sb strings.Builder
		sb.WriteString("{")
		for i := range n {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `"k%d":1`, i)
		}
		sb.WriteString("}")
		raw := []byte(sb.String())
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Object(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
