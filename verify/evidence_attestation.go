package verify

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/cvmgate/cvmgate/internal/hexfmt"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// MaxAttestationSize bounds the /attestation document ParseAttestation
// accepts. Real ones are about 30 KiB.
const MaxAttestationSize = 1 << 20

// Attestation is the evidence a CVM serves at /attestation (and the dstack
// guest agent answers to GetQuote): a quote and the event log to replay
// against it.
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

// ParseAttestation reads an /attestation document:
// {"quote": hex, "event_log": array or string holding one, "report_data":
// hex, "vm_config": string or object}. It is lenient on shapes (hex with or
// without 0x, event_log as array or string, unknown fields ignored) and
// strict on content: at most MaxAttestationSize bytes, a non-empty quote,
// well-formed hex, report_data of at most 64 bytes, and an event log that
// eventlog.Decode accepts.
//
// Errors are *Error of kind KindMalformedQuote, or KindEventLogMalformed
// for the event log, and match ErrMalformedAttestation.
func ParseAttestation(b []byte) (*Attestation, error) {
	a, err := parseAttestation(b)
	if err != nil {
		kind := KindMalformedQuote
		if errorIsEventLog(err) {
			kind = KindEventLogMalformed
		}
		return nil, newError(kind, "attestation document", err)
	}
	return a, nil
}

// parseAttestation does the work of ParseAttestation; errors are
// *DocumentError.
func parseAttestation(b []byte) (*Attestation, error) {
	if err := checkSize(docAttestation, b, MaxAttestationSize); err != nil {
		return nil, err
	}
	if jsonKind(b) != "an object" {
		return nil, &DocumentError{Document: docAttestation, Expected: "a JSON object", Found: jsonKind(b)}
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
		if len(a.ReportData) > 64 {
			return nil, &DocumentError{Document: docAttestation, Field: "report_data", Expected: "at most 64 bytes", Found: fmt.Sprintf("%d bytes", len(a.ReportData))}
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

// decodeEventLogField decodes an event_log field: an array, a string holding
// one, or absent/null/"" for none.
func decodeEventLogField(doc, field string, raw json.RawMessage) ([]eventlog.Event, error) {
	t := bytes.TrimSpace(raw)
	if isNull(t) || bytes.Equal(t, []byte(`""`)) {
		return nil, nil
	}
	events, err := eventlog.Decode(t)
	if err != nil {
		return nil, &DocumentError{Document: doc, Field: field, Expected: "an event log (an array, or a string holding one)", Found: jsonKind(t), Err: err}
	}
	return events, nil
}

// errorIsEventLog reports whether a document error concerns the event log.
func errorIsEventLog(err error) bool {
	de, ok := err.(*DocumentError)
	return ok && de.Field == "event_log"
}
