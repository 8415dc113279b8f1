package eventlog

import (
	"errors"

	"github.com/cvmgate/cvmgate/internal/jsonread"
)

// Limits on what Decode accepts. Real dstack logs hold a few dozen events
// in a few tens of KiB.
const (
	// MaxLogSize bounds the size of the JSON given to Decode.
	MaxLogSize = 4 << 20
	// MaxEvents bounds the number of events in a log.
	MaxEvents = 10000
)

// Decode parses an event log: a JSON array of events, or a JSON string
// holding one (the dstack guest agent's shape). It is strict: besides the
// per-field checks of Event.UnmarshalJSON, every boot event must carry a
// 48-byte digest, runtime events (EventTypeDstackRuntime) must be in IMR 3
// and nothing else may be, the input must not exceed MaxLogSize bytes nor
// MaxEvents events, and nothing may follow the array. Every error matches
// ErrMalformed.
//
// Decode reads the log in one pass, the string's unquoting aside, and
// does not check digests; Replay does.
func Decode(b []byte) ([]Event, error) {
	if len(b) > MaxLogSize {
		return nil, malformed(-1, "", "expected at most %d bytes, found %d", MaxLogSize, len(b))
	}
	r := jsonread.New(b)
	if r.Peek() == jsonread.String {
		s, err := r.String()
		if err == nil {
			err = r.End()
		}
		if err != nil {
			return nil, &MalformedError{Index: -1, Reason: "expected a JSON string holding an array", Err: err}
		}
		r = jsonread.New(s)
	}
	if r.Peek() != jsonread.Array {
		return nil, malformed(-1, "", "expected a JSON array of events")
	}
	return decodeArray(r)
}

// decodeArray decodes a JSON array of events one element at a time, so
// that the event limit is enforced before the whole log is materialized.
// An error in an element names its index; one between elements, none.
func decodeArray(r *jsonread.Reader) ([]Event, error) {
	events := []Event{}
	var inElement error
	err := r.Array(func() error {
		i := len(events)
		if i == MaxEvents {
			inElement = malformed(-1, "", "expected at most %d events, found more", MaxEvents)
			return inElement
		}
		var f eventFields
		null, err := readEvent(r, &f)
		var e Event
		if err == nil {
			e, err = f.event(null)
		}
		if err == nil {
			err = checkStructure(i, e)
		}
		if err != nil {
			inElement = atIndex(i, err)
			return inElement
		}
		events = append(events, e)
		return nil
	})
	switch {
	case err != nil && err == inElement:
		return nil, err
	case err != nil:
		return nil, &MalformedError{Index: -1, Reason: "expected a JSON array of events", Err: err}
	}
	if err := r.End(); err != nil {
		return nil, &MalformedError{Index: -1, Reason: "expected nothing after the event array", Err: err}
	}
	return events, nil
}

// atIndex attaches an event index to a decoding error.
func atIndex(i int, err error) error {
	var m *MalformedError
	if errors.As(err, &m) {
		if m.Index == i {
			return m
		}
		c := *m
		c.Index = i
		return &c
	}
	return &MalformedError{Index: i, Reason: "expected an event object", Err: err}
}

// checkStructure checks the rules that relate an event's fields: runtime
// events live in RTMR3 and only there, and every other event carries a
// 48-byte digest (its payload is usually stripped, so the digest is all
// that can be replayed).
func checkStructure(i int, e Event) error {
	if e.IMR < 0 || e.IMR > 3 {
		return malformed(i, "imr", "expected 0 to 3, found %d", e.IMR)
	}
	if n := len(e.Digest); n != 0 && n != DigestSize {
		return malformed(i, "digest", "expected %d bytes, found %d", DigestSize, n)
	}
	if e.Version < 0 || e.Version > 2 {
		return malformed(i, "version", "expected 1 or 2, found %d", e.Version)
	}
	runtime := e.EventType == EventTypeDstackRuntime
	switch {
	case runtime && e.IMR != 3:
		return malformed(i, "imr", "expected 3 for dstack runtime event %q, found %d", e.Event, e.IMR)
	case !runtime && e.IMR == 3:
		return malformed(i, "event_type", "expected dstack runtime type %#x in IMR 3, found %#x", EventTypeDstackRuntime, e.EventType)
	case !runtime && len(e.Digest) != DigestSize:
		return malformed(i, "digest", "expected %d bytes for boot event in IMR %d, found %d", DigestSize, e.IMR, len(e.Digest))
	}
	return nil
}
