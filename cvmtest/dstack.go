package cvmtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// DefaultCompose is the app-compose.json of App's zero value: one service
// pinned by digest.
const DefaultCompose = `{"manifest_version":2,"name":"cvmtest-app","runner":"docker-compose",` +
	`"docker_compose_file":"services:\n  web:\n    image: nginx@sha256:` +
	`0000000000000000000000000000000000000000000000000000000000000001\n"}`

// App is a simulated dstack application: what its CVM measures into the
// RTMRs while it boots. The zero value is a valid app; each empty field
// takes a default derived from the compose, so that two apps differing in
// one field differ in exactly that measurement.
type App struct {
	// Compose is the exact app-compose.json text. Empty means DefaultCompose.
	Compose string
	// AppID is the 20-byte app id. Nil means the first 20 bytes of the
	// compose hash, as dstack does for an app without a KMS app id.
	AppID []byte
	// InstanceID is the 20-byte instance id. Nil means one derived from the
	// compose hash.
	InstanceID []byte
	// OSImageHash is the 32-byte OS image hash. Nil means a fixed value.
	OSImageHash []byte
	// KeyProvider is the key provider event. Nil means a KMS with a fixed id.
	KeyProvider *eventlog.KeyProvider
	// AppEvents are runtime events logged after system-ready.
	AppEvents []eventlog.Event
}

// DefaultOSImageHash is the OS image hash of an App that does not set one.
var DefaultOSImageHash = bytes.Repeat([]byte{0x05}, 32)

// DefaultKeyProvider is the key provider of an App that does not set one.
var DefaultKeyProvider = eventlog.KeyProvider{Name: "kms", ID: hex.EncodeToString(bytes.Repeat([]byte{0x30}, 91))}

// ComposeText returns the app-compose.json text the app runs.
func (a *App) ComposeText() string {
	if a.Compose == "" {
		return DefaultCompose
	}
	return a.Compose
}

// ComposeHash returns SHA-256 of the exact compose text.
func (a *App) ComposeHash() [32]byte { return sha256.Sum256([]byte(a.ComposeText())) }

// Identity returns the identity values the app's CVM logs, defaults applied.
func (a *App) Identity() (appID, instanceID, osImage []byte, kp eventlog.KeyProvider) {
	h := a.ComposeHash()
	appID, instanceID, osImage, kp = a.AppID, a.InstanceID, a.OSImageHash, DefaultKeyProvider
	if appID == nil {
		appID = h[:20]
	}
	if instanceID == nil {
		sum := sha256.Sum256(append([]byte("instance:"), h[:]...))
		instanceID = sum[:20]
	}
	if osImage == nil {
		osImage = DefaultOSImageHash
	}
	if a.KeyProvider != nil {
		kp = *a.KeyProvider
	}
	return appID, instanceID, osImage, kp
}

// EventLog returns the event log of the app's CVM: firmware and kernel
// events in RTMR0-2, then dstack's runtime events in RTMR3 up to
// system-ready, then AppEvents.
func (a *App) EventLog() []eventlog.Event {
	h := a.ComposeHash()
	appID, instanceID, osImage, kp := a.Identity()
	kpJSON, _ := json.Marshal(kp) // cannot fail: two strings
	events := []eventlog.Event{
		eventlog.NewBootEvent(0, 0x8000000b, []byte("cvmtest td hob")),
		eventlog.NewBootEvent(0, 0x0000000a, []byte("cvmtest acpi tables")),
		eventlog.NewBootEvent(1, 0x80000003, []byte("cvmtest efi boot application")),
		eventlog.NewBootEvent(1, 0x80000007, []byte("exit boot services")),
		eventlog.NewBootEvent(2, 0x00000006, []byte("cvmtest kernel")),
		eventlog.NewBootEvent(2, 0x00000006, []byte("cvmtest initrd")),
		eventlog.NewRuntimeEvent("system-preparing", nil),
		eventlog.NewRuntimeEvent("app-id", appID),
		eventlog.NewRuntimeEvent("compose-hash", h[:]),
		eventlog.NewRuntimeEvent("instance-id", instanceID),
		eventlog.NewRuntimeEvent("boot-mr-done", nil),
		eventlog.NewRuntimeEvent("os-image-hash", osImage),
		eventlog.NewRuntimeEvent("key-provider", kpJSON),
		eventlog.NewRuntimeEvent("storage-fs", []byte("ext4")),
		eventlog.NewRuntimeEvent("system-ready", nil),
	}
	return append(events, a.AppEvents...)
}

// RTMRs returns the RTMR values a TD holds after extending events in order,
// each from 48 zero bytes. Runtime events are extended with their logged
// digest, as a TD extends whatever it is told to.
func RTMRs(events []eventlog.Event) ([4][48]byte, error) {
	var r [4][48]byte
	for i, e := range events {
		if e.IMR < 0 || e.IMR > 3 || len(e.Digest) != 48 {
			return r, invalid("event log", fmt.Sprintf("event %d", i), "imr 0..3 and a 48-byte digest", fmt.Sprintf("imr %d, %d-byte digest", e.IMR, len(e.Digest)))
		}
		r[e.IMR] = eventlog.Extend(r[e.IMR], [48]byte(e.Digest))
	}
	return r, nil
}

// MRConfigID returns dstack's v1 MR_CONFIG_ID for the app:
// 0x01 || compose hash || zeros.
func (a *App) MRConfigID() [48]byte {
	var id [48]byte
	id[0] = 1
	h := a.ComposeHash()
	copy(id[1:], h[:])
	return id
}

// AttestationDocument returns the attestation a CVM running app serves: a
// quote whose RTMRs are those of app's event log and whose MR_CONFIG_ID
// binds its compose, over opts (whose RTMRs and MR_CONFIG_ID it sets), with
// the event log and report_data, as the dstack guest agent answers
// GetQuote.
func (p *PKI) AttestationDocument(app *App, opts QuoteOptions) (*wire.Attestation, error) {
	events := app.EventLog()
	rtmrs, err := RTMRs(events)
	if err != nil {
		return nil, err
	}
	opts.RTMRs = rtmrs
	opts.MRConfigID = app.MRConfigID()
	raw, err := p.Quote(opts)
	if err != nil {
		return nil, err
	}
	return &wire.Attestation{
		Quote:      raw,
		EventLog:   events,
		ReportData: opts.ReportData[:],
		VMConfig:   DefaultVMConfig,
	}, nil
}

// DefaultVMConfig is the vm_config a simulated CVM reports.
const DefaultVMConfig = `{"spec_version":1,"cpu_count":2,"memory_size":2147483648}`

// Attestation returns AttestationDocument as JSON.
func (p *PKI) Attestation(app *App, opts QuoteOptions) ([]byte, error) {
	a, err := p.AttestationDocument(app, opts)
	if err != nil {
		return nil, err
	}
	return a.MarshalJSON()
}

// InfoDocument returns the info document of a CVM running app, its
// tcb_info holding the exact compose text and the event log.
func (a *App) InfoDocument() (*wire.Info, error) {
	h := a.ComposeHash()
	appID, instanceID, osImage, kp := a.Identity()
	kpJSON, err := json.Marshal(kp)
	if err != nil {
		return nil, err
	}
	return &wire.Info{
		AppID:           hex.EncodeToString(appID),
		InstanceID:      hex.EncodeToString(instanceID),
		AppName:         "cvmtest-app",
		ComposeHash:     hex.EncodeToString(h[:]),
		OSImageHash:     hex.EncodeToString(osImage),
		KeyProviderInfo: string(kpJSON),
		TCBInfo:         wire.InfoTCB{AppCompose: a.ComposeText(), EventLog: a.EventLog()},
	}, nil
}

// Info returns InfoDocument as JSON.
func (a *App) Info() ([]byte, error) {
	info, err := a.InfoDocument()
	if err != nil {
		return nil, err
	}
	return info.MarshalJSON()
}
