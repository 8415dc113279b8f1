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

func TestDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{"", nil, false},
		{"0x", nil, false},
		{"0X", nil, false},
		{"0xAb01", []byte{0xab, 0x01}, false},
		{"ab01", []byte{0xab, 0x01}, false},
		{"0x0x01", nil, true},
		{"abc", nil, true},
		{"zz", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Decode(tt.in)
			fromBytes, errBytes := DecodeBytes([]byte(tt.in))
			if tt.wantErr {
				assert.Error(t, err)
				assert.Error(t, errBytes, "DecodeBytes")
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.NoError(t, errBytes, "DecodeBytes")
			assert.Equal(t, tt.want, fromBytes, "DecodeBytes")
		})
	}
	assert.Equal(t, "01", Trim0x("0x01"))
	assert.Equal(t, "0x01", Trim0x("0x0x01"))
}
