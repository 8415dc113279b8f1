package eventlog

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/internal/jsonread"
)

// DigestSize is the size of an RTMR and of every event digest (SHA-384).
const DigestSize = 48

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
	r := jsonread.New(b)
	var f eventFields
	null, err := readEvent(r, &f)
	if err == nil {
		err = r.End()
	}
	if err != nil {
		return &MalformedError{Index: -1, Reason: "expected an event object", Err: err}
	}
	out, err := f.event(null)
	if err != nil {
		return err
	}
	*e = out
	return nil
}

// eventFields is an event as its JSON object holds it, read in one pass
// before any field is checked. As with encoding/json, a member name
// matches a field whatever its case, the last of duplicate members wins,
// and null is the same as absent. Hex fields hold the text of the JSON
// string, which may alias the input.
type eventFields struct {
	imr, version                int
	eventType                   uint32
	hasIMR, hasType, hasVersion bool
	name                        string
	digest, payload, preimage   []byte
}

// readEvent reads one event object into f, or reports that it is a JSON
// null. Its errors are those of the JSON: syntax, or a member of the
// wrong type.
func readEvent(r *jsonread.Reader, f *eventFields) (null bool, err error) {
	if null, err := r.Null(); null || err != nil {
		return null, err
	}
	if k := r.Peek(); k != jsonread.Object {
		if _, err := r.Skip(); err != nil {
			return false, err
		}
		return false, fmt.Errorf("expected an event object, found %s", k)
	}
	return false, r.Object(func(name []byte) error { return f.member(r, name) })
}

// member reads the value of the member name.
func (f *eventFields) member(r *jsonread.Reader, name []byte) error {
	var err error
	switch {
	case jsonread.EqualFold(name, "imr"):
		f.imr, f.hasIMR, err = readInt(r, "imr")
	case jsonread.EqualFold(name, "event_type"):
		var v uint64
		v, f.hasType, err = readUint(r, "event_type", 32)
		f.eventType = uint32(v)
	case jsonread.EqualFold(name, "digest"):
		f.digest, err = readString(r, "digest")
	case jsonread.EqualFold(name, "event"):
		var s []byte
		s, err = readString(r, "event")
		f.name = string(s)
	case jsonread.EqualFold(name, "event_payload"):
		f.payload, err = readString(r, "event_payload")
	case jsonread.EqualFold(name, "version"):
		f.version, f.hasVersion, err = readInt(r, "version")
	case jsonread.EqualFold(name, "preimage"):
		f.preimage, err = readString(r, "preimage")
	default:
		_, err = r.Skip()
	}
	return err
}

// readString reads a string member; null gives nil.
func readString(r *jsonread.Reader, name string) ([]byte, error) {
	switch k := r.Peek(); k {
	case jsonread.String:
		return r.String()
	case jsonread.Null:
		_, err := r.Null()
		return nil, err
	default:
		return nil, typeError(r, name, "a string", k)
	}
}

// readInt reads an int member; null gives set false.
func readInt(r *jsonread.Reader, name string) (v int, set bool, err error) {
	num, set, err := readNumber(r, name, "an integer")
	if err != nil || !set {
		return 0, false, err
	}
	n, ok := jsonread.Int(num, strconv.IntSize)
	if !ok {
		return 0, false, fmt.Errorf("%s: expected an integer, found the number %s", name, num)
	}
	return int(n), true, nil
}

// readUint reads an unsigned member of bits bits; null gives set false.
func readUint(r *jsonread.Reader, name string, bits int) (v uint64, set bool, err error) {
	num, set, err := readNumber(r, name, "an unsigned integer")
	if err != nil || !set {
		return 0, false, err
	}
	v, ok := jsonread.Uint(num, bits)
	if !ok {
		return 0, false, fmt.Errorf("%s: expected an unsigned %d-bit integer, found the number %s", name, bits, num)
	}
	return v, true, nil
}

// readNumber reads the text of a number member; null gives set false.
func readNumber(r *jsonread.Reader, name, want string) (num []byte, set bool, err error) {
	switch k := r.Peek(); k {
	case jsonread.Number:
		num, err = r.Number()
		return num, err == nil, err
	case jsonread.Null:
		_, err := r.Null()
		return nil, false, err
	default:
		return nil, false, typeError(r, name, want, k)
	}
}

// typeError passes over a member's value of kind k, which is not the
// expected one, and describes it; a syntax error in the value wins.
func typeError(r *jsonread.Reader, name, want string, k jsonread.Kind) error {
	if _, err := r.Skip(); err != nil {
		return err
	}
	return fmt.Errorf("%s: expected %s, found %s", name, want, k)
}

// event checks the fields of one event and converts them (see
// Event.UnmarshalJSON); null says the event was a JSON null.
func (f *eventFields) event(null bool) (Event, error) {
	if null {
		return Event{}, malformed(-1, "", "expected an event object, found null")
	}
	if !f.hasIMR {
		return Event{}, malformed(-1, "imr", "expected an IMR index, found none")
	}
	if f.imr < 0 || f.imr > 3 {
		return Event{}, malformed(-1, "imr", "expected 0 to 3, found %d", f.imr)
	}
	if !f.hasType {
		return Event{}, malformed(-1, "event_type", "expected an event type, found none")
	}
	out := Event{IMR: f.imr, EventType: f.eventType, Event: f.name}
	if f.hasVersion {
		if f.version < 0 || f.version > 2 {
			return Event{}, malformed(-1, "version", "expected 1 or 2, found %d", f.version)
		}
		out.Version = f.version
	}
	var err error
	if out.Digest, err = hexField("digest", f.digest); err != nil {
		return Event{}, err
	}
	if n := len(out.Digest); n != 0 && n != DigestSize {
		return Event{}, malformed(-1, "digest", "expected %d bytes, found %d", DigestSize, n)
	}
	if out.Payload, err = hexField("event_payload", f.payload); err != nil {
		return Event{}, err
	}
	if out.Preimage, err = hexField("preimage", f.preimage); err != nil {
		return Event{}, err
	}
	return out, nil
}

// hexField decodes an optional hex string field; absent or empty gives nil.
func hexField(field string, s []byte) ([]byte, error) {
	b, err := hexfmt.DecodeBytes(s)
	if err != nil {
		return nil, &MalformedError{Index: -1, Field: field, Reason: "expected hex", Err: err}
	}
	return b, nil
}
