package eventlog

import (
	"encoding/hex"
	"encoding/json"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
)

// DigestSize is the size of an RTMR and of every event digest (SHA-384).
const DigestSize = 48

// eventJSON is the wire form of an Event. Pointers tell absent fields from
// zero values; imr and event_type are required.
type eventJSON struct {
	IMR       *int    `json:"imr"`
	EventType *uint32 `json:"event_type"`
	Digest    *string `json:"digest"`
	Event     *string `json:"event"`
	Payload   *string `json:"event_payload"`
	Version   *int    `json:"version"`
	Preimage  *string `json:"preimage"`
}

// eventOut is the canonical output form of an Event.
type eventOut struct {
	IMR       int    `json:"imr"`
	EventType uint32 `json:"event_type"`
	Digest    string `json:"digest"`
	Event     string `json:"event"`
	Payload   string `json:"event_payload"`
	Version   int    `json:"version,omitempty"`
	Preimage  string `json:"preimage,omitempty"`
}

// MarshalJSON writes the event in dstack's JSON shape with lower-case hex
// byte fields (no 0x prefix). Version and preimage are omitted when unset.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventOut{
		IMR:       e.IMR,
		EventType: e.EventType,
		Digest:    hex.EncodeToString(e.Digest),
		Event:     e.Event,
		Payload:   hex.EncodeToString(e.Payload),
		Version:   e.Version,
		Preimage:  hex.EncodeToString(e.Preimage),
	})
}

// UnmarshalJSON reads one event in dstack's JSON shape. Hex fields may carry
// a 0x prefix. It checks each field on its own: imr and event_type present,
// imr in 0..3, version 0, 1 or 2, well-formed hex, a digest that is empty
// or 48 bytes. Errors are *MalformedError (Index -1) matching ErrMalformed.
// Rules that relate fields (a boot event needs a digest, runtime events
// belong to RTMR3) are checked by Decode and Replay.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w *eventJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return &MalformedError{Index: -1, Reason: "expected an event object", Err: err}
	}
	out, err := w.event()
	if err != nil {
		return err
	}
	*e = out
	return nil
}

// event checks the wire form of one event and converts it (see
// Event.UnmarshalJSON). A nil w is a JSON null.
func (w *eventJSON) event() (Event, error) {
	if w == nil {
		return Event{}, malformed(-1, "", "expected an event object, found null")
	}
	if w.IMR == nil {
		return Event{}, malformed(-1, "imr", "expected an IMR index, found none")
	}
	if *w.IMR < 0 || *w.IMR > 3 {
		return Event{}, malformed(-1, "imr", "expected 0 to 3, found %d", *w.IMR)
	}
	if w.EventType == nil {
		return Event{}, malformed(-1, "event_type", "expected an event type, found none")
	}
	out := Event{IMR: *w.IMR, EventType: *w.EventType}
	if w.Version != nil {
		if *w.Version < 0 || *w.Version > 2 {
			return Event{}, malformed(-1, "version", "expected 1 or 2, found %d", *w.Version)
		}
		out.Version = *w.Version
	}
	if w.Event != nil {
		out.Event = *w.Event
	}
	var err error
	if out.Digest, err = hexField("digest", w.Digest); err != nil {
		return Event{}, err
	}
	if n := len(out.Digest); n != 0 && n != DigestSize {
		return Event{}, malformed(-1, "digest", "expected %d bytes, found %d", DigestSize, n)
	}
	if out.Payload, err = hexField("event_payload", w.Payload); err != nil {
		return Event{}, err
	}
	if out.Preimage, err = hexField("preimage", w.Preimage); err != nil {
		return Event{}, err
	}
	return out, nil
}

// hexField decodes an optional hex string field; absent or empty gives nil.
func hexField(field string, s *string) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	b, err := hexfmt.Decode(*s)
	if err != nil {
		return nil, &MalformedError{Index: -1, Field: field, Reason: "expected hex", Err: err}
	}
	return b, nil
}
