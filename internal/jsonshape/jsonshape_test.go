package jsonshape

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKind(t *testing.T) {
	tests := []struct {
		raw, kind string
		null      bool
	}{
		{"", "nothing", true},
		{" \n", "nothing", true},
		{` {"a":1}`, "an object", false},
		{"[1]", "an array", false},
		{`"x"`, "a string", false},
		{"true", "a boolean", false},
		{"false", "a boolean", false},
		{" null ", "null", true},
		{"-1", "a number", false},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			assert.Equal(t, tc.kind, Kind([]byte(tc.raw)))
			assert.Equal(t, tc.null, IsNull([]byte(tc.raw)))
			assert.Equal(t, tc.kind == "an object", IsObject([]byte(tc.raw)))
		})
	}
}
