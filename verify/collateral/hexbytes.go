package collateral

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/clip"
)

// UnmarshalJSON decodes a JSON string of hex digits, in either case.
// Anything else, including an odd number of digits, is an error.
func (h *HexBytes) UnmarshalJSON(data []byte) error {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return fmt.Errorf("hex bytes: expected a JSON string, found %s", truncate(data))
	}
	s := data[1 : len(data)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		// Escaped characters: let encoding/json unquote, then decode.
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return fmt.Errorf("hex bytes: %w", err)
		}
		s = []byte(str)
	}
	out := make([]byte, hex.DecodedLen(len(s)))
	if _, err := hex.Decode(out, s); err != nil {
		return fmt.Errorf("hex bytes: expected hex digits, found %s: %w", truncate(data), err)
	}
	*h = out
	return nil
}

// MarshalJSON encodes the bytes as a JSON string of upper-case hex digits,
// as Intel writes them.
func (h HexBytes) MarshalJSON() ([]byte, error) {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(h)+2)
	out = append(out, '"')
	for _, b := range h {
		out = append(out, digits[b>>4], digits[b&0x0f])
	}
	return append(out, '"'), nil
}

// truncate shortens data for an error message.
func truncate(data []byte) string { return clip.Quote(string(data), 32) }
