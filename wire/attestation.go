package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/internal/jsonread"
	"github.com/cvmgate/cvmgate/internal/jsonshape"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Attestation is the evidence a CVM serves at AttestationPath, in the
// shape the dstack guest agent answers GetQuote: a quote and the event log
// to replay against it.
type Attestation struct {
	// Quote is the raw quote, trailing zero padding included (quote.Parse
	// tolerates it).
	Quote []byte
	// EventLog is the decoded event log; nil when the document had none.
	EventLog []eventlog.Event
	// ReportData is the document's own report_data field. It is NOT
	// evidence: only the verified quote's REPORTDATA is.
	ReportData []byte
	// VMConfig is the vm_config field as text (a JSON object), or "".
	VMConfig string
}

// ParseAttestation reads an attestation document: {"quote": hex,
// "event_log": array or string holding one, "report_data": hex,
// "vm_config": string or object}. It is lenient on shapes (hex with or
// without 0x, event_log as array or string, unknown fields ignored, field
// names matched whatever their case as encoding/json matches them, the
// last of duplicates winning) and strict on content: at most
// MaxDocumentSize bytes, a non-empty quote, well-formed hex, report_data of
// at most ReportDataSize bytes, and an event log that eventlog.Decode
// accepts.
//
// It reads the document in one pass, decoding hex straight from the JSON
// text and unquoting an event log sent as a string once.
//
// Errors are *DocumentError matching ErrMalformedAttestation; one whose
// Field is "event_log" concerns the event log.
func ParseAttestation(b []byte) (*Attestation, error) {
	if err := checkSize(docAttestation, b); err != nil {
		return nil, err
	}
	if !jsonshape.IsObject(b) {
		return nil, &DocumentError{Document: docAttestation, Expected: "a JSON object", Found: jsonshape.Kind(b)}
	}
	var w attestationFields
	if err := w.read(b); err != nil {
		return nil, &DocumentError{Document: docAttestation, Expected: "a JSON object of the attestation shape", Found: "invalid JSON", Err: err}
	}
	a := &Attestation{}
	if len(w.quote.text) == 0 {
		return nil, &DocumentError{Document: docAttestation, Field: "quote", Expected: "a hex quote", Found: "none"}
	}
	var err error
	if a.Quote, err = w.quote.decode(); err != nil {
		return nil, &DocumentError{Document: docAttestation, Field: "quote", Expected: "hex", Found: "invalid hex", Err: err}
	}
	if len(a.Quote) == 0 {
		return nil, &DocumentError{Document: docAttestation, Field: "quote", Expected: "a hex quote", Found: "an empty one"}
	}
	if a.ReportData, err = w.reportData.decode(); err != nil {
		return nil, &DocumentError{Document: docAttestation, Field: "report_data", Expected: "hex", Found: "invalid hex", Err: err}
	}
	if len(a.ReportData) > ReportDataSize {
		return nil, &DocumentError{Document: docAttestation, Field: "report_data", Expected: fmt.Sprintf("at most %d bytes", ReportDataSize), Found: fmt.Sprintf("%d bytes", len(a.ReportData))}
	}
	if a.EventLog, err = decodeEventLogField(docAttestation, "event_log", w.eventLog, w.eventLogText); err != nil {
		return nil, err
	}
	if a.VMConfig, err = stringOrObject(docAttestation, "vm_config", w.vmConfig); err != nil {
		return nil, err
	}
	return a, nil
}

// attestationFields are the members of an attestation document, read in
// one pass before any is checked: the hex fields, eventLog and vmConfig as
// their JSON values, and eventLogText the value of an event log sent as a
// string. They may alias the document.
type attestationFields struct {
	quote, reportData      hexField
	eventLog, eventLogText []byte
	vmConfig               []byte
}

// hexField is a hex member: the text of its JSON string (nil when absent
// or null) and, when the reader could decode it in passing, its value.
type hexField struct {
	text, value []byte
	decoded     bool
}

// decode returns the value of the field, decoding the text if the reader
// did not.
func (f *hexField) decode() ([]byte, error) {
	if f.decoded {
		return f.value, nil
	}
	return hexfmt.DecodeBytes(f.text)
}

// read reads the members of the document b; its errors are those of the
// JSON (syntax, or a hex field that is not a string).
func (w *attestationFields) read(b []byte) error {
	r := jsonread.New(b)
	err := r.Object(func(name []byte) error {
		var err error
		switch {
		case jsonread.EqualFold(name, "quote"):
			w.quote, err = readHex(r, "quote")
		case jsonread.EqualFold(name, "report_data"):
			w.reportData, err = readHex(r, "report_data")
		case jsonread.EqualFold(name, "event_log"):
			w.eventLogText = nil
			if r.Peek() == jsonread.String {
				start := r.Offset()
				if w.eventLogText, err = r.String(); err == nil {
					w.eventLog = b[start:r.Offset()]
				}
				break
			}
			w.eventLog, err = r.Skip()
		case jsonread.EqualFold(name, "vm_config"):
			w.vmConfig, err = r.Skip()
		default:
			_, err = r.Skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	return r.End()
}

// readHex reads a hex member: a string, decoded in passing when it is
// plain hex, or null for none.
func readHex(r *jsonread.Reader, name string) (hexField, error) {
	if text, value, ok := r.Hex(); ok {
		return hexField{text: text, value: value, decoded: true}, nil
	}
	switch k := r.Peek(); k {
	case jsonread.String:
		text, err := r.String()
		return hexField{text: text}, err
	case jsonread.Null:
		_, err := r.Null()
		return hexField{}, err
	default:
		if _, err := r.Skip(); err != nil {
			return hexField{}, err
		}
		return hexField{}, fmt.Errorf("%s: expected a hex string, found %s", name, k)
	}
}

// MarshalJSON writes the attestation as the dstack guest agent answers
// GetQuote: hex without 0x, the event log as a string holding a JSON
// array, and vm_config as a string.
func (a *Attestation) MarshalJSON() ([]byte, error) {
	events := a.EventLog
	if events == nil {
		events = []eventlog.Event{}
	}
	log, err := json.Marshal(events)
	if err != nil {
		return nil, fmt.Errorf("wire: attestation event_log: %w", err)
	}
	return json.Marshal(struct {
		Quote      string `json:"quote"`
		EventLog   string `json:"event_log"`
		ReportData string `json:"report_data"`
		VMConfig   string `json:"vm_config"`
	}{hex.EncodeToString(a.Quote), string(log), hex.EncodeToString(a.ReportData), a.VMConfig})
}

// decodeEventLogField decodes an event_log field: an array, a string holding
// one, or absent/null/"" for none. text, when not nil, is the value of the
// string raw: the array is then decoded from it, without unquoting raw
// again.
func decodeEventLogField(doc, field string, raw, text []byte) ([]eventlog.Event, error) {
	t := bytes.TrimSpace(raw)
	if jsonshape.IsNull(t) || bytes.Equal(t, []byte(`""`)) {
		return nil, nil
	}
	in := t
	if jsonshape.Kind(text) == "an array" {
		// The string held an array, which is what Decode would unquote
		// and decode; anything else goes to Decode as it came, for the
		// error Decode gives.
		in = text
	}
	events, err := eventlog.Decode(in)
	if err != nil {
		return nil, &DocumentError{Document: doc, Field: field, Expected: "an event log (an array, or a string holding one)", Found: jsonshape.Kind(t), Err: err}
	}
	return events, nil
}
