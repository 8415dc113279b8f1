package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
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

// attestationJSON is the wire form of an Attestation.
type attestationJSON struct {
	Quote      *string         `json:"quote"`
	EventLog   json.RawMessage `json:"event_log"`
	ReportData *string         `json:"report_data"`
	VMConfig   json.RawMessage `json:"vm_config"`
}

// ParseAttestation reads an attestation document: {"quote": hex,
// "event_log": array or string holding one, "report_data": hex,
// "vm_config": string or object}. It is lenient on shapes (hex with or
// without 0x, event_log as array or string, unknown fields ignored) and
// strict on content: at most MaxDocumentSize bytes, a non-empty quote,
// well-formed hex, report_data of at most ReportDataSize bytes, and an
// event log that eventlog.Decode accepts.
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
	var w attestationJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, &DocumentError{Document: docAttestation, Expected: "a JSON object of the attestation shape", Found: "invalid JSON", Err: err}
	}
	a := &Attestation{}
	if w.Quote == nil || *w.Quote == "" {
		return nil, &DocumentError{Document: docAttestation, Field: "quote", Expected: "a hex quote", Found: "none"}
	}
	var err error
	if a.Quote, err = hexfmt.Decode(*w.Quote); err != nil {
		return nil, &DocumentError{Document: docAttestation, Field: "quote", Expected: "hex", Found: "invalid hex", Err: err}
	}
	if len(a.Quote) == 0 {
		return nil, &DocumentError{Document: docAttestation, Field: "quote", Expected: "a hex quote", Found: "an empty one"}
	}
	if w.ReportData != nil {
		if a.ReportData, err = hexfmt.Decode(*w.ReportData); err != nil {
			return nil, &DocumentError{Document: docAttestation, Field: "report_data", Expected: "hex", Found: "invalid hex", Err: err}
		}
		if len(a.ReportData) > ReportDataSize {
			return nil, &DocumentError{Document: docAttestation, Field: "report_data", Expected: fmt.Sprintf("at most %d bytes", ReportDataSize), Found: fmt.Sprintf("%d bytes", len(a.ReportData))}
		}
	}
	if a.EventLog, err = decodeEventLogField(docAttestation, "event_log", w.EventLog); err != nil {
		return nil, err
	}
	if a.VMConfig, err = stringOrObject(docAttestation, "vm_config", w.VMConfig); err != nil {
		return nil, err
	}
	return a, nil
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
// one, or absent/null/"" for none.
func decodeEventLogField(doc, field string, raw json.RawMessage) ([]eventlog.Event, error) {
	t := bytes.TrimSpace(raw)
	if jsonshape.IsNull(t) || bytes.Equal(t, []byte(`""`)) {
		return nil, nil
	}
	events, err := eventlog.Decode(t)
	if err != nil {
		return nil, &DocumentError{Document: doc, Field: field, Expected: "an event log (an array, or a string holding one)", Found: jsonshape.Kind(t), Err: err}
	}
	return events, nil
}
