package collateral

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHexBytesUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    HexBytes
		wantErr bool
	}{
		{name: "upper", in: `"B0C06F"`, want: HexBytes{0xb0, 0xc0, 0x6f}},
		{name: "lower", in: `"b0c06f"`, want: HexBytes{0xb0, 0xc0, 0x6f}},
		{name: "mixed case", in: `"b0C06F"`, want: HexBytes{0xb0, 0xc0, 0x6f}},
		{name: "empty", in: `""`, want: HexBytes{}},
		{name: "json escape", in: `"\u0041b"`, want: HexBytes{0xab}},
		{name: "odd length", in: `"abc"`, wantErr: true},
		{name: "not hex", in: `"zz"`, wantErr: true},
		{name: "0x prefix", in: `"0xab"`, wantErr: true},
		{name: "number", in: `12`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "array", in: `[1,2]`, wantErr: true},
		{name: "bad escape", in: `"\x"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h HexBytes
			err := h.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, h)
		})
	}
}

func TestHexBytesInStructRejectsNull(t *testing.T) {
	var v struct {
		H HexBytes `json:"h"`
	}
	require.Error(t, json.Unmarshal([]byte(`{"h":null}`), &v))
	require.NoError(t, json.Unmarshal([]byte(`{"h":"ff"}`), &v))
	assert.Equal(t, HexBytes{0xff}, v.H)
}

func TestHexBytesMarshalUpperCase(t *testing.T) {
	tests := []struct {
		in   HexBytes
		want string
	}{
		{HexBytes{0xb0, 0xc0, 0x6f, 0x00}, `"B0C06F00"`},
		{HexBytes{}, `""`},
		{nil, `""`},
	}
	for _, tt := range tests {
		out, err := json.Marshal(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(out))

		var back HexBytes
		require.NoError(t, json.Unmarshal(out, &back))
		assert.Equal(t, hex.EncodeToString(tt.in), hex.EncodeToString(back), "round trip")
	}
}
