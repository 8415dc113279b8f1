package policy

import (
	"bytes"
	"strings"
)

// emptyAllowlist is what an empty list expects.
const emptyAllowlist = "nothing (the allowlist is empty)"

// containsHex reports whether h is one of list. An absent value (empty h)
// is never contained.
func containsHex(list List[Hex], h []byte) bool {
	if len(h) == 0 {
		return false
	}
	for _, v := range list {
		if bytes.Equal(v, h) {
			return true
		}
	}
	return false
}

// oneOf describes the values a list accepts.
func oneOf(list List[Hex]) string {
	parts := make([]string, len(list))
	for i, h := range list {
		parts[i] = h.String()
	}
	return describeAllowlist(parts)
}

// describeAllowlist describes an allowlist whose entries read as parts.
func describeAllowlist(parts []string) string {
	if len(parts) == 0 {
		return emptyAllowlist
	}
	return "one of [" + strings.Join(parts, ", ") + "]"
}

// hexOrNone describes a measured value, or its absence from the event log.
func hexOrNone(h []byte, event string) string {
	if len(h) == 0 {
		return "no " + event + " event"
	}
	return Hex(h).String()
}
