package eventlog

import (
	"bytes"
	"crypto/sha512"
	"hash"
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
	h := sha512.New384()
	var digest [DigestSize]byte
	for i, e := range events {
		if err := checkStructure(i, e); err != nil {
			return zero, nil, err
		}
		if e.EventType == EventTypeDstackRuntime {
			if err := recompute(i, &e, h, &digest); err != nil {
				return zero, nil, err
			}
		} else {
			copy(digest[:], e.Digest)
			e.Digest = bytes.Clone(e.Digest)
		}
		e.Payload = bytes.Clone(e.Payload)
		e.Preimage = bytes.Clone(e.Preimage)
		out[i] = e
		rtmr[e.IMR] = extendWith(h, rtmr[e.IMR], digest)
	}
	return rtmr, out, nil
}

// recompute sets *digest (and e.Digest, freshly allocated) to the digest
// of runtime event e, checking the logged digest and preimage against it.
func recompute(i int, e *Event, h hash.Hash, digest *[DigestSize]byte) error {
	pre, err := RuntimePreimage(*e)
	if err != nil {
		return atIndex(i, err)
	}
	h.Reset()
	h.Write(pre)
	h.Sum(digest[:0])
	if len(e.Digest) != 0 && !bytes.Equal(e.Digest, digest[:]) {
		return &DigestMismatchError{Index: i, IMR: e.IMR, Name: e.Event, Field: "digest",
			Expected: bytes.Clone(digest[:]), Found: bytes.Clone(e.Digest)}
	}
	if len(e.Preimage) != 0 && !bytes.Equal(e.Preimage, pre) {
		return &DigestMismatchError{Index: i, IMR: e.IMR, Name: e.Event, Field: "preimage",
			Expected: pre, Found: bytes.Clone(e.Preimage)}
	}
	e.Digest = bytes.Clone(digest[:])
	return nil
}

// extendWith is Extend using a caller-owned hash to save allocations.
func extendWith(h hash.Hash, mr, digest [DigestSize]byte) [DigestSize]byte {
	h.Reset()
	h.Write(mr[:])
	h.Write(digest[:])
	var out [DigestSize]byte
	h.Sum(out[:0])
	return out
}
