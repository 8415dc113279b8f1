package eventlog

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/cvmgate/cvmgate/internal/jsonshape"
)

// Names of the dstack runtime events that make up a CVM's identity, in the
// order a dstack guest logs them into RTMR3.
const (
	EventSystemPreparing = "system-preparing"
	EventAppID           = "app-id"
	EventComposeHash     = "compose-hash"
	EventInitScriptHash  = "init-script-hash"
	EventGPUPolicyHash   = "gpu-policy-hash"
	EventGPUAttestation  = "gpu-attestation"
	EventInstanceID      = "instance-id"
	EventBootMRDone      = "boot-mr-done"
	EventOSImageHash     = "os-image-hash"
	EventKeyProvider     = "key-provider"
	EventStorageFS       = "storage-fs"
	EventSystemReady     = "system-ready"

	// EventUpgradedAppID is the name older dstack guests gave the compose
	// hash event. It is read as compose-hash; a log holding both before
	// system-ready is a duplicate.
	EventUpgradedAppID = "upgraded-app-id"
)

// Payload sizes of the fixed-size identity events.
const (
	AppIDSize       = 20
	ComposeHashSize = 32
	InstanceIDSize  = 20
	OSImageHashSize = 32
)

// ExtractIdentity reads the dstack identity from the RTMR3 runtime events of
// a replayed log (the events Replay returns). Values come from the first
// occurrence of each identity event before system-ready; a second
// occurrence before it fails with ErrDuplicateEvent (init-script-hash, which
// may repeat, excepted). A log without system-ready, app-id or compose-hash
// fails with ErrMissingEvent. Payloads must have their sizes (app-id 20
// bytes, compose-hash 32, instance-id 20 or empty, os-image-hash 32,
// key-provider a JSON object with the exact keys "name" and "id", each
// once, storage-fs UTF-8) or the log is ErrMalformed. Runtime events after system-ready are returned as AppEvents.
//
// ExtractIdentity does not check digests: only a log that Replay accepted
// and whose RTMRs equal a verified quote's is evidence.
func ExtractIdentity(events []Event) (*Identity, error) {
	x := extractor{id: &Identity{}, seen: map[string]int{}}
	ready := -1
	for i, e := range events {
		if err := checkStructure(i, e); err != nil {
			return nil, err
		}
		if e.EventType != EventTypeDstackRuntime {
			continue
		}
		if ready >= 0 {
			x.id.AppEvents = append(x.id.AppEvents, cloneEvent(e))
			continue
		}
		if e.Event == EventSystemReady {
			ready = i
			continue
		}
		if err := x.add(i, e); err != nil {
			return nil, err
		}
	}
	if ready < 0 {
		return nil, &MissingEventError{Name: EventSystemReady}
	}
	for _, name := range []string{EventAppID, EventComposeHash} {
		if _, ok := x.seen[name]; !ok {
			return nil, &MissingEventError{Name: name, Before: EventSystemReady}
		}
	}
	return x.id, nil
}

// extractor accumulates identity values and remembers where each identity
// event was first seen.
type extractor struct {
	id   *Identity
	seen map[string]int
}

// add records one runtime event logged before system-ready.
func (x *extractor) add(i int, e Event) error {
	name := e.Event
	if name == EventUpgradedAppID {
		name = EventComposeHash
	}
	switch name {
	case EventSystemPreparing, EventBootMRDone, EventAppID, EventComposeHash,
		EventInstanceID, EventOSImageHash, EventKeyProvider, EventStorageFS,
		EventGPUPolicyHash, EventGPUAttestation:
		if first, dup := x.seen[name]; dup {
			return &DuplicateEventError{Name: name, First: first, Second: i}
		}
		x.seen[name] = i
	case EventInitScriptHash:
		x.id.InitScriptHashes = append(x.id.InitScriptHashes, bytes.Clone(e.Payload))
		return nil
	default:
		return nil // an event this version does not interpret; it stays in the log
	}
	p := e.Payload
	switch name {
	case EventAppID:
		return x.fixed(i, e, &x.id.AppID, AppIDSize)
	case EventComposeHash:
		return x.fixed(i, e, &x.id.ComposeHash, ComposeHashSize)
	case EventOSImageHash:
		return x.fixed(i, e, &x.id.OSImageHash, OSImageHashSize)
	case EventInstanceID:
		if len(p) != 0 && len(p) != InstanceIDSize {
			return malformed(i, "event_payload", "expected %d or 0 bytes for %q, found %d", InstanceIDSize, e.Event, len(p))
		}
		x.id.InstanceID = append([]byte{}, p...)
	case EventKeyProvider:
		kp, err := parseKeyProvider(i, p)
		if err != nil {
			return err
		}
		x.id.KeyProvider = kp
	case EventStorageFS:
		if !utf8.Valid(p) {
			return malformed(i, "event_payload", "expected a UTF-8 file system name for %q, found invalid UTF-8", e.Event)
		}
		x.id.StorageFS = string(p)
	case EventGPUPolicyHash:
		x.id.GPUPolicyHash = append([]byte{}, p...)
	case EventGPUAttestation:
		x.id.GPUAttestation = true
	}
	return nil
}

// fixed stores a fixed-size payload after checking its size.
func (x *extractor) fixed(i int, e Event, dst *[]byte, size int) error {
	if len(e.Payload) != size {
		return malformed(i, "event_payload", "expected %d bytes for %q, found %d", size, e.Event, len(e.Payload))
	}
	*dst = bytes.Clone(e.Payload)
	return nil
}

// parseKeyProvider parses a key-provider payload as dstack reads it: a
// JSON object with the exact keys "name" (a non-empty string) and "id" (a
// string). A key given twice is malformed; a key that differs only in
// case ("Name") is another key, and like every other key it is ignored.
func parseKeyProvider(i int, p []byte) (*KeyProvider, error) {
	const reason = `expected key-provider JSON {"name","id"}`
	members, err := jsonshape.Object(p)
	if err != nil {
		return nil, &MalformedError{Index: i, Field: "event_payload", Reason: reason, Err: err}
	}
	var kp KeyProvider
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &kp.Name}, {"id", &kp.ID}} {
		raw, ok := members[f.key]
		if !ok || jsonshape.Kind(raw) != "a string" {
			return nil, malformed(i, "event_payload", `expected key-provider JSON with a string %q, found %q`, f.key, clip(p))
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return nil, &MalformedError{Index: i, Field: "event_payload", Reason: reason, Err: err}
		}
	}
	if kp.Name == "" {
		return nil, malformed(i, "event_payload", `expected key-provider JSON with a non-empty "name", found %q`, clip(p))
	}
	return &kp, nil
}

// cloneEvent returns a deep copy of e.
func cloneEvent(e Event) Event {
	e.Digest = bytes.Clone(e.Digest)
	e.Payload = bytes.Clone(e.Payload)
	e.Preimage = bytes.Clone(e.Preimage)
	return e
}

// clip shortens a payload for an error message.
func clip(p []byte) []byte {
	const max = 64
	if len(p) > max {
		return p[:max]
	}
	return p
}
