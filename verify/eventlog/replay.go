package eventlog

import (
	"bytes"
	"crypto/sha512"
)

// Replay recomputes the four RTMRs from an event log. Every RTMR starts as
// 48 zero bytes and each event extends its IMR: rtmr = SHA-384(rtmr ||
// digest).
//
// Boot events (IMR 0 to 2) extend their logged digest, which must be 48
// bytes. dstack runtime events (EventTypeDstackRuntime, IMR 3 only) extend
// the digest recomputed from their name and payload; a logged digest or
// preimage, where present, must equal the recomputed one or Replay fails
// with a *DigestMismatchError. Structural problems fail with ErrMalformed.
//
// The returned events are deep copies of the input with every runtime
// digest replaced by the recomputed one. A replay means nothing until its RTMRs are
// compared with those of a verified quote.
func Replay(events []Event) ([4][DigestSize]byte, []Event, error) {
	var zero, rtmr [4][DigestSize]byte
	if len(events) > MaxEvents {
		return zero, nil, malformed(-1, "", "expected at most %d events, found %d", MaxEvents, len(events))
	}
	out := make([]Event, len(events))
	var digest [DigestSize]byte
	for i, e := range events {
		if err := checkStructure(i, e); err != nil {
			return zero, nil, err
		}
		if e.EventType == EventTypeDstackRuntime {
			var err error
			if digest, err = recompute(i, e); err != nil {
				return zero, nil, err
			}
			e.Digest = digest[:] // cloned with the rest of e below
		} else {
			copy(digest[:], e.Digest)
		}
		out[i] = cloneEvent(e)
		rtmr[e.IMR] = Extend(rtmr[e.IMR], digest)
	}
	return rtmr, out, nil
}

// recompute returns the digest of runtime event e, checking the logged
// digest and preimage against it.
func recompute(i int, e Event) ([DigestSize]byte, error) {
	pre, err := RuntimePreimage(e)
	if err != nil {
		return [DigestSize]byte{}, atIndex(i, err)
	}
	digest := sha512.Sum384(pre)
	if len(e.Digest) != 0 && !bytes.Equal(e.Digest, digest[:]) {
		return digest, &DigestMismatchError{Index: i, IMR: e.IMR, Name: e.Event, Field: "digest",
			Expected: bytes.Clone(digest[:]), Found: bytes.Clone(e.Digest)}
	}
	if len(e.Preimage) != 0 && !bytes.Equal(e.Preimage, pre) {
		return digest, &DigestMismatchError{Index: i, IMR: e.IMR, Name: e.Event, Field: "preimage",
			Expected: pre, Found: bytes.Clone(e.Preimage)}
	}
	return digest, nil
}
