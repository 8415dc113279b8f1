package wire

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/cvmgate/cvmgate/internal/jsonshape"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Info is what a CVM serves at InfoPath: the dstack guest agent's Info answer.
// None of it is evidence. The one use a verifier makes of it is
// TCBInfo.AppCompose, whose SHA-256 must equal the compose hash the
// verified event log records; every other field is a claim to compare, not
// a fact.
type Info struct {
	// AppID is the claimed app id (hex).
	AppID string
	// InstanceID is the claimed instance id (hex).
	InstanceID string
	// AppName is the app's name from its compose.
	AppName string
	// ComposeHash is the claimed compose hash (hex).
	ComposeHash string
	// OSImageHash is the claimed OS image hash (hex).
	OSImageHash string
	// KeyProviderInfo is the key provider as the JSON text the agent gives.
	KeyProviderInfo string
	// DeviceID is the claimed platform device id (hex).
	DeviceID string
	// VMConfig is the vm_config field as text, or "".
	VMConfig string
	// TCBInfo is the tcb_info field, which may arrive as an object or as a
	// string holding one.
	TCBInfo InfoTCB
}

// InfoTCB is the tcb_info part of Info (not Intel's TCB info, which is
// collateral.TCBInfo).
type InfoTCB struct {
	// MRTD and RTMR0 to RTMR3 are the claimed measurements (hex); the
	// verified quote holds the real ones.
	MRTD  string
	RTMR0 string
	RTMR1 string
	RTMR2 string
	RTMR3 string
	// AppCompose is the exact text of the CVM's app-compose.json, as
	// received: hash it as is, never re-serialize it.
	AppCompose string
	// EventLog is the decoded event log, if the field was present.
	EventLog []eventlog.Event
}

// infoJSON is the wire form of Info. String fields must be strings;
// key_provider_info, vm_config and tcb_info may be strings or objects.
type infoJSON struct {
	AppID           string          `json:"app_id"`
	InstanceID      string          `json:"instance_id"`
	AppName         string          `json:"app_name"`
	ComposeHash     string          `json:"compose_hash"`
	OSImageHash     string          `json:"os_image_hash"`
	KeyProviderInfo json.RawMessage `json:"key_provider_info"`
	DeviceID        string          `json:"device_id"`
	VMConfig        json.RawMessage `json:"vm_config"`
	TCBInfo         json.RawMessage `json:"tcb_info"`
}

// tcbInfoJSON is the wire form of InfoTCB.
type tcbInfoJSON struct {
	MRTD       string          `json:"mrtd"`
	RTMR0      string          `json:"rtmr0"`
	RTMR1      string          `json:"rtmr1"`
	RTMR2      string          `json:"rtmr2"`
	RTMR3      string          `json:"rtmr3"`
	AppCompose string          `json:"app_compose"`
	EventLog   json.RawMessage `json:"event_log"`
}

// ParseInfo reads an info document. It accepts tcb_info, key_provider_info
// and vm_config as objects or as strings holding JSON, ignores unknown
// fields, and refuses documents over MaxDocumentSize or not valid UTF-8,
// fields of the wrong JSON type and malformed event logs. Errors are
// *DocumentError matching ErrMalformedInfo.
func ParseInfo(b []byte) (*Info, error) {
	if err := checkSize(docInfo, b); err != nil {
		return nil, err
	}
	if !jsonshape.IsObject(b) {
		return nil, &DocumentError{Document: docInfo, Expected: "a JSON object", Found: jsonshape.Kind(b)}
	}
	if !utf8.Valid(b) {
		// The decoder would replace invalid bytes, and app_compose must be
		// kept exactly as sent.
		return nil, &DocumentError{Document: docInfo, Expected: "UTF-8 JSON", Found: "invalid UTF-8"}
	}
	var w infoJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, &DocumentError{Document: docInfo, Expected: "a JSON object of the info shape", Found: "invalid JSON or a field of the wrong type", Err: err}
	}
	info := &Info{
		AppID: w.AppID, InstanceID: w.InstanceID, AppName: w.AppName,
		ComposeHash: w.ComposeHash, OSImageHash: w.OSImageHash, DeviceID: w.DeviceID,
	}
	var err error
	if info.KeyProviderInfo, err = stringOrObject(docInfo, "key_provider_info", w.KeyProviderInfo); err != nil {
		return nil, err
	}
	if info.VMConfig, err = stringOrObject(docInfo, "vm_config", w.VMConfig); err != nil {
		return nil, err
	}
	tcb, err := stringOrObject(docInfo, "tcb_info", w.TCBInfo)
	if err != nil {
		return nil, err
	}
	if tcb == "" {
		return info, nil
	}
	var tw tcbInfoJSON
	if err := json.Unmarshal([]byte(tcb), &tw); err != nil {
		return nil, &DocumentError{Document: docInfo, Field: "tcb_info", Expected: "a JSON object of the tcb_info shape", Found: "invalid JSON or a field of the wrong type", Err: err}
	}
	info.TCBInfo = InfoTCB{
		MRTD: tw.MRTD, RTMR0: tw.RTMR0, RTMR1: tw.RTMR1, RTMR2: tw.RTMR2, RTMR3: tw.RTMR3,
		AppCompose: tw.AppCompose,
	}
	if info.TCBInfo.EventLog, err = decodeEventLogField(docInfo, "tcb_info.event_log", tw.EventLog, nil); err != nil {
		return nil, err
	}
	return info, nil
}

// MarshalJSON writes the info document as the dstack guest agent answers
// Info: tcb_info and key_provider_info as strings holding JSON, the event
// log inside tcb_info as an array.
func (i *Info) MarshalJSON() ([]byte, error) {
	tcb, err := json.Marshal(tcbInfoOut{
		MRTD: i.TCBInfo.MRTD, RTMR0: i.TCBInfo.RTMR0, RTMR1: i.TCBInfo.RTMR1, RTMR2: i.TCBInfo.RTMR2, RTMR3: i.TCBInfo.RTMR3,
		AppCompose: i.TCBInfo.AppCompose, EventLog: i.TCBInfo.EventLog,
	})
	if err != nil {
		return nil, fmt.Errorf("wire: info tcb_info: %w", err)
	}
	return json.Marshal(infoOut{
		AppID: i.AppID, InstanceID: i.InstanceID, AppName: i.AppName, ComposeHash: i.ComposeHash,
		OSImageHash: i.OSImageHash, KeyProviderInfo: i.KeyProviderInfo, DeviceID: i.DeviceID,
		VMConfig: i.VMConfig, TCBInfo: string(tcb),
	})
}

// infoOut is the form MarshalJSON writes.
type infoOut struct {
	AppID           string `json:"app_id"`
	InstanceID      string `json:"instance_id"`
	AppName         string `json:"app_name"`
	ComposeHash     string `json:"compose_hash"`
	OSImageHash     string `json:"os_image_hash"`
	KeyProviderInfo string `json:"key_provider_info"`
	DeviceID        string `json:"device_id"`
	TCBInfo         string `json:"tcb_info"`
	VMConfig        string `json:"vm_config,omitempty"`
}

// tcbInfoOut is the tcb_info object MarshalJSON writes.
type tcbInfoOut struct {
	MRTD       string           `json:"mrtd"`
	RTMR0      string           `json:"rtmr0"`
	RTMR1      string           `json:"rtmr1"`
	RTMR2      string           `json:"rtmr2"`
	RTMR3      string           `json:"rtmr3"`
	EventLog   []eventlog.Event `json:"event_log,omitempty"`
	AppCompose string           `json:"app_compose"`
}
