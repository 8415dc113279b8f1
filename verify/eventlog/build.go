package eventlog

import (
	"bytes"
	"crypto/sha512"
)

// NewRuntimeEvent returns a version 1 dstack runtime event in IMR 3 with its
// digest filled in, as a dstack guest would log it. It is meant for building
// logs in tests and simulators.
func NewRuntimeEvent(name string, payload []byte) Event {
	e := Event{IMR: 3, EventType: EventTypeDstackRuntime, Event: name, Payload: bytes.Clone(payload)}
	d, _ := RuntimeDigest(e) // cannot fail: a version 1 runtime event
	e.Digest = d
	return e
}

// NewBootEvent returns a boot event of the given IMR and type whose logged
// digest is SHA-384(data), the way firmware measures data into RTMR 0 to 2.
// It is meant for building logs in tests and simulators.
func NewBootEvent(imr int, eventType uint32, data []byte) Event {
	d := sha512.Sum384(data)
	return Event{IMR: imr, EventType: eventType, Digest: d[:]}
}
