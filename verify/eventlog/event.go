// Package eventlog decodes dstack/TDX event logs, replays them into RTMR
// values, recomputes every dstack runtime event digest, and extracts the
// dstack identity (app id, compose hash, instance id, ...) from RTMR3.
//
// Nothing here is evidence by itself: an event log means something only once
// its replay equals the RTMRs of a verified quote.
package eventlog

// EventTypeDstackRuntime is the event type of dstack runtime events (imr 3).
const EventTypeDstackRuntime uint32 = 0x08000001

// Event is one event log entry.
type Event struct {
	// IMR is the RTMR index, 0 to 3.
	IMR int `json:"imr"`
	// EventType is the TCG or dstack event type.
	EventType uint32 `json:"event_type"`
	// Digest is the SHA-384 extended into the RTMR. For runtime events it
	// is recomputed, never taken from the log.
	Digest []byte `json:"digest"`
	// Event is the event name (runtime events) or empty.
	Event string `json:"event"`
	// Payload is the event payload; boot events usually carry none.
	Payload []byte `json:"event_payload"`
	// Version is 2 for events digested in the canonical-JSON form, else 0 or 1.
	Version int `json:"version,omitempty"`
	// Preimage is the logged digest preimage of a version 2 event, if any.
	Preimage []byte `json:"preimage,omitempty"`
}

// KeyProvider is the key provider a CVM booted with (the key-provider event).
type KeyProvider struct {
	// Name is the provider kind, such as "kms" or "local-sgx".
	Name string `json:"name"`
	// ID is the provider id: for a KMS, the lower-case hex of its root key's SPKI.
	ID string `json:"id"`
}

// Identity is the dstack identity recorded in RTMR3 before system-ready.
// Byte fields are nil when their event is absent.
type Identity struct {
	AppID            []byte       `json:"app_id"`
	ComposeHash      []byte       `json:"compose_hash"`
	InstanceID       []byte       `json:"instance_id"`
	OSImageHash      []byte       `json:"os_image_hash,omitempty"`
	KeyProvider      *KeyProvider `json:"key_provider,omitempty"`
	InitScriptHashes [][]byte     `json:"init_script_hashes,omitempty"`
	GPUPolicyHash    []byte       `json:"gpu_policy_hash,omitempty"`
	GPUAttestation   bool         `json:"gpu_attestation"`
	StorageFS        string       `json:"storage_fs,omitempty"`
	// AppEvents are the runtime events logged after system-ready.
	AppEvents []Event `json:"app_events,omitempty"`
}
