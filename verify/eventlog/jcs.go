package eventlog

import (
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// canonicalV2 returns the RFC 8785 (JCS) form of the object
// {"name":name,"payload":hex(payload),"type":134217729}, the preimage of a
// version 2 dstack runtime event. The keys are fixed and already in JCS
// order (sorted by UTF-16 code units), the number is a small integer, so
// only the string escaping needs care. name must be valid UTF-8.
func canonicalV2(name string, payload []byte) []byte {
	out := make([]byte, 0, len(`{"name":"","payload":"","type":134217729}`)+len(name)+2*len(payload)+8)
	out = append(out, `{"name":`...)
	out = appendJCSString(out, name)
	out = append(out, `,"payload":"`...)
	out = hex.AppendEncode(out, payload)
	out = append(out, `","type":`...)
	out = strconv.AppendUint(out, uint64(EventTypeDstackRuntime), 10)
	return append(out, '}')
}

// appendJCSString appends s as a JSON string the way RFC 8785 section
// 3.2.2.2 serializes it: '"' and '\' escaped, U+0008, U+0009, U+000A,
// U+000C and U+000D as \b \t \n \f \r, other control characters below
// U+0020 as \u00xx with lower-case hex, everything else (including
// non-ASCII) as its UTF-8 bytes.
func appendJCSString(out []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			_, n := utf8.DecodeRuneInString(s[i:])
			out = append(out, s[i:i+n]...)
			i += n
			continue
		}
		switch c {
		case '"':
			out = append(out, '\\', '"')
		case '\\':
			out = append(out, '\\', '\\')
		case '\b':
			out = append(out, '\\', 'b')
		case '\t':
			out = append(out, '\\', 't')
		case '\n':
			out = append(out, '\\', 'n')
		case '\f':
			out = append(out, '\\', 'f')
		case '\r':
			out = append(out, '\\', 'r')
		default:
			if c < 0x20 {
				out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				out = append(out, c)
			}
		}
		i++
	}
	return append(out, '"')
}
