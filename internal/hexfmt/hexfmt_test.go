package hexfmt

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClip(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"short", []byte{0xab, 0x01}, "ab01"},
		{"exactly the limit", bytes.Repeat([]byte{1}, MaxBytes), string(bytes.Repeat([]byte("01"), MaxBytes))},
		{"over the limit", bytes.Repeat([]byte{2}, MaxBytes+1), string(bytes.Repeat([]byte("02"), MaxBytes)) + "... (65 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Clip(tt.in))
		})
	}
}
