package eventlog

import (
	"crypto/sha512"
	"encoding/binary"
	"unicode/utf8"
)

// runtimeTypeLE is EventTypeDstackRuntime in little-endian byte order, the
// first four bytes of a version 1 preimage.
var runtimeTypeLE = binary.LittleEndian.AppendUint32(nil, EventTypeDstackRuntime)

// RuntimePreimage returns the bytes whose SHA-384 is the digest of dstack
// runtime event e:
//
//   - version 0 or 1: le32(0x08000001) || ":" || name || ":" || payload
//   - version 2: the RFC 8785 canonical JSON
//     {"name":<name>,"payload":"<lower-case hex>","type":134217729}
//
// It fails with ErrMalformed when e is not a runtime event, has another
// version, or (version 2) has a name that is not valid UTF-8.
func RuntimePreimage(e Event) ([]byte, error) {
	if e.EventType != EventTypeDstackRuntime {
		return nil, malformed(-1, "event_type", "expected dstack runtime type %#x, found %#x", EventTypeDstackRuntime, e.EventType)
	}
	switch e.Version {
	case 0, 1:
		p := make([]byte, 0, len(runtimeTypeLE)+2+len(e.Event)+len(e.Payload))
		p = append(p, runtimeTypeLE...)
		p = append(p, ':')
		p = append(p, e.Event...)
		p = append(p, ':')
		return append(p, e.Payload...), nil
	case 2:
		if !utf8.ValidString(e.Event) {
			return nil, malformed(-1, "event", "expected a UTF-8 name for a version 2 event, found invalid UTF-8")
		}
		return canonicalV2(e.Event, e.Payload), nil
	default:
		return nil, malformed(-1, "version", "expected 1 or 2, found %d", e.Version)
	}
}

// RuntimeDigest recomputes the SHA-384 digest of dstack runtime event e from
// its name and payload (see RuntimePreimage). The logged digest is ignored.
func RuntimeDigest(e Event) ([]byte, error) {
	p, err := RuntimePreimage(e)
	if err != nil {
		return nil, err
	}
	d := sha512.Sum384(p)
	return d[:], nil
}

// Extend returns the RTMR value after extending mr with digest:
// SHA-384(mr || digest).
func Extend(mr, digest [DigestSize]byte) [DigestSize]byte {
	var buf [2 * DigestSize]byte
	copy(buf[:DigestSize], mr[:])
	copy(buf[DigestSize:], digest[:])
	return sha512.Sum384(buf[:])
}
