package policy

import (
	"encoding/hex"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// Hex is a byte string written in hexadecimal, in upper or lower case, with
// or without a 0x prefix. It marshals as lower-case hex without prefix.
// Lengths are checked by Policy.Validate, which knows each field's size.
type Hex []byte

// String returns h as lower-case hex.
func (h Hex) String() string { return hex.EncodeToString(h) }

// MarshalText implements encoding.TextMarshaler.
func (h Hex) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(len(h)))
	hex.Encode(out, h)
	return out, nil
}

// MarshalYAML implements yaml.Marshaler: hex is always double-quoted, so
// that a value of only digits reads the same as any other.
func (h Hex) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: h.String()}, nil
}

// UnmarshalText implements encoding.TextUnmarshaler. The result is never
// nil, so an empty string stays distinguishable from an absent value.
func (h *Hex) UnmarshalText(text []byte) error {
	b, err := decodeHex(string(text))
	if err != nil {
		return err
	}
	*h = b
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler so that a bad value is
// reported with its line number.
func (h *Hex) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a hex string, found a %s", kindName(n.Kind))
	}
	b, err := decodeHex(n.Value)
	if err != nil {
		return nodeError(n, "%v", err)
	}
	*h = b
	return nil
}

// decodeHex decodes s, allowing a 0x or 0X prefix. It never returns nil
// with a nil error.
func decodeHex(s string) ([]byte, error) {
	s = hexfmt.Trim0x(s)
	b := make([]byte, hex.DecodedLen(len(s)))
	if _, err := hex.Decode(b, []byte(s)); err != nil {
		return nil, fmt.Errorf("expected hex, found %s: %w", quoteShort(s), err)
	}
	return b, nil
}
